"""Provider tests driven by data: observed objects in, actions out (pyinfra's tests/operations idea).

Every ``cases/**/*.yaml`` is one case::

    description: what the case shows
    config: {<kind>: {<name>: <spec>}}     # resources; the connections of cases/_connections.yaml are added
    state: {<address>: {remote_id, managed, attributes, outputs}}     # optional: records before planning
    observed: {<address>: {remote_id, attributes, outputs} | null}    # optional, see below
    steps:                                 # run in order
      - plan:                              # make a plan and check it
          replace: [<address>, ...]        # optional: plan with -replace=<address>
          actions: {<address>: <action>}   # exactly the planned changes (no-ops left out)
          unchanged: <n>                   # optional checks from here on
          reasons: {<address>: <substring of the reason>}
          changes: {<address>: [<changed attribute>, ...]}
          unknown: {<address>: [<attribute known after apply>, ...]}
          identity: {<address>: <identity>}
          notes: {<address>: <substring of a note>}
          warnings: [<substring of a warning>]
          errors: [<substring of a plan error>]   # the plan must fail with these
      - apply: true                        # carry the last plan out; every action must succeed
      - config: {...}                      # replace the resources for the next steps
    load_error: <substring>                # optional: loading the configuration must fail so

With ``observed``, the providers never reach a service: each kind's ``refresh`` returns the
observed objects listed (any other address is not found), so the case tests the kind's parsing,
desired attributes, identity, notes and replacement rules. Without it, the providers observe the
in-process sandbox (``sandbox://`` connections, a fresh world per case) and ``apply`` writes to it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.config.diagnostics import ConfigError
from reconciler.engine import Observed, PlanError, RefreshItem, StateRecord, apply_plan, make_plan
from reconciler.kinds import REGISTRY
from reconciler.wiring import Workspace

CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(p for p in CASES_DIR.rglob("*.yaml") if not p.name.startswith("_"))


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def _write_config(root: Path, resources: dict[str, Any]) -> None:
    config = {"version": 1, **_load(CASES_DIR / "_connections.yaml"), **resources}
    (root / "main.yaml").write_text(json.dumps(config, indent=2))  # JSON is YAML


def _stub_refresh(ws: Workspace, observed: dict[str, Any]) -> None:
    """Every provider of ``ws`` observes ``observed`` instead of its service."""

    async def refresh(items: list[RefreshItem[Any]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        for item in items:
            obj = observed.get(item.address)
            out[item.address] = None if obj is None else Observed(
                obj["remote_id"], dict(obj.get("attributes", {})), dict(obj.get("outputs", {}))
            )
        return out

    for provider in ws.providers.values():
        provider.refresh = refresh  # type: ignore[method-assign]


def _open(root: Path, case: dict[str, Any]) -> Workspace:
    ws = Workspace(root)
    if "observed" in case:
        _stub_refresh(ws, case["observed"] or {})
    return ws


def _check_plan(result: Any, want: dict[str, Any]) -> None:
    plan = result.plan
    by_addr = plan.by_address()
    assert {c.address: c.action.value for c in plan.changes} == want.get("actions", {})
    if "unchanged" in want:
        assert plan.unchanged == want["unchanged"]
    for addr, text in want.get("reasons", {}).items():
        assert text in by_addr[addr].reason, (addr, by_addr[addr].reason)
    for addr, paths in want.get("changes", {}).items():
        assert sorted(f.path for f in by_addr[addr].changes) == sorted(paths)
    for addr, paths in want.get("unknown", {}).items():
        assert by_addr[addr].unknown == sorted(paths)
    for addr, identity in want.get("identity", {}).items():
        assert by_addr[addr].identity == identity
    for addr, text in want.get("notes", {}).items():
        assert any(text in n for n in by_addr[addr].notes), by_addr[addr].notes
    for text in want.get("warnings", []):
        assert any(text in w.summary for w in plan.warnings), [w.summary for w in plan.warnings]


async def _run_case(root: Path, case: dict[str, Any]) -> None:
    _write_config(root, case.get("config") or {})
    if "load_error" in case:
        with pytest.raises(ConfigError) as exc:
            Workspace(root)
        assert any(case["load_error"] in d.format(color=False) for d in exc.value.diagnostics)
    result = None
    for step in case["steps"]:
        if "config" in step:
            _write_config(root, step["config"])
            continue
        ws = _open(root, case)
        try:
            if "plan" in step:
                want = step["plan"] or {}
                force = want.get("replace", ())
                if "errors" in want:
                    with pytest.raises(PlanError) as exc:
                        await make_plan(ws.desired, ws.state, ws.providers, force_replace=force)
                    for text in want["errors"]:
                        assert text in str(exc.value), str(exc.value)
                    continue
                result = await make_plan(
                    ws.desired, ws.state, ws.providers, config_digest=ws.loaded.digest, force_replace=force
                )
                _check_plan(result, want)
            elif step.get("apply"):
                assert result is not None, "apply needs a plan step before it"
                out = await apply_plan(result, ws.state, ws.providers)
                assert out.ok, (out.failed, out.skipped, out.checks)
        finally:
            await ws.aclose()
            ws.close_state()


def _seed_state(root: Path, records: dict[str, Any]) -> None:
    from reconciler.engine import StateStore

    state = StateStore(root / ".reconciler" / "state.db")
    try:
        for addr, rec in records.items():
            kind = addr.split(".", 1)[0]
            assert kind in REGISTRY, addr
            state.put(
                StateRecord(
                    address=addr,
                    kind=kind,
                    remote_id=rec["remote_id"],
                    managed=rec.get("managed", True),
                    outputs=dict(rec.get("outputs", {})),
                    attributes=dict(rec.get("attributes", {})),
                )
            )
    finally:
        state.close()


@pytest.mark.parametrize("path", CASES, ids=lambda p: str(p.relative_to(CASES_DIR).with_suffix("")))
def test_kind_case(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AEM_PASSWORD", raising=False)
    monkeypatch.delenv("ADOBE_CLIENT_SECRET", raising=False)
    case = _load(path)
    assert case.get("description"), f"{path.name} says what it shows"
    _seed_state(tmp_path, case.get("state") or {})
    asyncio.run(_run_case(tmp_path, case))


def test_there_are_cases_for_several_kinds() -> None:
    kinds = {k for p in CASES for k in (_load(p).get("config") or {})}
    assert {"folders", "cloud_configs", "applications"} <= kinds
