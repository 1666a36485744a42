"""Walking pydantic models by type (internal): field types at a data path, secrets, RefTo fields."""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

from reconciler.refs import RefTo

Path_ = tuple[str | int, ...]

_SEQ_ORIGINS = (list, set, frozenset, tuple, Sequence)
_MAP_ORIGINS = (dict, Mapping)


def field_type(fi: FieldInfo) -> Any:
    """The field's annotation with its metadata re-attached as ``Annotated``."""
    if fi.metadata:
        return Annotated[(fi.annotation, *fi.metadata)]
    return fi.annotation


def split_annotated(tp: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, m1, m2]`` -> ``(T, [m1, m2])`` (flattening nested ``Annotated``)."""
    metadata: list[Any] = []
    while get_origin(tp) is Annotated:
        args = get_args(tp)
        tp = args[0]
        metadata.extend(args[1:])
    return tp, metadata


def is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def model_fields_by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The model's fields keyed as they appear in input data (alias if any)."""
    return {(fi.alias or name): fi for name, fi in model.model_fields.items()}


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


def type_at(tp: Any, path: Path_) -> Any:
    """The type at ``path`` below ``tp`` (see :func:`child_type`)."""
    for key in path:
        tp = child_type(tp, key)
        if tp is None:
            return None
    return tp


def models_in(tp: Any) -> list[type[BaseModel]]:
    """The pydantic models ``tp`` may be (through ``Annotated``/unions)."""
    tp, _ = split_annotated(tp)
    if is_union(tp):
        out: list[type[BaseModel]] = []
        for arg in get_args(tp):
            out.extend(models_in(arg))
        return out
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return []


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
    _walk(value, tp, path, out)
    seen: set[tuple[Path_, str]] = set()
    unique = []
    for item in out:
        key = (item[0], item[1].kind)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _walk(value: Any, tp: Any, path: Path_, out: list[tuple[Path_, RefTo, str]]) -> None:
    if value is None:
        return
    base, metadata = split_annotated(tp)
    ref = next((m for m in metadata if isinstance(m, RefTo)), None)
    if ref is not None:
        if isinstance(value, str):
            out.append((path, ref, value))
            return
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    out.append(((*path, i), ref, item))
            return
    if is_union(base):
        for arg in get_args(base):
            if arg is not type(None):
                _walk(value, arg, path, out)
        return
    if isinstance(base, type) and issubclass(base, BaseModel):
        if isinstance(value, base):
            for name, fi in type(value).model_fields.items():
                _walk(getattr(value, name, None), field_type(fi), (*path, fi.alias or name), out)
        elif isinstance(value, dict):
            for key, fi in model_fields_by_key(base).items():
                if key in value:
                    _walk(value[key], field_type(fi), (*path, key), out)
        return
    origin = get_origin(base)
    args = get_args(base)
    if origin in _SEQ_ORIGINS and isinstance(value, list | tuple) and args:
        for i, item in enumerate(value):
            item_tp = child_type(base, i)
            if item_tp is not None:
                _walk(item, item_tp, (*path, i), out)
    elif origin in _MAP_ORIGINS and isinstance(value, dict) and len(args) == 2:
        for key, item in value.items():
            _walk(item, args[1], (*path, str(key)), out)
