"""What the store shares without a database driver: where it lives, who writes, what is never stored.

Kept free of SQLAlchemy so that `selector.history.data_dir` (local servers) and commands that never
touch the store do not pay for importing it.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

from selector.errors import SelectorError

# PRAGMA user_version of a SQLite history: 1 = runs and results, 2 = + benchmark tables (the last
# version written by hand-made DDL), 3 = + who, votes table (Alembic revision 0003).
SCHEMA_VERSION = 3
VOTES = ("a", "b", "tie", "both_bad")  # runs.vote: the compare page's two sides
OUTCOMES = ("left", "right", "tie", "both_bad")  # votes.outcome
_VOTE_TO_OUTCOME = {"a": "left", "b": "right", "tie": "tie", "both_bad": "both_bad"}

DATABASE_URL_ENV = "SELECTOR_DATABASE_URL"
USER_ENV = "SELECTOR_USER"
NAME_MAX_CHARS = 80

RESULT_FIELDS = (
    "model", "litellm_model", "api_base", "text", "ttft_s", "latency_s", "input_tokens", "output_tokens",
    "output_tokens_counted", "tokens_per_s", "cost_usd", "cost_source", "finish_reason", "error", "error_kind",
)
BENCHMARK_FIELDS = (
    "model", "row", "catalogue_id", "prompt", "expected", "check", "text", "ok", "ttft_s", "latency_s",
    "input_tokens", "output_tokens", "cost_usd", "cost_source", "finish_reason", "error", "error_kind", "passed",
    "judge_text",
)
_SECRET_NAME = re.compile(r"(api[_-]?key|secret|password|authorization|bearer|credential)", re.I)


class StoreError(SelectorError):
    """The history cannot be used right now (one line for people); callers that can go on without it do."""


class StoreBusy(StoreError):
    """Another program held the history's lock past every retry: this write or read did not happen."""


def data_dir() -> Path:
    """The directory for history and local server state: $SELECTOR_DATA_DIR, else a per-user directory."""
    env = os.environ.get("SELECTOR_DATA_DIR")
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(base) / "model-selector"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SelectorError(f"data directory {path} cannot be created ({exc.strerror}); set SELECTOR_DATA_DIR") from None
    return path


def database_url(location: str | Path | None = None) -> str:
    """The store's SQLAlchemy URL: a URL or SQLite file given here, else $SELECTOR_DATABASE_URL, else
    history.sqlite3 in the data directory. postgres:// and postgresql:// use the psycopg driver."""
    if location is None:
        location = os.environ.get(DATABASE_URL_ENV) or data_dir() / "history.sqlite3"
    if isinstance(location, Path) or "://" not in str(location):
        return f"sqlite:///{Path(location).expanduser().absolute()}"
    url = str(location)
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if not url.startswith(("sqlite://", "postgresql+psycopg://")):
        raise SelectorError(f"{DATABASE_URL_ENV} must be a postgresql:// or sqlite:/// URL (got {safe_url(url)!r})")
    return url


def safe_url(url: str | None) -> str | None:
    """A URL without user:password and without query or fragment (where keys sometimes hide)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def safe_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings minus anything named like a credential."""
    return {k: v for k, v in settings.items() if not _SECRET_NAME.search(k)}


def clean_name(name: str | None) -> str:
    """A person's name or a tag as stored: one line, trimmed, bounded, key-shaped text redacted."""
    from selector.scrub import scrub

    text = " ".join((name or "").split())[:NAME_MAX_CHARS]
    return scrub(text) or ""


def default_who() -> str:
    """The writer's name when none is given: $SELECTOR_USER, else ''."""
    return os.environ.get(USER_ENV, "")


def vote_outcome(vote: str) -> str:
    """runs.vote ('a', 'b', 'tie', 'both_bad') as a votes.outcome."""
    return _VOTE_TO_OUTCOME[vote]


def rows_to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """CSV text of query() rows (header from the first row; empty string when there are none)."""
    rows = list(rows)
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
