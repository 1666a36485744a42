"""Command line: ``reconciler validate|plan|apply|destroy|drift|output|show|state|graph|fmt|init|
schema|version|sandbox``. Every ``--long`` option is also accepted as Terraform's ``-long``
(``-auto-approve``, ``-target=ADDR``); ``-v``, ``-no-color`` and ``-chdir=DIR`` may follow the
subcommand.

Commands parse arguments, call the wiring and the engine, and render. Exit codes: 0 success (and
"no changes" with ``--detailed-exitcode``), 1 every error (click's usage errors too, and a "no" at
the confirmation prompt), 2 only changes pending (``plan --detailed-exitcode``), 3 ``fmt --check``.
Errors are one clear message on stderr, never a traceback (``RECONCILER_DEBUG=1`` shows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from reconciler import __version__
from reconciler.export.command import export_command

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_CHANGES = 2


class Fail(click.ClickException):
    """A user-facing error: printed as ``Error: <message>``, exit code 1."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(
            click.style("Error: ", fg="red", bold=True) + self.format_message()
            if _color(sys.stderr)
            else "Error: " + self.format_message(),
            err=True,
        )


def _color(stream: Any) -> bool:
    """Colour on ``stream``: only on a terminal, and never with ``NO_COLOR`` set or ``-no-color``."""
    if os.environ.get("NO_COLOR"):
        return False
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get("reconciler.no_color"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _fail(msg: str) -> NoReturn:
    raise Fail(msg)


def _run(coro_fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(coro_fn())


def _errors(fn: Callable[..., T]) -> Callable[..., T]:
    """Turn known errors into one-line messages (and exit code 1) instead of tracebacks."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        from reconciler.clients import ApiError
        from reconciler.config.diagnostics import ConfigError
        from reconciler.engine import EngineError, PlanError
        from reconciler.kinds.errors import ConnectionMissing

        try:
            return fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `reconciler plan | head`: the reader left; stop quietly, as git does
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except ConfigError as exc:
            color = _color(sys.stderr)
            for d in exc.diagnostics:
                click.echo(d.format(color=color), err=True)
            n = sum(1 for d in exc.diagnostics if d.severity == "error")
            _fail(f"the configuration has {n} error{'s' if n != 1 else ''}; nothing was changed")
        except PlanError as exc:
            for addr, msg in exc.errors:
                click.echo(f"Error: {addr}: {msg}" if addr else f"Error: {msg}", err=True)
            if _flag("sandbox"):
                for line in _seeded_near([msg for _, msg in exc.errors]):
                    click.echo(f"  hint: {line}", err=True)
            _fail("the plan cannot be made; nothing was changed")
        except EngineError as exc:
            _fail(str(exc))
        except ConnectionMissing as exc:  # a connection of the state's resources has another type now
            _fail(f"{exc}: resources of the state live on that connection\n  hint: declare it under `connections:`"
                  " with that type, or forget them with `reconciler state rm ADDR`")
        except ApiError as exc:
            hint = ""
            if exc.status in (401, 403):
                hint = "\n  hint: check the credentials of that connection (and where they come from: ${env:...})"
            if ".sandbox.invalid" in exc.url:
                hint += _sandbox_hint(exc)
            _fail(str(exc) + hint)
        except Exception as exc:  # unexpected: still no traceback unless asked
            if os.environ.get("RECONCILER_DEBUG"):
                raise
            name = type(exc).__name__
            _fail(f"{name}: {str(exc).splitlines()[0] if str(exc) else ''} (set RECONCILER_DEBUG=1 for the traceback)")

    return wrapper


_SANDBOX_INFO = ("this is the embedded sandbox; `reconciler sandbox info` lists its client ID, orgs, users,"
                 " groups and Workfront projects")


def _unknown_orgs(text: str) -> list[str]:
    """A hint line for each IMS org ID (``...@AdobeOrg``) in ``text`` that the embedded sandbox does
    not have: the closest it has, and all it has (its seeded orgs)."""
    import re

    from reconciler.config.diagnostics import not_found
    from reconciler.sandbox import seed_summary

    orgs = [o["ims_org_id"] for o in seed_summary()["orgs"]]
    return [
        f"the sandbox has no org {org}" + not_found(org, orgs, label="its orgs").replace("\n", "\n  ")
        for org in dict.fromkeys(re.findall(r"[0-9A-Za-z]+@AdobeOrg", text)) if org not in orgs
    ]


def _sandbox_hint(exc: Any) -> str:
    """Hint lines for an ``ApiError`` from the embedded sandbox: what its seeded world has when the
    error names an org it does not have (with did-you-mean) or a wrong client ID; always the
    pointer to ``reconciler sandbox info``. The sandbox answers as the real services do (they list
    nothing); the lists come from the seed (``reconciler.sandbox.seed_summary``)."""
    from reconciler.sandbox import seed_summary

    seed = seed_summary()
    lines = _unknown_orgs(f"{exc.url} {exc.message}")
    if exc.code == "invalid_client" and "client_id" in exc.message:
        lines.append(f"the sandbox's client ID is {seed['client']['client_id']}")
    lines.append(_SANDBOX_INFO)
    return "".join(f"\n  hint: {line}" for line in lines)


def _seeded_names() -> dict[str, str]:
    """Names in the embedded sandbox's seeded world that a configuration spells out -> what they
    are: Workfront projects, IMS groups (product profiles, user groups) and user emails."""
    from reconciler.sandbox import seed_summary

    seed = seed_summary()
    names = {p["name"]: "a Workfront project" for p in seed["workfront"]["projects"]}
    names |= {g["name"]: "a group" for groups in seed["groups"].values() for g in groups}
    names |= {u["email"]: "a user" for u in seed["users"]}
    return names


def _seeded_near(messages: list[str], ratio: float = 0.85) -> list[str]:
    """Hint lines for error ``messages`` of a run against the embedded sandbox: the orgs it does not
    have (:func:`_unknown_orgs`); each seeded name (:func:`_seeded_names`) that a message nearly
    contains (a stretch of about the same length, at a word start, matches with difflib ``ratio``;
    names spelled right are left aside), as "did you mean ...?"; then the pointer to ``reconciler
    sandbox info`` (when something was suggested or a message says something is not found). Reads
    at most 4,000 characters of the messages. The sandbox answers as the real services do; the
    names come from its seed (``reconciler.sandbox.seed_summary``)."""
    import difflib
    import re

    names = _seeded_names()
    text = "\n".join(messages)[:4000]
    found = re.search(r"not found|has no |no such|unknown", text)
    out = _unknown_orgs(text)
    for name in sorted(names, key=len, reverse=True):  # a name spelled right is no near miss of another
        text = text.replace(name, "\0")
    starts = [0] + [i + 1 for i, c in enumerate(text) if not c.isalnum()]  # a stretch starts a word
    for name, what in names.items():
        matcher = difflib.SequenceMatcher(b=name)
        for i in starts:
            for k in (len(name) - 1, len(name), len(name) + 1):
                matcher.set_seq1(text[i:i + k])
                if matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio and matcher.ratio() >= ratio:
                    break
            else:
                continue
            out.append(f"did you mean {name!r}? ({what} of the sandbox)")
            break
    if out or found:
        out.append(_SANDBOX_INFO)
    return out


LOG_ENV = "RECONCILER_LOG"
"""Environment variable, as Terraform's TF_LOG: ``debug`` (= ``-v``) or ``trace`` (= ``-vv``)."""
_LOG_LEVELS = {"debug": 1, "trace": 2}


class _CliLogHandler(logging.StreamHandler):
    """The handler ``-v`` installs (one at a time: a new run replaces the previous one)."""


def _setup_logging(verbose: int) -> None:
    if verbose <= 0:
        return
    from reconciler.clients import TRACE

    handler = _CliLogHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its own lines are not redacted
    log = logging.getLogger("reconciler.http")
    log.setLevel(logging.DEBUG)
    for old in [h for h in log.handlers if isinstance(h, _CliLogHandler)]:
        log.removeHandler(old)
    log.addHandler(handler)
    log.propagate = False
    body = logging.getLogger("reconciler.http.body")
    body.setLevel(TRACE if verbose > 1 else logging.DEBUG + 1)


# Options of the whole tool, accepted before or after the subcommand (``plan -v`` as ``-v plan``):
# flag options, and options that take a value (as ``-chdir=DIR`` or ``-chdir DIR``).
_GLOBAL_FLAGS = ("-v", "--verbose", "-no-color", "--no-color")
_GLOBAL_VALUED = ("-chdir", "--chdir")


def _hoist_globals(args: list[str]) -> list[str]:
    """``args`` with the global options (``_GLOBAL_FLAGS``, ``_GLOBAL_VALUED``, ``-vv``...) found
    after the subcommand moved to the front, in order; nothing after ``--`` is moved."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in _GLOBAL_FLAGS or (len(arg) > 2 and arg[0] == "-" and set(arg[1:]) == {"v"}):
            front.append(arg)
        elif arg.split("=", 1)[0] in _GLOBAL_VALUED:
            front.append(arg)
            if "=" not in arg and i + 1 < len(args):
                i += 1
                front.append(args[i])
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _terraform_spellings(option: click.Option) -> None:
    """Give ``option`` Terraform's single-dash spelling of each of its GNU ones (``--auto-approve`` ->
    ``-auto-approve``); idempotent. Click matches a multi-letter single-dash name as a whole (and
    ``-target=ADDR`` as name and value), so these never collide with bundled short flags."""
    for name in list(option.opts):
        twin = name[1:]
        if name.startswith("--") and len(name) > 3 and twin not in option.opts:
            option.opts.append(twin)


class _WholeOptionNames(click.Command):
    """An unknown option is named whole, with the closest options spelled the same way (one dash
    or two); click names only the first letter of an unknown ``-long`` (``-a`` for ``-auto-aprove``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser consumes the list it is given
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            raise _whole_option(ctx, self, given, exc) from None
        except click.UsageError as exc:
            hint = _config_as_positional_hint(ctx, self, given) if "unexpected extra argument" in exc.message else ""
            if not hint:
                raise
            raise click.UsageError(f"{exc.message}\n  hint: {hint}", ctx=exc.ctx) from None


def _config_path_like(value: object) -> bool:
    """Whether ``value`` (a command-line argument) names an existing directory or YAML file."""
    path = Path(str(value))
    return path.is_dir() or (path.suffix in (".yaml", ".yml") and path.is_file())


def _config_hint(value: object) -> str:
    """The hint for a configuration given as a positional argument to a command that takes it as
    ``-c``/``--config``."""
    return f"to read the configuration in {value}, pass -c {value}"


def _config_as_positional_hint(ctx: click.Context, command: click.Command, args: list[str]) -> str:
    """For a command with a ``-c``/``--config`` option: the :func:`_config_hint` of the first of
    ``args`` (not an option) that names an existing directory or YAML file; ``""`` otherwise."""
    takes_c = any(isinstance(p, click.Option) and "-c" in p.opts for p in command.get_params(ctx))
    found = next((a for a in args if not a.startswith("-") and _config_path_like(a)), None) if takes_c else None
    return _config_hint(found) if found is not None else ""


def _whole_option(ctx: click.Context, command: click.Command, args: list[str], exc: click.NoSuchOption) -> Any:
    """``exc`` (unknown option) with the whole argument it came from (``-auto-aprove``, not ``-a``)
    and the closest option names of ``command`` with as many dashes; ``exc`` when no argument fits."""
    import difflib

    known = [o for p in command.get_params(ctx) if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)]
    known += [*_GLOBAL_FLAGS, *_GLOBAL_VALUED]  # they may follow the subcommand too
    for arg in args:
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if name in known or not name.startswith("-") or not name.startswith(exc.option_name):
            continue
        dashes = 2 if name.startswith("--") else 1
        same = [o for o in dict.fromkeys(known) if len(o) > 2 and len(o) - len(o.lstrip("-")) == dashes]
        return click.NoSuchOption(name, possibilities=difflib.get_close_matches(name, same, n=3, cutoff=0.6), ctx=ctx)
    return exc


class _TerraformParams(click.Command):
    """Base of ``_Command`` and ``_Group``: each ``--long`` option is also accepted as ``-long``."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        for param in params:
            if isinstance(param, click.Option):
                _terraform_spellings(param)
        return params


class _Command(_TerraformParams, _WholeOptionNames, click.Command):
    """Every command: each ``--long`` option is also accepted as Terraform's ``-long``; an unknown
    option is named whole (:class:`_WholeOptionNames`)."""


class _Group(_TerraformParams, _WholeOptionNames, click.Group):
    """A group whose commands (and subgroups) are ``_Command``s and ``_Group``s; a command made
    elsewhere and registered with ``add_command`` (``export``) gets Terraform's spellings too, and
    so do the group's own options (``reconciler -help``, ``-version``, ``state -help``)."""

    command_class = _Command
    group_class: Any = type  # a subgroup is of this same class

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None and not isinstance(cmd, _Command | click.Group):
            for param in cmd.params:
                if isinstance(param, click.Option):
                    _terraform_spellings(param)
        return cmd


def _usage_exit_code(exc: click.UsageError) -> click.UsageError:
    """``exc`` with exit code 1 (``EXIT_ERROR``) instead of click's 2: 2 means "changes pending"
    (``plan -detailed-exitcode``), so every error, a usage error too, exits 1. Its message is kept."""
    setattr(exc, "exit_code", EXIT_ERROR)  # noqa: B010 (click declares exit_code a ClassVar)
    return exc


class _Main(_Group):
    """The ``reconciler`` group: global options may also follow the subcommand (see ``_hoist_globals``);
    a usage error (unknown option, bad value, missing argument) of any command exits 1, not click's 2
    (:func:`_usage_exit_code`)."""

    group_class = _Group  # its subgroups (state, sandbox) need no hoisting: the root moved them all

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _hoist_globals(list(args)))

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:  # the root's own options: `reconciler --bogus`
            raise _usage_exit_code(exc) from exc.__cause__

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a subcommand's arguments or a parameter check in its body
            raise _usage_exit_code(exc) from exc.__cause__


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="reconciler")
@click.option("-v", "--verbose", count=True, help="-v: trace every HTTP request (secrets redacted); -vv: with bodies.")
@click.option("-no-color", "--no-color", "no_color", is_flag=True, help="No colour in the output (as NO_COLOR=1).")
@click.option(
    "-chdir",
    "--chdir",
    "chdir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Switch to DIR before running the command (paths are then relative to DIR).",
)
@click.pass_context
def main(ctx: click.Context, verbose: int, no_color: bool, chdir: Path | None) -> None:
    """Declarative plan/apply for AEM Assets integrations (Experience Cloud, Creative Cloud, Workfront).

    Describe orgs, Adobe applications, AEM cloud configurations, replication agents, folders, users,
    folder shares, Creative Cloud connections and Workfront integrations in YAML; `plan` shows what
    would change; `apply` makes it so. URLs like sandbox://aem use the
    embedded sandbox: no server, no Adobe account.

    Options are spelled both ways: Terraform's `-auto-approve`, `-target=ADDR` and GNU's
    `--auto-approve`, `--target ADDR`. The global options (-v, -no-color, -chdir) may also follow
    the subcommand. NO_COLOR=1 turns colour off; RECONCILER_LOG=debug (or trace) is -v (-vv);
    RECONCILER_DEBUG=1 shows tracebacks.
    """
    _setup_logging(verbose or _LOG_LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower(), 0))
    ctx.meta["reconciler.no_color"] = no_color
    before_gc = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, *before_gc[1:])
    ctx.call_on_close(lambda: gc.set_threshold(*before_gc))
    if chdir is not None:
        before = Path.cwd()
        os.chdir(chdir)
        ctx.call_on_close(lambda: os.chdir(before))


