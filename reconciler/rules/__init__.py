"""Cross-resource validation rules, run after loading and before any network call.

A rule is a function ``(LoadedConfig) -> list[Diagnostic]``; register it in ``RULES``. Modules:
:mod:`.identity` (two declarations of one object), :mod:`.scopes` (application scopes),
:mod:`.agents` (``created_by`` agent names), :mod:`.references` (a reference's attribute fits its
field), :mod:`.cycles` (dependency cycles with each edge's place), :mod:`.inplace` (what cannot change in
place: fields never applied, and replacing or moving changes against the local state, read-only),
:mod:`.assets` (seeds 000/001),
:mod:`.workfront` (seed 002); :mod:`.environments` groups connections to one AEM. Rules that
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
    from reconciler.rules import agents, assets, cycles, identity, inplace, references, scopes

    # what is knowable offline (issue 10 items 5 and 6): natural keys, scopes, agent names, reference
    # meanings, dependency cycles, what cannot change in place; then the seed 000/001 rules
    for module in (identity, scopes, agents, references, cycles, inplace, assets):
        RULES.extend(module.RULES)


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
