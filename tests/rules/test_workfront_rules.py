"""Each configuration in examples/invalid/ breaks one Workfront rule; the message must name the
feature (or limit), the chosen type and the types that support it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import rules
from reconciler.config.diagnostics import ConfigError, Diagnostic
from reconciler.config.loader import load_config
from reconciler.kinds import REGISTRY
from reconciler.wiring import Workspace
from tests.helpers import ROOT

INVALID = ROOT / "examples" / "invalid"
EXAMPLE = ROOT / "examples" / "workfront"

# file -> (number of errors, substrings every error message must contain)
EXPECTED: dict[str, tuple[int, list[str]]] = {
    "feature_no": (1, ["feature 'comment_sync' (Comment Syncing)", "type 'native'", "says No",
                       "types that support it: connector, enhanced_connector"]),
    "feature_upcoming": (1, ["feature 'publish_assets'", "type 'native'", "Upcoming",
                             "types that support it: enhanced_connector"]),
    "feature_unknown": (1, ["unknown Workfront integration feature 'comment_synch'"]),
    "project_status_trigger_native": (1, ["feature 'auto_linked_folders_by_project_status'", "project_status_trigger",
                                          "type 'native'", "types that support it: enhanced_connector"]),
    "native_and_connector": (1, ["type 'enhanced_connector'", "native integration (workfront_integrations.aem-cloud",
                                 "not support the connectors and the native integration in parallel"]),
    "enhanced_connector_too_old": (1, ["enhanced connector 1.7.3 is not supported", "type 'enhanced_connector'", "1.7.4"]),
    "several_workfronts_connector": (2, ["feature 'multiple_workfront_to_one_aem'", "type 'connector'",
                                         "2 Workfront environments", "types that support it: assets_essentials, native"]),
    "deployment_mismatch": (1, ["type 'assets_essentials'", "not available on Cloud Service",
                                "types for Cloud Service: connector, enhanced_connector, native"]),
    "folder_name_characters": (1, ["'Q1: Briefs [draft]'", ": [ ]", "type 'native'"]),
    "folder_name_too_long": (1, ["100 characters", "type 'native'"]),
    "bidirectional_native": (1, ["feature 'bidirectional_metadata'", "type 'native'",
                                 "types that support it: connector, enhanced_connector"]),
    "folder_mapping_connector": (1, ["feature 'folder_metadata_mapping'", "type 'connector'",
                                     "types that support it: enhanced_connector, native"]),
    "mapping_same_target": (1, ["AEM property 'dc:title' is already mapped from 'name'", "type 'native'"]),
    "too_many_linked_folders": (1, ["101 linked folders for project 'Spring Launch'", "type 'native'", "at most 100"]),
}


def errors_of(path: Path) -> list[Diagnostic]:
    loaded = load_config(path, kinds=REGISTRY, environ={})
    return [d for d in rules.check(loaded) if d.severity == "error"]


def test_every_invalid_example_is_covered() -> None:
    from tests.rules.test_offline_rules import EXPECTED as OFFLINE

    assert sorted(p.stem for p in INVALID.glob("*.yaml")) == sorted([*EXPECTED, *OFFLINE])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_example_breaks_its_rule(name: str) -> None:
    count, needles = EXPECTED[name]
    found = errors_of(INVALID / f"{name}.yaml")
    assert len(found) == count, "\n".join(d.format() for d in found)
    for d in found:
        text = d.format()
        assert d.loc is not None and d.loc.file.endswith(f"{name}.yaml") and d.loc.line > 1
        for needle in needles:
            assert needle in text, f"{needle!r} not in:\n{text}"


def test_errors_stop_before_any_network_call() -> None:
    with pytest.raises(ConfigError) as info:
        Workspace(INVALID / "feature_no.yaml", environ={})
    assert "comment_sync" in str(info.value)


def test_the_workfront_example_is_valid() -> None:
    loaded = load_config(EXAMPLE, kinds=REGISTRY, environ={})
    assert [d.format() for d in rules.check(loaded) if d.severity == "error"] == []


def test_custom_and_manual_cells_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(
        "version: 1\nconnections:\n"
        "  author: {type: aem, url: sandbox://aem, username: admin, password: admin}\n"
        "  wf: {type: workfront, url: sandbox://workfront, auth: api_key, api_key: k}\n"
        "workfront_integrations:\n"
        "  a: {workfront: wf, type: enhanced_connector, aem: [author], connector_version: 1.8.2,"
        " features: [create_proof_versions]}\n"
        "  b: {workfront: wf, type: connector, aem: [author], connector_version: 1.8.2,"
        " features: [auto_create_document_custom_forms]}\n"
    )
    found = rules.check(load_config(tmp_path, kinds=REGISTRY, environ={}))
    assert [d.severity for d in found if "feature" in d.summary] == ["warning", "warning"]
    assert any("Custom" in d.summary and "type 'enhanced_connector'" in d.summary for d in found)
    assert any("Manually add the custom form" in d.summary and "type 'connector'" in d.summary for d in found)


def test_several_workfronts_allowed_for_native(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(
        "version: 1\nconnections:\n"
        "  author: {type: aem, url: sandbox://aem, username: admin, password: admin}\n"
        "  wf1: {type: workfront, url: https://a.my.workfront.com, auth: api_key, api_key: k}\n"
        "  wf2: {type: workfront, url: https://b.my.workfront.com, auth: api_key, api_key: k}\n"
        "workfront_integrations:\n"
        "  a: {workfront: wf1, type: native, aem: [author], repository: r}\n"
        "  b: {workfront: wf2, type: native, aem: [author], repository: r}\n"
    )
    found = rules.check(load_config(tmp_path, kinds=REGISTRY, environ={}))
    assert [d for d in found if d.severity == "error"] == []


def test_rules_from_workfronts_guide_do_not_cite_seed_002() -> None:
    # seed 002 has the feature matrix; the one-way mapping rule and the fixed repository come from
    # Workfront's guide to the Experience Manager integration (../shared/reference/workfront-api.md)
    (mapping,) = [d for d in errors_of(ROOT / "examples" / "invalid" / "mapping_same_target.yaml") if d.severity == "error"]
    assert "seed 002" not in mapping.summary and "Workfront's guide" in mapping.summary
    from reconciler.kinds import ProviderContext
    from reconciler.kinds.base import parse_model
    from reconciler.kinds.workfront_integrations import WorkfrontIntegrationProvider, WorkfrontIntegrationSpec

    spec = parse_model(WorkfrontIntegrationSpec, "workfront_integrations.x", {
        "workfront": "wf", "type": "native", "aem": ["author"], "repository": "author-p1-e1.adobeaemcloud.com"})
    (note,) = WorkfrontIntegrationProvider(ProviderContext({})).change_notes("workfront_integrations.x", spec, None)
    assert "seed 002" not in note and "cannot be changed after saving" in note
