"""Attribute diff: normalise, compare cheaply, explain with deepdiff only what differs.

Only attributes the desired side sets are compared ("managed fields", as in Kubernetes server-side
apply): server-added attributes never show up as changes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Mapping
from typing import Any

from .model import UNKNOWN, FieldChange, Observed

#: types ``normalise`` returns unchanged and compares with ``==`` (exact types: no subclasses)
_SCALARS = frozenset({str, int, float, bool, type(None)})


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


def same_value(a: Any, b: Any) -> bool:
    """``normalise(a) == normalise(b)``, without normalising two equal scalars."""
    if type(a) in _SCALARS and type(b) in _SCALARS:
        return bool(a == b)
    return bool(normalise(a) == normalise(b))


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
        want, have = desired[key], observed.get(key)
        if type(want) in _SCALARS and type(have) in _SCALARS and key not in unknown and want == have:
            continue  # the common case: equal scalars (normalise keeps scalars as they are)
        want, have = normalise(want), normalise(have)
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


def _pretty_path(path: str) -> str:
    """deepdiff's ``root['a'][0]`` as ``a[0]`` (``root`` alone as ``value``)."""
    out = re.sub(r"\['([^']*)'\]", r".\1", path.removeprefix("root")).lstrip(".")
    return out or "value"


def _explain(before: Any, after: Any) -> str:
    """A short sentence for a reviewer: list items added/removed by value, keys by name, other
    changes by their path (``members[1].role``)."""
    from deepdiff import DeepDiff  # imported when a change needs explaining (30 ms at start-up otherwise)

    if isinstance(before, list) and isinstance(after, list):
        listed = _list_by_value(before, after)
        if listed is not None:
            return listed
    dd = DeepDiff(before, after, ignore_order=False, verbose_level=1)
    parts = []
    for kind, label, by_value in (
        ("iterable_item_added", "added", True),
        ("iterable_item_removed", "removed", True),
        ("dictionary_item_added", "added", False),
        ("dictionary_item_removed", "removed", False),
        ("values_changed", "changed", False),
        ("type_changes", "type changed", False),
    ):
        items = dd.get(kind)
        if not items:
            continue
        if by_value:
            shown = [json.dumps(v, default=str) for v in items.values()]
        else:
            shown = [_pretty_path(str(p)) for p in items]
        parts.append(f"{label}: {', '.join(sorted(shown))}")
    return "; ".join(parts)


def _list_by_value(before: list[Any], after: list[Any]) -> str | None:
    """"added: ..." or "removed: ..." by value when items were only added to, or only removed from,
    a list (the others keep their order), as a reviewer reads a member list; None when items were
    reordered or replaced (a role changed in place: the positional explanation says more then)."""
    def key(v: Any) -> str:
        return json.dumps(v, sort_keys=True, default=str)

    b, a = [key(v) for v in before], [key(v) for v in after]
    gone, new = Counter(b) - Counter(a), Counter(a) - Counter(b)
    if gone and new:  # items replaced (a role changed in place): said by position
        return None
    kept_b, kept_a = _without(b, gone), _without(a, new)
    if kept_b != kept_a:
        return None
    added = sorted(_taken(after, a, new))
    removed = sorted(_taken(before, b, gone))
    return f"added: {', '.join(added)}" if added else f"removed: {', '.join(removed)}" if removed else ""


def _taken(values: list[Any], keys: list[str], counts: Counter[str]) -> list[str]:
    """The JSON of as many of ``values`` (``keys``: their comparison keys) as ``counts`` says per
    key, the first ones: the items added or removed, duplicates counted once each."""
    left = Counter(counts)
    out = []
    for value, k in zip(values, keys, strict=True):
        if left[k] > 0:
            left[k] -= 1
            out.append(json.dumps(value, default=str))
    return out


def _without(keys: list[str], drop: Counter[str]) -> list[str]:
    """``keys`` less ``drop``'s counts of each key (the first occurrences)."""
    left = Counter(drop)
    out = []
    for k in keys:
        if left[k] > 0:
            left[k] -= 1
        else:
            out.append(k)
    return out


def observed_attributes(want: Mapping[str, Any], obs: Observed) -> dict[str, Any]:
    """The managed attributes (the keys of ``want``) as ``obs`` reports them; a key the service did
    not report keeps its desired value."""
    return {k: obs.attributes.get(k, v) for k, v in want.items()}
