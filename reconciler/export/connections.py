"""The exported ``connections`` block: the configuration's connections as written, secrets never.

The connections are copied from the YAML files (``${env:...}`` references kept, so a URL taken
from the environment stays so). Each secret field (the connection models' ``SecretStr`` fields:
an AEM ``password``/``token``, an Adobe ``client_secret``, a Workfront ``api_key``) becomes
``${env:NAME}``: the variable it was read from (without a ``:-default``, which would be the secret
in clear), ``${file:...}`` with an absolute path, or, for a value written in clear, a new variable
``<CONNECTION>_<FIELD>``. The variables are listed at the end of the run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr
from ruamel.yaml import YAML

from reconciler.config.connections import CONNECTION_MODELS

from .model import Entry, Export, env_name

_ENV = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-.*)?\}$", re.S)
_FILE = re.compile(r"^\$\{file:(.+)\}$", re.S)


def secret_fields(conn_type: str) -> list[str]:
    """The ``SecretStr`` fields of connection type ``conn_type`` (``aem`` -> password, token)."""
    model = CONNECTION_MODELS[conn_type]
    fields = model.model_fields.items()
    return [n for n, f in fields if f.annotation is SecretStr or SecretStr in get_args(f.annotation)]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def raw_connections(files: list[Path]) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Connection name -> (file, mapping as written) from the configuration's ``files``."""
    yaml = YAML(typ="rt")
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"))
        conns = data.get("connections") if isinstance(data, dict) else None
        if isinstance(conns, dict):
            for name, body in conns.items():
                if isinstance(body, dict):
                    out[str(name)] = (path, _plain(body))
    return out


def _secret(out: Export, conn: str, field: str, value: Any, source: Path) -> tuple[str, str | None]:
    """(the exported value of a secret field, a comment or None)."""
    text = str(value)
    env = _ENV.match(text)
    if env:
        out.env[env[1]] = f"{field} of connection {conn}"
        note = "its :-default is not exported (a secret in clear)" if ":-" in text else None
        return "${env:" + env[1] + "}", note
    file = _FILE.match(text)
    if file:
        where = (source.parent / Path(file[1]).expanduser()).resolve()
        return "${file:" + str(where) + "}", None
    var = env_name(conn, field)
    out.env[var] = f"{field} of connection {conn} (written in clear in {source.name}: not exported)"
    return "${env:" + var + "}", f"was written in clear in {source.name}: set {var}"


def export_connections(out: Export, files: list[Path], connections: dict[str, Any]) -> dict[str, Entry]:
    """The exported connections (name -> entry, sorted by name), secrets as references."""
    raw = raw_connections(files)
    entries: dict[str, Entry] = {}
    for name in sorted(connections):
        source, body = raw[name]
        secrets = set(secret_fields(str(body.get("type"))))
        entry = Entry({})
        for key, value in body.items():
            if key in secrets and value is not None:
                entry.data[key], note = _secret(out, name, key, value, source)
                if note:
                    entry.notes[key] = note
            else:
                entry.data[key] = value
        entries[name] = entry
    return entries
