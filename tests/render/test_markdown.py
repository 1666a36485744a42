"""Markdown PR comments: size limit, destructive first, nothing secret."""

from __future__ import annotations

from reconciler.engine import Action, DriftItem, FieldChange, Note, Plan, PlannedChange
from reconciler.render.markdown import LIMIT, render_markdown


def big_plan(n_create: int, n_update: int, n_delete: int, n_replace: int = 0) -> Plan:
    changes = []
    for i in range(n_create):
        changes.append(PlannedChange(f"folders.new-{i:04d}", "folders", Action.CREATE, reason="not found",
                                     changes=[FieldChange("title", None, f"Folder number {i} with a long title")],
                                     waits_for=["orgs.acme"]))
    for i in range(n_update):
        changes.append(PlannedChange(f"folders.upd-{i:04d}", "folders", Action.UPDATE, reason="configuration changed",
                                     changes=[FieldChange("title", "old", "new")]))
    for i in range(n_replace):
        changes.append(PlannedChange(f"cloud_configs.rep-{i:04d}", "cloud_configs", Action.REPLACE,
                                     reason="cannot change in place: name",
                                     changes=[FieldChange("name", "a", "b", forces_replacement=True)]))
    for i in range(n_delete):
        changes.append(PlannedChange(f"folders.del-{i:04d}", "folders", Action.DELETE, reason="removed from the configuration",
                                     notes=[f"deletes the folder /content/dam/del-{i:04d} and every asset in it"]))
    return Plan(changes=changes, unchanged=10, warnings=[Note("warning", "something to know")])


def test_small_plan_has_summary_table_destructive_first_details_and_graph() -> None:
    plan = big_plan(2, 1, 1, 1)
    md = render_markdown(plan)
    assert md.startswith("<!-- aem-assets-reconciler plan -->\n### Reconciler plan: 2 to create, 1 to update, 1 to replace, 1 to delete")
    assert "**2 destructive**" in md
    assert "| ➕ create | 2 |" in md and "| 🗑️ **delete** | 1 |" in md
    assert md.index("[!CAUTION]") < md.index("#### Changes")
    assert "<details><summary><code>+ folders.new-0000</code>" in md
    assert "```mermaid" in md and "-->" in md
    assert "something to know" in md
    assert "Shortened" not in md


def test_2000_changes_fit_and_keep_every_delete() -> None:
    plan = big_plan(1000, 600, 400)
    md = render_markdown(plan)
    assert len(md) <= LIMIT
    for i in range(400):
        assert f"folders.del-{i:04d}" in md
    assert "Shortened to fit a pull-request comment" in md
    assert "Run `reconciler plan` for the full plan." in md


def test_2000_deletes_alone_still_all_listed() -> None:
    plan = big_plan(0, 0, 2000)
    md = render_markdown(plan)
    assert len(md) <= LIMIT
    assert all(f"folders.del-{i:04d}" in md for i in range(2000))


def test_beyond_what_fits_says_how_many_destructive_actions_are_not_shown() -> None:
    md = render_markdown(big_plan(0, 0, 6000))
    assert len(md) <= LIMIT
    assert "destructive action(s) not shown" in md


def test_no_changes_and_refresh_only() -> None:
    assert "no changes" in render_markdown(Plan(changes=[], unchanged=3))
    drift = Plan(changes=[], unchanged=3, refresh_only=True,
                 drift=[DriftItem("cloud_configs.a", "cloud_configs", [FieldChange("tenant_url", "x", "y")])])
    md = render_markdown(drift)
    assert "refresh-only" in md and "`tenant_url`" in md


def test_a_replacement_that_keeps_the_old_object_is_not_listed_as_destroying_it() -> None:
    kept = PlannedChange("replication_agents.mac-sync", "replication_agents", Action.REPLACE,
                         reason="cannot change in place: name", keeps_previous=True)
    gone = PlannedChange("folders.old", "folders", Action.DELETE, reason="removed from the configuration",
                         notes=["deletes the folder /content/dam/old and every asset in it"])
    md = render_markdown(Plan(changes=[kept, gone], unchanged=0))
    caution = md.split("> [!CAUTION]", 1)[1].split("\n\n", 2)
    destructive_block = "\n\n".join(caution[:2])
    assert "1 destructive action(s)" in destructive_block
    assert "`folders.old`" in destructive_block and "replication_agents.mac-sync" not in destructive_block
    assert "replication_agents.mac-sync" in md  # still shown, among the other changes
