"""YAML mistakes as a user meets them through `reconciler validate`: one clear error per broken
file, no knock-on errors from it (none about the rest of that file, no "not declared" from the
files that name what it declares), and a mis-indented key told as such, not as a typo."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Run


def _split_with_a_tab(quickstart: Path) -> None:
    """main.yaml -> a.yaml (connections .. step 5, one line indented with a tab) + b.yaml (the users
    and shares, which name the org, folder and cloud configuration a.yaml declares)."""
    text = (quickstart / "main.yaml").read_text()
    head, tail = text.split("# Step 6", 1)
    (quickstart / "main.yaml").unlink()
    (quickstart / "a.yaml").write_text(head.replace("    title: AEM Assets sync\n", "\ttitle: AEM Assets sync\n", 1))
    (quickstart / "b.yaml").write_text("version: 1\n# Step 6" + tail)


def test_a_tab_in_one_file_is_one_error(quickstart: Path, cli: Run) -> None:
    _split_with_a_tab(quickstart)
    out = cli("validate", quickstart)
    assert out.exit_code == 1
    assert out.output.count(": error: ") == 1
    assert f"{quickstart / 'a.yaml'}:50:1: error: YAML syntax error: found a tab character" in out.output
    assert "hint: YAML indents with spaces, never tabs" in out.output
    assert "not declared" not in out.output and "missing" not in out.output
    assert "6 references to undeclared names were not reported" in out.output
    assert "Error: the configuration has 1 error; nothing was changed" in out.output


def test_misindented_member_role_is_an_indentation_hint(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace(
        "      - {user: jane, role: editor}\n      - {user: dana, role: viewer}",
        "      - user: jane\n    role: editor",
    ))
    out = cli("validate", quickstart)
    assert out.exit_code == 1 and out.output.count(": error: ") == 1
    assert "unknown key 'role' in shares.mc-demo-creative-cloud" in out.output
    assert "'role' is a key of each entry of 'members'" in out.output
    assert "did you mean" not in out.output


def test_bad_indentation_is_one_syntax_error(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("    title: AEM Assets sync\n", "      title: AEM Assets sync\n", 1))
    out = cli("validate", quickstart)
    assert out.exit_code == 1 and out.output.count(": error: ") == 1
    assert "YAML syntax error: mapping values are not allowed in this context" in out.output
    assert "version" not in out.output