#: allocations between two young-generation collections while a command runs (CPython's default is
#: 700): a configuration of 10,000 resources keeps about a million objects alive, and at 700 the
#: collector's passes over them were 0.7 s of a 2.8 s no-op plan; at 10,000, 0.1 s (see
#: docs/architecture.md, "Garbage collection"). Cycles are still collected, a little later.
GC_GEN0_THRESHOLD = 10_000


CONFIG_ARG = click.argument("config", type=click.Path(exists=True, path_type=Path), default=".", required=False)


def _context_flag(key: str, *decls: str, help: str) -> Callable[[F], F]:
    """A flag option kept in the click context's ``meta`` under ``reconciler.<key>`` (read with
    :func:`_flag`) instead of being passed to the command, so helpers deep in a command see it."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[f"reconciler.{key}"] = value
        return value

    return click.option(*decls, is_flag=True, expose_value=False, callback=remember, help=help)


def _flag(key: str) -> bool:
    """The value of a :func:`_context_flag` in the current command (False outside one)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(f"reconciler.{key}"))


RECURSIVE_OPT: Callable[[Callable[..., Any]], Callable[..., Any]] = _context_flag(
    "recursive",
    "-R",
    "--recursive",
    help="Also load the YAML files in CONFIG's subdirectories (by default a directory loads only its own"
    " *.yaml/*.yml files, as Terraform loads *.tf).",
)


