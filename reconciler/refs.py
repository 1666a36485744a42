"""References between resources, and the ``${...}`` interpolation syntax.

A neutral module: it imports nothing else from ``reconciler``, and both the config loader and the
engine import it, so the syntax has one definition (``tests/test_layers.py`` keeps it neutral).

Two ways for a resource to depend on another:

* a *typed name reference*: a ``str`` field annotated with :class:`RefTo`, e.g.
  ``org: Annotated[str, RefTo("orgs")]``; the YAML says ``org: acme``.
  ``RefTo("connections:aem")`` names a connection of type ``aem`` instead of a resource.
* an *attribute reference* anywhere inside a string: ``${applications.assets-sync.application_id}``
  (:class:`AttrRef`). It stays literal in the loaded spec and is substituted by the engine
  (:func:`substitute`) once the producer's value is known.

Other forms inside ``${...}`` (``${env:NAME}``, ``${env:NAME:-default}``, ``${file:path}``) are
substituted by the loader at load time. ``$${`` writes a literal ``${``. :func:`tokenize` splits a
string into these pieces.

Escapes and loaded values: a loaded string that still contains attribute references keeps its
``$${`` escapes (and any ``${`` that came from an env/file value is re-escaped), so
:func:`substitute` turns them into ``${`` exactly once. A loaded string without attribute
references is final: its escapes are already unescaped, so only call :func:`substitute` on values
for which :func:`is_unresolved` is true.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ATTR_RE",
    "KIND_RE",
    "NAME_RE",
    "REF_PATTERN",
    "AttrRef",
    "RefTo",
    "Token",
    "find_refs",
    "is_unresolved",
    "substitute",
    "tokenize",
]

#: resource and connection names
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
#: kind (section) names
KIND_RE = re.compile(r"[a-z][a-z0-9_]*")
#: attribute names
ATTR_RE = re.compile(r"[a-z][a-z0-9_]*")

#: ``${kind.name.attr}`` not preceded by ``$`` (``$${`` is the escape for a literal ``${``).
#: Groups: ``kind``, ``name``, ``attr``.
REF_PATTERN = re.compile(
    r"(?<!\$)\$\{(?P<kind>[a-z][a-z0-9_]*)\.(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)\.(?P<attr>[a-z][a-z0-9_]*)\}"
)
_SUBST_PATTERN = re.compile(
    r"(?P<esc>\$\$\{)|\$\{(?P<kind>[a-z][a-z0-9_]*)\.(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)\.(?P<attr>[a-z][a-z0-9_]*)\}"
)
_ENV_BODY = re.compile(r"env:(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)
_FILE_BODY = re.compile(r"file:(?P<path>.+)", re.DOTALL)
_REF_BODY = re.compile(r"(?P<kind>[a-z][a-z0-9_]*)\.(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)\.(?P<attr>[a-z][a-z0-9_]*)")


@dataclass(frozen=True)
class RefTo:
    """``Annotated`` metadata: this string field names a resource of ``kind``.

    ``kind`` is a section name (``"orgs"``) or ``"connections:<type>"`` (``"connections:aem"``)
    or ``"connections"`` for a connection of any type. Works on ``str``, ``str | None``,
    ``list[...]`` items and fields of nested models. The loader checks the name exists
    (with "did you mean") and records a dependency edge for resource kinds.
    """

    kind: str

    @property
    def connection_type(self) -> str | None:
        """For ``connections:<type>``: the type; ``""`` for any connection; ``None`` otherwise."""
        if self.kind == "connections":
            return ""
        if self.kind.startswith("connections:"):
            return self.kind.split(":", 1)[1]
        return None

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        """Mark the field in JSON Schema with ``x-reference`` (the referenced kind)."""
        schema = handler(core_schema)
        if isinstance(schema, dict):
            targets = [schema, *schema.get("anyOf", [])]
            for target in targets:
                if isinstance(target, dict) and target.get("type") == "string":
                    target["x-reference"] = self.kind
        return schema


@dataclass(frozen=True)
class AttrRef:
    """An attribute reference ``${kind.name.attr}``."""

    kind: str
    name: str
    attr: str

    @property
    def address(self) -> str:
        """The referenced resource's address, ``"kind.name"``."""
        return f"{self.kind}.{self.name}"

    def __str__(self) -> str:
        return "${" + f"{self.kind}.{self.name}.{self.attr}" + "}"


