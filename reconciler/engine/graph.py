"""Dependency graph of resource addresses.

An edge ``a -> b`` means *a depends on b* (b must be created before a, and deleted after a).
Orders are deterministic: ties are broken by address so plans are stable across runs.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from .errors import CycleError


class DependencyGraph:
    """A directed graph over string addresses. Unknown dependency targets are kept as nodes."""

    def __init__(self) -> None:
        self._deps: dict[str, set[str]] = {}
        self._rdeps: dict[str, set[str]] = {}

    def add_node(self, node: str) -> None:
        self._deps.setdefault(node, set())
        self._rdeps.setdefault(node, set())

    def add_edge(self, node: str, depends_on: str) -> None:
        """Record that ``node`` depends on ``depends_on``."""
        self.add_node(node)
        self.add_node(depends_on)
        self._deps[node].add(depends_on)
        self._rdeps[depends_on].add(node)

    @property
    def nodes(self) -> list[str]:
        return sorted(self._deps)

    def dependencies(self, node: str) -> set[str]:
        """Direct dependencies of ``node``."""
        return set(self._deps.get(node, ()))

    def dependents(self, node: str) -> set[str]:
        """Direct dependents of ``node``."""
        return set(self._rdeps.get(node, ()))

    def all_dependencies(self, nodes: Iterable[str]) -> set[str]:
        """Transitive dependencies of ``nodes`` (not including them)."""
        return self._closure(nodes, self._deps)

    @staticmethod
    def _closure(start: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def find_cycle(self) -> list[str] | None:
        """Return one cycle as ``[a, b, ..., a]`` or None. Iterative DFS, deterministic."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self._deps, white)
        for root in sorted(self._deps):
            if color[root] != white:
                continue
            path: list[str] = []
            stack: list[tuple[str, list[str]]] = [(root, sorted(self._deps[root]))]
            color[root] = grey
            path.append(root)
            while stack:
                node, pending = stack[-1]
                if not pending:
                    color[node] = black
                    stack.pop()
                    path.pop()
                    continue
                nxt = pending.pop(0)
                if color[nxt] == grey:
                    return [*path[path.index(nxt) :], nxt]
                if color[nxt] == white:
                    color[nxt] = grey
                    path.append(nxt)
                    stack.append((nxt, sorted(self._deps[nxt])))
        return None

    def generations(self) -> list[list[str]]:
        """Nodes grouped in waves: every node's dependencies are in earlier waves.

        Raises CycleError when the graph has a cycle.
        """
        indeg = {n: len(d) for n, d in self._deps.items()}
        wave = sorted(n for n, d in indeg.items() if d == 0)
        out: list[list[str]] = []
        done = 0
        while wave:
            out.append(wave)
            done += len(wave)
            nxt: list[str] = []
            for n in wave:
                for m in self._rdeps[n]:
                    indeg[m] -= 1
                    if indeg[m] == 0:
                        nxt.append(m)
            wave = sorted(nxt)
        if done != len(self._deps):
            raise CycleError(self.find_cycle() or [])
        return out

    def topological_order(self) -> list[str]:
        """Dependencies first; among ready nodes, smallest address first. Raises CycleError."""
        indeg = {n: len(d) for n, d in self._deps.items()}
        ready = [n for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            n = heapq.heappop(ready)
            order.append(n)
            for m in self._rdeps[n]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    heapq.heappush(ready, m)
        if len(order) != len(self._deps):
            raise CycleError(self.find_cycle() or [])
        return order
