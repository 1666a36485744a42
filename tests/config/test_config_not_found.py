"""A reference to something not declared lists what is declared: at most ten names, then how many
more, with the closest one as the hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TOY_KINDS, Writer

from reconciler.config import ConfigError, load_config


def test_undeclared_reference_lists_at_most_ten_declared_names(write: Writer) -> None:
    folders = "".join(f"  f{i:02d}: {{path: /p{i}, connection: aem}}\n" for i in range(15))
    path = write("main.yaml", "version: 1\nconnections:\n  aem: {type: aem, url: sandbox://aem, username: a,"
                 " password: b}\nfolders:\n" + folders + "shares:\n  s: {folder: f00x}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, kinds=TOY_KINDS, environ={})
    (err,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert err.summary == "shares.s.folder refers to folders.f00x, which is not declared"
    assert err.detail == "declared folders: " + ", ".join(f"f{i:02d}" for i in range(10)) + " (and 5 more)"
    assert err.hint == "did you mean 'f00'?"


def test_listing_helper(tmp_path: Path) -> None:
    from reconciler.config.diagnostics import listing

    assert listing(["a", "b"]) == "a, b"
    assert listing([str(i) for i in range(12)], limit=3) == "0, 1, 2 (and 9 more)"
