"""Shared machinery of the resource kinds.

A kind is a ``KindDef``: its section name, its pydantic spec model (what users write), the
attributes others may reference (``outputs``), its *links* (values a provider needs from the
resources it names, such as the Console org id behind ``org: acme``, injected as ordinary
``${kind.name.attr}`` references so that the engine resolves them, including "known after apply"),
and a factory for its ``Provider``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from reconciler.config.refs import is_unresolved
from reconciler.engine import Provider, RefreshItem, SpecError

from .context import ProviderContext

M = TypeVar("M", bound=BaseModel)
LINKS_KEY = "__links__"


class Spec(BaseModel):
    """Base of every kind's spec: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass
class Parsed(Generic[M]):
    """A parsed spec plus the linked values injected from the resources it names."""

    model: M
    links: dict[str, Any] = field(default_factory=dict)

    def link(self, name: str) -> Any:
        """A linked value; unresolved values come back as the literal ``${...}`` string."""
        return self.links.get(name)

    def known(self, *names: str) -> bool:
        """True when every named link is resolved."""
        return all(n in self.links and not is_unresolved(self.links[n]) for n in names)


@dataclass(frozen=True)
class Link:
    """``links[name] = ${<kind>.<value of field>.<attr>}`` when the spec sets ``field``."""

    field: str
    kind: str
    attr: str


@dataclass
class KindDef:
    """A resource kind as the loader, the schema generator and the CLI see it."""

    name: str
    model: type[BaseModel]
    outputs: frozenset[str]
    provider: Callable[[ProviderContext], Provider]
    links: Mapping[str, Link] = field(default_factory=dict)
    description: str = ""

    def inject_links(self, data: dict[str, Any]) -> dict[str, Any]:
        """Copy of ``data`` with the kind's links added as references (see ``Link``)."""
        links = {}
        for name, link in self.links.items():
            value = data.get(link.field)
            if isinstance(value, str) and value:
                links[name] = "${" + f"{link.kind}.{value}.{link.attr}" + "}"
        out = dict(data)
        if links:
            out[LINKS_KEY] = links
        return out


def parse_model(model: type[M], address: str, data: Mapping[str, Any]) -> Parsed[M]:
    """Validate ``data`` (links split off) into ``model``. Raises SpecError with one line per error,
    never echoing an input value (it may be a secret)."""
    payload = dict(data)
    links = payload.pop(LINKS_KEY, {}) or {}
    try:
        return Parsed(model.model_validate(payload), dict(links))
    except ValidationError as exc:
        msgs = []
        for err in exc.errors(include_input=False):
            where = ".".join(str(p) for p in err["loc"]) or "(spec)"
            msgs.append(f"{where}: {err['msg']}")
        raise SpecError(msgs) from None


def unresolved(value: Any) -> bool:
    return is_unresolved(value)


def resource_name(address: str) -> str:
    """The name part of an address (``cloud_configs.assets-sync`` -> ``assets-sync``)."""
    return address.split(".", 1)[1]


def parse_named(model: type[M], address: str, data: Mapping[str, Any]) -> Parsed[M]:
    """``parse_model`` for specs whose optional ``name`` (a node or project name) defaults to the
    resource name."""
    parsed = parse_model(model, address, data)
    if getattr(parsed.model, "name", None) is None:
        parsed.model.name = resource_name(address)  # type: ignore[attr-defined]
    return parsed


def by_links(
    items: list[RefreshItem], names: tuple[str, ...]
) -> tuple[dict[tuple[str, ...], list[RefreshItem]], list[str]]:
    """Refresh items grouped by the values of ``names``: the state record's outputs (objects read by
    remote id) or else the spec's links. Returns ``(groups, pending)``: ``pending`` lists the
    addresses whose links are still unknown (their producer is being created: nothing to observe)."""
    groups: dict[tuple[str, ...], list[RefreshItem]] = {}
    pending: list[str] = []
    for item in items:
        if item.record is not None:
            key = tuple(str(item.record.outputs[n]) for n in names)
        else:
            assert item.spec is not None
            if not item.spec.known(*names):
                pending.append(item.address)
                continue
            key = tuple(str(item.spec.link(n)) for n in names)
        groups.setdefault(key, []).append(item)
    return groups, pending


def by_connection(items: list[RefreshItem]) -> dict[str, list[RefreshItem]]:
    """Refresh items grouped by connection name: the state record's (objects read by remote id)
    or else the spec's ``connection`` field, so each connection is listed once."""
    groups: dict[str, list[RefreshItem]] = {}
    for item in items:
        if item.record is not None:
            conn = item.record.outputs["connection"]
        else:
            assert item.spec is not None
            conn = item.spec.model.connection
        groups.setdefault(conn, []).append(item)
    return groups
