"""The ``reconciler export`` click command (registered in ``reconciler/cli.py``).

Imports only click at module level, so that the CLI starts fast; the export itself is imported
when the command runs. Errors are reported the way every other command reports them (the CLI's
``_errors``: one line, exit code 1, no traceback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

KIND_CHOICES = (
    "orgs", "applications", "cloud_configs", "application_keys", "replication_agents", "folders", "users",
    "shares", "creative_cloud_connections", "workfront_integrations", "workfront_linked_folders",
    "workfront_metadata_mappings",
)


@click.command("export")
@click.argument("config", type=click.Path(exists=True, path_type=Path), default=".", required=False)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the YAML files into (one file per kind).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KIND_CHOICES), metavar="KIND",
              help="Export only this kind (repeatable). Objects that name a kind left out are skipped.")
@click.option("--path-prefix", default=None, metavar="PATH",
              help="Export only the folders at or below PATH, e.g. /content/dam/campaigns.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out the resources whose address matches GLOB, e.g. 'folders.tmp-*' (repeatable).")
@click.option("--force", is_flag=True, help="Write even if DIR holds YAML files an export did not write.")
@click.option("-R", "--recursive", is_flag=True, help="Read CONFIG's subdirectories too.")
def export_command(
    config: Path, out_dir: Path, kinds: tuple[str, ...], path_prefix: str | None, exclude: tuple[str, ...],
    force: bool, recursive: bool,
) -> None:
    """Write YAML for every object the services of CONFIG's connections hold.

    CONFIG needs only `version:` and `connections:`. The output adopts the live setup: `reconciler
    plan DIR` shows only adopts (and reads of the orgs), `apply` records them, and the next plan says
    "No changes". References replace copied IDs where the referenced object is exported too;
    secrets become ${env:NAME} (the variables are listed at the end).
    """
    from reconciler import cli

    cli._errors(_export)(config, out_dir, kinds, path_prefix, exclude, force, recursive)


def _export(
    config: Path, out_dir: Path, kinds: tuple[str, ...], path_prefix: str | None, exclude: tuple[str, ...],
    force: bool, recursive: bool,
) -> None:
    from reconciler import cli
    from reconciler.render.progress import Progress
    from reconciler.wiring import Workspace

    from .context import Filters
    from .run import export_workspace
    from .write import OutputExists

    if path_prefix is not None and not path_prefix.startswith("/content/dam"):
        raise click.BadParameter("must be /content/dam or a path under it", param_hint="--path-prefix")
    ws = Workspace(config, recursive=recursive)
    if out_dir.resolve() == ws.root.resolve():
        raise click.BadParameter("must be another directory than the configuration's (the files would merge)",
                                 param_hint="--out")
    progress = Progress()
    filters = Filters(frozenset(kinds), path_prefix, tuple(exclude))

    async def go() -> Any:
        try:
            return await export_workspace(ws, out_dir, filters, line=progress.line, force=force)
        finally:
            await ws.aclose()

    try:
        result = cli._run(go)
    except OutputExists as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        ws.close_state()
    progress.finished("Export")
    _report(result, out_dir)


def _report(result: Any, out_dir: Path) -> None:
    out = result.export
    counts = ", ".join(f"{k} {len(out.kinds[k])}" for k in KIND_CHOICES if out.kinds.get(k))
    click.echo(f"Exported {out.count()} resources to {out_dir} ({len(result.files)} files,"
               f" {result.requests} requests): {counts or 'nothing'}.")
    for kind, sentences in out.skipped.items():
        for s in sentences:
            click.echo(f"  not exported ({kind}): {s}")
    for kind, n in out.filtered.items():
        click.echo(f"  left out by the filters: {n} {kind}")
    if result.world_link is not None:
        click.echo(f"  {out_dir}/.reconciler/sandbox.db links to the embedded sandbox world {result.world_link}")
    _validate(out_dir)
    if out.env:
        click.echo("Set these environment variables before planning (the exported files read them):")
        for var, what in sorted(out.env.items()):
            click.echo(f"  {var}  ({what})")
    if out.optional_env:
        click.echo("Named only in commented-out lines (set them if you uncomment those):")
        for var, what in sorted(out.optional_env.items()):
            click.echo(f"  {var}  ({what})")
    click.echo(f"Next: reconciler plan {out_dir}  (adopts only), then reconciler apply {out_dir}")


def _validate(out_dir: Path) -> None:
    """Run what `validate` runs on the output; problems of the live setup are reported, not fatal."""
    from reconciler.config.diagnostics import ConfigError
    from reconciler.wiring import Workspace

    try:
        Workspace(out_dir, require_env=False).close_state()
    except ConfigError as exc:
        errors = [d for d in exc.diagnostics if d.severity == "error"]
        click.echo(f"validate reports {len(errors)} problem{'s' if len(errors) != 1 else ''} of the live setup"
                   " (written as they are, with a comment):", err=True)
        for d in exc.diagnostics:
            click.echo(d.format(color=False), err=True)
        return
    click.echo(f"The exported configuration is valid (reconciler validate {out_dir}).")
