"""Workfront integration rules, driven by seed 002's feature matrix (``reconciler/data/workfront-features.yaml``).

Every message names the feature (or limit), the chosen integration type and the types that do
support it, so a reviewer knows the way out. Checked before any network call:

* a feature switched on (or implied by a setting) that the matrix marks No or Upcoming for the type
  is an error; Custom and the matrix's notes are warnings;
* an integration type used on an Assets offering its "Deployment methods" cell does not list;
* the native integration and a connector on the same AEM environment (not supported in parallel;
  connections whose URLs name one AEM are one environment, :mod:`.environments`);
* the enhanced connector below 1.7.4 (and >= 1.9.8 on AEM as a Cloud Service: new deployments blocked);
* several Workfront environments on one AEM environment, unless the type supports it;
* more than 100 linked folders for one project in one integration;
* folder names of 100 characters or more, or with ``/ : [ ] | *``;
* two Workfront fields mapped to the same AEM property.

(A changed ``repository`` is not an error: the plan replaces the integration.)
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reconciler import data as data_files
from reconciler.config._yaml import parse_yaml
from reconciler.config.diagnostics import Diagnostic, did_you_mean
from reconciler.config.loader import LoadedConfig, ResourceDecl
from reconciler.refs import is_unresolved

from .environments import environment

INTEGRATIONS = "workfront_integrations"
LINKED = "workfront_linked_folders"
MAPPINGS = "workfront_metadata_mappings"
NATIVE_TYPES = ("assets_essentials", "native")
CONNECTOR_TYPES = ("connector", "enhanced_connector")
MAX_LINKED_PER_PROJECT = 100
MAX_NAME = 100
BAD_CHARS = "/:[]|*"
BLOCKED_ON_CLOUD = (1, 9, 8)
DEPLOYMENT_LABELS = {
    "assets_essentials": "Assets Essentials",
    "cloud_service": "Cloud Service",
    "managed_services": "Adobe Managed Services",
    "on_premise": "On-premise",
}


@functools.cache
def load_matrix(path: Path | None = None) -> dict[str, Any]:
    """The feature matrix (see the data file's header for the cell values), parsed once by the
    loader's YAML parser (YAML 1.2). Raises RuntimeError when the file does not parse to a mapping.

    ``path`` reads another copy of the file (tests); by default the one packaged in
    ``reconciler.data`` is read through :mod:`importlib.resources`, so an installed wheel works.
    """
    text = path.read_text(encoding="utf-8") if path else data_files.read_text("workfront-features")
    parsed = parse_yaml(text, str(path or "reconciler/data/workfront-features.yaml"))
    if parsed.diagnostics or not isinstance(parsed.data, dict):  # a packaging error, not the user's
        problems = "; ".join(f"{d.loc}: {d.summary}" for d in parsed.diagnostics) or "not a mapping"
        raise RuntimeError(f"the Workfront feature matrix is unreadable: {problems}")
    data: dict[str, Any] = parsed.data
    return data


def cell_value(cell: Any) -> str:
    return str(cell["value"]) if isinstance(cell, dict) else str(cell)


def supporting_types(feature: str, matrix: dict[str, Any] | None = None) -> list[str]:
    matrix = matrix or load_matrix()
    support = matrix["features"][feature]["support"]
    return [t for t in matrix["column_order"] if cell_value(support[t]) == "supported"]


def _types_text(types: list[str]) -> str:
    return ", ".join(types) if types else "none"


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def _decls(loaded: LoadedConfig, kind: str) -> list[ResourceDecl]:
    return [d for d in loaded.resources.values() if d.kind == kind]


def _get(decl: ResourceDecl, name: str, default: Any = None) -> Any:
    return getattr(decl.spec, name, default)


def _conn_url(loaded: LoadedConfig, name: str) -> str:
    """The environment of connection ``name``: its URL normalised (:func:`.environments.environment`),
    so two connections to one AEM (or one Workfront) are one environment."""
    return environment(loaded, name)


# --------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------


def feature_diagnostic(
    feature: str, itype: str, why: str, decl: ResourceDecl, path: str, matrix: dict[str, Any]
) -> Diagnostic | None:
    """The diagnostic for feature ``feature`` on type ``itype`` (None when it is supported)."""
    row = matrix["features"][feature]
    cell = row["support"][itype]
    value = cell_value(cell)
    if value == "supported":
        return None
    types = supporting_types(feature, matrix)
    type_title = matrix["types"][itype]["title"]
    head = f"feature {feature!r} ({row['title']}){why} with type {itype!r} ({type_title})"
    fix = f"types that support it: {_types_text(types)}"
    if value in ("no", "upcoming"):
        said = "No" if value == "no" else "Upcoming (not available yet)"
        return Diagnostic(
            "error",
            f"{head}: not supported, the seed 002 matrix says {said}; {fix}",
            detail=row["description"],
            loc=decl.loc_of(path),
            address=decl.address,
            hint=f"switch it off, or use one of: {_types_text(types)}",
        )
    note = cell["note"] if isinstance(cell, dict) else "needs a custom implementation (the matrix says Custom)"
    return Diagnostic(
        "warning",
        f"{head}: only partly supported: {note}; {fix}",
        loc=decl.loc_of(path),
        address=decl.address,
    )


def rule_features(loaded: LoadedConfig) -> list[Diagnostic]:
    """Features switched on or implied by settings, checked against the matrix."""
    matrix = load_matrix()
    known = matrix["features"]
    out: list[Diagnostic] = []
    types: dict[str, str] = {}
    for decl in _decls(loaded, INTEGRATIONS):
        itype = _get(decl, "type")
        if itype not in matrix["types"]:
            continue
        types[decl.name] = itype
        for i, feature in enumerate(_get(decl, "features") or []):
            if feature not in known:
                near = did_you_mean(feature, known)
                out.append(
                    Diagnostic(
                        "error",
                        f"unknown Workfront integration feature {feature!r}",
                        detail="expected one of: " + ", ".join(sorted(known)),
                        loc=decl.loc_of(f"features.{i}"),
                        address=decl.address,
                        hint=f"did you mean {near!r}?" if near else None,
                    )
                )
                continue
            d = feature_diagnostic(feature, itype, "", decl, f"features.{i}", matrix)
            if d:
                out.append(d)
        implied: list[tuple[str, str, str]] = []
        lf = _get(decl, "linked_folders")
        if lf is not None and getattr(lf, "enabled", True):
            if getattr(lf, "project_status_trigger", None):
                implied.append(
                    (
                        "auto_linked_folders_by_project_status",
                        " (implied by linked_folders.project_status_trigger)",
                        "linked_folders.project_status_trigger",
                    )
                )
            else:
                implied.append(("auto_linked_folders", " (implied by linked_folders)", "linked_folders"))
        if len(_get(decl, "aem") or []) > 1:
            implied.append(("multiple_aem_to_one_workfront", " (implied by several aem connections)", "aem"))
        for feature, why, path in implied:
            if feature in (_get(decl, "features") or []):
                continue
            d = feature_diagnostic(feature, itype, why, decl, path, matrix)
            if d:
                out.append(d)
    by_name = {d.name: d for d in _decls(loaded, INTEGRATIONS)}
    for decl in _decls(loaded, MAPPINGS):
        integ = _get(decl, "integration")
        itype = types.get(integ)
        if itype is None:
            continue
        implied = []
        if _get(decl, "applies_to") == "folders":
            implied.append(("folder_metadata_mapping", " (a mapping with applies_to: folders)", "applies_to"))
        else:
            implied.append(("map_asset_metadata", " (a metadata mapping)", "source"))
        if _get(decl, "direction") == "bidirectional":
            implied.append(("bidirectional_metadata", " (direction: bidirectional)", "direction"))
        for feature, why, path in implied:
            d = feature_diagnostic(
                feature, itype, why + f" of integration {by_name[integ].address}", decl, path, matrix
            )
            if d:
                out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# deployment and versions
# --------------------------------------------------------------------------------------------


def rule_deployment_and_version(loaded: LoadedConfig) -> list[Diagnostic]:
    matrix = load_matrix()
    out: list[Diagnostic] = []
    for decl in _decls(loaded, INTEGRATIONS):
        itype = _get(decl, "type")
        if itype not in matrix["types"]:
            continue
        deployment = _get(decl, "deployment")
        methods = matrix["deployment_methods"]["values"]
        if deployment is not None and DEPLOYMENT_LABELS[deployment] not in methods[itype]:
            fits = [t for t in matrix["column_order"] if DEPLOYMENT_LABELS[deployment] in methods[t]]
            out.append(
                Diagnostic(
                    "error",
                    f"type {itype!r} ({matrix['types'][itype]['title']}) is not available on"
                    f" {DEPLOYMENT_LABELS[deployment]}:"
                    f" the seed 002 matrix lists {', '.join(methods[itype])}; types for"
                    f" {DEPLOYMENT_LABELS[deployment]}: {_types_text(fits)}",
                    loc=decl.loc_of("deployment"),
                    address=decl.address,
                )
            )
        version = _get(decl, "connector_version")
        minimum = matrix["types"][itype].get("min_version")
        if itype in CONNECTOR_TYPES and version is None and minimum:
            out.append(
                Diagnostic(
                    "error",
                    f"type {itype!r} needs connector_version: Adobe supports the enhanced connector from {minimum}",
                    loc=decl.loc,
                    address=decl.address,
                    hint=f"connector_version: {minimum} (or later)",
                )
            )
        if version is None or is_unresolved(version):
            continue
        if minimum and _version(version) < _version(str(minimum)):
            out.append(
                Diagnostic(
                    "error",
                    f"enhanced connector {version} is not supported: Adobe supports type {itype!r} from {minimum}"
                    f" (prerelease and custom versions are not supported)",
                    loc=decl.loc_of("connector_version"),
                    address=decl.address,
                    hint=f"upgrade the connector package to {minimum} or later, or use type native",
                )
            )
        if itype == "enhanced_connector" and deployment == "cloud_service" and _version(version) >= BLOCKED_ON_CLOUD:
            out.append(
                Diagnostic(
                    "error",
                    f"enhanced connector {version} cannot be newly deployed on AEM as a Cloud Service (blocked from"
                    f" {'.'.join(map(str, BLOCKED_ON_CLOUD))}: the native integration is required there);"
                    " use type native",
                    loc=decl.loc_of("connector_version"),
                    address=decl.address,
                )
            )
        if itype not in CONNECTOR_TYPES:
            out.append(
                Diagnostic(
                    "warning",
                    f"connector_version is ignored for type {itype!r} (no connector is installed)",
                    loc=decl.loc_of("connector_version"),
                    address=decl.address,
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# environments
# --------------------------------------------------------------------------------------------


def _by_aem(loaded: LoadedConfig) -> dict[str, list[ResourceDecl]]:
    """AEM environment -> the integrations on it (each once, even when it names two connections
    to that environment)."""
    groups: dict[str, list[ResourceDecl]] = defaultdict(list)
    for decl in _decls(loaded, INTEGRATIONS):
        for aem in _get(decl, "aem") or []:
            group = groups[_conn_url(loaded, aem)]
            if decl not in group:
                group.append(decl)
    return groups


def rule_native_and_connector(loaded: LoadedConfig) -> list[Diagnostic]:
    """The native integration and a (legacy or enhanced) connector never on one AEM environment."""
    out: list[Diagnostic] = []
    for url, decls in _by_aem(loaded).items():
        natives = [d for d in decls if _get(d, "type") in NATIVE_TYPES]
        connectors = [d for d in decls if _get(d, "type") in CONNECTOR_TYPES]
        if not natives or not connectors:
            continue
        for decl in connectors:
            other = natives[0]
            out.append(
                Diagnostic(
                    "error",
                    f"type {_get(decl, 'type')!r} and the native integration ({other.address}, type"
                    f" {_get(other, 'type')!r}) on the same AEM environment {url}: Adobe does not support the"
                    f" connectors and the native integration in parallel (seed 002)",
                    loc=decl.loc_of("type"),
                    address=decl.address,
                    hint="keep one integration per AEM environment: use type native, or remove the native one",
                )
            )
    return out


def rule_several_workfronts(loaded: LoadedConfig) -> list[Diagnostic]:
    """Several Workfront environments on one AEM environment only where the matrix allows it."""
    matrix = load_matrix()
    feature = "multiple_workfront_to_one_aem"
    out: list[Diagnostic] = []
    for url, decls in _by_aem(loaded).items():
        workfronts = {_conn_url(loaded, _get(d, "workfront")) for d in decls}
        if len(workfronts) < 2:
            continue
        for decl in decls:
            itype = _get(decl, "type")
            if itype not in matrix["types"]:
                continue
            d = feature_diagnostic(
                feature,
                itype,
                f" ({len(workfronts)} Workfront environments connect to AEM {url})",
                decl,
                "workfront",
                matrix,
            )
            if d:
                out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# linked folders and names
# --------------------------------------------------------------------------------------------


def bad_name(name: str) -> str | None:
    """Why a folder name breaks Workfront's limits, or None."""
    if len(name) >= MAX_NAME:
        return f"it has {len(name)} characters (names must be under {MAX_NAME})"
    bad = sorted({c for c in name if c in BAD_CHARS})
    if bad:
        return f"it contains {' '.join(bad)} (not allowed: / : [ ] | *)"
    return None


def _tree_nodes(nodes: Iterable[Any], path: str) -> Iterable[tuple[Any, str, bool]]:
    for i, node in enumerate(nodes):
        yield node, f"{path}.{i}", i == 0
        yield from (
            (n, p, False) for n, p, _ in _tree_nodes(getattr(node, "children", []) or [], f"{path}.{i}.children")
        )


def rule_linked_folders(loaded: LoadedConfig) -> list[Diagnostic]:
    matrix = load_matrix()
    out: list[Diagnostic] = []
    integ_types = {d.name: _get(d, "type") for d in _decls(loaded, INTEGRATIONS)}

    def limit_msg(decl: ResourceDecl, what: str, count: int, integ: str, path: str) -> Diagnostic:
        itype = integ_types.get(integ, "?")
        return Diagnostic(
            "error",
            f"{count} linked folders for {what} in integration {INTEGRATIONS}.{integ} (type {itype!r}): Workfront"
            f" allows at most {MAX_LINKED_PER_PROJECT} linked folders per project per integration, whatever the type"
            f" ({', '.join(matrix['column_order'])})",
            loc=decl.loc_of(path),
            address=decl.address,
            hint="split the folders over several projects or integrations",
        )

    def name_msg(decl: ResourceDecl, name: str, why: str, path: str, integ: str | None) -> Diagnostic:
        itype = integ_types.get(integ or "", "?")
        return Diagnostic(
            "error",
            f"linked folder name {name[:40] + ('...' if len(name) > 40 else '')!r} is not valid in Workfront: {why};"
            f" this limit applies to type {itype!r} and every other type ({', '.join(matrix['column_order'])})",
            loc=decl.loc_of(path),
            address=decl.address,
            hint="shorten the name and leave out / : [ ] | *",
        )

    per_project: dict[tuple[str, str], list[ResourceDecl]] = defaultdict(list)
    for decl in _decls(loaded, LINKED):
        integ = _get(decl, "integration")
        if _get(decl, "object") == "project":
            key = _get(decl, "id") or f"name:{_get(decl, 'name')}"
            per_project[(integ, key)].append(decl)
        folder_name = _get(decl, "folder_name")
        folder = _get(decl, "folder") or ""
        if folder_name is None and not is_unresolved(folder):
            folder_name, path = folder.rstrip("/").rsplit("/", 1)[-1], "folder"
        else:
            path = "folder_name"
        if folder_name and not is_unresolved(folder_name):
            why = bad_name(folder_name)
            if why:
                out.append(name_msg(decl, folder_name, why, path, integ))
    for (integ, key), decls in per_project.items():
        if len(decls) > MAX_LINKED_PER_PROJECT:
            what = f"project {key.removeprefix('name:')!r}"
            out.append(
                limit_msg(
                    decls[MAX_LINKED_PER_PROJECT],
                    what,
                    len(decls),
                    integ,
                    "id" if not key.startswith("name:") else "name",
                )
            )

    for decl in _decls(loaded, INTEGRATIONS):
        lf = _get(decl, "linked_folders")
        if lf is None:
            continue
        linked = 0
        for t, tree in enumerate(getattr(lf, "folder_trees", []) or []):
            for node, path, first in _tree_nodes(tree.folders, f"linked_folders.folder_trees.{t}.folders"):
                if node.linked or first:
                    linked += 1
                if node.name is not None:
                    why = bad_name(node.name)
                    if why:
                        out.append(name_msg(decl, node.name, why, f"{path}.name", decl.name))
        if linked > MAX_LINKED_PER_PROJECT:
            out.append(
                limit_msg(decl, "each new project (folder trees)", linked, decl.name, "linked_folders.folder_trees")
            )
    return out


def rule_mapping_targets(loaded: LoadedConfig) -> list[Diagnostic]:
    """One Workfront field may feed many AEM properties, but one AEM property only one field."""
    out: list[Diagnostic] = []
    seen: dict[tuple[str, str, str], ResourceDecl] = {}
    integ_types = {d.name: _get(d, "type") for d in _decls(loaded, INTEGRATIONS)}
    for decl in _decls(loaded, MAPPINGS):
        key = (_get(decl, "integration"), _get(decl, "applies_to"), _get(decl, "target"))
        first = seen.setdefault(key, decl)
        if first is decl or _get(first, "source") == _get(decl, "source"):
            continue
        out.append(
            Diagnostic(
                "error",
                f"AEM property {key[2]!r} is already mapped from {_get(first, 'source')!r} ({first.address}); in"
                f" integration {INTEGRATIONS}.{key[0]} (type {integ_types.get(key[0], '?')!r}) one Workfront field can"
                f" feed many AEM properties but not the reverse (Workfront's guide to configuring the Experience"
                f" Manager integration, metadata mapping)",
                loc=decl.loc_of("target"),
                address=decl.address,
            )
        )
    return out


RULES = [
    rule_features,
    rule_deployment_and_version,
    rule_native_and_connector,
    rule_several_workfronts,
    rule_linked_folders,
    rule_mapping_targets,
]
