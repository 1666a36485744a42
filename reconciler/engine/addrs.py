"""Resource addresses: ``<kind>.<name>`` (``folders.mc-demo``) as a value type.

The engine keys everything by the address string (state, graph, plan); ``Address`` is how code
takes one apart or builds one, instead of splitting strings by hand. Ordering is by kind, then name.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.refs import KIND_RE, NAME_RE


@dataclass(frozen=True, order=True)
class Address:
    """A resource address. ``kind``: the section name (``folders``); ``name``: the resource's name
    in that section (``mc-demo``). ``str(addr)`` is ``kind.name``."""

    kind: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Address:
        """``"folders.mc-demo"`` -> ``Address("folders", "mc-demo")``. Raises ValueError when
        ``text`` is not ``<kind>.<name>`` (kind ``[a-z][a-z0-9_]*``, name ``[A-Za-z0-9][A-Za-z0-9_-]*``)."""
        kind, sep, name = text.partition(".")
        if not sep or not KIND_RE.fullmatch(kind) or not NAME_RE.fullmatch(name):
            raise ValueError(f"not a resource address (<kind>.<name>): {text!r}")
        return cls(kind, name)

    def __str__(self) -> str:
        return f"{self.kind}.{self.name}"
