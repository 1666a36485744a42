"""Walking pydantic models by type (internal): field types at a data path, secrets, RefTo fields.

The questions asked per value (the type at a path, whether it is a secret or a bool, a model's
fields by key) depend only on the types, so their answers are memoised (:func:`_memo`): loading
asks them for every value of every resource, 10,000 resources ask the same few hundred.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

from reconciler.refs import RefTo

Path_ = tuple[str | int, ...]

_SEQ_ORIGINS = (list, set, frozenset, tuple, Sequence)
_MAP_ORIGINS = (dict, Mapping)

_F = TypeVar("_F", bound=Callable[..., Any])
#: entries per memoised function before its cache is emptied (paths with list indexes vary)
_MEMO_SIZE = 20_000


def _memo(fn: _F) -> _F:
    """Memoise a pure function of types (arguments that cannot be hashed are not cached)."""
    cache: dict[tuple[Any, ...], Any] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return cache[args]
        except KeyError:
            pass
        except TypeError:  # unhashable metadata somewhere in the type
            return fn(*args)
        if len(cache) >= _MEMO_SIZE:
            cache.clear()
        value = cache[args] = fn(*args)
        return value

    return wrapper  # type: ignore[return-value]


def field_type(fi: FieldInfo) -> Any:
    """The field's annotation with its metadata re-attached as ``Annotated``."""
    if fi.metadata:
        return Annotated[(fi.annotation, *fi.metadata)]
    return fi.annotation


@_memo
def split_annotated(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """``Annotated[T, m1, m2]`` -> ``(T, (m1, m2))`` (flattening nested ``Annotated``)."""
    metadata: list[Any] = []
    while get_origin(tp) is Annotated:
        args = get_args(tp)
        tp = args[0]
        metadata.extend(args[1:])
    return tp, tuple(metadata)


def is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


@_memo
def model_fields_by_key(model: type[BaseModel]) -> Mapping[str, FieldInfo]:
    """The model's fields keyed as they appear in input data (alias if any); read-only."""
    return types.MappingProxyType({(fi.alias or name): fi for name, fi in model.model_fields.items()})


@_memo
def child_type(tp: Any, key: str | int) -> Any:
    """The type of ``value[key]`` for a value of type ``tp``; ``None`` if unknown."""
    tp, _ = split_annotated(tp)
    if is_union(tp):
        for arg in get_args(tp):
            if arg is type(None):
                continue
            found = child_type(arg, key)
            if found is not None:
                return found
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        fi = model_fields_by_key(tp).get(str(key))
        return field_type(fi) if fi is not None else None
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in _SEQ_ORIGINS and isinstance(key, int) and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return args[key] if key < len(args) else None
        return args[0]
    if origin in _MAP_ORIGINS and len(args) == 2:
        return args[1]
    return None


@_memo
def type_at(tp: Any, path: Path_) -> Any:
    """The type at ``path`` below ``tp`` (see :func:`child_type`)."""
    for key in path:
        tp = child_type(tp, key)
        if tp is None:
            return None
    return tp


@_memo
def models_in(tp: Any) -> tuple[type[BaseModel], ...]:
    """The pydantic models ``tp`` may be (through ``Annotated``/unions)."""
    tp, _ = split_annotated(tp)
    if is_union(tp):
        out: list[type[BaseModel]] = []
        for arg in get_args(tp):
            out.extend(models_in(arg))
        return tuple(out)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return (tp,)
    return ()


@_memo
def is_secret(tp: Any) -> bool:
    """True if ``tp`` is (or may be) ``SecretStr``/``SecretBytes``, or a container of them."""
    tp, _ = split_annotated(tp)
    if is_union(tp):
        return any(is_secret(arg) for arg in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, (SecretStr, SecretBytes)):
        return True
    origin = get_origin(tp)
    if isinstance(origin, type) and origin.__name__ == "Secret":
        return True
    if origin in _SEQ_ORIGINS or origin in _MAP_ORIGINS:
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return bool(args) and is_secret(args[-1])
    return False


@_memo
def is_bool(tp: Any) -> bool:
    """True if ``tp`` is ``bool`` (possibly ``Optional``/``Annotated``)."""
    tp, _ = split_annotated(tp)
    if is_union(tp):
        args = [a for a in get_args(tp) if a is not type(None)]
        return bool(args) and all(is_bool(a) for a in args)
    return tp is bool


def find_typed_refs(value: Any, tp: Any, path: Path_ = ()) -> list[tuple[Path_, RefTo, str]]:
    """``(path, RefTo, name)`` for every string in ``value`` whose type is annotated ``RefTo``.

    ``value`` is a validated model instance (or plain data for a model type); fields of nested
    models, list items and dict values are followed. Results are unique by ``(path, kind)``.
    """
    out: list[tuple[Path_, RefTo, str]] = []
    _walk(value, _plan(tp), path, out)
    seen: set[tuple[Path_, str]] = set()
    unique = []
    for item in out:
        key = (item[0], item[1].kind)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


# A walk plan per type, built once: (RefTo or None, what the type is, what is below it).
_Plan = tuple[Any, str, Any]
_NONE_TYPE = type(None)


@_memo
def _plan(tp: Any) -> _Plan:
    """How :func:`_walk` goes through a value of type ``tp`` (models are planned lazily)."""
    base, metadata = split_annotated(tp)
    ref = next((m for m in metadata if isinstance(m, RefTo)), None)
    if is_union(base):
        return ref, "union", tuple(_plan(arg) for arg in get_args(base) if arg is not _NONE_TYPE)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return ref, "model", base
    origin = get_origin(base)
    args = get_args(base)
    if origin in _SEQ_ORIGINS and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return ref, "fixed", tuple(_plan(arg) for arg in args)
        return ref, "seq", _plan(args[0])
    if origin in _MAP_ORIGINS and len(args) == 2:
        return ref, "map", _plan(args[1])
    return ref, "leaf", None


@_memo
def _model_plan(model: type[BaseModel]) -> tuple[tuple[str, str, _Plan], ...]:
    """``(attribute name, input key, plan)`` of each field of ``model``."""
    return tuple((name, fi.alias or name, _plan(field_type(fi))) for name, fi in model.model_fields.items())


def _walk(value: Any, plan: _Plan, path: Path_, out: list[tuple[Path_, RefTo, str]]) -> None:
    if value is None:
        return
    ref, what, below = plan
    if ref is not None:
        if isinstance(value, str):
            out.append((path, ref, value))
            return
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    out.append(((*path, i), ref, item))
            return
    if what == "union":
        for member in below:
            _walk(value, member, path, out)
    elif what == "model":
        if isinstance(value, below):
            for name, key, sub in _model_plan(type(value)):
                _walk(getattr(value, name, None), sub, (*path, key), out)
        elif isinstance(value, dict):
            for _name, key, sub in _model_plan(below):
                if key in value:
                    _walk(value[key], sub, (*path, key), out)
    elif what == "seq" and isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, below, (*path, i), out)
    elif what == "fixed" and isinstance(value, list | tuple):
        for i, item in enumerate(value[: len(below)]):
            _walk(item, below[i], (*path, i), out)
    elif what == "map" and isinstance(value, dict):
        for key, item in value.items():
            _walk(item, below, (*path, str(key)), out)


