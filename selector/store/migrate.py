"""Bring a database to the newest schema with the Alembic revisions in migrations/versions/.

A SQLite history written before Alembic (no alembic_version table, PRAGMA user_version 1 or 2) is
upgraded in place from the first revision, which creates only what is missing. Several processes
may open the store at once: on PostgreSQL they queue on an advisory lock, on SQLite on the write
lock, and whoever comes second finds the work done.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

from selector.errors import SelectorError
from selector.store.common import SCHEMA_VERSION

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
REVISIONS = ("0002", "0003")  # tests check these against migrations/versions/
HEAD = REVISIONS[-1]  # the newest revision
_PG_LOCK_KEY = 0x5E1EC7  # pg_advisory_xact_lock key: one migration at a time per database


def current_revision(conn: Connection) -> str | None:
    """The database's Alembic revision, None when it has never been migrated by Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, where: str, target: str = "head") -> None:
    """Migrate to `target` (default: the newest revision); `where` names the database in messages."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        _refuse_newer(conn, revision, where)
    if revision == HEAD and target == "head":
        return
    from alembic import command  # lazy: only a database behind the code pays for importing Alembic

    with engine.connect().execution_options(write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        _refuse_newer(conn, current_revision(conn), where)  # another process may have moved on meanwhile
        log.info("migrating %s from %s to %s", where, revision or "the hand-made schema", target)
        command.upgrade(_config(conn), target)


def downgrade(engine: Engine, target: str) -> None:
    """Step back to an older revision (for tests and repairs; the app never calls this)."""
    from alembic import command

    with engine.connect().execution_options(write=True) as conn, conn.begin():
        command.downgrade(_config(conn), target)


def _config(conn: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _refuse_newer(conn: Connection, revision: str | None, where: str) -> None:
    newer = revision is not None and revision not in REVISIONS
    if conn.dialect.name == "sqlite":
        version = conn.exec_driver_sql("PRAGMA user_version").scalar()
        newer = newer or version > SCHEMA_VERSION
        detail = f"schema version {version}"
    else:
        detail = f"schema revision {revision}"
    if newer:
        raise SelectorError(f"history {where} has {detail}, newer than this program's {SCHEMA_VERSION} "
                            f"(revision {HEAD}): update the program")
