"""The quickstart edited one way at a time, through the CLI on the embedded sandbox: a secret pasted as
a client ID, a misspelt reference, a JWT credential's warning, an ordered folder, a failed health check."""

from __future__ import annotations

from pathlib import Path

from reconciler import sandbox
from tests.helpers import Run


def test_client_secret_pasted_as_client_id_is_caught(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("client_id: ${applications.assets-sync.application_id}",
                                             "client_id: p8e-EIRF6kY6EHLBSdw2b-pLUWKodDqJqSz3"))
    out = cli("validate", quickstart)
    assert out.exit_code == 1
    assert "client secret, not its ID" in out.output
    assert "p8e-EIRF6kY6EHLBSdw2b" not in out.output  # never echo a secret-looking value


def test_unknown_name_reference_has_did_you_mean(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("application: assets-sync", "application: assets-synk"))
    out = cli("validate", quickstart)
    assert out.exit_code == 1 and "assets-sync" in out.output and "did you mean" in out.output


def test_jwt_credential_warns_with_migration_steps(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    main.write_text(main.read_text().replace("    title: AEM Assets sync\n",
                                             "    title: AEM Assets sync\n    credential: service_account_jwt\n"))
    out = cli("plan", quickstart)
    assert out.exit_code == 0, out.output
    assert "past end of life (2025-06-30)" in out.output and "OAuth Server-to-Server" in out.output


def test_ordered_folder_is_a_sling_ordered_folder(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    text = main.read_text()
    main.write_text(text.replace("folders:\n", "folders:\n  ordered-one:\n    connection: author\n    ordered: true\n", 1))
    assert cli("apply", "--auto-approve", quickstart).exit_code == 0
    nodes = sandbox.world_counts(quickstart / ".reconciler" / "sandbox.db")["nodes"]
    assert nodes["/content/dam/ordered-one"] == "sling:OrderedFolder"
    assert nodes["/content/dam/mc-demo"] == "sling:Folder"


def test_failed_health_check_keeps_the_plan_open(quickstart: Path, cli: Run) -> None:
    main = quickstart / "main.yaml"
    # without the key binding, Test Connection fails with IMS's own error
    text = main.read_text()
    text = text.replace("    depends_on: [application_keys.aem-author]   # the test only passes once the key is bound\n", "")
    text = text.replace("    depends_on: [application_keys.aem-author]\n", "")
    start, end = text.index("application_keys:"), text.index("# Step 4")
    main.write_text(text[:start] + text[end:])
    out = cli("apply", "--auto-approve", quickstart)
    assert out.exit_code == 1
    assert "Could not match JWT signature to any of the bindings" in out.output
    again = cli("plan", "--detailed-exitcode", quickstart)
    assert again.exit_code == 2 and "Health checks after apply" in again.output
