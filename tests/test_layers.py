"""The never-arrows of docs/architecture.md, enforced on the import statements (AST)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "reconciler"

# layer -> packages it must never import
FORBIDDEN = {
    "engine": ("reconciler.kinds", "reconciler.clients", "reconciler.sandbox", "reconciler.render",
               "reconciler.cli", "reconciler.wiring", "reconciler.rules", "reconciler.config"),
    "clients": ("reconciler.engine", "reconciler.kinds", "reconciler.sandbox", "reconciler.config",
                "reconciler.render", "reconciler.cli", "reconciler.wiring"),
    "sandbox": ("reconciler.",),  # the emulator imports nothing else of ours
    "config": ("reconciler.engine", "reconciler.kinds", "reconciler.clients", "reconciler.sandbox",
               "reconciler.render", "reconciler.cli", "reconciler.wiring"),
    "kinds": ("reconciler.sandbox", "reconciler.cli", "reconciler.render", "reconciler.wiring"),
    "render": ("reconciler.sandbox", "reconciler.clients", "reconciler.kinds", "reconciler.wiring"),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    pkg_parts = path.relative_to(path.parents[len(path.parts) - 1 - path.parts.index('reconciler')]).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg_parts[: len(pkg_parts) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
    return out


def violations(pkg: Path = PKG) -> list[str]:
    found = []
    for layer, banned in FORBIDDEN.items():
        for path in sorted((pkg / layer).rglob("*.py")):
            for line, mod in imports_of(path):
                if mod.startswith("reconciler.sandbox") and layer == "sandbox":
                    continue
                if any(mod == b.rstrip(".") or mod.startswith(b if b.endswith(".") else b + ".") or mod == b
                       for b in banned):
                    found.append(f"{path.relative_to(pkg.parent)}:{line}: {layer} imports {mod}")
    return found


# modules every layer may import, which themselves import nothing else of ours
NEUTRAL = ("refs.py", "data/__init__.py")


def neutral_violations(pkg: Path = PKG) -> list[str]:
    found = []
    for rel in NEUTRAL:
        path = pkg / rel
        for line, mod in imports_of(path):
            if mod == "reconciler" or mod.startswith("reconciler."):
                found.append(f"{path.relative_to(pkg.parent)}:{line}: neutral module imports {mod}")
    return found


def test_never_arrows_hold() -> None:
    assert violations() == []


def test_neutral_modules_import_nothing_of_ours() -> None:
    assert neutral_violations() == []


def test_the_neutral_check_catches_a_violation(tmp_path: Path) -> None:
    fake = tmp_path / "reconciler"
    (fake / "data").mkdir(parents=True)
    (fake / "refs.py").write_text("from reconciler.engine import model\n")
    (fake / "data" / "__init__.py").write_text("import os\n")
    assert neutral_violations(fake) == ["reconciler/refs.py:1: neutral module imports reconciler.engine"]


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    fake = tmp_path / "reconciler"
    (fake / "engine").mkdir(parents=True)
    (fake / "engine" / "bad.py").write_text("from reconciler.kinds import REGISTRY\nfrom ..clients import base\n")
    for layer in FORBIDDEN:
        (fake / layer).mkdir(exist_ok=True)
    found = violations(fake)
    assert any("engine imports reconciler.kinds" in f for f in found)
    assert any("engine imports reconciler.clients" in f for f in found)
