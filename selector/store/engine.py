"""One SQLAlchemy engine per database URL: SQLite tuned for several threads and processes, or PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

# How long one SQLite statement waits for another program's lock; the store then retries a few times
# with backoff (store.BUSY_RETRIES), so a writer waits about 5 x this at most before giving up.
# Read at every connection, so tests may lower it.
SQLITE_BUSY_TIMEOUT_S = 2.0
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def get_engine(url: str) -> Engine:
    """The engine for this URL, created once per process (engines are thread-safe)."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _sqlite_engine(url) if url.startswith("sqlite") else _postgres_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests dropping a database; app exit)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _postgres_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"connect_timeout": 10, "application_name": "model-selector"})


def _sqlite_engine(url: str) -> Engine:
    # NullPool: a connection per use, as before the store moved to SQLAlchemy; nothing keeps a file
    # open between calls, and any thread may call.
    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy issue BEGIN itself (below), so DDL in migrations is transactional too;
        # pysqlite's own transaction handling skips DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock up front, so they wait out the busy timeout for each other
        # instead of failing when another process committed after their first read.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine
