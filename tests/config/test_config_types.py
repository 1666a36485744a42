"""The loader's pruned walk (``flagged_strings``) against its definition: every leaf checked by type."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from reconciler.config._entry import leaves
from reconciler.config._types import (
    child_type,
    flagged_strings,
    is_bool,
    is_secret,
    model_fields_by_key,
    models_in,
    type_at,
)
from reconciler.config.connections import CONNECTION_MODELS
from reconciler.kinds import REGISTRY

MODELS: list[type[BaseModel]] = [k.model for k in REGISTRY.values()] + list(CONNECTION_MODELS.values())
SCALARS = st.one_of(st.text(max_size=4), st.booleans(), st.integers(), st.none(), st.just("yes"), st.just("${env:X}"))


def _brute(data: Any, model: type[BaseModel]) -> list[tuple[Any, str, Any]]:
    """The definition: every string leaf whose ``type_at`` is a secret or a bool."""
    out = []
    for path, value in leaves(data):
        tp = type_at(model, path)
        if isinstance(value, str) and (is_secret(tp) or is_bool(tp)):
            out.append((path, value, tp))
    return out


def _keys_of(tp: Any) -> list[str]:
    names: list[str] = []
    for m in models_in(tp):
        names.extend(model_fields_by_key(m))
    return names or ["x", "0"]


@st.composite
def shaped(draw: st.DrawFn, tp: Any, depth: int = 0) -> Any:
    """Data loosely shaped like ``tp``: its own keys most of the time, and junk (wrong containers,
    unknown keys, scalars where mappings belong) the rest."""
    choice = draw(st.integers(0, 9))
    if depth > 3 or choice == 0:
        return draw(SCALARS)
    if choice <= 6:
        keys = draw(st.lists(st.sampled_from([*_keys_of(tp), "unknown"]), max_size=6, unique=True))
        return {k: draw(shaped(child_type(tp, k), depth + 1)) for k in keys}
    items = draw(st.integers(0, 3))
    return [draw(shaped(child_type(tp, i), depth + 1)) for i in range(items)]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_flagged_strings_answers_what_checking_every_leaf_answers(data: st.DataObject) -> None:
    model = data.draw(st.sampled_from(MODELS))
    value = data.draw(shaped(model))
    assert flagged_strings(value, model) == _brute(value, model)


def test_flagged_strings_finds_the_secret_and_the_bool_of_real_models() -> None:
    secrets = [m for m in MODELS if any(is_secret(tp) for _, _, tp in flagged_strings(_all_strings(m), m))]
    bools = [m for m in MODELS if any(is_bool(tp) for _, _, tp in flagged_strings(_all_strings(m), m))]
    assert secrets and bools  # the walk is not pruned to nothing: some kinds have both


def _all_strings(model: type[BaseModel]) -> dict[str, Any]:
    return {k: "s" for k in model_fields_by_key(model)}