def _lock_timeout(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    from reconciler.engine import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def LOCK_OPTS(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``-lock=false`` / ``--lock=false`` and ``-lock-timeout=DURATION`` / ``--lock-timeout``."""
    fn = click.option(
        "-lock-timeout",
        "--lock-timeout",
        "lock_timeout",
        default="0s",
        show_default=True,
        metavar="DURATION",
        callback=_lock_timeout,
        help="How long to wait for the state lock held by another run (e.g. 30s, 5m); then fail naming the holder.",
    )(fn)
    return click.option(
        "-lock",
        "--lock",
        "lock",
        type=click.BOOL,
        default=True,
        show_default=True,
        metavar="BOOL",
        help="Lock the state while running (-lock=false: don't; only when nothing else can run).",
    )(fn)


def _state_lock(ws: Any, operation: str, lock: bool, timeout_s: float) -> Any:
    """The state lock as a context manager (a no-op with ``-lock=false``)."""
    return ws.state.locked(operation, timeout_s) if lock else contextlib.nullcontext("")


ALLOW_CONTENT_LOSS_OPT = _context_flag(
    "allow_content_loss",
    "--allow-content-loss",
    help="Let this run delete or replace objects that hold user content (the plan counts the assets);"
    " per resource: lifecycle: {allow_content_loss: true}.",
)


def _workspace(path: Path, *, recursive: bool | None = None, require_env: bool = True) -> Any:
    """The loaded ``Workspace`` of ``path``; ``recursive`` defaults to the command's ``--recursive``;
    ``require_env=False`` for commands that send nothing anywhere (unset ``${env:...}``: a warning)."""
    from reconciler.wiring import Workspace

    if recursive is None:
        recursive = _flag("recursive")
    ws = Workspace(path, recursive=recursive, require_env=require_env)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        # the loaded configuration lives as long as the command: the collector need not walk it again
        gc.freeze()
        ctx.call_on_close(gc.unfreeze)
        # for the hints of errors (_seeded_near): is this run against the sandbox?
        ctx.meta["reconciler.sandbox"] = any(
            isinstance(v, str) and v.startswith("sandbox://")
            for conn in ws.loaded.connections.values() for v in conn.model_dump().values()
        )
    return ws


@main.command()
@CONFIG_ARG
@RECURSIVE_OPT
@_errors
def validate(config: Path) -> None:
    """Check the configuration without contacting any service.

    CONFIG is a YAML file or a directory of them (default: the current directory).
    """

    ws = _workspace(config, require_env=False)
    try:
        for w in ws.loaded.warnings:
            click.echo(w.format(color=_color(sys.stderr)), err=True)
        n = len(ws.desired)
        click.echo(
            f"Success! The configuration is valid: {n} resource{'s' if n != 1 else ''},"
            f" {len(ws.loaded.connections)} connection{'s' if len(ws.loaded.connections) != 1 else ''}."
        )
    finally:
        ws.close_state()


async def _plan(
    ws: Any,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    refresh_only: bool = False,
    destroy: bool = False,
    progress: Any = None,
) -> Any:
    """The ``PlanResult`` of the workspace ``ws``. ``destroy``: plan as if the configuration declared
    nothing, so every resource in the state leaves it: what this tool created is deleted, what it
    adopted is forgotten (left in place), ``prevent_destroy`` refuses (the engine's rules for a
    resource removed from the configuration). ``progress``: a ``render.progress.Progress`` that
    announces the refreshes (on a terminal)."""
    from reconciler.engine import make_plan

    _check_addresses(ws, targets, "-target")
    _check_addresses(ws, replace, "-replace")
    return await make_plan(
        ws.desired,
        ws.state,
        progress.providers(ws.providers) if progress is not None else ws.providers,
        config_digest=ws.loaded.digest,
        targets=targets,
        force_replace=replace,
        refresh_only=refresh_only,
        destroy=destroy,
        precheck=lambda records: _check_state_connections(ws, records),
    )


def _check_addresses(ws: Any, addresses: tuple[str, ...], option: str) -> None:
    """Fail (exit 1, before any request) when an address given to ``option`` (``-target``,
    ``-replace``) is neither declared in the configuration nor in the state: name the closest and
    list those that exist."""
    from reconciler.config.diagnostics import not_found

    if not addresses:
        return
    known = set(ws.desired) | set(ws.state.records())
    unknown = [a for a in addresses if a not in known]
    if unknown:
        _fail("\n".join(f"{option} {a}: no such resource to {option.lstrip('-')} in the configuration or the state"
                         + not_found(a, known, label="resources") for a in unknown))


def _undeclared_connections(records: Any, declared: Any) -> dict[tuple[str, str | None], list[str]]:
    """``(connection name, its type now or None when undeclared)`` -> the addresses (sorted) of
    ``records`` (address -> ``StateRecord``) whose object lives on a connection the configuration no
    longer declares, or now declares with a type their kind cannot use (``kinds.connection_type_of``).
    The kinds record the connection an object lives on as the output ``connection``."""
    from reconciler.kinds import connection_type_of

    missing: dict[tuple[str, str | None], list[str]] = {}
    for addr, rec in records.items():
        conn = (rec.outputs or {}).get("connection")
        if not isinstance(conn, str) or not conn:
            continue
        if conn not in declared:
            missing.setdefault((conn, None), []).append(addr)
            continue
        need = connection_type_of(rec.kind)
        now = getattr(declared[conn], "type", None)
        if need and now != need:
            missing.setdefault((conn, now), []).append(addr)
    return {key: sorted(addrs) for key, addrs in sorted(missing.items(), key=lambda kv: kv[0][0])}


def _check_state_connections(ws: Any, records: Any, shown: int = 3) -> None:
    """Fail (exit 1, before any request: ``make_plan``'s ``precheck``, with the plan's ``records``,
    address -> ``StateRecord``) when the state holds resources on a connection the
    configuration no longer declares (an emptied main.yaml in an applied directory), or declares
    with another type: such a resource can be neither refreshed nor deleted. The message names each
    connection, how many resources of the state use it (the first ``shown`` addresses) and the two
    ways out."""
    from reconciler.kinds import connection_type_of

    missing = _undeclared_connections(records, ws.loaded.connections)
    if not missing:
        return
    lines, hints, undeclared = [], [], []
    for (name, now), addrs in missing.items():
        more = f" and {len(addrs) - shown} more" if len(addrs) > shown else ""
        held = f"the state holds {len(addrs)} resource{'s' if len(addrs) != 1 else ''} on connection {name!r}"
        if now is None:
            lines.append(f"{held}, which the configuration no longer declares: {', '.join(addrs[:shown])}{more}")
            undeclared.append(repr(name))
        else:
            need = connection_type_of(records[addrs[0]].kind)
            lines.append(f"{held}, which the configuration now declares with type {now}; they need type {need}:"
                         f" {', '.join(addrs[:shown])}{more}")
            hints.append(f"give {name!r} back its type ({need}) and declare the {now} connection under another name")
    if undeclared:
        hints.insert(0, f"declare {' and '.join(undeclared)} again under `connections:`")
    first = next(iter(missing.values()))[0]
    _fail("\n".join(lines) + f"\n  hint: {'; '.join(hints)}, so that a plan can delete or forget those resources"
          " (`reconciler plan -destroy`, `reconciler destroy`); or forget each one without touching the object:"
          f" `reconciler state rm ADDR` (e.g. {first})")


def _kinds_of(result: Any) -> dict[str, str]:
    """address -> kind of each declared resource of a ``PlanResult``."""
    return {address: res.kind for address, res in result.desired.items()}


def _render_plan(plan: Any, fmt: str, replace: tuple[str, ...], markdown: dict[str, str] | None = None) -> str:
    """The plan as ``fmt`` (text, json, markdown); ``markdown``: ``title`` and the ``meta`` of
    ``render_markdown`` (commit, run_url)."""
    from reconciler.render.jsonplan import plan_json
    from reconciler.render.markdown import render_markdown
    from reconciler.render.text import TextRenderer

    if fmt == "json":
        return json.dumps(plan_json(plan, replace=list(replace)), indent=2, sort_keys=True)
    if fmt == "markdown":
        md = dict(markdown or {})
        title = md.pop("title", "") or "Reconciler plan"
        return render_markdown(plan, title=title, meta=md).rstrip("\n")
    return TextRenderer(color=_color(sys.stdout)).plan(plan)


def _print_warnings(ws: Any) -> None:
    for w in ws.loaded.warnings:
        click.echo(w.format(color=_color(sys.stderr)), err=True)


@main.command()
@CONFIG_ARG
@RECURSIVE_OPT
@click.option(
    "-out",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan to FILE, for `reconciler apply FILE`.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are, 1 on error."
)
@click.option("-json", "--json", "as_json", is_flag=True, help="Print the plan as versioned JSON (= --format json).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for terminals, json for machines (schemas/plan.schema.json), markdown for pull-request comments.",
)
@click.option(
    "--refresh-only",
    is_flag=True,
    help="Only report changes made outside the reconciler since the last apply (drift); plan no action.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDR",
    help="Plan only ADDR and what it depends on (repeatable). For exceptional use.",
)
@click.option("--replace", "replace", multiple=True, metavar="ADDR", help="Plan to replace ADDR even if unchanged.")
@click.option("--destroy", is_flag=True, help="Plan to destroy what the state holds (see `reconciler destroy`).")
@click.option("--title", default="", help="Markdown: the comment's title (default: Reconciler plan).")
@click.option("--commit", default=None, metavar="SHA", help="Markdown: the commit planned (default: $GITHUB_SHA).")
@click.option(
    "--run-url", default=None, metavar="URL", help="Markdown: link to the CI run (default: from GitHub Actions)."
)
@LOCK_OPTS
@_errors
def plan(
    config: Path,
    out: Path | None,
    detailed_exitcode: bool,
    as_json: bool,
    fmt: str,
    refresh_only: bool,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    destroy: bool,
    title: str,
    commit: str | None,
    run_url: str | None,
    lock: bool,
    lock_timeout: float,
) -> None:
    """Show what apply would change: refresh the services, compare, print an ordered plan.

    Nothing is changed. CONFIG is a YAML file or a directory (default: the current directory).
    Changes made outside the reconciler since the last apply are shown first, as drift.
    """
    fmt = "json" if as_json else fmt
    if destroy and (refresh_only or targets or replace):
        _fail("-destroy cannot be combined with -refresh-only, -target or -replace")
    env = os.environ
    if run_url is None and env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    markdown = {"title": title, "commit": commit or env.get("GITHUB_SHA", ""), "run_url": run_url or ""}
    _plan_command(config, out, detailed_exitcode, fmt, refresh_only, targets, replace, (lock, lock_timeout), destroy,
                  markdown)


def _plan_command(
    config: Path,
    out: Path | None,
    detailed_exitcode: bool,
    fmt: str,
    refresh_only: bool,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    locking: tuple[bool, float] = (True, 0.0),
    destroy: bool = False,
    markdown: dict[str, str] | None = None,
) -> None:
    from reconciler.engine.planfile import secret_digests, write_plan_file
    from reconciler.render.config_warnings import config_warnings
    from reconciler.render.jsonplan import plan_json
    from reconciler.render.progress import Progress

    ws = _workspace(config)
    progress = Progress()

    async def go() -> Any:
        try:
            with _state_lock(ws, "plan", *locking):
                return await _plan(ws, targets, replace, refresh_only, destroy, progress)
        finally:
            await ws.aclose()
            progress.finished("Refresh and plan")

    try:
        _print_warnings(ws)
        result = _run(go)
        # the configuration's warnings travel in the plan (JSON, Markdown, plan file); text skips them
        result.plan.warnings[:0] = config_warnings(ws.loaded.warnings)
        click.echo(_render_plan(result.plan, fmt, replace, markdown))
        if out is not None:
            doc = plan_json(result.plan, replace=list(replace))
            write_plan_file(
                out, ws.loaded.root, ws.loaded.files, doc, recursive=ws.recursive, backend=ws.state.identity,
                destroy=destroy, records=ws.state.records(),
                secrets=secret_digests(_kinds_of(result), result.specs, ws.providers, ws.state),
            )
            if fmt == "text":
                click.echo(f"\nSaved the plan to {out}. To carry out exactly this plan, run: reconciler apply {out}")
    finally:
        ws.close_state()
    if detailed_exitcode and result.plan.has_changes:
        sys.exit(EXIT_CHANGES)


@main.command()
@CONFIG_ARG
@RECURSIVE_OPT
@click.option("--accept", is_flag=True, help="Accept the drift into the state (as `apply --refresh-only`).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when there is no drift, 2 when there is, 1 on error.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@LOCK_OPTS
@_errors
def drift(config: Path, accept: bool, detailed_exitcode: bool, fmt: str, lock: bool, lock_timeout: float) -> None:
    """Report changes made outside the reconciler since the last apply (= plan --refresh-only).

    With --accept, record them in the state as the new baseline; no service is changed. A normal
    plan will still propose to bring the services back to the configuration.
    """
    if accept:
        _accept_drift(config, auto_approve=True, locking=(lock, lock_timeout))
        return
    _plan_command(config, None, detailed_exitcode, fmt, True, (), (), (lock, lock_timeout))


def _accept_drift(config: Path, *, auto_approve: bool, locking: tuple[bool, float] = (True, 0.0)) -> None:
    from reconciler.engine import accept_drift
    from reconciler.render.text import TextRenderer

    if not auto_approve and not _interactive():
        _fail("not on a terminal, so apply cannot ask for confirmation; pass -auto-approve (--auto-approve)")
    ws = _workspace(config)

    async def go() -> Any:
        try:
            with _state_lock(ws, "apply -refresh-only", *locking):
                result = await _plan(ws, (), (), True)
                click.echo(TextRenderer(color=_color(sys.stdout)).plan(result.plan, accepting=True))
                if not result.plan.drift:
                    return []
                if not auto_approve:
                    if not click.confirm("Accept these changes into the state?", default=False):
                        click.echo("Apply cancelled; nothing was changed.")
                        return _CANCELLED
                return accept_drift(result, ws.state)
        finally:
            await ws.aclose()

    try:
        touched = _run(go)
    finally:
        ws.close_state()
    if touched is _CANCELLED:  # as apply's own confirmation
        sys.exit(EXIT_ERROR)
    if touched:
        click.echo(f"\nAccepted the drift of {len(touched)} resource(s) into the state: {', '.join(touched)}.")


@main.command()
@CONFIG_ARG
@RECURSIVE_OPT
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot", show_default=True)
@_errors
def graph(config: Path, fmt: str) -> None:
    """Print the dependency graph of the configuration (no network): `a -> b` means a waits for b."""
    from reconciler.render.graph import to_dot, to_mermaid

    ws = _workspace(config, require_env=False)
    try:
        edges = {addr: set(res.depends_on) for addr, res in ws.desired.items()}
    finally:
        ws.close_state()
    click.echo(to_dot(edges) if fmt == "dot" else to_mermaid(edges))


def _yaml_files(config: Path, recursive: bool) -> list[Path]:
    """``config`` itself, or a directory's ``*.yaml``/``*.yml`` (with ``recursive``, its
    subdirectories' too; hidden paths and ``.reconciler/`` skipped), sorted."""
    if config.is_file():
        return [config]
    found = config.rglob("*") if recursive else config.glob("*")
    return sorted(
        p for p in found
        if p.suffix in (".yaml", ".yml") and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(config).parts)
    )


def _yaml_error(path: Path, text: str, problem: str) -> Any:
    """The ``Diagnostic`` of a YAML file ``fmt`` cannot parse, as ``validate`` reports it
    (``file:line:col: error: YAML syntax error: ...`` with its detail and hint): the configuration
    loader's reading of ``text``; when that reader finds no error where ``fmt``'s (ruamel.yaml)
    did, ``problem`` (``"LINE:COL: what"`` or ``"what"``, from ``render.yamlfmt.parse``) in that form."""
    import re

    from reconciler.config import Diagnostic, SourceLoc
    from reconciler.config._yaml import parse_yaml

    errors = [d for d in parse_yaml(text, str(path)).diagnostics if d.severity == "error"]
    if errors:
        return errors[0]
    where = re.match(r"(\d+):(\d+): (.*)", problem, re.S)
    loc = SourceLoc(str(path), int(where[1]), int(where[2])) if where else SourceLoc(str(path), 1, 1)
    return Diagnostic("error", f"YAML syntax error: {where[3] if where else problem}", loc=loc)


@main.command()
@CONFIG_ARG
@RECURSIVE_OPT
@click.option("--check", is_flag=True, help="Change nothing; exit 3 when a file is not formatted (for CI).")
@click.option("--diff", is_flag=True, help="Print the changes as a unified diff.")
@_errors
def fmt(config: Path, check: bool, diff: bool) -> None:
    """Rewrite configuration files in one layout (2-space mappings, dash-indented lists), keeping
    comments, key order and quoting. Prints the files it changed (with --check: would change).

    YAML beside the configuration that is not configuration (no top-level `version`) is left alone.
    Exit codes: 0 formatted, 1 a file is not valid YAML (one error per file), 3 with --check when a
    file needs formatting.
    """
    import difflib

    from reconciler.render.yamlfmt import format_yaml, is_configuration, parse

    broken, changed = 0, []
    for path in _yaml_files(config, _flag("recursive")):
        text = path.read_text(encoding="utf-8")
        try:
            if not is_configuration(parse(text)):
                continue
            new = format_yaml(text)
        except ValueError as exc:
            click.echo(_yaml_error(path, text, str(exc)).format(color=_color(sys.stderr)), err=True)
            broken += 1
            continue
        if new == text:
            continue
        changed.append(path)
        click.echo(str(path))
        if diff:
            click.echo("".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), str(path), str(path))))
        if not check:
            path.write_text(new, encoding="utf-8")
    if broken:
        _fail(f"{broken} file{'s are' if broken != 1 else ' is'} not valid YAML; nothing was formatted in"
              f" {'them' if broken != 1 else 'it'}")
    if check and changed:
        sys.exit(3)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".", required=False)
