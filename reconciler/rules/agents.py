"""Replication agents adopted from a cloud configuration (``created_by``), checked offline.

AEM creates exactly the agents :func:`reconciler.kinds.cloud_configs.agent_names` lists when a
cloud configuration is saved; an agent declared ``created_by`` a configuration under another name
would never appear, and apply would wait for it (or create a bare agent that fails Test
Connection). The error names the agent's ``name`` and lists what the configuration creates. An
agent on another AEM environment than its configuration is the same mistake.
"""

from __future__ import annotations

from reconciler.config.diagnostics import Diagnostic, did_you_mean
from reconciler.config.loader import LoadedConfig, ResourceDecl
from reconciler.kinds.cloud_configs import agent_names
from reconciler.refs import is_unresolved

from .environments import environment


def _name(decl: ResourceDecl) -> object:
    """The node name (``name``, or the resource name by default)."""
    return decl.data.get("name") or decl.name


def rule_agent_names(loaded: LoadedConfig) -> list[Diagnostic]:
    """Each ``created_by`` agent is one its configuration creates, on the configuration's AEM."""
    out: list[Diagnostic] = []
    for agent in loaded.resources.values():
        cfg_name = agent.data.get("created_by") if agent.kind == "replication_agents" else None
        cfg = loaded.resources.get(f"cloud_configs.{cfg_name}") if isinstance(cfg_name, str) else None
        name, cname = _name(agent), _name(cfg) if cfg is not None else None
        if cfg is None or not isinstance(name, str) or not isinstance(cname, str):
            continue
        if is_unresolved(name) or is_unresolved(cname):
            continue
        made = agent_names(cname)
        if name not in made:
            near = did_you_mean(name, made)
            out.append(
                Diagnostic(
                    "error",
                    f"{agent.address} is agent {name!r}, which {cfg.address} does not create:"
                    f" AEM creates {' and '.join(made)} for it",
                    f"{cfg.address} (configuration {cname!r}) is at {cfg.loc}",
                    agent.loc_of("name") if "name" in agent.data else agent.loc,
                    agent.address,
                    f"name: {near}" if near else f"set name: to one of {', '.join(made)}, or drop created_by",
                )
            )
        cfg_env, agent_env = environment(loaded, cfg.data.get("connection")), environment(
            loaded, agent.data.get("connection")
        )
        if cfg_env != agent_env:
            out.append(
                Diagnostic(
                    "error",
                    f"{agent.address} is on AEM {agent_env}, but {cfg.address}, which creates it, is on {cfg_env}",
                    "AEM creates the mac-sync agents on the author where the configuration is saved",
                    agent.loc_of("connection"),
                    agent.address,
                    f"connection: {cfg.data.get('connection')}",
                )
            )
    return out


RULES = [rule_agent_names]
