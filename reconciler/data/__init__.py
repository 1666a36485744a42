"""Data files the reconciler reads at run time, shipped inside the package.

They are read with :mod:`importlib.resources`, so they work from a wheel, a zip or an editable
install alike. The top-level ``schemas/`` folder of the repository is the published copy of the same
files for editors and reviewers; ``tests/test_schema.py`` fails when the two differ (``make schema``
rewrites both).

=======================  ============================================================
name                     file
=======================  ============================================================
``config``               ``config.schema.json``: JSON Schema of a configuration file
``plan``                 ``plan.schema.json``: JSON Schema of ``plan -json`` output
``workfront-features``   ``workfront-features.yaml``: seed 002's feature parity matrix
=======================  ============================================================
"""

from __future__ import annotations

from importlib.resources import files

FILES: dict[str, str] = {
    "config": "config.schema.json",
    "plan": "plan.schema.json",
    "workfront-features": "workfront-features.yaml",
}

__all__ = ["FILES", "read_text"]


def read_text(name: str) -> str:
    """The text (UTF-8) of the packaged data file called ``name`` (a key of :data:`FILES`).

    Raises ``KeyError`` for an unknown name; a missing file is a broken installation and raises
    ``FileNotFoundError`` naming the package.
    """
    return files(__name__).joinpath(FILES[name]).read_text(encoding="utf-8")
