"""The run history: live comparisons, benchmark runs and votes, kept by selector.store.

This module keeps the names the pages, the CLI and the benchmark have always used; the store
behind it is SQLite under the data directory, or a team's PostgreSQL database when
SELECTOR_DATABASE_URL is set. Runs and votes record who made them (SELECTOR_USER or the name given
in the sidebar); API keys are never stored.

Every failure to use it is a StoreError (StoreBusy when another program held the lock past the
retries): callers that can go on without history catch it and say so in one line. A damaged SQLite
file is moved aside when opened, and `History.notice` says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from selector.store.common import (  # noqa: F401  (re-exported)
    BENCHMARK_FIELDS, OUTCOMES, RESULT_FIELDS, SCHEMA_VERSION, VOTES, StoreBusy, StoreError, data_dir, rows_to_csv,
    safe_settings, safe_url,
)

if TYPE_CHECKING:
    from selector.store.store import Store as History


def open_history(path: str | Path | None = None, who: str | None = None) -> "History":
    """The history (default: $SELECTOR_DATABASE_URL, else history.sqlite3 in the data directory),
    created and migrated; `who` is recorded on the runs and votes it writes. Raises StoreError when it
    cannot be used (e.g. a read-only data directory)."""
    from selector.store import open_store

    return open_store(path, who=who)


def __getattr__(name: str) -> Any:
    if name in ("History", "Store"):  # imported on demand: SQLAlchemy costs time the CLI need not spend
        from selector.store.store import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