@click.option("--sandbox", is_flag=True, help="Against the embedded sandbox: plans and applies at once.")
@_errors
def init(directory: Path, sandbox: bool) -> None:
    """Write a commented starter configuration (DIRECTORY/main.yaml) and the JSON Schema editors use
    (DIRECTORY/reconciler.schema.json). Refuses to overwrite an existing main.yaml."""
    from reconciler import data
    from reconciler.render.starter import FILE_NAME, starter_config

    target = directory / FILE_NAME
    if target.exists():
        _fail(f"{target} exists; init writes only into a directory without one")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_config(sandbox=sandbox), encoding="utf-8")
    (directory / "reconciler.schema.json").write_text(data.read_text("config"), encoding="utf-8")
    where = "" if directory == Path(".") else f" {directory}"
    click.echo(f"Wrote {target} and {directory / 'reconciler.schema.json'}.")
    click.echo(f"Next: reconciler validate{where} && reconciler plan{where}"
               + ("" if sandbox else " (after setting the environment variables the file names)"))


@main.command()
@click.argument("which", type=click.Choice(["config", "plan"]), default="config", required=False)
def schema(which: str) -> None:
    """Print the JSON Schema of a configuration file (default) or of `plan -json` output.

    The schema ships inside the installed package. Save it and point your editor's YAML language
    server at it, for example `reconciler schema > reconciler.schema.json` and a first line
    `# yaml-language-server: $schema=./reconciler.schema.json` in each configuration file.
    """
    from reconciler import data

    click.echo(data.read_text(which), nl=False)