# -- string leaves whose type is a secret or a bool (the loader's per-value checks) ------------
#: ``_below`` answer for types whose child type depends on the key (unions, fixed tuples)
_PER_KEY = object()
_FLAGGING: set[Any] = set()  # types whose may_flag is being computed (recursive models)


@_memo
def may_flag(tp: Any) -> bool:
    """True if a value of type ``tp`` may hold a string whose type is a secret or a bool."""
    if tp in _FLAGGING:
        return False  # a recursive model: its other fields answer
    _FLAGGING.add(tp)
    try:
        return is_secret(tp) or is_bool(tp) or _below(tp, False) is not None or _below(tp, True) is not None
    finally:
        _FLAGGING.discard(tp)


@_memo
def _below(tp: Any, in_list: bool) -> Any:
    """What :func:`child_type` answers below ``tp`` for the items of a dict (``in_list`` False) or
    list value, pruned to the children that :func:`may_flag`: a dict key -> type (a model's
    fields), one type for every item, ``_PER_KEY`` (ask ``child_type`` per key), or None (none)."""
    base, _ = split_annotated(tp)
    if is_union(base):
        return _PER_KEY
    if isinstance(base, type) and issubclass(base, BaseModel):
        if in_list:
            return None
        keys = {key: ft for key, fi in model_fields_by_key(base).items() if may_flag(ft := field_type(fi))}
        return keys or None
    origin, args = get_origin(base), get_args(base)
    child: Any = None
    if in_list and origin in _SEQ_ORIGINS and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return _PER_KEY
        child = args[0]
    elif origin in _MAP_ORIGINS and len(args) == 2:
        child = args[1]
    return child if child is not None and may_flag(child) else None


def flagged_strings(data: Any, tp: Any) -> list[tuple[Path_, str, Any]]:
    """``(path, value, type)`` for every string in ``data`` whose type (``type_at(tp, path)``) is a
    secret or a bool, depth first in order; subtrees whose type holds neither are not visited (the
    same answers as checking every leaf of ``data`` with ``type_at``, without walking them)."""
    out: list[tuple[Path_, str, Any]] = []
    _flag_walk(data, tp, (), out)
    return out


def _flag_walk(data: Any, tp: Any, path: Path_, out: list[tuple[Path_, str, Any]]) -> None:
    if isinstance(data, str):
        if is_secret(tp) or is_bool(tp):
            out.append((path, data, tp))
        return
    items: Any
    if isinstance(data, dict):
        below, items = _below(tp, False), data.items()
    elif isinstance(data, list):
        below, items = _below(tp, True), enumerate(data)
    else:
        return
    if below is None:
        return
    if isinstance(below, dict):
        for key, value in items:
            child = below.get(key if isinstance(key, str) else str(key))
            if child is not None:
                _flag_walk(value, child, (*path, key), out)
    elif below is _PER_KEY:
        for key, value in items:
            child = child_type(tp, key)
            if child is not None and may_flag(child):
                _flag_walk(value, child, (*path, key), out)
    else:
        for key, value in items:
            _flag_walk(value, below, (*path, key), out)
