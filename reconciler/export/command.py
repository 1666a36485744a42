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
              help="Leave out the resources whose address matches GLOB (KIND.NAME-GLOB, e.g. 'folders.tmp-*';"
              " repeatable).")
@click.option("--force", is_flag=True, help="Write even if DIR holds YAML files an export did not write, or if"
              " the filters would drop resources an earlier export wrote into DIR (the next plan forgets them).")
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

    from .context import Filters, exclude_problem
    from .run import export_workspace
    from .write import OutputExists

    if path_prefix is not None and not path_prefix.startswith("/content/dam"):
        raise click.BadParameter("must be /content/dam or a path under it", param_hint="--path-prefix")
    for pattern in exclude:
        problem = exclude_problem(pattern, KIND_CHOICES)
        if problem:
            raise click.BadParameter(problem, param_hint="--exclude")
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
    _report(result, out_dir, filters)


def _report(result: Any, out_dir: Path, filters: Any) -> None:
    out = result.export
    counts = ", ".join(f"{k} {len(out.kinds[k])}" for k in KIND_CHOICES if out.kinds.get(k))
    click.echo(f"Exported {out.count()} resources to {out_dir} ({len(result.written.written)} files,"
               f" {result.requests} requests): {counts or 'nothing'}.")
    _report_files(result.written, filters)
    _warn_unmatched(out, filters)
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


def _report_files(w: Any, filters: Any) -> None:
    """Say what became of the files an earlier export wrote (``w``: a ``write.Written``)."""
    from .write import first_few

    def files(names: list[str]) -> str:
        return f"{len(names)} file{'s' if len(names) != 1 else ''}: {first_few(names)}"

    if w.replaced:
        click.echo(f"  replaced (written by an earlier export, new content): {files(w.replaced)}")
    if w.unchanged:
        click.echo(f"  rewritten unchanged: {files(w.unchanged)}")
    if w.removed:
        click.echo(f"  removed (written by an earlier export; its kind has nothing to export now): {files(w.removed)}")
    if w.overwritten_foreign:
        click.echo(f"  overwritten (not written by an export; --force): {files(w.overwritten_foreign)}")
    if w.kept:
        click.echo(f"  left alone (kinds this export does not cover, {filters.narrowing()}): {files(w.kept)}")
    for s in w.shrunk:
        dropped = first_few([f"{s.section}.{n}" for n in s.dropped])
        click.echo(f"  {s.file} now holds {s.after} of the {len(s.before)} {s.section} it held; the next plan"
                   f" forgets the other {len(s.dropped)} (they stay in the services): {dropped}")


def _warn_unmatched(out: Any, filters: Any) -> None:
    """A warning on stderr for each ``--exclude`` glob that left nothing out, with a hint."""
    import fnmatch

    for pattern in filters.exclude:
        if out.excluded.get(pattern):
            continue
        kind_glob = pattern.partition(".")[0]
        kinds = [k for k in KIND_CHOICES if fnmatch.fnmatchcase(k, kind_glob)]
        wanted = [k for k in kinds if filters.wants(k)]
        names = [f"{k}.{n}" for k in wanted for n in out.kinds.get(k, {})]
        if not wanted:
            hint = f"{', '.join(kinds)} {'is' if len(kinds) == 1 else 'are'} not exported (--kind)"
        elif any(fnmatch.fnmatchcase(a, pattern.lower()) for a in names):
            hint = f"did you mean '{pattern.lower()}'? (names are lower case)"
        elif names:
            from .write import first_few

            hint = f"the exported names are like {first_few(names, 3)} (the form is KIND.NAME-GLOB)"
        else:
            hint = f"nothing of {', '.join(wanted)} was read"
        click.echo(f"warning: --exclude '{pattern}' matched nothing: {hint}", err=True)


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
