"""Configuration layer: YAML files -> typed desired state, with diagnostics at file:line:col.

Public API:

* :func:`load_config` -> :class:`LoadedConfig` (raises :class:`ConfigError` with all problems)
* :class:`KindSchema` (what a resource kind provides to the loader), :class:`ResourceDecl`,
  :class:`Lifecycle`
* references: :class:`RefTo`, :class:`AttrRef`, :func:`find_refs`, :func:`is_unresolved`,
  :func:`substitute`, ``REF_PATTERN``
* connections: :data:`Connection` and its models
* diagnostics: :class:`Diagnostic`, :class:`SourceLoc`, :func:`did_you_mean`
* JSON Schema: :func:`build_config_schema`, :func:`render_schema_json`

Modules (the loader composes the internal steps, one concern each):

* ``loader``: :func:`load_config` and the public result types; runs the steps below in order.
* ``discovery``: which files (a directory's own ``*.yaml``/``*.yml``, or recursively; hidden
  names skipped; foreign YAML files skipped and listed), size and count limits, reading, digest.
* ``_yaml``: YAML 1.2 parsing (libyaml's event stream) with a position for every key and value;
  depth and alias-expansion limits.
* ``sections``: top-level keys, ``version``, sections and names (duplicates across files).
* ``interpolate``: ``${env:...}`` / ``${file:...}`` substitution.
* ``report``: the collected diagnostics and their redaction; pydantic errors -> diagnostics.
* ``meta``: the ``depends_on`` and ``lifecycle`` meta keys.
* ``refcheck``: typed name references and ``${kind.name.attr}`` references are declared.
* ``refs`` (reference syntax), ``_types`` (walking models by type), ``connections``,
  ``diagnostics`` (also the layer's one exception, :class:`ConfigError`), ``schema``.

This package imports nothing from ``reconciler.engine``, ``kinds``, ``clients`` or ``sandbox``.
"""

from reconciler.refs import REF_PATTERN, AttrRef, RefTo, find_refs, is_unresolved, substitute

from .connections import AdobeConnection, AemConnection, Connection, WorkfrontConnection
from .diagnostics import ConfigError, Diagnostic, SourceLoc, did_you_mean
from .loader import KindSchema, Lifecycle, LoadedConfig, ResourceDecl, load_config
from .schema import build_config_schema, render_schema_json

__all__ = [
    "REF_PATTERN",
    "AdobeConnection",
    "AemConnection",
    "AttrRef",
    "ConfigError",
    "Connection",
    "Diagnostic",
    "KindSchema",
    "Lifecycle",
    "LoadedConfig",
    "RefTo",
    "ResourceDecl",
    "SourceLoc",
    "WorkfrontConnection",
    "build_config_schema",
    "did_you_mean",
    "find_refs",
    "is_unresolved",
    "load_config",
    "render_schema_json",
    "substitute",
]
