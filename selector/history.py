"""SQLite store of live comparisons and benchmark runs under the data directory.

Schema (version 2, kept in PRAGMA user_version):
  runs     one row per run: kind ('compare', 'benchmark', ...), when, prompt, system prompt,
           settings (JSON, never a key), blind flag, vote, wall time, status
  results  one row per side of a run ('a', 'b', or any label a benchmark uses): the model,
           its output and metrics, or its error; written as soon as that side finishes,
           so a crash mid-run leaves the finished sides saved.
Version 2 adds, for benchmark runs (runs.kind = 'benchmark', runs.prompt = the prompt file's name):
  benchmark_prompts  the run's prompts with their expected answers and checks
  benchmark_results  one row per prompt and model, saved as soon as that call finishes
API keys are never stored: settings are filtered and URLs lose credentials and query strings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

from selector.errors import SelectorError

SCHEMA_VERSION = 2
VOTES = ("a", "b", "tie", "both_bad")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL DEFAULT 'compare',
    created_at  TEXT NOT NULL,                 -- ISO 8601, UTC
    prompt      TEXT NOT NULL,
    system      TEXT,
    settings    TEXT NOT NULL DEFAULT '{}',    -- JSON: temperature, max_tokens, timeout_s, ...
    blind       INTEGER NOT NULL DEFAULT 0,
    vote        TEXT CHECK (vote IS NULL OR vote IN ('a', 'b', 'tie', 'both_bad')),
    wall_s      REAL,
    status      TEXT NOT NULL DEFAULT 'running' -- running | done | stopped
);
CREATE TABLE IF NOT EXISTS results (
    id                      INTEGER PRIMARY KEY,
    run_id                  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    side                    TEXT NOT NULL,
    model                   TEXT NOT NULL,   -- what the user picked (catalogue id, alias, LiteLLM string)
    litellm_model           TEXT,
    api_base                TEXT,            -- without credentials or query string
    text                    TEXT,
    ttft_s                  REAL,
    latency_s               REAL,
    input_tokens            INTEGER,
    output_tokens           INTEGER,
    output_tokens_counted   INTEGER,         -- 1 when counted locally because the server gave no usage
    tokens_per_s            REAL,
    cost_usd                REAL,            -- NULL = unknown
    cost_source             TEXT,
    finish_reason           TEXT,
    error                   TEXT,
    error_kind              TEXT,
    finished_at             TEXT NOT NULL,
    UNIQUE (run_id, side)
);
CREATE INDEX IF NOT EXISTS results_model ON results(model);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at);
"""


# --- benchmark runs (schema version 2) ---------------------------------------------------------

_BENCHMARK_SCHEMA = """
CREATE TABLE IF NOT EXISTS benchmark_prompts (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row         INTEGER NOT NULL,               -- 1-based, as in the uploaded file
    prompt      TEXT NOT NULL,
    expected    TEXT,
    check_kind  TEXT,                           -- exact | contains | regex | judge; NULL: nothing expected
    PRIMARY KEY (run_id, row)
);
CREATE TABLE IF NOT EXISTS benchmark_results (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    model           TEXT NOT NULL,
    row             INTEGER NOT NULL,
    catalogue_id    TEXT,
    prompt          TEXT,
    expected        TEXT,
    "check"         TEXT,
    text            TEXT,
    ok              INTEGER NOT NULL,
    ttft_s          REAL,
    latency_s       REAL,
    input_tokens    INTEGER,
    output_tokens   INTEGER,
    cost_usd        REAL,                       -- NULL = unknown
    cost_source     TEXT,
    finish_reason   TEXT,
    error           TEXT,
    error_kind      TEXT,
    passed          INTEGER,                    -- NULL: not checked
    judge_text      TEXT,
    finished_at     TEXT NOT NULL,
    UNIQUE (run_id, model, row)
);
CREATE INDEX IF NOT EXISTS benchmark_results_catalogue ON benchmark_results(catalogue_id);
"""
BENCHMARK_FIELDS = (
    "model", "row", "catalogue_id", "prompt", "expected", "check", "text", "ok", "ttft_s", "latency_s",
    "input_tokens", "output_tokens", "cost_usd", "cost_source", "finish_reason", "error", "error_kind", "passed",
    "judge_text",
)

