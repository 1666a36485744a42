"""Progress on a terminal: "Refreshing N resources..." per kind while planning, "Still creating...
[10s elapsed]" heartbeats for long actions, and a final timing line.

Off a terminal (CI logs, pipes) a ``Progress`` is disabled and prints nothing: the output stays the
plan and one line per apply event. Lines go to stderr, so ``plan -json`` on stdout stays clean.
Plain ``click.echo`` lines (no cursor movement, no live display): they read the same in a
terminal's scrollback, which is why no progress library is used.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Mapping
from typing import Any

import click

from reconciler.engine import Action, ApplyEvent

HEARTBEAT_ENV = "RECONCILER_HEARTBEAT_S"
"""Environment variable: seconds between "Still ..." heartbeats (default 10)."""

_STILL = {
    Action.CREATE: "Still creating...",
    Action.UPDATE: "Still modifying...",
    Action.REPLACE: "Still replacing...",
    Action.DELETE: "Still destroying...",
    Action.ADOPT: "Still adopting...",
    Action.READ: "Still reading...",
    Action.FORGET: "Still forgetting...",
}


class _Refreshing:
    """A provider that announces each bulk refresh, then delegates everything to ``inner``."""

    def __init__(self, kind: str, inner: Any, progress: Progress) -> None:
        self._kind, self._inner, self._progress = kind, inner, progress

    async def refresh(self, items: Any) -> Any:
        n = len(items)
        self._progress.line(f"{self._kind}: Refreshing {n} resource{'s' if n != 1 else ''}...")
        return await self._inner.refresh(items)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Progress:
    """Terminal progress for one command. ``enabled``: default whether stderr is a terminal;
    ``heartbeat_s``: seconds between heartbeats (default ``RECONCILER_HEARTBEAT_S`` or 10)."""

    def __init__(self, *, enabled: bool | None = None, heartbeat_s: float | None = None) -> None:
        self.enabled = bool(sys.stderr.isatty()) if enabled is None else enabled
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else float(os.environ.get(HEARTBEAT_ENV) or 10)
        self.started = time.monotonic()
        self._running: dict[str, tuple[Action, float]] = {}

    def line(self, text: str) -> None:
        """Print one progress line on stderr when enabled."""
        if self.enabled:
            click.echo(text, err=True)

    def providers(self, providers: Mapping[str, Any]) -> Mapping[str, Any]:
        """``providers`` (kind -> Provider) whose bulk refreshes announce themselves; as is when disabled."""
        if not self.enabled:
            return providers
        return {kind: _Refreshing(kind, p, self) for kind, p in providers.items()}

    def event(self, e: ApplyEvent) -> None:
        """Track an apply event: an action runs from its ``start`` until ``done``/``failed``/``skipped``."""
        if e.phase == "start":
            self._running[e.address] = (e.action, time.monotonic())
        elif e.phase in ("done", "failed", "skipped"):
            self._running.pop(e.address, None)

    async def heartbeats(self) -> None:
        """Until cancelled: every ``heartbeat_s``, one "ADDR: Still creating... [10s elapsed]" line per
        action still running. Returns at once when disabled."""
        if not self.enabled:
            return
        while True:
            await asyncio.sleep(self.heartbeat_s)
            now = time.monotonic()
            for addr, (action, since) in sorted(self._running.items()):
                took = now - since
                shown = f"{took:.0f}s" if took >= 10 else f"{took:.1f}s"
                self.line(f"{addr}: {_STILL.get(action, 'Still working...')} [{shown} elapsed]")

    def finished(self, what: str) -> None:
        """The final timing line, e.g. ``Apply finished in 3.2s.``"""
        self.line(f"{what} finished in {time.monotonic() - self.started:.1f}s.")