@main.command()
@click.argument("config_or_plan", type=click.Path(exists=True, path_type=Path), default=".", required=False)
@RECURSIVE_OPT
@click.option(
    "--auto-approve", is_flag=True, help="Apply without asking for confirmation (needed when not on a terminal)."
)
@click.option("--target", "targets", multiple=True, metavar="ADDR", help="Apply only ADDR and what it depends on.")
@click.option("--replace", "replace", multiple=True, metavar="ADDR", help="Replace ADDR even if unchanged.")
@click.option(
    "--parallelism", default=10, show_default=True, type=click.IntRange(1, 64), help="How many actions run at once."
)
@click.option(
    "--refresh-only",
    is_flag=True,
    help="Accept the drift (changes made outside the reconciler) into the state; change no service.",
)
@click.option("--destroy", is_flag=True, help="Destroy what the state holds (= `reconciler destroy`).")
@ALLOW_CONTENT_LOSS_OPT
@LOCK_OPTS
@_errors
def apply(
    config_or_plan: Path,
    auto_approve: bool,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    parallelism: int,
    refresh_only: bool,
    destroy: bool,
    lock: bool,
    lock_timeout: float,
) -> None:
    """Make the services match the configuration.

    CONFIG_OR_PLAN is a configuration (file or directory; a plan is made and shown, then confirmed)
    or a plan file saved with `plan -out FILE` (applied exactly as saved, refused if stale).
    With --refresh-only, accept the drift into the state instead; no service is changed.
    """
    if refresh_only:
        _accept_drift(config_or_plan, auto_approve=auto_approve, locking=(lock, lock_timeout))
        return
    _apply_command(config_or_plan, auto_approve, (targets, replace, destroy), parallelism, (lock, lock_timeout))


@main.command()
@CONFIG_ARG
@RECURSIVE_OPT
@click.option(
    "--auto-approve", is_flag=True, help="Destroy without asking for confirmation (needed when not on a terminal)."
)
@click.option(
    "--parallelism", default=10, show_default=True, type=click.IntRange(1, 64), help="How many actions run at once."
)
@ALLOW_CONTENT_LOSS_OPT
@LOCK_OPTS
@_errors
def destroy(config: Path, auto_approve: bool, parallelism: int, lock: bool, lock_timeout: float) -> None:
    """Delete what this tool created, as recorded in the state of CONFIG (= apply -destroy).

    Only the state decides: objects this tool created are deleted (dependents first); objects it
    adopted (they existed before) are forgotten and left in place; resources with
    lifecycle.prevent_destroy stop the plan. `plan -destroy` shows the plan without applying it
    (`plan -destroy -out FILE` saves it for `apply FILE`).
    """
    from reconciler.engine.planfile import read_plan_file

    if config.is_file() and read_plan_file(config) is not None:
        _fail(f"{config} is a saved plan: carry it out with `reconciler apply {config}`"
              " (destroy takes a configuration)")
    if config.is_file() and _not_a_plan_file(config):
        _fail(f"{config} is not a configuration: destroy takes a .yaml/.yml file (with `version:`) or a"
              " directory of them")
    _apply_command(config, auto_approve, ((), (), True), parallelism, (lock, lock_timeout))


def _apply_command(
    config_or_plan: Path,
    auto_approve: bool,
    scope: tuple[tuple[str, ...], tuple[str, ...], bool],
    parallelism: int,
    locking: tuple[bool, float],
) -> None:
    """``apply`` and ``destroy``: ``scope`` is (targets, replace, destroy); exits 1 when an action
    failed. Refuses at once (before planning) to run unattended without ``auto_approve``."""
    from reconciler.engine.planfile import read_plan_file, resolve_config_path
    from reconciler.render.text import TextRenderer

    saved = read_plan_file(config_or_plan) if config_or_plan.is_file() else None
    if saved is None and config_or_plan.is_file() and (why := _not_a_plan_file(config_or_plan)):
        _fail(why)
    if saved is None and not auto_approve and not _interactive():
        _fail("not on a terminal, so apply cannot ask for confirmation; pass -auto-approve (--auto-approve),"
              " or apply a saved plan file")
    config_path = config_or_plan
    if saved is not None:
        if scope[0] or scope[1] or scope[2]:
            _fail("a saved plan is applied exactly as saved: -target, -replace and -destroy belong to `plan`")
        scope = (saved.targets, saved.replace, saved.destroy)
        found = resolve_config_path(saved, plan_file=config_or_plan, cwd=Path.cwd())
        if found is None:
            _fail(_plan_elsewhere(saved, config_or_plan))
        config_path = found
    ws = _workspace(config_path, recursive=saved.recursive if saved is not None else None)
    render = TextRenderer(color=_color(sys.stdout))
    try:
        _print_warnings(ws)
        outcome = _run(lambda: _apply_locked(ws, saved, render, scope, parallelism, auto_approve, locking))
    finally:
        ws.close_state()
    if outcome is None:
        return
    if outcome is _CANCELLED:  # as Terraform: a wrapper can tell a cancel from a success
        sys.exit(EXIT_ERROR)
    click.echo("")
    click.echo(render.apply_summary(outcome))
    if not outcome.ok:
        if outcome.failed and _flag("sandbox"):
            for line in _seeded_near(list(outcome.failed.values())):
                click.echo(f"  hint: {line}")
        sys.exit(EXIT_ERROR)