@dataclass(frozen=True)
class Token:
    """A piece of a string as split by :func:`tokenize`.

    ``type`` is one of ``"text"`` (``text`` = literal text), ``"escape"`` (``$${``; ``text`` =
    ``"${"``), ``"ref"`` (``ref`` set), ``"env"`` (``var``, ``default`` set; ``default`` is
    ``None`` when absent), ``"file"`` (``path`` set) or ``"invalid"`` (``text`` = the raw
    expression, ``reason`` says why). ``start``/``end`` are offsets in the input; ``raw`` is
    the input slice.
    """

    type: str
    start: int
    end: int
    raw: str
    text: str = ""
    ref: AttrRef | None = None
    var: str = ""
    default: str | None = None
    path: str = ""
    reason: str = ""


def tokenize(value: str) -> list[Token]:
    """Split ``value`` into text, escapes, and ``${...}`` expressions (see :class:`Token`).

    Never raises: a malformed expression becomes an ``"invalid"`` token.
    """
    tokens: list[Token] = []
    i = 0
    text_start = 0
    n = len(value)

    def flush(upto: int) -> None:
        if upto > text_start:
            tokens.append(Token("text", text_start, upto, value[text_start:upto], text=value[text_start:upto]))

    while i < n:
        if value.startswith("$${", i):
            flush(i)
            tokens.append(Token("escape", i, i + 3, "$${", text="${"))
            i += 3
            text_start = i
            continue
        if value.startswith("${", i):
            flush(i)
            close = value.find("}", i + 2)
            if close < 0:
                tokens.append(
                    Token(
                        "invalid",
                        i,
                        n,
                        value[i:],
                        text=value[i:],
                        reason="unterminated '${' (no closing '}')",
                    )
                )
                i = n
                text_start = n
                continue
            body = value[i + 2 : close]
            raw = value[i : close + 1]
            tokens.append(_classify(body, raw, i, close + 1))
            i = close + 1
            text_start = i
            continue
        i += 1
    flush(n)
    return tokens


def _classify(body: str, raw: str, start: int, end: int) -> Token:
    m = _ENV_BODY.fullmatch(body)
    if m:
        return Token("env", start, end, raw, var=m.group("var"), default=m.group("default"))
    if body.startswith("env:"):
        return Token("invalid", start, end, raw, text=raw, reason="expected ${env:NAME} or ${env:NAME:-default}")
    m = _FILE_BODY.fullmatch(body)
    if m:
        return Token("file", start, end, raw, path=m.group("path"))
    if body.startswith("file:"):
        return Token("invalid", start, end, raw, text=raw, reason="expected ${file:path}")
    m = _REF_BODY.fullmatch(body)
    if m:
        ref = AttrRef(m.group("kind"), m.group("name"), m.group("attr"))
        return Token("ref", start, end, raw, ref=ref)
    parts = body.split(".")
    if len(parts) == 2 and all(parts):
        reason = "a reference needs an attribute: ${kind.name.attribute}"
    else:
        reason = "expected ${kind.name.attribute}, ${env:NAME}, ${env:NAME:-default} or ${file:path}"
    return Token("invalid", start, end, raw, text=raw, reason=reason)


def find_refs(value: str) -> list[AttrRef]:
    """All ``${kind.name.attr}`` references in ``value``, in order (escaped ``$${`` excluded)."""
    return list(_refs_in(value))


@functools.lru_cache(maxsize=8192)  # loading, rules and the plan ask for the same strings many times
def _refs_in(value: str) -> tuple[AttrRef, ...]:
    return tuple(
        AttrRef(m.group("kind"), m.group("name"), m.group("attr"))
        for m in _SUBST_PATTERN.finditer(value)
        if m.group("esc") is None
    )


def is_unresolved(value: object) -> bool:
    """True if ``value`` is a string that still contains a ``${kind.name.attr}`` reference.

    Kind validators use this to skip format checks until the referenced value is known.
    """
    return isinstance(value, str) and "${" in value and bool(_refs_in(value))


def _render(value: object) -> str:
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def substitute(value: str, resolve: Callable[[AttrRef], object]) -> str | object:
    """Replace the attribute references of ``value`` with ``resolve(ref)``.

    A string that is exactly one reference returns the resolved object itself (not ``str()`` of
    it), so a reference can carry a list or a number. Otherwise each reference is interpolated
    (booleans as ``true``/``false``, ``None`` as empty, ``SecretStr`` unwrapped) and ``$${``
    becomes ``${``. Exceptions raised by ``resolve`` propagate.
    """
    whole = REF_PATTERN.fullmatch(value)
    if whole is not None:
        return resolve(AttrRef(whole.group("kind"), whole.group("name"), whole.group("attr")))

    def repl(m: re.Match[str]) -> str:
        if m.group("esc") is not None:
            return "${"
        return _render(resolve(AttrRef(m.group("kind"), m.group("name"), m.group("attr"))))

    return _SUBST_PATTERN.sub(repl, value)
