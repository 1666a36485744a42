"""AEM environments: connections whose URLs name the same AEM author are one environment.

Several connections may point at one AEM (a second connection with other credentials, or the same
URL written as ``https://Author.example.com:443/``). Every per-environment rule (one Creative
Cloud connection per AEM, the native Workfront integration and a connector never together, a
folder's natural key, ...) groups by :func:`environment` instead of by connection name.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from reconciler.config.loader import LoadedConfig

#: scheme -> the port it implies (dropped when a URL spells it out)
DEFAULT_PORTS = {"http": 80, "https": 443}


@functools.lru_cache(maxsize=4096)  # a pure function of the text; asked once per folder, share, ...
def normalise_url(url: str) -> str:
    """``url`` with the scheme and host lowercased, the scheme's default port and trailing slashes
    dropped: ``HTTPS://Author.Example.com:443/`` -> ``https://author.example.com``.

    A URL that cannot be split (no scheme) is only stripped of trailing slashes. Path case is kept
    (AEM paths are case-sensitive).
    """
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip().rstrip("/")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}{path}{query}"


def environment(loaded: LoadedConfig, connection: object) -> str:
    """The environment key of connection ``connection``: its normalised ``url``; a name that is no
    declared connection (or not a string) is returned as ``str(connection)`` so that it still groups
    with itself."""
    conn = loaded.connections.get(connection) if isinstance(connection, str) else None
    url = getattr(conn, "url", None)
    return normalise_url(url) if isinstance(url, str) else str(connection)


def same_environment_note(loaded: LoadedConfig, a: object, b: object) -> str:
    """`` (connections a and b both reach <url>)`` when two different connection names are one
    environment, else ``""``: appended to messages so the user sees why two names collide."""
    if a == b or environment(loaded, a) != environment(loaded, b):
        return ""
    return f" (connections {a!r} and {b!r} both reach {environment(loaded, a)})"
