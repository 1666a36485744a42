"""Dependency cycles, found offline from the declarations' edges, each edge printed with its place.

The edges are those the engine will build (``ResourceDecl.depends_on``: typed name references,
``${kind.name.attr}`` references, explicit ``depends_on``; plus each kind's ``implicit_deps``, as
``wiring.desired_resources`` adds them). A cycle is reported once per strongly connected group,
as one closed path through it; every edge of the path is a line ``a waits for b: <field> at
<file:line:col>`` so the user sees which line to change. The engine would only say so at plan time.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from reconciler.config.diagnostics import Diagnostic, SourceLoc
from reconciler.config.loader import LoadedConfig, ResourceDecl
from reconciler.kinds import REGISTRY


def edges_of(loaded: LoadedConfig) -> dict[str, dict[str, tuple[str, SourceLoc]]]:
    """address -> {address it waits for -> (what makes the edge, position)} for every declaration;
    implicit edges (``KindDef.implicit_deps``) are ``("implicit: ...", the resource's position)``."""
    data = {addr: decl.data for addr, decl in loaded.resources.items()}
    out: dict[str, dict[str, tuple[str, SourceLoc]]] = {}
    for addr, decl in loaded.resources.items():
        edges = {t: decl.edges.get(t, ("depends_on", decl.loc)) for t in decl.depends_on if t in loaded.resources}
        kind = REGISTRY.get(decl.kind)
        implicit = kind.implicit_deps(addr, decl.data, data) if kind is not None and kind.implicit_deps else ()
        for target in implicit:
            if target in loaded.resources and target not in edges:
                edges[target] = (f"implicit: a {decl.kind.removesuffix('s')} waits for it", decl.loc)
        out[addr] = edges
    return out


def _components(graph: Mapping[str, Mapping[str, object]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative), in first-node
    declaration order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        n = stack.pop()
                        on_stack.discard(n)
                        group.append(n)
                        if n == node:
                            break
                    if len(group) > 1:
                        found.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph.get(child, {}))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    order = {a: i for i, a in enumerate(graph)}
    return sorted(found, key=lambda g: min(order[a] for a in g))


def _cycle_path(graph: Mapping[str, Mapping[str, object]], group: list[str], order: Mapping[str, int]) -> list[str]:
    """A closed path ``[a, b, ..., a]`` inside ``group``, starting at its first-declared node
    (breadth-first, so the path is a shortest one back to the start)."""
    members = set(group)
    start = min(group, key=lambda a: order[a])
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node], key=lambda a: order.get(a, 0)):
            if child not in members:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if child not in parent:
                parent[child] = node
                queue.append(child)
    return [start, start]  # not reached: a component of two or more nodes has a cycle


def rule_cycles(loaded: LoadedConfig) -> list[Diagnostic]:
    """One error per dependency cycle, at its first edge, listing every edge with its place."""
    graph = edges_of(loaded)
    order = {a: i for i, a in enumerate(graph)}
    out: list[Diagnostic] = []
    for group in _components(graph):
        path = _cycle_path(graph, group, order)
        lines = []
        for a, b in itertools.pairwise(path):
            what, loc = graph[a][b]
            lines.append(f"{a} waits for {b}: {what} at {loc}")
        first: ResourceDecl = loaded.resources[path[0]]
        out.append(
            Diagnostic(
                "error",
                f"dependency cycle: {' -> '.join(path)}",
                "\n".join(lines),
                graph[path[0]][path[1]][1],
                first.address,
                "remove one of these references or depends_on entries; resources are applied in dependency"
                " order, so a cycle can never be applied",
            )
        )
    return out


RULES = [rule_cycles]
