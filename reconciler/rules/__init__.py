"""Cross-resource validation rules, run after loading and before any network call.

A rule is a function ``(LoadedConfig) -> list[Diagnostic]``; register it in ``RULES``. Rules that
come from a table in the seeds read it from ``schemas/`` (data-driven). Diagnostics must point at a
place (``decl.loc`` or ``decl.field_locs[...]``) and say what to do; errors stop the run before
``plan`` contacts any service.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import LoadedConfig

Rule = Callable[[LoadedConfig], list[Diagnostic]]

RULES: list[Rule] = []


def _register_assets_rules() -> None:
    from reconciler.rules import assets

    RULES.extend(assets.RULES)


_register_assets_rules()


def _register() -> None:
    from . import workfront  # the Workfront feature matrix rules (seed 002)

    RULES.extend(workfront.RULES)


_register()


def check(loaded: LoadedConfig) -> list[Diagnostic]:
    """Run every registered rule; returns all diagnostics (errors and warnings) in rule order."""
    out: list[Diagnostic] = []
    for rule in RULES:
        out.extend(rule(loaded))
    return out
