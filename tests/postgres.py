"""A throwaway PostgreSQL server for the session, and a fresh database per test (imported by test modules).

Debian's postgresql package (installed by .ci/run) provides initdb and pg_ctl; they refuse to run as
root, so as root the server runs as the `postgres` user in a temporary directory it owns, with trust
authentication on a free loopback port. A missing PostgreSQL fails the tests that need it under
CI=true and skips them elsewhere (conftest.require).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import require

USER = "selector"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server on 127.0.0.1 for the whole session: host, port, user, admin_url."""
    bindir = require("postgresql")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="selector-pg-"))
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", _free_port()

    def pg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120, cwd=base)
        if check and done.returncode != 0:
            log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{log}")
        return done

    # fsync off: a test server's data need not survive a power cut, and it makes CREATE DATABASE quick.
    pg(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " \
              "-c full_page_writes=off -c max_connections=100"
    pg(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "start")
    try:
        yield SimpleNamespace(host="127.0.0.1", port=port, user=USER,
                              admin_url=f"postgresql://{USER}@127.0.0.1:{port}/postgres")
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty database on the session's server; its SQLAlchemy URL (dropped after the test)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{USER}@127.0.0.1:{postgres_server.port}/{name}"
    yield url
    from selector.store.engine import dispose_engines

    dispose_engines()
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
