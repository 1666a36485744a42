"""Attribute diff: normalise, compare cheaply, explain with deepdiff only what differs.

Only attributes the desired side sets are compared ("managed fields", as in Kubernetes server-side
apply): server-added attributes never show up as changes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from deepdiff import DeepDiff

from .model import UNKNOWN, FieldChange


def normalise(value: Any) -> Any:
    """Canonical form for comparison: tuples -> lists, sets -> sorted lists, str/int/bool kept.

    Lists keep their order (order matters for e.g. AEM multi-value properties); callers that
    want order-insensitive comparison put a set in ``desired``.
    """
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((normalise(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


def diff_attributes(
    desired: Mapping[str, Any],
    observed: Mapping[str, Any],
    *,
    replace_fields: Collection[str] = (),
    unknown: Collection[str] = (),
) -> list[FieldChange]:
    """Field-level changes needed to turn ``observed`` into ``desired``.

    ``desired``: managed attributes (only these keys are compared). ``observed``: what the service
    reports. ``unknown``: desired keys whose value is known only after apply: they are reported as a
    change to ``UNKNOWN``. Returns changes sorted by path.
    """
    out: list[FieldChange] = []
    for key in sorted(desired):
        want = normalise(desired[key])
        have = normalise(observed.get(key))
        force = key in replace_fields
        if key in unknown:
            out.append(FieldChange(key, have, UNKNOWN, forces_replacement=force))
            continue
        if want == have:
            continue
        explanation = ""
        if isinstance(want, dict | list) and isinstance(have, dict | list):
            explanation = _explain(have, want)
        out.append(FieldChange(key, have, want, forces_replacement=force, explanation=explanation))
    return out


def _explain(before: Any, after: Any) -> str:
    dd = DeepDiff(before, after, ignore_order=False, verbose_level=1)
    parts = []
    for kind, label in (
        ("values_changed", "changed"),
        ("iterable_item_added", "added"),
        ("iterable_item_removed", "removed"),
        ("dictionary_item_added", "added"),
        ("dictionary_item_removed", "removed"),
        ("type_changes", "type changed"),
    ):
        items = dd.get(kind)
        if items:
            parts.append(f"{label}: {', '.join(sorted(str(p) for p in items))}")
    return "; ".join(parts)
