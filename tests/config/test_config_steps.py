"""The loader's steps one at a time (discovery, sections, interpolation, findings, meta keys):
each records diagnostics instead of raising, and load_config composes them."""

from __future__ import annotations

from pathlib import Path

from reconciler.config._entry import Entry, SourceFile
from reconciler.config._yaml import parse_yaml
from reconciler.config.diagnostics import Diagnostic, SourceLoc
from reconciler.config.discovery import find_files, read_files
from reconciler.config.interpolate import Interpolator
from reconciler.config.meta import Lifecycle, parse_depends_on, parse_lifecycle
from reconciler.config.report import Findings
from reconciler.config.sections import CONFIG_VERSION, collect


def _file(tmp_path: Path, text: str, name: str = "main.yaml") -> SourceFile:
    path = tmp_path / name
    path.write_text(text)
    return SourceFile(path, str(path), name, parse_yaml(text, str(path)))


def _entry(tmp_path: Path, text: str, section: str = "folders", name: str = "f") -> Entry:
    f = _file(tmp_path, text)
    return Entry(section, name, f, f.parsed.locs[(section, name)][0], f.parsed.data[section][name])


def test_find_files_sorts_and_skips_hidden_paths(tmp_path):
    (tmp_path / "b.yml").write_text("")
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text("")
    (tmp_path / ".hidden.yaml").write_text("")
    (tmp_path / ".reconciler").mkdir()
    (tmp_path / ".reconciler" / "state.yaml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    findings = Findings()
    found, root = find_files(tmp_path, findings, recursive=True)
    assert [rel for _, rel in found] == ["a.yaml", "b.yml", "sub/c.yaml"]
    assert root == tmp_path
    assert findings.diags == []
    # by default a directory's own files only (as Terraform reads *.tf); the subdirectory is named
    found, root = find_files(tmp_path, findings)
    assert [rel for _, rel in found] == ["a.yaml", "b.yml"]
    assert [(d.severity, d.summary) for d in findings.diags] == [
        ("warning", "not read: subdirectory sub of the configuration directory (holding YAML files)")
    ]


def test_find_files_reports_missing_path_and_empty_directory(tmp_path):
    findings = Findings()
    assert find_files(tmp_path / "nope", findings) == ([], tmp_path / "nope")
    assert find_files(tmp_path, findings) == ([], tmp_path)
    assert [d.summary for d in findings.diags] == [
        f"configuration path not found: {tmp_path / 'nope'}",
        f"no *.yaml or *.yml files in directory {tmp_path}",
    ]


def test_read_files_orders_files_and_reports_bad_utf8(tmp_path):
    good = tmp_path / "a.yaml"
    good.write_text("version: 1\n")
    bad = tmp_path / "b.yaml"
    bad.write_bytes(b"version: 1\nx: \xff\n")
    findings = Findings()
    files, digest = read_files([(good, "a.yaml"), (bad, "b.yaml")], findings)
    assert [f.rel for f in files] == ["a.yaml"]
    assert len(digest) == 64
    assert findings.order == {str(good): 0, str(bad): 1}
    assert [(d.summary, d.loc) for d in findings.diags] == [("file is not valid UTF-8", SourceLoc(str(bad), 2, 4))]
    assert findings.diags[0].hint is not None and "save the file as UTF-8" in findings.diags[0].hint


def test_an_unterminated_quote_says_where_it_was_opened() -> None:
    text = 'version: 1\nfolders:\n  a:\n    title: "open\n    path: /content/dam/a\n'
    (diag,) = parse_yaml(text, "main.yaml").diagnostics
    assert diag.summary == "YAML syntax error: found unexpected end of stream"
    assert diag.hint == "close the quote opened at line 4"


def test_collect_registers_entries_and_reports_duplicates_across_files(tmp_path):
    one = _file(tmp_path, "version: 1\nfolders:\n  f: {path: /a}\n", "one.yaml")
    two = _file(tmp_path, "folders:\n  f: {path: /b}\n  g: {path: /c}\n", "two.yaml")
    findings = Findings()
    registry = collect([one, two], ["folders"], findings)
    assert list(registry.resources) == ["folders.f", "folders.g"]
    assert registry.names_of("folders") == ["f", "g"]
    assert [d.summary for d in findings.diags] == ["resource folders.f is defined twice"]
    assert CONFIG_VERSION == 1


def test_interpolator_substitutes_and_keeps_references_in_template_form(tmp_path):
    entry = _entry(tmp_path, "folders:\n  f:\n    title: '${env:TITLE}-$${x}-${orgs.o.ims_org_id}'\n")
    findings = Findings()
    data = Interpolator({"TITLE": "secret-title"}, findings).entry(entry)
    assert data == {"title": "secret-title-$${x}-${orgs.o.ims_org_id}"}
    assert entry.tainted == {("title",)} and entry.from_expr == {("title",)}
    assert findings.sensitive == {"secret-title"}


def test_interpolator_reports_an_unset_variable_at_its_column(tmp_path):
    entry = _entry(tmp_path, "folders:\n  f:\n    title: 'x ${env:NOPE}'\n")
    findings = Findings()
    assert Interpolator({}, findings).entry(entry) == {"title": "x "}
    (diag,) = findings.diags
    assert diag.summary == "environment variable NOPE is not set"
    assert (diag.loc.line, diag.loc.col) == (3, 15)


def test_findings_finish_redacts_and_sorts_by_file_line_col():
    findings = Findings()
    findings.order = {"a.yaml": 0, "b.yaml": 1}
    findings.error("second file", SourceLoc("b.yaml", 1, 1))
    findings.error("value hunter2-secret leaked", SourceLoc("a.yaml", 5, 1), hint="hunter2-secret")
    findings.warn("no place", None)
    findings.add_sensitive("hunter2-secret")
    findings.add_sensitive("short")  # under the minimum length: not redacted
    out = findings.finish()
    assert [d.summary for d in out] == ["no place", "value (sensitive) leaked", "second file"]
    assert out[1].hint == "(sensitive)"
    assert isinstance(out[0], Diagnostic) and out[0].severity == "warning"


def test_meta_keys_parse_and_report(tmp_path):
    entry = _entry(tmp_path, "folders:\n  f:\n    path: /a\n    lifecycle: {prevent_destroy: yes}\n")
    findings = Findings()
    assert parse_lifecycle(entry, {"prevent_destroy": True}, findings) == Lifecycle(prevent_destroy=True)
    assert parse_lifecycle(entry, {"prevent_destroy": "yes"}, findings) == Lifecycle()
    known = {"folders.g": entry}
    assert parse_depends_on(entry, ["folders.g", "folders.h", "connections.aem", "bad"], known, findings) == {
        "folders.g"
    }
    assert [d.summary for d in findings.diags] == [
        "lifecycle.prevent_destroy of folders.f must be a boolean, got 'yes'",
        "depends_on names folders.h, which is not declared",
        "depends_on cannot name a connection (connections.aem)",
        "invalid depends_on entry 'bad' in folders.f",
    ]
    assert findings.diags[1].detail == "declared folders: folders.g"  # what exists is listed