def _plan_elsewhere(saved: Any, plan_file: Path) -> str:
    """The error of ``apply PLAN_FILE`` run where the plan's configuration is not: where the plan was
    made (``planfile.plan_origin``) and the ``-chdir`` to pass, when the plan file tells."""
    from reconciler.engine.planfile import plan_origin

    origin = plan_origin(saved, plan_file=plan_file)
    if origin is None:
        return (f"{plan_file} was made for the configuration {saved.config_path} (relative to the directory plan"
                f" ran in), which is not in {Path.cwd()}; run apply in the directory the plan was made in"
                " (the root of the checkout), or pass -chdir=DIR")
    root, ran_in = origin
    return (f"{plan_file} was made for the configuration in {root}, not the one here ({Path.cwd()}); run apply"
            f" in {ran_in} or pass -chdir={ran_in}")


def _not_a_plan_file(path: Path) -> str | None:
    """For ``apply FILE`` where FILE is not a plan file: the error when FILE is meant as one (its
    name does not end in .yaml/.yml and it does not hold a configuration, a YAML mapping with
    ``version``), as ``show`` says it; None for a configuration file, which apply plans."""
    from reconciler.config._yaml import parse_yaml  # bounded: size, depth, alias expansion

    if path.suffix in (".yaml", ".yml"):
        return None
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"), str(path)).data
    except (OSError, UnicodeDecodeError):
        doc = None
    if isinstance(doc, dict) and "version" in doc:
        return None
    why = f"{path} is not a plan file made by `reconciler plan -out`"
    if isinstance(doc, dict) and "resource_changes" in doc:
        return why + " (it is the JSON of `plan -json`: save a plan to apply with `reconciler plan -out FILE`)"
    return why + " (nor a configuration: a .yaml/.yml file, or a directory of them)"


async def _apply_locked(
    ws: Any,
    saved: Any,
    render: Any,
    scope: tuple[tuple[str, ...], tuple[str, ...], bool],
    parallelism: int,
    auto_approve: bool,
    locking: tuple[bool, float],
) -> Any:
    """Under the state lock (``locking``: whether to take it, how long to wait): check a saved plan is
    fresh, plan (``scope``: targets, replace, destroy), show or compare, confirm, apply. Returns the
    ApplyResult, None when there was nothing to apply, or ``_CANCELLED`` when the answer to the
    confirmation was no."""
    from reconciler.engine import apply_plan
    from reconciler.engine.planfile import (
        check_fresh,
        check_same_actions,
        check_same_secrets,
        file_digests,
        secret_digests,
    )
    from reconciler.render.jsonplan import plan_json
    from reconciler.render.progress import Progress

    targets, replace, destroy = scope
    progress = Progress()
    try:
        with _state_lock(ws, "apply", *locking):
            if saved is not None:
                check_fresh(
                    saved,
                    lineage=ws.state.lineage,
                    serial=ws.state.serial,
                    config_digest=ws.loaded.digest,
                    backend=ws.state.identity,
                    records=ws.state.records(),
                    files=file_digests(ws.loaded.root, ws.loaded.files),
                )
            result = await _plan(ws, targets, replace, destroy=destroy, progress=progress)
            render.track(result.plan)  # the apply's lines say what each action really does
            if saved is not None:
                # a rotated secret first: it also changes the actions, and is the cause to name
                check_same_secrets(saved, secret_digests(_kinds_of(result), result.specs, ws.providers, ws.state))
                check_same_actions(saved, plan_json(result.plan, replace=list(replace)))
            else:
                click.echo(render.plan(result.plan))
            if not result.plan.has_changes:
                if saved is not None:
                    click.echo("No changes. Nothing to apply.")
                return None
            _refuse_content_loss(result, ws.providers)
            if saved is None and not auto_approve and not _confirm_apply():
                return _CANCELLED
            click.echo("")
            heartbeats = asyncio.create_task(progress.heartbeats())

            def on_event(e: Any) -> None:
                progress.event(e)
                _echo_event(render, e)

            try:
                return await apply_plan(
                    result, ws.state, ws.providers, parallelism=parallelism, on_event=on_event,
                    allow_content_loss=_flag("allow_content_loss"),
                )
            finally:
                heartbeats.cancel()
                progress.finished("Apply")
    finally:
        await ws.aclose()


def _refuse_content_loss(result: Any, providers: Any) -> None:
    """Fail (exit 1) before any action when the plan of ``result`` (a ``PlanResult``) deletes or
    replaces objects holding user content (``PlannedChange.content_loss``, counted at plan time)
    that neither ``--allow-content-loss`` nor the resource's ``lifecycle.allow_content_loss``
    allows (``engine.content_loss_refused``, which the applier asks again before each action): one
    line per such change, and both ways to allow it, before anything started instead of in the
    middle of the apply."""
    from reconciler.engine import content_loss_refused

    lines = []
    for change in result.plan.changes:
        if not content_loss_refused(result, change, allowed=_flag("allow_content_loss")):
            continue
        provider = providers.get(change.kind)
        unit = getattr(provider, "content_unit", "item") + ("" if change.content_loss == 1 else "s")
        lines.append(f"  {change.address}: this {change.action.value} destroys {change.content_loss} {unit}")
    if lines:
        _fail("refused: this plan destroys user content, so nothing was started:\n" + "\n".join(lines)
              + "\n  hint: pass --allow-content-loss to allow it for this run, or set"
              " lifecycle: {allow_content_loss: true} on a resource the configuration declares")


_CANCELLED = object()
"""What :func:`_apply_locked` returns when the confirmation was answered no (the command exits 1)."""


def _interactive() -> bool:
    """Whether standard input is a terminal (a confirmation can be asked)."""
    return sys.stdin.isatty()


def _confirm_apply() -> bool:
    """Ask on the terminal; fails (exit 1) when not on one."""
    if not _interactive():
        _fail("not on a terminal, so apply cannot ask for confirmation; pass -auto-approve (--auto-approve),"
              " or apply a saved plan file")
    click.echo("")
    if not click.confirm("Do you want to perform these actions?", default=False):
        click.echo("Apply cancelled; nothing was changed.")
        return False
    return True


def _echo_event(render: Any, event: Any) -> None:
    line = render.event(event)
    if line:
        click.echo(line)


@main.command()
@click.argument("plan_file", type=click.Path(exists=True, path_type=Path), required=False)
@click.option("-json", "--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "-c",
    "--config",
    type=click.Path(exists=True, path_type=Path),
    default=".",
    help="Configuration whose state to show (when no PLAN_FILE is given).",
)
@_errors
def show(plan_file: Path | None, as_json: bool, config: Path) -> None:
    """Show a saved plan file as `plan` printed it, or (without PLAN_FILE) the resources in the state."""
    from reconciler.engine.planfile import read_plan_file
    from reconciler.render.config_warnings import ConfigWarning
    from reconciler.render.jsonplan import plan_from_json
    from reconciler.render.state import state_json, state_summary
    from reconciler.render.text import TextRenderer

    if plan_file is not None:
        saved = read_plan_file(plan_file) if plan_file.is_file() else None
        if saved is None:
            _not_a_configuration(plan_file, "PLAN_FILE (a plan file made by `reconciler plan -out`)", config)
            _fail(f"{plan_file} is not a plan file made by `reconciler plan -out`")
        if as_json:
            click.echo(json.dumps(saved.plan, indent=2, sort_keys=True))
            return
        try:
            planned = plan_from_json(saved.plan)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            _fail(f"{plan_file}: the plan in it is damaged or of another version ({type(exc).__name__}: {exc});"
                  " make a new plan with `reconciler plan -out FILE`")
        for w in planned.warnings:  # on stderr, as `plan` printed them
            if isinstance(w, ConfigWarning):
                click.echo(w.format(color=_color(sys.stderr)), err=True)
        click.echo(TextRenderer(color=_color(sys.stdout)).plan(planned))
        return
    with _opened_state(config) as state:
        dump = state.dump()
    click.echo(json.dumps(state_json(dump), indent=2, sort_keys=True) if as_json else state_summary(dump))


