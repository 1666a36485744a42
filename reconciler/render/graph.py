"""Dependency graphs as DOT (Graphviz) or Mermaid text.

Edges point from a resource to what it waits for (``a --> b``: a waits for b), as in the plan's
"waits for" lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def _mermaid_id(addr: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in addr)


def to_mermaid(edges: Mapping[str, Iterable[str]], labels: Mapping[str, str] | None = None) -> str:
    """``edges``: address -> addresses it depends on. ``labels``: optional suffix per address
    (e.g. the action symbol). Returns a ``graph LR`` Mermaid diagram (no code fence)."""
    labels = labels or {}
    lines = ["graph LR"]
    for addr in sorted(edges):
        label = f"{addr} {labels[addr]}" if addr in labels else addr
        lines.append(f'  {_mermaid_id(addr)}["{label}"]')
    for addr in sorted(edges):
        for dep in sorted(edges[addr]):
            if dep in edges:
                lines.append(f"  {_mermaid_id(addr)} --> {_mermaid_id(dep)}")
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
