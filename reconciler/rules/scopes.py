"""Scopes of applications (seed 000 step 1), checked offline.

* every scope an application names is a known one (``kinds.applications.KNOWN_SCOPES``: the
  legacy gateway scopes the Developer Console's AEM Assets services grant); an unknown name is an
  error with a did-you-mean. The Console would refuse it at apply time ("no service of org ...
  grants scope(s) ..."), after the project was already created;
* an application a cloud configuration synchronizes with (its ``client_id`` references the
  application) has the four scopes of seed 000 (``kinds.applications.LEGACY_SCOPES``); without
  one of them Test Connection of the mac-sync agents fails after apply. An error naming the
  application's ``scopes`` and the cloud configuration(s) that use it.
"""

from __future__ import annotations

from collections import defaultdict

from reconciler.config.diagnostics import Diagnostic, did_you_mean
from reconciler.config.loader import LoadedConfig, ResourceDecl
from reconciler.kinds.applications import KNOWN_SCOPES, LEGACY_SCOPES
from reconciler.refs import is_unresolved


def _apps(loaded: LoadedConfig) -> list[ResourceDecl]:
    return [d for d in loaded.resources.values() if d.kind == "applications"]


def _scopes(app: ResourceDecl) -> list[object] | None:
    """The scopes the application declares (the kind's default, all four, when unset); None when
    the value is not a list (reported by the loader)."""
    value = app.data.get("scopes", list(LEGACY_SCOPES))
    return value if isinstance(value, list) else None


def rule_unknown_scopes(loaded: LoadedConfig) -> list[Diagnostic]:
    """An error per scope name that is not in ``KNOWN_SCOPES``, at that list item."""
    out: list[Diagnostic] = []
    for app in _apps(loaded):
        for i, scope in enumerate(_scopes(app) or []):
            if not isinstance(scope, str) or is_unresolved(scope) or scope in KNOWN_SCOPES:
                continue
            near = did_you_mean(scope, KNOWN_SCOPES)
            out.append(
                Diagnostic(
                    "error",
                    f"unknown scope {scope!r} in {app.address}",
                    f"known scopes: {', '.join(KNOWN_SCOPES)} (seed 000 needs {', '.join(LEGACY_SCOPES)})",
                    app.loc_of(f"scopes.{i}"),
                    app.address,
                    f"did you mean {near!r}?" if near else f"use one of: {', '.join(KNOWN_SCOPES)}",
                )
            )
    return out


def syncing_configs(loaded: LoadedConfig) -> dict[str, list[ResourceDecl]]:
    """Application address -> the cloud configurations whose ``client_id`` references it."""
    users: dict[str, list[ResourceDecl]] = defaultdict(list)
    for decl in loaded.resources.values():
        if decl.kind != "cloud_configs":
            continue
        for path, ref in decl.attr_refs:
            if path == "client_id" and ref.kind == "applications" and decl not in users[ref.address]:
                users[ref.address].append(decl)
    return users


def rule_sync_scopes(loaded: LoadedConfig) -> list[Diagnostic]:
    """An application used for synchronization lacks one of the four scopes of seed 000: an error at
    its ``scopes`` naming the cloud configuration(s) and the missing scopes."""
    out: list[Diagnostic] = []
    users = syncing_configs(loaded)
    for app in _apps(loaded):
        scopes = _scopes(app)
        configs = users.get(app.address)
        if scopes is None or not configs:
            continue
        missing = [s for s in LEGACY_SCOPES if s not in scopes]
        if not missing:
            continue
        where = ", ".join(f"{c.address} ({c.loc_of('client_id')})" for c in configs)
        out.append(
            Diagnostic(
                "error",
                f"{app.address} lacks scope{'s' if len(missing) > 1 else ''} {', '.join(missing)}, but"
                f" {configs[0].address} synchronizes with it: Test Connection of the mac-sync agents would fail",
                f"seed 000 needs {', '.join(LEGACY_SCOPES)} for the Assets synchronization; used by {where}",
                app.loc_of("scopes"),
                app.address,
                f"add {', '.join(missing)} to the scopes of {app.address}",
            )
        )
    return out


RULES = [rule_unknown_scopes, rule_sync_scopes]
