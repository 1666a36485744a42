"""Load-time rules for users, shares and Creative Cloud connections (seeds 000 and 001).

* a share's folder must not be ordered (``ordered: true`` makes a ``sling:OrderedFolder``, which
  cannot be shared);
* a share's cloud configuration must have synchronization enabled and live on the folder's AEM;
* at most one Creative Cloud connection per AEM environment (connections whose URLs name the same
  AEM are one environment, :mod:`.environments`; both places named);
* Creative Cloud members must be users of the org the AEM is connected to for Creative Cloud.

(One share per folder and target is the natural-key rule of :mod:`.identity`. That a share waits
for the replication agents its cloud configuration makes is not a rule: it is
the ``implicit_deps`` hook of the ``shares`` kind, ``reconciler.kinds.shares.waits_for_agents``.)

Values that are still ``${...}`` references are not judged here (the plan checks them).
"""

from __future__ import annotations

from typing import Any

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import LoadedConfig, ResourceDecl
from reconciler.refs import is_unresolved

from .environments import environment, same_environment_note


def _of(loaded: LoadedConfig, kind: str) -> list[ResourceDecl]:
    return [d for d in loaded.resources.values() if d.kind == kind]


def _get(loaded: LoadedConfig, kind: str, name: Any) -> ResourceDecl | None:
    if not isinstance(name, str):
        return None
    return loaded.resources.get(f"{kind}.{name}")


def share_rules(loaded: LoadedConfig) -> list[Diagnostic]:
    """The share rules of the module docstring, share by share (diagnostics in declaration order)."""
    out: list[Diagnostic] = []
    cc_by_aem = {environment(loaded, d.data.get("connection")): d for d in _of(loaded, "creative_cloud_connections")}
    for share in _of(loaded, "shares"):
        folder = _get(loaded, "folders", share.data.get("folder"))
        if folder is not None:
            out += _folder_rules(share, folder)
        cfg = _get(loaded, "cloud_configs", share.data.get("cloud_config"))
        if cfg is not None:
            out += _cloud_config_rules(loaded, share, cfg, folder)
        cc = cc_by_aem.get(environment(loaded, folder.data.get("connection"))) if folder is not None else None
        if cc is not None and folder is not None:
            out += _member_rules(loaded, share, folder, cc)
    return out


def _folder_rules(share: ResourceDecl, folder: ResourceDecl) -> list[Diagnostic]:
    """An ordered folder cannot be shared."""
    out: list[Diagnostic] = []
    if folder.data.get("ordered") is True:
        out.append(
            Diagnostic(
                "error",
                f"{share.address} shares {folder.address}, which is ordered (sling:OrderedFolder):"
                " ordered folders cannot be shared to Experience Cloud or Creative Cloud",
                f"{folder.address} says ordered: true at {folder.loc_of('ordered')}",
                share.loc_of("folder"),
                share.address,
                f"set ordered: false on {folder.address} (a plain sling:Folder) to share it",
            )
        )
    return out


def _cloud_config_rules(
    loaded: LoadedConfig, share: ResourceDecl, cfg: ResourceDecl, folder: ResourceDecl | None
) -> list[Diagnostic]:
    """Synchronization enabled for Experience Cloud; the cloud configuration on the folder's AEM
    environment (two connections to one AEM are one environment)."""
    out: list[Diagnostic] = []
    sync = cfg.data.get("synchronization", "enabled")
    if share.data.get("target") == "experience_cloud" and sync == "disabled":
        out.append(
            Diagnostic(
                "error",
                f"{share.address} shares to Experience Cloud through {cfg.address}, whose synchronization"
                " is disabled",
                f"{cfg.address} says synchronization: disabled at {cfg.loc_of('synchronization')}",
                share.loc_of("cloud_config"),
                share.address,
                f"set synchronization: enabled on {cfg.address}",
            )
        )
    if folder is not None and environment(loaded, cfg.data.get("connection")) != environment(
        loaded, folder.data.get("connection")
    ):
        out.append(
            Diagnostic(
                "error",
                f"{share.address}: {cfg.address} is on AEM connection {cfg.data.get('connection')!r} but"
                f" {folder.address} is on {folder.data.get('connection')!r}",
                "a folder is shared through a cloud configuration of the same AEM",
                share.loc_of("cloud_config"),
                share.address,
            )
        )
    return out


def _member_rules(
    loaded: LoadedConfig, share: ResourceDecl, folder: ResourceDecl, cc: ResourceDecl
) -> list[Diagnostic]:
    """Creative Cloud members are users of the org ``cc`` connects the folder's AEM to."""
    out: list[Diagnostic] = []
    cc_org = cc.data.get("org")
    if cc_org is None:
        return out
    for i, member in enumerate(share.data.get("members") or []):
        user = _get(loaded, "users", member.get("user") if isinstance(member, dict) else None)
        if user is None:
            continue
        org = user.data.get("org")
        if isinstance(org, str) and not is_unresolved(org) and org != cc_org:
            out.append(
                Diagnostic(
                    "error",
                    f"{share.address}: member {user.address} is not a user of the org {cc_org!r}"
                    f" (it is a user of {org!r})",
                    f"{cc.address} connects AEM {folder.data.get('connection')!r} to Creative Cloud org"
                    f" {cc_org!r} at {cc.loc}",
                    share.loc_of(f"members.{i}.user"),
                    share.address,
                    f"share with users of {cc_org!r}, or declare the user in that org",
                )
            )
    return out


def creative_cloud_rules(loaded: LoadedConfig) -> list[Diagnostic]:
    """At most one Creative Cloud connection per AEM environment (:func:`.environments.environment`:
    two connections whose URLs name one AEM count as one); the error names both places."""
    out: list[Diagnostic] = []
    first: dict[str, ResourceDecl] = {}
    for cc in _of(loaded, "creative_cloud_connections"):
        conn = str(cc.data.get("connection"))
        env = environment(loaded, conn)
        if env in first:
            other = first[env]
            note = same_environment_note(loaded, other.data.get("connection"), conn)
            out.append(
                Diagnostic(
                    "error",
                    f"two Creative Cloud connections for AEM connection {conn!r}{note}: {other.address} ({other.loc})"
                    f" and {cc.address} ({cc.loc})",
                    "AEM Assets connects to one Creative Cloud org at a time, for all users",
                    cc.loc,
                    cc.address,
                    "keep one of them",
                )
            )
        else:
            first[env] = cc
    return out


RULES = [share_rules, creative_cloud_rules]
