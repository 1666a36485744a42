"""Markdown PR comments as tfcmt renders them: highlighted `!` lines for in-place changes, list
members one per line, unique Mermaid ids, coloured destructive nodes, title/commit/run-URL metadata."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine import Action, FieldChange, Plan, PlannedChange
from reconciler.render.graph import mermaid_ids, to_mermaid
from reconciler.render.markdown import MARKER, render_markdown
from tests.helpers import Run

MEMBERS_BEFORE = [{"principal": "dana@acme.example", "role": "viewer"}, {"principal": "jane@acme.example", "role": "editor"}]
MEMBERS_AFTER = [{"principal": "jane@acme.example", "role": "editor"}, {"principal": "lee@acme.example", "role": "owner"}]


def _plan() -> Plan:
    return Plan(changes=[
        PlannedChange("folders.mc-demo", "folders", Action.UPDATE, reason="configuration changed",
                      changes=[FieldChange("title", "Old", "New")]),
        PlannedChange("shares.mc-demo", "shares", Action.UPDATE, reason="configuration changed",
                      changes=[FieldChange("members", MEMBERS_BEFORE, MEMBERS_AFTER)]),
        PlannedChange("shares.new", "shares", Action.CREATE, reason="not found",
                      changes=[FieldChange("members", None, MEMBERS_AFTER)]),
        PlannedChange("folders.mc_demo", "folders", Action.DELETE, reason="removed from the configuration",
                      waits_for=["folders.mc-demo"]),
    ], unchanged=1)


def test_in_place_changes_are_highlighted_and_members_one_per_line() -> None:
    md = render_markdown(_plan())
    assert '! title = "Old" -> "New"' in md and "~ title" not in md
    assert "! members = [" in md
    assert '-     {"principal": "dana@acme.example", "role": "viewer"}' in md
    assert '      {"principal": "jane@acme.example", "role": "editor"}' in md  # unchanged member
    assert '+     {"principal": "lee@acme.example", "role": "owner"}' in md
    assert "+ members = [" in md  # a create: every member added
    assert max(len(line) for line in md.splitlines() if line.startswith(("+", "-", "!"))) < 100
    assert "`!` changed in place" in md and "`+` added" in md and "`-` removed" in md


def test_mermaid_ids_are_unique_and_destructive_nodes_coloured() -> None:
    ids = mermaid_ids(["folders.mc-demo", "folders.mc_demo", "cloud_configs.assets-sync"])
    assert len(set(ids.values())) == 3
    assert ids["cloud_configs.assets-sync"] == "n_cloud_configs_assets_sync"
    md = render_markdown(_plan())
    graph = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert 'n_folders_mc_demo["folders.mc-demo (~)"]' in graph
    assert 'n_folders_mc_demo_2["folders.mc_demo (-)"]' in graph
    assert "n_folders_mc_demo_2 --> n_folders_mc_demo" in graph
    assert "classDef destroy " in graph and "class n_folders_mc_demo_2 destroy" in graph
    assert "class n_shares_new create" in graph
    plain = to_mermaid({"a.b": set()})
    assert "classDef" not in plain


def test_metadata_title_commit_and_run_url() -> None:
    md = render_markdown(_plan(), title="Production plan",
                         meta={"commit": "0123456789abcdef0123", "run_url": "https://ci.example/runs/7", "target": "prod"})
    lines = md.splitlines()
    assert lines[0] == MARKER and lines[1].startswith("### Production plan: ")
    assert lines[3] == "target `prod` · commit `0123456789ab` · [CI run](https://ci.example/runs/7)"
    assert render_markdown(_plan(), meta={"commit": ""}).splitlines()[2:4] == ["", "| action | count |"]


def test_plan_markdown_options(quickstart: Path, cli: Run) -> None:
    env = {"GITHUB_SHA": "feedfacecafe0000", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_RUN_ID": "42",
           "GITHUB_SERVER_URL": "https://github.com"}
    out = cli("plan", "-format=markdown", "-title=Staging", quickstart, env=env)
    assert out.exit_code == 0
    assert out.output.startswith(MARKER + "\n### Staging: ")
    assert "commit `feedfacecafe` · [CI run](https://github.com/acme/infra/actions/runs/42)" in out.output
    mine = cli("plan", "--format", "markdown", "--commit", "abc", "--run-url", "https://x/1", quickstart, env=env)
    assert "commit `abc` · [CI run](https://x/1)" in mine.output