RESULT_FIELDS = (
    "model", "litellm_model", "api_base", "text", "ttft_s", "latency_s", "input_tokens", "output_tokens",
    "output_tokens_counted", "tokens_per_s", "cost_usd", "cost_source", "finish_reason", "error", "error_kind",
)
_SECRET_NAME = re.compile(r"(api[_-]?key|secret|password|authorization|bearer|credential)", re.I)


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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class History:
    """A history database; every method opens its own connection, so any thread may call it."""

    path: Path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def migrate(self) -> None:
        with closing(self._connect()) as conn, conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise SelectorError(
                    f"history {self.path} has schema version {version}, newer than this program's {SCHEMA_VERSION}"
                )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA + _BENCHMARK_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def start_run(
        self, prompt: str, system: str | None = None, settings: dict[str, Any] | None = None,
        kind: str = "compare", blind: bool = False,
    ) -> int:
        """Record a new run and return its id."""
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT INTO runs (kind, created_at, prompt, system, settings, blind) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, _now(), prompt, system, json.dumps(safe_settings(settings or {}), sort_keys=True), int(blind)),
            )
            return int(cur.lastrowid)

    def save_result(self, run_id: int, side: str, result: dict[str, Any]) -> None:
        """Record one side's outcome (call it as soon as that side finishes)."""
        row = {name: result.get(name) for name in RESULT_FIELDS}
        if row["model"] is None:
            raise SelectorError(f"history: result for side {side!r} of run {run_id} has no model")
        row["api_base"] = safe_url(row["api_base"])
        row["output_tokens_counted"] = None if row["output_tokens_counted"] is None else int(bool(row["output_tokens_counted"]))
        columns = ", ".join(("run_id", "side", *RESULT_FIELDS, "finished_at"))
        marks = ", ".join("?" * (len(RESULT_FIELDS) + 3))
        with closing(self._connect()) as conn, conn:
            conn.execute(
                f"INSERT OR REPLACE INTO results ({columns}) VALUES ({marks})",
                (run_id, side, *row.values(), _now()),
            )

    def finish_run(self, run_id: int, wall_s: float | None, status: str = "done") -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE runs SET wall_s = ?, status = ? WHERE id = ?", (wall_s, status, run_id))

    def set_vote(self, run_id: int, vote: str) -> None:
        """Store the user's verdict: 'a', 'b', 'tie' or 'both_bad'."""
        if vote not in VOTES:
            raise SelectorError(f"vote must be one of {', '.join(VOTES)} (got {vote!r})")
        with closing(self._connect()) as conn, conn:
            cur = conn.execute("UPDATE runs SET vote = ? WHERE id = ?", (vote, run_id))
            if cur.rowcount == 0:
                raise SelectorError(f"history has no run with id {run_id}")

    def get_run(self, run_id: int) -> dict[str, Any]:
        """One run with its results keyed by side."""
        with closing(self._connect()) as conn:
            run = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            if run is None:
                raise SelectorError(f"history has no run with id {run_id}")
            results = conn.execute("SELECT * FROM results WHERE run_id = ? ORDER BY side", (run_id,)).fetchall()
        out = dict(run)
        out["settings"] = json.loads(out["settings"])
        out["results"] = {r["side"]: dict(r) for r in results}
        return out

    def query(
        self, model: str | None = None, text: str | None = None, kind: str | None = None,
        since: dt.date | None = None, until: dt.date | None = None, voted: bool | None = None,
        errors_only: bool = False, limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Flat rows (one per side of a run), newest first, filtered by the given criteria."""
        where, params = [], []
        if model:
            where.append("(res.model LIKE ? OR res.litellm_model LIKE ?)")
            params += [f"%{model}%"] * 2
        if text:
            where.append("(r.prompt LIKE ? OR res.text LIKE ?)")
            params += [f"%{text}%"] * 2
        if kind:
            where.append("r.kind = ?")
            params.append(kind)
        if since:
            where.append("r.created_at >= ?")
            params.append(since.isoformat())
        if until:
            where.append("r.created_at < ?")
            params.append((until + dt.timedelta(days=1)).isoformat())
        if voted is not None:
            where.append("r.vote IS NOT NULL" if voted else "r.vote IS NULL")
        if errors_only:
            where.append("res.error IS NOT NULL")
        sql = (
            "SELECT r.id AS run_id, r.created_at, r.kind, r.prompt, r.system, r.settings, r.blind, r.vote, r.wall_s, "
            "r.status, res.side, " + ", ".join(f"res.{f}" for f in RESULT_FIELDS) + " "
            "FROM runs r JOIN results res ON res.run_id = r.id "
            + (f"WHERE {' AND '.join(where)} " if where else "")
            + "ORDER BY r.id DESC, res.side LIMIT ?"
        )
        with closing(self._connect()) as conn:
            return [dict(row) for row in conn.execute(sql, (*params, limit)).fetchall()]


    # --- benchmark runs (schema version 2) ---------------------------------------------------

    def start_benchmark(self, source: str, settings: dict[str, Any], prompts: Iterable[Any]) -> int:
        """Record a new benchmark run with its prompts (objects with index, prompt, expected, check)."""
        run_id = self.start_run(source, settings.get("system"), settings, kind="benchmark")
        with closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT INTO benchmark_prompts (run_id, \"row\", prompt, expected, check_kind) VALUES (?, ?, ?, ?, ?)",
                [(run_id, p.index, p.prompt, p.expected, p.check) for p in prompts],
            )
        return run_id

    def save_benchmark_result(self, run_id: int, result: dict[str, Any]) -> None:
        """Record one prompt on one model (call it as soon as that call finishes)."""
        row = {name: result.get(name) for name in BENCHMARK_FIELDS}
        for flag in ("ok", "passed"):
            row[flag] = None if row[flag] is None else int(bool(row[flag]))
        columns = ", ".join(f'"{name}"' for name in ("run_id", *BENCHMARK_FIELDS, "finished_at"))
        marks = ", ".join("?" * (len(BENCHMARK_FIELDS) + 2))
        with closing(self._connect()) as conn, conn:
            conn.execute(f"INSERT OR REPLACE INTO benchmark_results ({columns}) VALUES ({marks})",
                         (run_id, *row.values(), _now()))

    def get_benchmark(self, run_id: int) -> dict[str, Any]:
        """One benchmark run: the run row, its prompts and its results (by row, then model)."""
        with closing(self._connect()) as conn:
            run = conn.execute("SELECT * FROM runs WHERE id = ? AND kind = 'benchmark'", (run_id,)).fetchone()
            if run is None:
                raise SelectorError(f"history has no benchmark run with id {run_id}")
            prompts = conn.execute("SELECT \"row\", prompt, expected, check_kind AS \"check\" FROM benchmark_prompts "
                                   "WHERE run_id = ? ORDER BY \"row\"", (run_id,)).fetchall()
            results = conn.execute("SELECT * FROM benchmark_results WHERE run_id = ? ORDER BY \"row\", id",
                                   (run_id,)).fetchall()
        out = dict(run)
        out["settings"] = json.loads(out["settings"])
        out["prompts"] = [dict(p) for p in prompts]
        out["results"] = [dict(r) for r in results]
        return out

    def list_benchmarks(self, limit: int = 100) -> list[dict[str, Any]]:
        """Benchmark runs, newest first: id, created_at, source, status, settings, result count."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT r.id, r.created_at, r.prompt AS source, r.status, r.settings, r.wall_s, "
                "(SELECT COUNT(*) FROM benchmark_results b WHERE b.run_id = r.id) AS results "
                "FROM runs r WHERE r.kind = 'benchmark' ORDER BY r.id DESC LIMIT ?", (limit,),
            ).fetchall()
        return [dict(r) | {"settings": json.loads(r["settings"])} for r in rows]


def open_history(path: str | Path | None = None) -> History:
    """The history database (default: history.sqlite3 in the data directory), created and migrated."""
    history = History(Path(path) if path else data_dir() / "history.sqlite3")
    try:
        history.migrate()
    except sqlite3.DatabaseError as exc:
        raise SelectorError(f"history {history.path} cannot be opened: {exc}") from None
    return history


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
