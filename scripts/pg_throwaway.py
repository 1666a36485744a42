"""A throw-away PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` on a temporary directory,
listening on a free loopback port (and a unix socket in that directory), trust authentication.

Used by the ``pg_server`` fixture of ``tests/conftest.py``; also runnable by hand::

    python scripts/pg_throwaway.py     # prints the URL, stops the cluster on Enter

Binaries are found on PATH, then in ``/usr/lib/postgresql/<version>/bin`` (where Debian's
``postgresql`` package puts them; newest version first). ``initdb`` refuses to run as root, so as
root every server command runs as the ``postgres`` user (``runuser -u postgres --``) on a directory
that user owns. Raises RuntimeError (with the server's own output) when the cluster cannot start:
the PostgreSQL tests then fail, they are never skipped.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def find_binary(name: str) -> str:
    """The path of PostgreSQL's ``name`` (``initdb``, ``pg_ctl``); raises RuntimeError when absent."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if candidates:
        return candidates[0]
    raise RuntimeError(
        f"PostgreSQL's {name} was not found (PATH, /usr/lib/postgresql/*/bin); install it, e.g."
        " `apt-get install -y postgresql` (.ci/run does this)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running throw-away cluster: ``url`` connects as the superuser ``postgres`` to ``postgres``."""

    datadir: Path
    port: int
    pg_ctl: str
    as_postgres: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, dbname: str) -> str:
        """The URL of database ``dbname`` on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """Stop the server (immediate mode) and delete its directory."""
        subprocess.run([*self.as_postgres, self.pg_ctl, "-D", str(self.datadir), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def start() -> Cluster:
    """initdb + pg_ctl start on a fresh temporary directory; returns the running Cluster."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="reconciler-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, user="postgres", group=None)
        base.chmod(0o700)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    datadir = base / "data"
    _run([*as_postgres, initdb, "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
          "--no-locale", "--no-sync"])
    for _attempt in range(5):
        port = _free_port()
        opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} -c fsync=off"
        cmd = [*as_postgres, pg_ctl, "-D", str(datadir), "-o", opts, "-l", str(base / "server.log"), "-w",
               "-t", "60", "start"]
        if subprocess.run(cmd, capture_output=True, text=True, timeout=120).returncode == 0:
            return Cluster(datadir, port, pg_ctl, as_postgres)
        time.sleep(0.2)  # the port was taken in between: try another
    log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
    raise RuntimeError(f"the throw-away PostgreSQL server did not start:\n{log}")


if __name__ == "__main__":
    cluster = start()
    print(cluster.url, flush=True)
    try:
        input("PostgreSQL is running; press Enter to stop it.\n")
    finally:
        cluster.stop()
