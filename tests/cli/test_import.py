"""`reconciler import ADDR ID` and `import:` blocks: existing objects taken under management as
adopted, never created by an import, never deleted afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler import sandbox
from tests.e2e.test_safe_plans import _aem_post
from tests.helpers import ORG, Run

CAMPAIGNS = "folders:\n  campaigns:\n    connection: author\n    title: Campaigns\n"


def _clickops_folder(quickstart: Path, path: str = "/content/dam/campaigns", title: str = "Campaigns") -> None:
    """A folder made in AEM by hand (Sling POST), as the seeds' click-ops steps make it."""
    _aem_post(quickstart, (path, [("jcr:primaryType", "sling:Folder"), ("jcr:content/jcr:title", title)]))


def _nodes(quickstart: Path) -> dict[str, object]:
    return sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]


def _declare(quickstart: Path, extra: str = CAMPAIGNS) -> str:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", extra, 1))
    return text


def _state(quickstart: Path, cli: Run, addr: str) -> str:
    shown = cli("state", "show", "-c", quickstart, addr)
    assert shown.exit_code == 0, shown.output
    return shown.output


def test_import_records_an_existing_folder_as_adopted_and_removing_it_only_forgets(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    _clickops_folder(quickstart)
    original = _declare(quickstart)
    done = cli("import", "-c", quickstart, "folders.campaigns", "/content/dam/campaigns")
    assert done.exit_code == 0, done.output
    assert "Imported folders.campaigns (id /content/dam/campaigns) as adopted" in done.output
    assert "managed             = false" in _state(quickstart, cli, "folders.campaigns")
    plan = cli("plan", "--detailed-exitcode", quickstart)
    assert plan.exit_code == 0, plan.output  # nothing else to do: the record has what AEM reports
    again = cli("import", "-c", quickstart, "folders.campaigns", "author:/content/dam/campaigns")
    assert again.exit_code == 0 and "already in the state" in again.output
    (quickstart / "main.yaml").write_text(original)
    gone = cli("apply", "--auto-approve", quickstart)
    assert gone.exit_code == 0, gone.output
    assert "/content/dam/campaigns" in _nodes(quickstart)  # forgotten, left in place


def test_import_of_a_differing_object_writes_nothing_and_the_next_plan_shows_the_update(
    quickstart: Path, cli: Run
) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    _clickops_folder(quickstart, title="Old title")
    _declare(quickstart)
    done = cli("import", "-c", quickstart, "folders.campaigns", "/content/dam/campaigns")
    assert done.exit_code == 0, done.output
    assert "differs from the object (title)" in done.output and "shows the update" in done.output
    assert 'title               = "Old title"' in _state(quickstart, cli, "folders.campaigns")
    plan = cli("plan", "--format", "json", quickstart)
    changes = {c["address"]: c["actions"] for c in json.loads(plan.stdout)["resource_changes"]}
    assert changes == {"folders.campaigns": ["update"]}


def test_import_refuses_a_wrong_id_a_missing_object_and_an_undeclared_address(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    _declare(quickstart)
    missing = cli("import", "-c", quickstart, "folders.campaigns", "/content/dam/campaigns")
    assert missing.exit_code == 1
    assert "no object with id '/content/dam/campaigns' was found" in missing.output
    assert "/content/dam/campaigns" not in _nodes(quickstart)  # an import never creates
    _clickops_folder(quickstart)
    wrong = cli("import", "-c", quickstart, "folders.campaigns", "/content/dam/elsewhere")
    assert wrong.exit_code == 1 and "does not name the object the declaration finds" in wrong.output
    undeclared = cli("import", "-c", quickstart, "folders.campaign", "/content/dam/campaigns")
    assert undeclared.exit_code == 1
    assert "folders.campaign is not declared" in undeclared.output and "did you mean folders.campaigns?" in undeclared.output
    listed = cli("state", "list", "-c", quickstart).output.split()
    assert "folders.campaigns" not in listed


def test_an_import_block_adopts_at_plan_time_and_never_creates(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    block = "\nimport:\n  - {to: folders.campaigns, id: /content/dam/campaigns}\n"
    _declare(quickstart)
    main = quickstart / "main.yaml"
    main.write_text(main.read_text() + block)
    refused = cli("apply", "--auto-approve", quickstart)
    assert refused.exit_code == 1 and "an import never creates" in refused.output
    assert "/content/dam/campaigns" not in _nodes(quickstart)
    _clickops_folder(quickstart)
    plan = cli("plan", "--format", "json", quickstart)
    doc = json.loads(plan.stdout)
    assert [(c["address"], c["actions"]) for c in doc["resource_changes"]] == [("folders.campaigns", ["adopt"])]
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    assert "managed             = false" in _state(quickstart, cli, "folders.campaigns")
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0  # the block now does nothing

    # deleted outside afterwards: the block is done (as in Terraform), so plan and apply agree on a create
    _aem_post(quickstart, ("/content/dam/campaigns", [(":operation", "delete")]))
    again = cli("plan", quickstart)
    assert again.exit_code == 0, again.output
    assert "folders.campaigns will be created" in again.output
    assert "the import block (id /content/dam/campaigns) is done" in again.output
    redone = cli("apply", "--auto-approve", quickstart)
    assert redone.exit_code == 0 and "never creates" not in redone.output, redone.output
    assert "/content/dam/campaigns" in _nodes(quickstart)
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0
    replaced = cli("apply", "--auto-approve", "-replace", "folders.campaigns", quickstart)  # the block is history
    assert replaced.exit_code == 0 and "never creates" not in replaced.output, replaced.output
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0


def test_import_blocks_are_checked_offline_with_their_position(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text + "\nimport:\n  - {to: folders.nope, id: /content/dam/nope}\n  - {to: folders.mc-demo}\n")
    out = cli("validate", quickstart)
    assert out.exit_code == 1
    lines = text.count("\n") + 1
    assert f"main.yaml:{lines + 2}:5: error: import: folders.nope (to) is not declared" in out.output
    assert f"main.yaml:{lines + 3}:5: error: import[1] must be a mapping of to (an address) and id" in out.output
    main.write_text(text + "\nimport:\n  - {to: folders.mc-demo, id: a}\n  - {to: folders.mc-demo, id: b}\n")
    twice = cli("validate", quickstart)
    assert twice.exit_code == 1 and "import: folders.mc-demo is imported twice" in twice.output


def test_import_of_an_undeclared_address_prints_the_block_to_declare(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    _clickops_folder(quickstart, title="Spring campaigns")
    out = cli("import", "-c", quickstart, "folders.spring", "author:/content/dam/campaigns")
    assert out.exit_code == 1
    assert "folders.spring is not declared" in out.output and "add this to the configuration" in out.output
    block = out.output.split("then import again:\n\n", 1)[1]
    assert block.splitlines()[:5] == [
        "    folders:", "      spring:", "        connection: author", "        path: /content/dam/campaigns",
        "        title: Spring campaigns",
    ]  # fmt: skip
    (quickstart / "imported.yaml").write_text("version: 1\n" + "\n".join(line[4:] for line in block.splitlines()) + "\n")
    done = cli("import", "-c", quickstart, "folders.spring", "author:/content/dam/campaigns")
    assert done.exit_code == 0, done.output
    assert cli("plan", "--detailed-exitcode", quickstart).exit_code == 0
    nothing = cli("import", "-c", quickstart, "folders.other", "/content/dam/none")
    assert nothing.exit_code == 1 and "no folders object that '/content/dam/none' names is among" in nothing.output
    assert "import block" not in nothing.output  # no block for an object that is not there


def test_import_of_an_undeclared_user_prints_its_block_under_its_org(quickstart: Path, cli: Run) -> None:
    """A user is exported under its org: the suggestion reads the orgs too (it said "not visible")."""
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    out = cli("import", "-c", quickstart, "users.d", "dana@acme.example")
    assert out.exit_code == 1 and "is among" not in out.output, out.output
    block = out.output.split("then import again:\n\n", 1)[1].splitlines()
    assert block[:2] == ["    users:", "      d:"] and "        email: dana@acme.example" in block
    assert "        org: acme" in block  # the org as this configuration declares it, not the export's slug


def test_an_id_that_matches_nothing_says_what_was_looked_up_and_how_to_find_the_id(quickstart: Path, cli: Run) -> None:
    """No "remove the import block" (the command line gave the id) and no bare "the plan cannot be made"."""
    missing = cli("import", "-c", quickstart, "users.jane", "nobody@acme.example")
    assert missing.exit_code == 1
    assert missing.output.splitlines() == [
        "Error: users.jane: no object with id 'nobody@acme.example' was found; nothing was imported",
        f"  the declaration looks its object up by its natural key, {ORG}/jane.doe@acme.example: nothing is there",
        "  hint: an import takes the object the declaration names: declare that object's key (a user's e-mail,"
        " a folder's path) and give its id or that key as ID; `reconciler export` lists the existing objects"
        " with their keys",
    ]
    assert "users.jane" not in cli("state", "list", "-c", quickstart).output


def test_an_id_of_another_object_than_the_recorded_one_says_how_to_move_the_address(quickstart: Path, cli: Run) -> None:
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    other = cli("import", "-c", quickstart, "users.jane", "nobody@acme.example")
    assert other.exit_code == 1
    assert other.output.splitlines() == [
        f"Error: users.jane is already in the state as {ORG}/jane.doe@acme.example, which 'nobody@acme.example'"
        " does not name; nothing was imported",
        "  hint: to put another object under users.jane, declare its key (a user's e-mail, a folder's path), run"
        " `reconciler state rm users.jane` (the recorded object is left in place), then import again;"
        " `reconciler export` lists the existing objects with their keys",
    ]
    same = cli("import", "-c", quickstart, "users.jane", "jane.doe@acme.example")
    assert same.exit_code == 0 and "users.jane is already in the state" in same.output, same.output

