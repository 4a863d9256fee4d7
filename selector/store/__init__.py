"""The store of history, runs, benchmark rows and votes: one module for one person or a whole team.

SQLite under the data directory by default (nothing to set up); a PostgreSQL database when
SELECTOR_DATABASE_URL is set (postgresql://user@host/db), so several people and several app
instances share one history and one arena. SQLAlchemy Core (schema.py), Alembic revisions
(migrations/versions/, applied on open by migrate.py), one engine per URL (engine.py).

It degrades instead of failing: a busy database is retried with backoff, then raises StoreBusy (a
StoreError, a SelectorError) saying what was not done; a damaged SQLite file is moved aside and a
fresh one made, and `Store.notice` says so in one line.

Importing this package does not import SQLAlchemy; `open_store` and `Store` do, when first used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from selector.store.common import (
    BENCHMARK_FIELDS, DATABASE_URL_ENV, OUTCOMES, RESULT_FIELDS, SCHEMA_VERSION, USER_ENV, VOTES, StoreBusy, StoreError,
    data_dir, database_url, rows_to_csv, safe_settings, safe_url,
)

if TYPE_CHECKING:
    from selector.store.store import Store

__all__ = [
    "BENCHMARK_FIELDS", "DATABASE_URL_ENV", "OUTCOMES", "RESULT_FIELDS", "SCHEMA_VERSION", "USER_ENV", "VOTES",
    "Store", "StoreBusy", "StoreError", "data_dir", "database_url", "open_store", "rows_to_csv", "safe_settings", "safe_url",
]


def open_store(location: str | Path | None = None, who: str | None = None) -> "Store":
    """The store at `location` (a SQLite file or a database URL; default: $SELECTOR_DATABASE_URL, else
    history.sqlite3 in the data directory), created or migrated; `who` names the writer."""
    from selector.store.store import open_store as _open

    return _open(location, who=who)


def __getattr__(name: str) -> Any:
    if name == "Store":
        from selector.store.store import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
