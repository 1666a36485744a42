"""``reconciler import ADDR ID``: take one existing object under management, as Terraform's
``terraform import`` does (https://developer.hashicorp.com/terraform/cli/import).

The object is looked up the way a plan looks it up (by the declaration's natural key), checked
against ID, and recorded in the state as *adopted* (``managed=False``: never deleted by this tool)
with the attributes the service reports. Nothing is written to the service; when the declaration
differs from the object, the next ``plan`` shows the update. Registered on ``reconciler.cli.main``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli import (
    LOCK_OPTS,
    RECURSIVE_OPT,
    STATE_CONFIG_OPT,
    _Command,
    _errors,
    _fail,
    _plan,
    _print_warnings,
    _run,
    _state_lock,
    _workspace,
)

__all__ = ["import_command"]


@click.command("import", cls=_Command)
@click.argument("address", metavar="ADDR")
@click.argument("import_id", metavar="ID")
@STATE_CONFIG_OPT
@RECURSIVE_OPT
@LOCK_OPTS
@_errors
def import_command(address: str, import_id: str, config: Path, lock: bool, lock_timeout: float) -> None:
    """Take the existing object ID under management as ADDR, recorded as adopted (never deleted).

    ADDR must be declared in the configuration (-c, default: the current directory). ID is the
    object's remote id or its natural key as `plan` prints it, with or without the connection
    prefix: `/content/dam/campaigns`, `author:/content/dam/campaigns`, a user's e-mail. Nothing is
    written to the service. For many objects, an `import:` block in the YAML does the same at plan
    time; `reconciler export` writes the YAML of a whole existing setup.
    """
    ws = _workspace(config)
    try:
        _print_warnings(ws)
        if address not in ws.desired:
            _not_declared(ws, address, import_id, _run(lambda: _suggested_block(ws, address, import_id)))
        # the plan looks the object up by the declaration's natural key; the id is checked here, with
        # messages for the command line (an import: block's are the engine's, engine.imports)
        ws.desired[address].import_id = None

        async def go() -> tuple[Any, str]:
            try:
                with _state_lock(ws, "import", lock, lock_timeout):
                    return _record(ws, await _plan(ws, (address,), ()), address, import_id)
            finally:
                await ws.aclose()

        change, message = _run(go)
    finally:
        ws.close_state()
    click.echo(message)
    pending = [c.path for c in change.changes] if change is not None else []
    if pending:
        verb = "replace" if change.action.value == "replace" else "update"
        click.echo(
            f"The declaration differs from the object ({', '.join(pending)}): the next `reconciler plan`"
            f" shows the {verb}; to keep the object as it is, set the YAML to what exists."
        )


def _record(ws: Any, result: Any, address: str, import_id: str) -> tuple[Any, str]:
    """Write the imported record (under the caller's lock). Returns ``(planned change or None,
    message)``; None when the address was already in the state as that object. Fails (exit 1,
    nothing written) when ``import_id`` does not name the object (:func:`_check_id`)."""
    from reconciler.engine.imports import imported_record

    change = next((c for c in result.plan.changes if c.address == address), None)
    spec = result.specs.get(address)
    identity = change.identity if change is not None else None
    if identity is None and spec is not None:
        identity = ws.providers[ws.desired[address].kind].identity(spec)
    _check_id(address, import_id, identity, change, result.observed.get(address), result.records.get(address))
    if address in result.records:
        rec = result.records[address]
        return None, f"{address} is already in the state (id {rec.remote_id}); nothing to import."
    assert change is not None  # _check_id failed otherwise
    res, obs = ws.desired[address], result.observed[address]
    want = ws.providers[res.kind].desired(result.specs[address])
    ws.state.put(
        imported_record(address, res.kind, want, obs, sorted(res.depends_on), prevent_destroy=res.prevent_destroy)
    )
    return change, (
        f"Imported {address} (id {obs.remote_id}) as adopted: this tool will not delete it; removing it from the"
        " configuration only forgets it."
    )


_EXPORT = "`reconciler export` lists the existing objects with their keys"


def _check_id(address: str, import_id: str, identity: str | None, change: Any, obs: Any, rec: Any) -> None:
    """Fail unless ``import_id`` names the object the declaration of ``address`` finds: the recorded
    one when ``rec`` (its state record) exists, else the one ``obs`` observed at the declaration's
    natural key ``identity`` (``change``: the plan's change, a create when nothing is there). Each
    message says what was looked up and how to find the right id (engine.imports.id_matches: the
    remote id, or the natural key with or without its prefix)."""
    from reconciler.engine.imports import id_matches
    from reconciler.engine.model import Action

    if rec is not None:
        if not id_matches(import_id, rec.remote_id, identity):
            _fail(
                f"{address} is already in the state as {rec.remote_id}, which {import_id!r} does not name;"
                " nothing was imported"
                f"\n  hint: to put another object under {address}, declare its key (a user's e-mail, a folder's path),"
                f" run `reconciler state rm {address}` (the recorded object is left in place), then import again;"
                f" {_EXPORT}"
            )
        return
    if obs is None or change is None or change.action == Action.CREATE:
        _fail(
            f"{address}: no object with id {import_id!r} was found; nothing was imported"
            + (f"\n  the declaration looks its object up by its natural key, {identity}: nothing is there" if identity
               else "")
            + "\n  hint: an import takes the object the declaration names: declare that object's key (a user's"
            f" e-mail, a folder's path) and give its id or that key as ID; {_EXPORT}"
        )
    if not id_matches(import_id, obs.remote_id, identity):
        _fail(
            f"{address}: the id {import_id!r} does not name the object the declaration finds"
            f" ({identity or obs.remote_id}, id {obs.remote_id}); nothing was imported"
            f"\n  hint: import it with the id {obs.remote_id}, or make the declaration's key match {import_id!r}"
        )


def _not_declared(ws: Any, address: str, import_id: str, block: str | None) -> None:
    """Fail for an undeclared ADDR: the YAML block for the object (``block``, when the services
    show one that ID names), the closest declared address and the declared ones (its kind first),
    and the import block that would say the same in the YAML."""
    from reconciler.config.diagnostics import not_found

    found = (
        f"\n  or add an import block to the YAML: import: [{{to: {address}, id: {import_id}}}]"
        f"\n  the services hold it; add this to the configuration, then import again:\n\n{block}"
        if block
        else f"\n  and no {address.split('.', 1)[0]} object that {import_id!r} names is among what `reconciler export`"
        " finds through the connections (or it is one export leaves out, as it says)"
    )
    _fail(
        f"{address} is not declared in the configuration (declare it first, then import it)"
        + not_found(address, ws.desired, label="declared")
        + found
    )


async def _suggested_block(ws: Any, address: str, import_id: str) -> str | None:
    """The YAML ``reconciler export`` writes for the object ``import_id`` names, under ``address``
    (kind and name), or None when no exported object of that kind has ``import_id`` as one of its
    string values (a path, an e-mail, a name), with or without a ``connection:`` prefix. Reads the
    kind's bulk listings only; a failed read gives None (the error above is what matters)."""
    from reconciler.clients import ApiError
    from reconciler.export.context import BuildContext, Filters
    from reconciler.export.run import build, read_all
    from reconciler.export.write import render_kind

    kind, _, name = address.partition(".")
    from reconciler.kinds import REGISTRY

    # every kind: a kind's export writes an object only beside the objects it names (a user under
    # its org, a share's members as users), so reading only its own kind would find nothing
    bc = BuildContext(Filters(frozenset(REGISTRY)), ws.loaded.connections)
    try:
        try:
            snapshots = await read_all(ws, bc, lambda _text: None)
        finally:
            await ws.aclose()
    except ApiError:
        return None
    wanted = {import_id.strip(), import_id.strip().partition(":")[2]} - {""}
    exported = build(bc, *snapshots)
    for entry in exported.kinds.get(kind, {}).values():
        if wanted & {v for v in entry.data.values() if isinstance(v, str)}:
            renamed = _declared_names(ws, exported.kinds, kind)
            for link in REGISTRY[kind].links.values():  # a field naming another kind's object
                value = entry.data.get(link.field)
                if isinstance(value, str) and (link.kind, value) in renamed:
                    entry.data[link.field] = renamed[(link.kind, value)]
            text = render_kind(kind, {name: entry}, [])
            return "    " + text[text.index(f"{kind}:"):].rstrip("\n").replace("\n", "\n    ")
    return None


def _declared_names(ws: Any, exported: Any, kind: str) -> dict[tuple[str, str], str]:
    """``(kind, exported name)`` -> declared name of each object of another kind than ``kind`` (its
    parents, e.g. the org of a user) that the configuration declares under another name: the same
    object by the kind's identity (``Provider.identity``). ``exported``: kind -> name ->
    ``export.model.Entry``. A declaration that does not parse on its own (references still literal)
    is passed over."""
    from reconciler.engine import SpecError

    def identity(k: str, address: str, data: Any) -> str | None:
        try:
            return ws.providers[k].identity(ws.providers[k].parse(address, data))
        except (SpecError, KeyError, TypeError, ValueError):
            return None

    declared: dict[tuple[str, str], str] = {}
    for addr, res in ws.desired.items():
        if res.kind != kind and res.kind in exported:
            key = identity(res.kind, addr, res.data)
            if key:
                declared[(res.kind, key)] = addr.partition(".")[2]
    out: dict[tuple[str, str], str] = {}
    for k, entries in exported.items():
        if k == kind:
            continue
        for name, entry in entries.items():
            key = identity(k, f"{k}.{name}", entry.data)
            mine = declared.get((k, key)) if key else None
            if mine is not None and mine != name:
                out[(k, name)] = mine
    return out

