"""Hostile or broken files fail cleanly (issue 12), and loading a directory is bounded and
predictable (issue 10 item 9): each case is one clear error (or one warning line) naming the file.

No timed assertions: each case is bounded by a documented limit (depth, alias expansion, size,
count), asserted here by what is reported.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import TOY_KINDS, Writer

from reconciler.config import ConfigError, Diagnostic, LoadedConfig, SourceLoc, _yaml, discovery, load_config
from reconciler.config._yaml import MAX_ALIAS_NODES, MAX_DEPTH, parse_yaml


def load(path: Path, *, recursive: bool = False) -> LoadedConfig:
    return load_config(path, kinds=TOY_KINDS, environ={}, recursive=recursive)


def errors_of(path: Path, *, recursive: bool = False) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as info:
        load(path, recursive=recursive)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def only_error(path: Path) -> Diagnostic:
    errs = errors_of(path)
    assert len(errs) == 1, "\n".join(e.format() for e in errs)
    return errs[0]


# -- hostile YAML --------------------------------------------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    lines = ["version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_stops_at_the_expansion_limit(write: Writer) -> None:
    path = write("bomb.yaml", _alias_bomb())  # 9**10 values if expanded
    err = only_error(path)
    assert err.summary == f"YAML aliases expand to more than {MAX_ALIAS_NODES} values"
    assert err.loc is not None and err.loc.file == str(path) and err.loc.line > 1


def test_aliases_within_the_limit_still_work() -> None:
    parsed = parse_yaml(_alias_bomb(levels=3), "f.yaml")  # 9**4 = 6561 values
    assert parsed.diagnostics == []
    assert len(parsed.data["d"]) == 9 and parsed.data["d"][8][8][8] == ["lol"] * 9
    assert parsed.locs[("d", 8, 8, 8, 0)][1] == SourceLoc("f.yaml", 2, 8)  # the anchored value's position


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_one_error_not_a_recursion_error(write: Writer, style: str) -> None:
    depth = 5000 if style == "flow" else MAX_DEPTH + 50
    if style == "flow":
        text = "version: 1\norgs: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "version: 1\norgs:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(depth))
    path = write("deep.yaml", text)
    err = only_error(path)
    assert "nesting" in err.summary and ("deeper than" in err.summary or "maximum" in err.summary)
    assert err.loc is not None and err.loc.file == str(path)


def test_nesting_at_the_limit_is_fine() -> None:
    text = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert parse_yaml(text, "f").diagnostics == []


def test_large_file_fails_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:  # a sparse 50 MB file: nothing is written, nothing may be read
        fh.truncate(50 * 1000 * 1000)
    err = only_error(path)
    assert err.summary.startswith("file is too large for a configuration file (48 MiB; the limit is")
    assert err.loc == SourceLoc(str(path), 1, 1)


def test_total_size_limit_over_a_directory(write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "MAX_TOTAL_BYTES", 100)
    write("a.yaml", "version: 1\n# " + "x" * 80 + "\n")
    b = write("b.yaml", "version: 1\n# " + "x" * 80 + "\n")
    err = only_error(b.parent)
    assert err.summary.startswith("configuration files are too large together")
    assert err.loc == SourceLoc(str(b), 1, 1)


def test_text_limit_in_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yaml, "MAX_CHARS", 10)
    parsed = parse_yaml("a: 12345678901\n", "f")
    assert parsed.data is None and [d.summary for d in parsed.diagnostics] == ["YAML text longer than 10 characters"]


def test_empty_file_is_missing_version(write: Writer) -> None:
    for name, text in (("empty.yaml", ""), ("comments.yaml", "# nothing\n")):
        err = only_error(write(name, text))
        assert err.summary == "missing 'version'" and err.detail == "the file is empty"
        assert err.loc is not None and err.loc.file.endswith(name)


def test_symlink_loop_in_a_directory_is_an_error(write: Writer) -> None:
    good = write("main.yaml", "version: 1\n")
    loop = good.parent / "loop.yaml"
    os.symlink(loop, loop)
    broken = good.parent / "gone.yaml"
    os.symlink(good.parent / "nowhere.yaml", broken)
    errs = errors_of(good.parent)
    assert sorted(e.summary for e in errs) == [
        f"cannot read {broken}: a broken symlink",
        f"cannot read {loop}: a symlink loop",
    ]


def test_directory_symlink_loop_is_listed_when_walking(write: Writer) -> None:
    main = write("main.yaml", "version: 1\norgs:\n  a: {ims_org_id: x}\n")
    write("sub/more.yaml", "version: 1\norgs:\n  b: {ims_org_id: x}\n")
    os.symlink(main.parent, main.parent / "sub" / "up")  # sub/up -> the root again
    cfg = load(main.parent, recursive=True)
    assert list(cfg.resources) == ["orgs.a", "orgs.b"]
    (warning,) = cfg.warnings
    assert warning.summary == "skipped 1 directory: sub/up (a symlink loop: already read as .)"


def test_fifo_is_not_read(write: Writer) -> None:
    main = write("main.yaml", "version: 1\n")
    fifo = main.parent / "pipe.yaml"
    os.mkfifo(fifo)
    assert [e.summary for e in errors_of(main.parent)] == [f"cannot read {fifo}: not a regular file"]


def test_duplicate_keys_still_refused_in_flow_and_block(write: Writer) -> None:
    path = write("dup.yaml", "version: 1\norgs: {a: {ims_org_id: x}, a: {ims_org_id: y}}\n")
    err = only_error(path)
    assert err.summary == "duplicate key 'a'" and err.loc == SourceLoc(str(path), 2, 28)
    assert f"first defined at {path}:2:8" == err.detail


def test_yaml_12_scalars() -> None:
    text = "a: 0777\nb: 1:20\nc: yes\nd: off\ne: 0o17\nf: 0x1F\ng: .inf\nh: 1_000\ni: ~\nj: 2024-01-02\nk: 1e3\n"
    data = parse_yaml(text, "f").data
    assert data["a"] == 777 and data["b"] == "1:20" and data["c"] == "yes" and data["d"] == "off"
    assert data["e"] == 15 and data["f"] == 31 and data["g"] == float("inf") and data["h"] == "1_000"
    assert data["i"] is None and str(data["j"]) == "2024-01-02" and data["k"] == 1000.0


def test_more_than_one_document_is_an_error(write: Writer) -> None:
    path = write("two.yaml", "version: 1\n---\nversion: 1\n")
    err = only_error(path)
    assert err.summary == "YAML syntax error: expected a single document in the stream"
    assert err.loc == SourceLoc(str(path), 2, 1)


# -- loading a directory -------------------------------------------------------------------------


def test_foreign_yaml_beside_the_configuration_is_skipped_and_listed(write: Writer) -> None:
    main = write("main.yaml", "version: 1\norgs:\n  a: {ims_org_id: x}\n")
    write("docker-compose.yaml", "version: '3.8'\nservices:\n  web: {image: nginx}\n")
    write("mkdocs.yml", "site_name: docs\nnav: [index.md]\n")
    write("list.yaml", "- 1\n- 2\n")
    write("dups.yaml", "a: 1\na: 2\n")  # not configuration: its problems are not ours
    cfg = load(main.parent)
    assert list(cfg.resources) == ["orgs.a"] and cfg.files == [main]
    (warning,) = cfg.warnings
    assert warning.severity == "warning" and warning.loc is None
    assert warning.summary == (
        "skipped 4 YAML files that are not configuration: docker-compose.yaml, dups.yaml, list.yaml, mkdocs.yml"
    )


def test_foreign_files_do_not_change_the_digest(write: Writer) -> None:
    main = write("main.yaml", "version: 1\n")
    d1 = load(main.parent).digest
    write("docker-compose.yaml", "services: {}\n")
    assert load(main.parent).digest == d1


def test_a_file_with_a_section_is_configuration_even_without_version(write: Writer) -> None:
    write("main.yaml", "version: 1\n")
    b = write("b.yaml", "orgs:\n  o: {ims_org_id: x}\nservices: {}\n")
    err = only_error(b.parent)
    assert err.summary == "unknown top-level key 'services'" and err.loc == SourceLoc(str(b), 3, 1)


def test_a_directory_of_foreign_files_only_is_an_error(write: Writer) -> None:
    path = write("docker-compose.yaml", "services: {}\n")
    with pytest.raises(ConfigError) as info:
        load(path.parent)
    summaries = [(d.severity, d.summary) for d in info.value.diagnostics]
    assert ("error", "none of the YAML files is configuration") in summaries
    assert ("warning", "skipped 1 YAML file that is not configuration: docker-compose.yaml") in summaries


def test_a_foreign_file_given_by_name_is_read_as_configuration(write: Writer) -> None:
    path = write("docker-compose.yaml", "version: 1\nservices: {}\n")
    assert only_error(path).summary == "unknown top-level key 'services'"


def test_a_broken_yaml_file_in_a_directory_is_an_error(write: Writer) -> None:
    write("main.yaml", "version: 1\n")
    bad = write("other.yaml", "a: [1\n")
    err = only_error(bad.parent)
    assert err.summary.startswith("YAML syntax error") and err.loc is not None and err.loc.file == str(bad)


def test_subdirectories_are_not_read_by_default(write: Writer) -> None:
    main = write("main.yaml", "version: 1\norgs:\n  a: {ims_org_id: x}\n")
    write("envs/prod.yaml", "version: 1\norgs:\n  b: {ims_org_id: x}\n")
    write("docs/readme.md", "not yaml\n")
    cfg = load(main.parent)
    assert list(cfg.resources) == ["orgs.a"]
    (warning,) = cfg.warnings
    assert warning.summary == "not read: subdirectory envs of the configuration directory (holding YAML files)"
    assert list(load(main.parent, recursive=True).resources) == ["orgs.b", "orgs.a"]  # envs/ sorts first


def test_file_count_limit(write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "MAX_FILES", 3)
    for i in range(5):
        write(f"f{i}.yaml", "version: 1\n")
    root = write("f0.yaml", "version: 1\n").parent
    (err,) = errors_of(root)
    assert err.summary == f"more than 3 YAML files in {root}"
    (err,) = errors_of(root, recursive=True)
    assert err.summary == f"more than 3 YAML files in {root}"


def test_recursive_walk_entry_limit(write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "MAX_ENTRIES", 10)
    root = write("main.yaml", "version: 1\n").parent
    for i in range(12):
        write(f"tree/d{i}/x.txt", "")
    (err,) = errors_of(root, recursive=True)
    assert err.summary == f"more than 10 directory entries under {root}"
    assert load(root).files == [root / "main.yaml"]  # not recursive: the tree is not walked
