"""refs.py and diagnostics.py: reference syntax, substitution, did-you-mean, formatting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reconciler.config import (
    REF_PATTERN,
    AttrRef,
    ConfigError,
    Diagnostic,
    SourceLoc,
    did_you_mean,
    find_refs,
    is_unresolved,
    substitute,
)
from reconciler.refs import tokenize


def test_find_refs_and_escape() -> None:
    s = "a ${applications.assets-sync.application_id} b $${orgs.x.y} ${orgs.acme.ims_org_id}"
    assert find_refs(s) == [
        AttrRef("applications", "assets-sync", "application_id"),
        AttrRef("orgs", "acme", "ims_org_id"),
    ]
    assert AttrRef("orgs", "acme", "id").address == "orgs.acme"
    assert str(AttrRef("orgs", "acme", "id")) == "${orgs.acme.id}"
    assert find_refs("$$${orgs.a.b}") == []  # '$' then the escape '$${'
    assert [m.group("name") for m in REF_PATTERN.finditer("${a.b-c.d} $${a.e.f}")] == ["b-c"]


def test_is_unresolved() -> None:
    assert is_unresolved("${orgs.acme.ims_org_id}")
    assert is_unresolved("x-${orgs.acme.ims_org_id}-y")
    assert not is_unresolved("$${orgs.acme.ims_org_id}")
    assert not is_unresolved("${env:HOME}")
    assert not is_unresolved("plain")
    assert not is_unresolved(42)
    assert not is_unresolved(None)


def test_substitute_whole_reference_returns_object() -> None:
    values = {AttrRef("a", "b", "c"): ["x", "y"], AttrRef("a", "b", "n"): 3}
    assert substitute("${a.b.c}", values.__getitem__) == ["x", "y"]
    assert substitute("n=${a.b.n}, $${a.b.n}", values.__getitem__) == "n=3, ${a.b.n}"


def test_substitute_renders_scalars() -> None:
    from pydantic import SecretStr

    vals: dict[str, object] = {"t": True, "z": None, "s": SecretStr("pw")}
    assert substitute("${a.b.t}/${a.b.z}/${a.b.s}", lambda r: vals[r.attr]) == "true//pw"


def test_tokenize_forms() -> None:
    toks = tokenize("x${env:A}${env:B:-d:e}${file:./p}${a.b.c}$${${bad}${open")
    assert [t.type for t in toks] == ["text", "env", "env", "file", "ref", "escape", "invalid", "invalid"]
    assert toks[2].default == "d:e" and toks[3].path == "./p"
    assert toks[-1].reason.startswith("unterminated")
    assert "".join(t.raw for t in toks) == "x${env:A}${env:B:-d:e}${file:./p}${a.b.c}$${${bad}${open"


def test_did_you_mean() -> None:
    assert did_you_mean("clinet_id", ["client_id", "tenant_url"]) == "client_id"
    assert did_you_mean("Client_ID", ["client_id"]) == "client_id"
    assert did_you_mean("zzz", ["client_id"]) is None
    assert did_you_mean("a", []) is None


def test_diagnostic_format() -> None:
    d = Diagnostic(
        "error",
        "unknown key 'clinet_id' in cloud_configs.assets-sync",
        detail="expected one of: client_id, tenant_url",
        loc=SourceLoc("examples/q/main.yaml", 12, 5),
        hint="did you mean 'client_id'?",
    )
    assert d.format() == (
        "examples/q/main.yaml:12:5: error: unknown key 'clinet_id' in cloud_configs.assets-sync\n"
        "  expected one of: client_id, tenant_url\n"
        "  hint: did you mean 'client_id'?"
    )
    assert "\x1b[" in d.format(color=True)
    assert Diagnostic("warning", "w", address="orgs.a").format() == "orgs.a: warning: w"
    assert Diagnostic("error", "e").format() == "error: e"
    err = ConfigError([d, Diagnostic("warning", "w")])
    assert str(err) == d.format() + "\nwarning: w"
    assert err.errors == [d]


def test_config_package_imports_no_other_layer() -> None:
    forbidden = ("reconciler.engine", "reconciler.kinds", "reconciler.clients", "reconciler.sandbox")
    pkg = Path(__file__).resolve().parents[2] / "reconciler" / "config"
    for path in pkg.glob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    assert node.level == 1, f"{path}: relative import leaves the package"
                    continue
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


@pytest.mark.parametrize("value", ["${a.b}", "${A.b.c}", "${a.-b.c}", "${a.b.C}"])
def test_not_references(value: str) -> None:
    assert find_refs(value) == []
