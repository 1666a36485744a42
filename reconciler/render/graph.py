"""Dependency graphs as DOT (Graphviz) or Mermaid text.

Edges point from a resource to what it waits for (``a --> b``: a waits for b), as in the plan's
"waits for" lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def _mermaid_id(addr: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in addr)


def mermaid_ids(addrs: Iterable[str]) -> dict[str, str]:
    """A Mermaid node id per address, unique: ``n_`` + the address with every non-alphanumeric
    character as ``_``; addresses that would share an id (``folders.mc-demo``, ``folders.mc_demo``)
    get ``_2``, ``_3``... in sorted order after the first."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for addr in sorted(set(addrs)):
        base = candidate = _mermaid_id(addr)
        n = 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        ids[addr] = candidate
    return ids


# Mermaid classes for ``to_mermaid``'s ``classes``: destructive red, creates green, updates amber.
MERMAID_CLASSES = {
    "destroy": "fill:#ffd7d5,stroke:#cf222e,color:#82071e",
    "create": "fill:#dafbe1,stroke:#1a7f37,color:#044f1e",
    "update": "fill:#fff8c5,stroke:#9a6700,color:#4d2d00",
}


def to_mermaid(
    edges: Mapping[str, Iterable[str]],
    labels: Mapping[str, str] | None = None,
    classes: Mapping[str, str] | None = None,
) -> str:
    """``edges``: address -> addresses it depends on. ``labels``: optional suffix per address
    (e.g. the action symbol). ``classes``: optional class per address, one of ``MERMAID_CLASSES``
    (``destroy``, ``create``, ``update``), each defined once with ``classDef``. Returns a
    ``graph LR`` Mermaid diagram (no code fence); node ids are unique (``mermaid_ids``)."""
    labels = labels or {}
    classes = classes or {}
    ids = mermaid_ids(edges)
    lines = ["graph LR"]
    for addr in sorted(edges):
        label = f"{addr} {labels[addr]}" if addr in labels else addr
        lines.append(f'  {ids[addr]}["{label}"]')
    for addr in sorted(edges):
        for dep in sorted(edges[addr]):
            if dep in edges:
                lines.append(f"  {ids[addr]} --> {ids[dep]}")
    for name, style in MERMAID_CLASSES.items():
        members = [ids[a] for a in sorted(edges) if classes.get(a) == name]
        if members:
            lines.append(f"  classDef {name} {style}")
            lines.append(f"  class {','.join(members)} {name}")
    return "\n".join(lines)


def to_dot(edges: Mapping[str, Iterable[str]], labels: Mapping[str, str] | None = None) -> str:
    """The same graph in Graphviz DOT (``digraph reconciler``)."""
    labels = labels or {}
    lines = ["digraph reconciler {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for addr in sorted(edges):
        label = f"{addr} {labels[addr]}" if addr in labels else addr
        lines.append(f'  "{addr}" [label="{label}"];')
    for addr in sorted(edges):
        for dep in sorted(edges[addr]):
            if dep in edges:
                lines.append(f'  "{addr}" -> "{dep}";')
    lines.append("}")
    return "\n".join(lines)
