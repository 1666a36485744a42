"""The configuration's warnings (a secret written in clear, a change that cannot be made in place,
...) travel in the plan: the JSON plan's ``warnings`` (with ``file:line:col``), the Markdown
comment's warnings section and a saved plan file carry them; the text plan leaves them to stderr,
where they are printed once. No secret value is ever in them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config.diagnostics import Diagnostic, SourceLoc
from reconciler.engine import Action, Note, Plan, PlannedChange
from reconciler.render.config_warnings import ConfigWarning, config_warnings
from reconciler.render.jsonplan import plan_from_json, plan_json
from reconciler.render.markdown import WARNINGS_MAX, render_markdown
from reconciler.render.text import TextRenderer
from tests.helpers import Run

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
CLEAR = "CLEARTEXT-PW-99"
DIAGNOSTICS = [
    Diagnostic("warning", "secret connections.author.password is written in clear in the configuration",
               loc=SourceLoc("aem.yaml", 19, 25), address="connections.author",
               hint="use ${env:NAME} or ${file:path} so the secret stays out of git"),
    Diagnostic("warning", "folders.x: ordered cannot be changed in place", "a replacement deletes the folder\nthen creates it",
               address="folders.x", hint="set ordered: false again\nor declare a new resource"),
    Diagnostic("warning", "no location at all"),
    Diagnostic("error", "an error is not a warning", loc=SourceLoc("a.yaml", 1, 1)),
]


def _plan() -> Plan:
    change = PlannedChange("folders.x", "folders", Action.CREATE, reason="not found")
    notes = [*config_warnings(DIAGNOSTICS), Note("warning", "from a provider", "why")]
    return Plan([change], 0, warnings=notes, lineage="l", config_digest="0" * 64)


def test_a_config_warning_prints_as_its_diagnostic() -> None:
    notes = config_warnings(DIAGNOSTICS)
    assert len(notes) == 3  # the error is left out
    for note, diagnostic in zip(notes, DIAGNOSTICS, strict=False):
        assert note.format() == diagnostic.format()
        assert note.format(color=True) == diagnostic.format(color=True)
    assert notes[0].summary.startswith("aem.yaml:19:25: secret connections.author.password")
    assert notes[0].location == "aem.yaml:19:25" and notes[1].location == "folders.x" and notes[2].location == ""


def test_json_markdown_carry_them_and_text_leaves_them_to_stderr() -> None:
    doc = plan_json(_plan())
    jsonschema.validate(doc, SCHEMA)
    first, *_, last = doc["warnings"]
    assert first == {
        "summary": "aem.yaml:19:25: secret connections.author.password is written in clear in the configuration",
        "detail": "hint: use ${env:NAME} or ${file:path} so the secret stays out of git",
        "source": "configuration",
        "location": "aem.yaml:19:25",
    }
    assert last == {"summary": "from a provider", "detail": "why", "source": "plan", "location": ""}
    md = render_markdown(_plan())
    section = md.split("#### Warnings\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section[0] == f"- ⚠️ {first['summary']}: {first['detail']}"
    assert section[1] == ("- ⚠️ folders.x: folders.x: ordered cannot be changed in place: a replacement deletes the"
                          " folder; then creates it; hint: set ordered: false again; or declare a new resource")
    assert len(section) == 4
    text = TextRenderer().plan(_plan())
    assert "Warning: from a provider\n  why\n" in text and "aem.yaml" not in text and "in place" not in text
    # a saved plan gives them back as they were
    again = plan_from_json(json.loads(json.dumps(doc)))
    assert again.warnings == _plan().warnings
    assert [type(w) for w in again.warnings] == [ConfigWarning] * 3 + [Note]


def test_markdown_lists_at_most_so_many_warnings() -> None:
    many = Plan([], 0, warnings=[Note("warning", f"w{i}") for i in range(WARNINGS_MAX + 7)])
    md = render_markdown(many)
    assert md.count("- ⚠️ w") == WARNINGS_MAX and "- … and 7 more (`reconciler plan` prints them all)" in md


def test_plan_json_markdown_and_plan_file_carry_a_clear_secret_warning_never_the_secret(
    quickstart: Path, cli: Run, tmp_path: Path
) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("    name: mac-sync-assets-sync\n",
                                             f"    name: mac-sync-assets-sync\n    transport_password: {CLEAR}\n"))
    summary = "secret replication_agents.mac-sync.transport_password is written in clear in the configuration"
    as_json = cli("plan", "-json", quickstart)
    assert as_json.exit_code == 0, as_json.output
    (warning,) = json.loads(as_json.stdout)["warnings"]
    assert warning["source"] == "configuration" and warning["summary"].endswith(f":75:25: {summary}")
    assert warning["location"].endswith("main.yaml:75:25") and warning["summary"].startswith(warning["location"])
    md = cli("plan", "--format", "markdown", quickstart)
    assert f":75:25: {summary}" in md.stdout.split("#### Warnings", 1)[1]
    saved = tmp_path / "saved.plan"
    text = cli("plan", "-out", saved, quickstart)
    assert text.stderr.count(summary) == 1 and summary not in text.stdout  # on stderr, once
    assert json.loads(saved.read_text())["plan"]["warnings"] == [warning]
    shown = cli("show", saved)
    assert shown.stderr == text.stderr and summary not in shown.stdout
    for out in (as_json.output, md.output, text.output, shown.output, saved.read_text()):
        assert CLEAR not in out


@settings(max_examples=200, deadline=None)
@given(
    summary=st.text(max_size=10),
    detail=st.text(max_size=20),
    hint=st.none() | st.text(max_size=20),
    where=st.none() | st.builds(SourceLoc, st.text(min_size=1, max_size=5), st.integers(1, 99), st.integers(1, 99)),
    address=st.none() | st.sampled_from(["folders.x", "connections.author"]),
    color=st.booleans(),
)
def test_any_warning_prints_as_its_diagnostic_also_from_a_plan_file(
    summary: str, detail: str, hint: str | None, where: SourceLoc | None, address: str | None, color: bool
) -> None:
    diagnostic = Diagnostic("warning", summary, detail, loc=where, address=address, hint=hint)
    doc = plan_json(Plan([], 0, warnings=config_warnings([diagnostic]), config_digest="0" * 64))
    (note,) = plan_from_json(json.loads(json.dumps(doc))).warnings
    assert isinstance(note, ConfigWarning) and note.format(color=color) == diagnostic.format(color=color)