@main.command()
@click.argument("address", required=False, metavar="[ADDR[.ATTR]]")
@click.option("-json", "--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "-c", "--config", type=click.Path(exists=True, path_type=Path), default=".", help="Configuration root."
)
@_errors
def output(address: str | None, as_json: bool, config: Path) -> None:
    """Print outputs recorded in the state: every resource's (no ADDR), one resource's (ADDR), or one
    value (ADDR.ATTR, printed raw: `reconciler output cloud_configs.x.public_key > aem.pem`)."""
    from reconciler.render.state import output_value, outputs_text

    _not_a_configuration(address, "ADDR[.ATTR] (a resource address)", config)
    with _opened_state(config) as st:
        records = st.records()
    outputs = {addr: dict(rec.outputs) for addr, rec in records.items() if rec.outputs}
    if address is None:
        click.echo(json.dumps(outputs, indent=2, sort_keys=True, default=str) if as_json else outputs_text(outputs))
        return
    addr, attr = address, None
    if addr not in records and "." in addr:
        addr, attr = address.rsplit(".", 1)
    _require_in_state(addr if addr in records else address, records)
    values = dict(records[addr].outputs)
    if attr is None:
        click.echo(json.dumps(values, indent=2, sort_keys=True, default=str) if as_json
                   else outputs_text({addr: values}) if values else f"{addr} has no outputs.")
        return
    if attr not in values:
        from reconciler.config.diagnostics import not_found

        _fail(f"{addr} has no output {attr!r}" + not_found(attr, values, label=f"outputs of {addr}"))
    click.echo(json.dumps(values[attr], indent=2, sort_keys=True, default=str) if as_json
               else output_value(values[attr]))


@main.command("version")
@click.option("-json", "--json", "as_json", is_flag=True, help="Print JSON.")
def version_command(as_json: bool) -> None:
    """Print the version of the reconciler (and of the formats it writes)."""
    import platform

    from reconciler.render.jsonplan import FORMAT_VERSION

    info = {
        "reconciler_version": __version__,
        "platform": f"{platform.system().lower()}_{platform.machine().lower()}",
        "python_version": platform.python_version(),
        "plan_format_version": FORMAT_VERSION,
    }
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    click.echo(f"reconciler v{__version__}\non {info['platform']}, Python {info['python_version']};"
               f" plan format {FORMAT_VERSION}")


def _not_a_configuration(value: object, taken_as: str, config: Path) -> None:
    """Fail (exit 1, before the state is opened) when a positional argument that the command takes
    as ``taken_as`` (``ADDR``, ``PLAN_FILE``...) names an existing directory or YAML file while
    ``-c``/``--config`` was left at its default: the configuration was meant, as ``plan DIR``
    takes it. With ``-c`` given, the argument is what the command says."""
    if value is not None and config == Path(".") and _config_path_like(value):
        what = "a directory" if Path(str(value)).is_dir() else "a YAML file"
        _fail(f"{value} is {what}, but this command takes it as {taken_as}; the configuration is given as"
              f" -c/--config\n  hint: {_config_hint(value)}")


def _require_in_state(address: str, records: Any) -> None:
    """Fail (exit 1) unless ``address`` is one of ``records`` (the state's addresses): the message
    has the closest address and lists those that exist."""
    from reconciler.config.diagnostics import not_found

    if address not in records:
        _fail(f"{address} is not in the state" + not_found(address, records, label="in the state"))


def _backend_of(config: Path) -> tuple[str | None, str | None, Path]:
    """(backend URL, workspace, config root) for the state commands: ``RECONCILER_BACKEND`` /
    ``RECONCILER_WORKSPACE``, else the configuration's ``backend:`` block (the configuration is loaded
    only when the environment names no backend and there is YAML), else the local SQLite default."""
    from reconciler.config.diagnostics import ConfigError
    from reconciler.engine import BACKEND_ENV, WORKSPACE_ENV

    root = config if config.is_dir() else config.parent
    url, workspace = os.environ.get(BACKEND_ENV) or None, os.environ.get(WORKSPACE_ENV) or None
    if url is None and _yaml_files(config, False):  # no YAML: no backend block, the local default
        try:
            ws = _workspace(config)
        except ConfigError:
            if not (root / ".reconciler" / "state.db").exists():
                raise
        else:
            url, workspace = ws.backend_url, workspace or ws.workspace_name
    return url, workspace, root


@contextlib.contextmanager
def _opened_state(config: Path, **kw: bool) -> Iterator[Any]:
    """``with _opened_state(config) as st:`` :func:`_open_state`, closed when the block ends."""
    st = _open_state(config, **kw)
    try:
        yield st
    finally:
        st.close()


def _open_state(config: Path, *, create: bool = False, need_key: bool = False) -> Any:
    """The state of the configuration at ``config`` (see ``_backend_of``). A missing local SQLite
    state is an error unless ``create``."""
    from reconciler.engine import is_postgres, local_state_path, open_state

    url, workspace, root = _backend_of(config)
    if not is_postgres(url) and not create and not url:
        db = local_state_path(root)
        if not db.exists():
            _fail(f"no state at {db}: nothing has been applied from {root} yet")
    return open_state(url, root=root, workspace=workspace, environ=os.environ, need_key=need_key)


STATE_CONFIG_OPT: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "-c", "--config", type=click.Path(exists=True, path_type=Path), default=".", help="Configuration root."
)
"""``-c/--config DIR``: the configuration whose state the ``state`` and ``show`` commands read."""


@main.group()
def state() -> None:
    """Inspect and move the state: what this tool manages.

    The state lives in SQLite under CONFIG/.reconciler/ by default; RECONCILER_BACKEND=postgresql://...
    (or a `backend:` block in the configuration) shares it through PostgreSQL.
    """


@state.command("list")
@STATE_CONFIG_OPT
@_errors
def state_list(config: Path) -> None:
    """List the addresses in the state."""
    with _opened_state(config) as st:
        for addr in st.records():
            click.echo(addr)


@state.command("show")
@click.argument("address")
@STATE_CONFIG_OPT
@_errors
def state_show(address: str, config: Path) -> None:
    """Show one resource of the state (secrets are never stored: only which ones are tracked)."""
    from reconciler.render.state import state_record

    _not_a_configuration(address, "ADDRESS (a resource address)", config)
    with _opened_state(config) as st:
        records = st.records()
        _require_in_state(address, records)
        click.echo(state_record(records[address]))


@state.command("unlock")
@click.argument("lock_id")
@STATE_CONFIG_OPT
@_errors
def state_unlock(lock_id: str, config: Path) -> None:
    """Remove the lock a dead run left behind (LOCK_ID is in the lock error message).

    With the PostgreSQL backend this is rarely needed: the lock is held by the holder's database
    session, so when a run crashes (kill -9, a lost CI runner) PostgreSQL ends that session and the
    lock is released by the server, with no manual unlock. `state unlock` then ends the session of
    a holder that hangs. With the local SQLite state the lock is a row and stays until unlocked.
    """
    _not_a_configuration(lock_id, "LOCK_ID (from the lock error message)", config)
    with _opened_state(config) as st:
        if not st.force_unlock(lock_id):
            info = st.lock_info()
            _fail(
                f"no lock with id {lock_id}"
                + (f"; the state is locked by {info.describe()}" if info else "; the state is not locked")
            )
        click.echo("The state is unlocked.")


@state.command("mv")
@click.argument("source")
@click.argument("destination")
@STATE_CONFIG_OPT
@_errors
def state_mv(source: str, destination: str, config: Path) -> None:
    """Move the state record of SOURCE to DESTINATION (a renamed YAML key); no service is called.

    Plans find most renames themselves (same natural key) and a `moved:` block records one in the
    configuration; this is the manual way.
    """
    from reconciler.engine import move_address

    _not_a_configuration(source, "SOURCE (a resource address)", config)
    with _opened_state(config) as st:
        with st.locked("state mv", 0.0):
            _require_in_state(source, st.records())
            move_address(st, source, destination)
        click.echo(f"Moved {source} to {destination}.")


@state.command("rm")
@click.argument("address")
@STATE_CONFIG_OPT
@_errors
def state_rm(address: str, config: Path) -> None:
    """Forget ADDRESS: remove its state record without deleting the object (it is left in place)."""
    from reconciler.engine import forget_address

    _not_a_configuration(address, "ADDRESS (a resource address)", config)
    with _opened_state(config) as st:
        with st.locked("state rm", 0.0):
            _require_in_state(address, st.records())
            forget_address(st, address)
        click.echo(f"Removed {address} from the state; the object itself is left in place.")


@state.command("pull")
@STATE_CONFIG_OPT
@_errors
def state_pull(config: Path) -> None:
    """Print the whole state as JSON (lineage, serial, records). Secrets are never in it: only their
    keyed hashes, which cannot be checked without the team's key."""
    with _opened_state(config) as st:
        click.echo(json.dumps(st.pull(), indent=2, sort_keys=True))


def _snapshot_of(doc: Any) -> Any:
    """The ``Snapshot`` of a pushed document, every record and intent checked (address form, a known
    kind equal to the address's prefix, field types) before anything is written; exits 1 with the
    first problem (entry index, address, field, how to fix) otherwise."""
    from reconciler.engine.state import snapshot_from_pull
    from reconciler.kinds import REGISTRY

    try:
        return snapshot_from_pull(doc, kinds=REGISTRY)  # records and pending create intents
    except ValueError as exc:  # snapshot_from_pull says what is wrong, and raises nothing else
        _fail(f"not a state made by `reconciler state pull`: {exc}")


def _check_replace(dest: Any, new: Any, force: bool, what: str) -> None:
    """Refuse to overwrite ``dest`` with ``new`` (Snapshots) on a lineage mismatch or an older serial."""
    current = dest.snapshot()
    if force or (not current.records and current.serial == 0):
        return
    if current.lineage != new.lineage:
        _fail(f"{what}: the state {dest.display} has another lineage ({current.lineage}, this one is"
              f" {new.lineage}); pass --force to overwrite it")
    if new.serial < current.serial:
        _fail(f"{what}: the state {dest.display} is newer (serial {current.serial} > {new.serial});"
              " pass --force to overwrite it")


@state.command("push")
@click.argument("file", type=click.File("r"))
@STATE_CONFIG_OPT
@click.option("--force", is_flag=True, help="Overwrite even on a lineage mismatch or an older serial.")
@LOCK_OPTS
@_errors
def state_push(file: Any, config: Path, force: bool, lock: bool, lock_timeout: float) -> None:
    """Replace the state with FILE (JSON from `state pull`; - for stdin).

    Refused when FILE has another lineage or an older serial than the state, unless --force. The
    serial becomes one more than the state's, so plans saved before the push are stale.
    """
    from dataclasses import replace as dc_replace

    try:
        doc = json.load(file)
    except json.JSONDecodeError as exc:
        _fail(f"{file.name} is not JSON: {exc}")
    new = _snapshot_of(doc)
    with _opened_state(config, create=True) as st:
        with _state_lock(_Holder(st), "state push", lock, lock_timeout):
            _check_replace(st, new, force, "push refused")
            st.replace_all(dc_replace(new, serial=max(new.serial, st.serial + 1)))
        click.echo(f"Pushed {len(new.records)} resource(s) to {st.display} (lineage {new.lineage}).")


class _Holder:
    """Adapts a bare state to ``_state_lock`` (which takes something with ``.state``)."""

    def __init__(self, state: Any) -> None:
        self.state = state


@state.command("migrate")
@click.option("--to", "to", required=True, metavar="BACKEND_URL", help="Where to: postgresql://user@host:port/db.")
@click.option("--to-workspace", default=None, help="The workspace (state name) there (default: default).")
@STATE_CONFIG_OPT
@click.option("--force", is_flag=True, help="Overwrite a destination that holds another state.")
@LOCK_OPTS
@_errors
def state_migrate(
    to: str, to_workspace: str | None, config: Path, force: bool, lock: bool, lock_timeout: float
) -> None:
    """Copy the state (by default the local SQLite one) to BACKEND_URL, keeping lineage and serial.

    Both states are locked while copying. Then point the team at it (RECONCILER_BACKEND or a
    `backend:` block) and share the secret-hash key the hashes were made with: for a local state,
    CONFIG/.reconciler/secret.key (RECONCILER_SECRET_KEY_FILE=that file, or its contents in
    RECONCILER_SECRET_KEY).
    """
    from reconciler.engine import open_state

    src = _open_state(config)
    try:
        dest = open_state(to, root=config if config.is_dir() else config.parent, workspace=to_workspace,
                          environ={}, need_key=False)
        try:
            with _state_lock(_Holder(src), "state migrate", lock, lock_timeout), \
                    _state_lock(_Holder(dest), "state migrate", lock, lock_timeout):
                snap = src.snapshot()
                _check_replace(dest, snap, force, "migrate refused")
                dest.replace_all(snap)
            click.echo(f"Migrated {len(snap.records)} resource(s) from {src.display} to {dest.display}"
                       f" (lineage {snap.lineage}, serial {snap.serial}).")
        finally:
            dest.close()
    finally:
        src.close()


@main.group()
def sandbox() -> None:
    """The embedded sandbox: local emulators of AEM author, IMS, the Developer Console, the User
    Management API and Workfront."""


def _sandbox_db(path: Path | None) -> Path:
    return path or Path(".reconciler") / "sandbox.db"


class _ServeCommand(_Command):
    """``sandbox serve``: one ``--<service>-port`` option per service of the sandbox registry.

    The options are added on first use (help or a run), so that importing the CLI does not import
    the sandbox; a service added to ``reconciler.sandbox.registry`` gets its option with no change here.
    """

    _ports_added = False

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not self._ports_added:
            from reconciler.sandbox import REGISTRY

            self._ports_added = True

            for service in REGISTRY.values():
                self.params.append(click.Option(
                    [f"--{service.name}-port", f"port_{service.name}"], type=click.IntRange(0, 65535),
                    default=service.port, show_default=True, help=f"Port of the {service.description} emulator.",
                ))
        return super().get_params(ctx)


@sandbox.command("serve", cls=_ServeCommand)
@click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), help="World database (default .reconciler/sandbox.db)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--hardened/--not-hardened",
    default=None,
    help="Serve AEM as a hardened author (WebDAV bundle stopped: HTTP DELETE/PUT answer 405), or not;"
    " kept in the world. Default: leave the world's setting (off in a new world).",
)
@_errors
def sandbox_serve(db: Path | None, host: str, hardened: bool | None, **port_options: int) -> None:
    """Serve the sandbox on real ports (AEM on 4502 like a real author) until interrupted."""
    from reconciler.sandbox import REGISTRY, aem_hardened, serve, set_aem_hardened

    path = _sandbox_db(db)
    ports = {name: port_options[f"port_{name}"] for name in REGISTRY}
    _check_ports_free(host, ports)
    if hardened is not None:
        set_aem_hardened(path, hardened)
    if aem_hardened(path):
        click.echo("AEM author is hardened: HTTP DELETE and PUT answer 405.")
    urls = ", ".join(
        f"{s.description} http://{host}:{ports[s.name]}{s.base_path}" + (f" ({s.hint})" if s.hint else "")
        for s in REGISTRY.values()
    )
    click.echo(f"Sandbox world {path}: {urls}. Ctrl-C stops.")
    try:
        serve(path, host=host, ports=ports)
    except KeyboardInterrupt:
        click.echo("Sandbox stopped.")


def _check_ports_free(host: str, ports: dict[str, int]) -> None:
    """Fail (one line naming the port and its option) when a port of ``ports`` (service -> port;
    0 = any) cannot be bound on ``host``, before anything is printed or served."""
    import socket

    for name, port in ports.items():
        if not port:
            continue
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                _fail(f"port {port} on {host} ({name}) is not free: {exc.strerror}; is another `reconciler"
                      f" sandbox serve` running? Stop it, or choose another port with --{name}-port")


@sandbox.command("info")
@click.option("-json", "--json", "as_json", is_flag=True, help="Print JSON.")
def sandbox_info(as_json: bool) -> None:
    """Print the seeded sandbox world: client ID and secret, orgs, users and groups, AEM users,
    Workfront projects, and the services with their ports."""
    from reconciler.render.world import sandbox_info_text
    from reconciler.sandbox import REGISTRY, seed_summary

    services = [
        {"name": s.name, "port": s.port, "description": s.description, "base_path": s.base_path, "hint": s.hint}
        for s in REGISTRY.values()
    ]
    seed = seed_summary()
    if as_json:
        click.echo(json.dumps({**seed, "services": services}, indent=2, sort_keys=True))
        return
    click.echo(sandbox_info_text(seed, services))


@sandbox.command("reset")
@click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), help="World database (default .reconciler/sandbox.db)."
)
@click.option("--faults-only", is_flag=True, help="Only clear injected faults; keep the world.")
@_errors
def sandbox_reset(db: Path | None, faults_only: bool) -> None:
    """Reset the sandbox world to its seed (or only clear its faults)."""
    from reconciler.sandbox import clear_faults, reset_world

    path = _sandbox_db(db)
    if faults_only:
        clear_faults(path)
        click.echo(f"Cleared the faults of {path}.")
    else:
        reset_world(path)
        click.echo(f"Reset the sandbox world {path} to its seed.")


main.add_command(export_command)

if __name__ == "__main__":  # pragma: no cover
    # ``python -m reconciler.cli``: run the module proper, where every command is registered
    # (registering here would import cli_import, which imports reconciler.cli a second time)
    from reconciler.cli import main as _registered_main

    _registered_main()
else:
    from reconciler.cli_import import import_command  # uses the helpers above

    main.add_command(import_command)
