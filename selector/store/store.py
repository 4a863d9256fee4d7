"""The store: runs of live comparisons and benchmarks, their results, and votes, in SQLite or PostgreSQL.

Every method takes a connection from the engine and gives it back, so any thread may call any
method. Every run and vote records who made it (a name, never an account); nothing named like a
credential is stored, URLs lose their user:password and query string, and every prompt, answer, error
and setting passes through the one key scrubber (selector/scrub.py) on its way in, whoever writes it.

The history degrades instead of failing: a busy database is retried with backoff, then StoreBusy
says what was not saved; a damaged SQLite file is moved aside to `<name>.damaged-<timestamp>` and a
fresh one made, which `Store.notice` says in one line; runs left `running` by a crashed program are
closed as `interrupted` when the store is next opened.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import random
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from filelock import FileLock, Timeout
from sqlalchemy import (
    Connection, Float, Integer, Text, and_, cast, delete, exc, exists, func, insert, literal, null, or_, select, true,
    union_all, update,
)
from sqlalchemy import desc as descending  # by this name, a search for escaping calls finds none

from selector.errors import SelectorError
from selector.scrub import scrub, scrub_value
from selector.store import migrate
from selector.store.common import (
    BENCHMARK_FIELDS, OUTCOMES, RESULT_FIELDS, VOTES, StoreBusy, StoreError, clean_name, database_url, default_who,
    safe_settings, safe_url, vote_outcome,
)
from selector.store.engine import get_engine
from selector.store.schema import benchmark_prompts, benchmark_results, results, runs, votes

log = logging.getLogger(__name__)

BUSY_RETRIES = 4  # after the first try; each try waits engine.SQLITE_BUSY_TIMEOUT_S for the lock itself
BUSY_BACKOFF_S = 0.25  # doubled after each retry, with jitter
# A run still `running` with nothing saved for this long was left by a program that ended without
# finishing it (every side and benchmark row is saved as soon as it finishes; a call times out in minutes).
STALE_RUN_S = 15 * 60
REPAIR_LOCK_TIMEOUT_S = 60.0  # another program moving the same damaged file aside takes well under this

# The layer beneath's errors by kind, most specific first: SQLite primary result codes, PostgreSQL SQLSTATEs.
_SQLITE_KINDS = {5: "busy", 6: "busy", 11: "damaged", 26: "damaged"}  # BUSY, LOCKED, CORRUPT, NOTADB
_PG_KINDS = {"55P03": "busy", "40001": "busy", "40P01": "busy"}  # lock_not_available, serialization, deadlock
_DAMAGED_TEXT = ("file is not a database", "database disk image is malformed")

_opened: set[str] = set()  # URLs checked (integrity, interrupted runs) in this process
_notices: dict[str, str] = {}  # URL -> what was done to it in this process, in one line
_open_lock = threading.Lock()


def error_kind(error: BaseException) -> str | None:
    """'busy', 'damaged' or None for a database error (SQLAlchemy's or the driver's)."""
    original = getattr(error, "orig", None) or error
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _SQLITE_KINDS:
        return _SQLITE_KINDS[code & 0xFF]
    if getattr(original, "sqlstate", None) in _PG_KINDS:
        return _PG_KINDS[original.sqlstate]
    text = str(original).lower()
    if any(t in text for t in _DAMAGED_TEXT):
        return "damaged"
    if "database is locked" in text:
        return "busy"
    return None


def _retrying(rerun_after_repair: bool = True):
    """Run a one-transaction method again while the database is busy (bounded, with backoff); when the
    SQLite file turns out damaged, move it aside and run the method once more on a fresh file
    (`rerun_after_repair`), or say the write was not kept (it refers to rows the damaged file held)."""
    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: "Store", *args, **kwargs):
            repaired = False
            delay = BUSY_BACKOFF_S
            for attempt in range(BUSY_RETRIES + 1):
                try:
                    return method(self, *args, **kwargs)
                except exc.DBAPIError as error:
                    kind = error_kind(error)
                    if kind == "damaged" and self.backend == "sqlite" and not repaired:
                        log.warning("history %s is damaged; moving it aside", self.path, exc_info=True)
                        self._repair(_first_line(error))
                        repaired = True
                        if rerun_after_repair:
                            continue
                        raise StoreError(f"{self.notice}; this {method.__name__.replace('_', ' ')} was not saved "
                                         "(its run was in the damaged file)") from error
                    if kind == "busy" and attempt < BUSY_RETRIES:
                        log.info("history %s is busy; retrying in %.2f s", self.path, delay, exc_info=True)
                        time.sleep(delay * (1 + random.random() / 2))
                        delay *= 2
                        continue
                    raise self._store_error(error, kind, method.__name__) from error
            raise AssertionError("unreachable")
        return wrapper
    return decorate


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _since_text(since: dt.date | dt.datetime | str) -> str:
    """A lower bound comparable with created_at (ISO 8601 text in UTC)."""
    if isinstance(since, dt.datetime):
        since = since if since.tzinfo else since.replace(tzinfo=dt.timezone.utc)
        return since.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
    return since.isoformat() if isinstance(since, dt.date) else str(since)


class Store:
    """One database of history, runs and votes: SQLite by default, PostgreSQL for a team.

    `who` is the name recorded on writes that do not pass their own (default: $SELECTOR_USER or '').
    """

    def __init__(self, location: str | Path | None = None, who: str | None = None):
        self.url = database_url(location)
        self.engine = get_engine(self.url)
        self.who = who

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @property
    def path(self) -> Path | str:
        """The SQLite file, or for a server the URL without its password (fit for a caption)."""
        if self.backend == "sqlite":
            return Path(self.engine.url.database)
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # --- plumbing -----------------------------------------------------------------------------

    @property
    def notice(self) -> str | None:
        """One line on what this process did to this database to keep it usable (a damaged file moved
        aside, runs closed as interrupted), for pages and the CLI to show; None when nothing."""
        return _notices.get(self.url)

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[Connection]:
        """A connection in a transaction (committed on success). Database errors pass through to
        `_retrying`, which retries, repairs or turns them into StoreError."""
        with self.engine.connect().execution_options(write=write) as conn, conn.begin():
            yield conn

    def _store_error(self, error: exc.DBAPIError, kind: str | None, action: str) -> StoreError:
        what = action.replace("_", " ")
        if kind == "busy":
            return StoreBusy(f"history {self.path} is busy (another program holds its lock): {what} was not "
                             f"done after {BUSY_RETRIES + 1} tries; try again")
        if isinstance(error, exc.IntegrityError):
            return StoreError(f"history {self.path}: {_first_line(error)}")
        hint = ""
        if self.backend == "sqlite" and getattr(getattr(error, "orig", None), "sqlite_errorcode", 0) & 0xFF in (8, 14):
            hint = "; make its directory writable or set SELECTOR_DATA_DIR"  # READONLY, CANTOPEN
        verb = "opened" if action == "migrate" else "used"
        return StoreError(f"history {self.path} cannot be {verb}: {_first_line(error)}{hint}")

    def _repair(self, reason: str) -> None:
        """Move a damaged SQLite file aside (with its WAL) and make a fresh, migrated one in its place."""
        path = Path(self.path)
        try:
            # Two programs finding the damage move it once (filelock: the same on Linux, macOS and Windows).
            with FileLock(path.with_name(path.name + ".repair-lock"), timeout=REPAIR_LOCK_TIMEOUT_S):
                if self._damage(path) is None:
                    return  # another program has already made a fresh one
                stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                target = path.with_name(f"{path.name}.damaged-{stamp}")
                n = 1
                while target.exists():
                    n += 1
                    target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
                self.engine.dispose()
                os.replace(path, target)
                for suffix in ("-wal", "-journal"):  # the damaged file's pending pages go with it
                    side = path.with_name(path.name + suffix)
                    if side.exists():
                        os.replace(side, target.with_name(target.name + suffix))
                shm = path.with_name(path.name + "-shm")
                if shm.exists():
                    shm.unlink()
        except Timeout:
            raise StoreError(f"history {path} is damaged ({reason}) and another program has been moving it aside "
                             f"for over {REPAIR_LOCK_TIMEOUT_S:.0f} s; try again") from None
        except OSError as error:
            raise StoreError(f"history {path} is damaged ({reason}) and cannot be moved aside "
                             f"({error.strerror}); move or delete it, or set SELECTOR_DATA_DIR") from None
        reason = " ".join(reason.split())  # one line, whatever sqlite said
        notice = (f"history {path} was damaged ({reason}): moved aside to {target.name}, "
                  "a fresh history was started")
        _notices[self.url] = notice
        log.warning("%s", notice)
        self.migrate()

    def _damage(self, path: Path) -> str | None:
        """Why this SQLite file is damaged (sqlite's own words), None when it is sound or absent."""
        import sqlite3

        if not path.exists() or path.stat().st_size == 0:
            return None
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=float(BUSY_RETRIES))
            try:
                found = [row[0] for row in con.execute("PRAGMA quick_check(1)")]
            finally:
                con.close()
        except sqlite3.DatabaseError as error:
            return str(error) if error_kind(error) == "damaged" else None
        if found == ["ok"]:
            return None
        detail = " ".join(str(found[0] if found else "").replace("*** in database main ***", "").split())
        return f"integrity check failed: {detail}" if detail else "integrity check failed"

    def _who(self, who: str | None) -> str:
        return clean_name(who if who is not None else self.who if self.who is not None else default_who())

    def _upsert(self, conn: Connection, table, row: dict[str, Any], keys: tuple[str, ...]) -> None:
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        stmt = dialect_insert(table).values(row)
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={k: stmt.excluded[k] for k in row if k not in keys})
        conn.execute(stmt)

    @_retrying()
    def migrate(self) -> None:
        """Create or upgrade the schema to the newest revision (a no-op when it is there)."""
        migrate.upgrade(self.engine, str(self.path))

    def check(self) -> None:
        """Bring the schema up to date; the first time in a process also move a damaged SQLite file aside
        (integrity check) and close runs a crashed program left `running` as `interrupted`."""
        with _open_lock:
            first = self.url not in _opened
            if first and self.backend == "sqlite":
                reason = self._damage(Path(self.path))
                if reason is not None:
                    self._repair(reason)
            self.migrate()
            if first:
                closed = self.close_interrupted()
                if closed:
                    log.info("history %s: %d run(s) left running by an earlier program closed as interrupted",
                             self.path, closed)
                _opened.add(self.url)

    @_retrying()
    def close_interrupted(self, quiet_s: float = STALE_RUN_S) -> int:
        """Mark runs still `running` with nothing saved for `quiet_s` seconds as `interrupted`; how many."""
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=quiet_s)).isoformat(timespec="milliseconds")
        recent = or_(
            exists().where(results.c.run_id == runs.c.id, results.c.finished_at >= cutoff),
            exists().where(benchmark_results.c.run_id == runs.c.id, benchmark_results.c.finished_at >= cutoff),
        )
        with self._connect(write=True) as conn:
            return conn.execute(update(runs).where(runs.c.status == "running", runs.c.created_at < cutoff, ~recent)
                                .values(status="interrupted")).rowcount

    def dispose(self) -> None:
        """Close pooled connections (before a test drops the database)."""
        self.engine.dispose()

    # --- runs -----------------------------------------------------------------------------------

    @_retrying()
    def start_run(
        self, prompt: str, system: str | None = None, settings: dict[str, Any] | None = None,
        kind: str = "compare", blind: bool = False, who: str | None = None,
    ) -> int:
        """Record a new run and return its id."""
        row = {"kind": kind, "created_at": _now(), "prompt": scrub(prompt) or "", "system": scrub(system),
               "settings": json.dumps(scrub_value(safe_settings(settings or {})), sort_keys=True), "blind": int(blind),
               "who": self._who(who)}
        with self._connect(write=True) as conn:
            return int(conn.execute(insert(runs).values(row)).inserted_primary_key[0])

    @_retrying(rerun_after_repair=False)
    def save_result(self, run_id: int, side: str, result: dict[str, Any]) -> None:
        """Record one side's outcome (call it as soon as that side finishes)."""
        row = {name: result.get(name) for name in RESULT_FIELDS}
        if row["model"] is None:
            raise SelectorError(f"history: result for side {side!r} of run {run_id} has no model")
        row["api_base"] = safe_url(row["api_base"])  # before scrubbing: a redacted password is no URL to parse
        row = scrub_value(row)  # answers and errors may echo a key
        counted = row["output_tokens_counted"]
        row["output_tokens_counted"] = None if counted is None else int(bool(counted))
        with self._connect(write=True) as conn:
            self._upsert(conn, results, {"run_id": run_id, "side": side, **row, "finished_at": _now()},
                         ("run_id", "side"))

    @_retrying(rerun_after_repair=False)
    def finish_run(self, run_id: int, wall_s: float | None, status: str = "done") -> None:
        """Close a run: done, stopped (by the person) or interrupted."""
        with self._connect(write=True) as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(wall_s=wall_s, status=status))

    @_retrying()
    def get_run(self, run_id: int) -> dict[str, Any]:
        """One run with its results keyed by side."""
        with self._connect() as conn:
            run = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
            if run is None:
                raise SelectorError(f"history has no run with id {run_id}")
            sides = conn.execute(select(results).where(results.c.run_id == run_id).order_by(results.c.side)).mappings()
            out = dict(run)
            out["results"] = {r["side"]: dict(r) for r in sides}
        out["settings"] = json.loads(out["settings"])
        return out

    @_retrying()
    def query(
        self, model: str | None = None, text: str | None = None, kind: str | None = None,
        since: dt.date | None = None, until: dt.date | None = None, voted: bool | None = None,
        errors_only: bool = False, limit: int = 1000, who: str | None = None,
    ) -> list[dict[str, Any]]:
        """Flat rows, newest run first: one per side of a comparison, one per prompt and model of a
        benchmark (side 'row N', kind 'benchmark'); filtered by the given criteria."""
        rows = _history_rows().subquery("history")
        where = []
        if model:
            where.append(or_(rows.c.model.ilike(f"%{model}%"), rows.c.litellm_model.ilike(f"%{model}%")))
        if text:
            where.append(or_(rows.c.prompt.ilike(f"%{text}%"), rows.c.text.ilike(f"%{text}%")))
        if kind:
            where.append(rows.c.kind == kind)
        if since:
            where.append(rows.c.created_at >= since.isoformat())
        if until:
            where.append(rows.c.created_at < (until + dt.timedelta(days=1)).isoformat())
        if voted is not None:
            where.append(rows.c.vote.is_not(None) if voted else rows.c.vote.is_(None))
        if errors_only:
            where.append(rows.c.error.is_not(None))
        if who is not None:
            where.append(rows.c.who == who)
        columns = [c for c in rows.c if c.name != "sort_row"]
        stmt = (select(*columns).where(and_(true(), *where))
                .order_by(descending(rows.c.run_id), rows.c.sort_row, rows.c.side, rows.c.model).limit(limit))
        with self._connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # --- votes ----------------------------------------------------------------------------------

    @_retrying(rerun_after_repair=False)
    def set_vote(self, run_id: int, vote: str, who: str | None = None, tag: str | None = None) -> None:
        """Store the verdict on a comparison ('a', 'b', 'tie' or 'both_bad') on the run and as a vote
        (left = side a, right = side b); a second verdict by the same person replaces the first."""
        if vote not in VOTES:
            raise SelectorError(f"vote must be one of {', '.join(VOTES)} (got {vote!r})")
        who = self._who(who)
        with self._connect(write=True) as conn:
            if conn.execute(update(runs).where(runs.c.id == run_id).values(vote=vote)).rowcount == 0:
                raise SelectorError(f"history has no run with id {run_id}")
            models = dict(conn.execute(select(results.c.side, results.c.model).where(
                results.c.run_id == run_id, results.c.side.in_(("a", "b")))).all())
            if len(models) == 2:  # a vote on one answer says nothing about a pair
                conn.execute(delete(votes).where(votes.c.run_id == run_id, votes.c.who == who))
                conn.execute(insert(votes).values(
                    run_id=run_id, left_model=models["a"], right_model=models["b"], outcome=vote_outcome(vote),
                    who=who, tag=clean_name(tag) or None, created_at=_now()))

    @_retrying(rerun_after_repair=False)
    def add_vote(
        self, left_model: str, right_model: str, outcome: str, run_id: int | None = None,
        tag: str | None = None, who: str | None = None,
    ) -> int:
        """Record one verdict on a pair ('left', 'right', 'tie' or 'both_bad') and return its id.

        With a run_id, the run's own vote column follows (left = side a), as set_vote does.
        """
        if outcome not in OUTCOMES:
            raise SelectorError(f"vote outcome must be one of {', '.join(OUTCOMES)} (got {outcome!r})")
        if not left_model or not right_model:
            raise SelectorError("a vote needs both models (left_model and right_model)")
        row = {"run_id": run_id, "left_model": left_model, "right_model": right_model, "outcome": outcome,
               "who": self._who(who), "tag": clean_name(tag) or None, "created_at": _now()}
        with self._connect(write=True) as conn:
            if run_id is not None:
                run_vote = {"left": "a", "right": "b"}.get(outcome, outcome)
                if conn.execute(update(runs).where(runs.c.id == run_id).values(vote=run_vote)).rowcount == 0:
                    raise SelectorError(f"history has no run with id {run_id}")
            return int(conn.execute(insert(votes).values(row)).inserted_primary_key[0])

    @_retrying()
    def list_votes(
        self, tag: str | None = None, who: str | None = None, since: dt.date | dt.datetime | str | None = None,
    ) -> list[dict[str, Any]]:
        """Votes in the order they were cast: id, run_id, left_model, right_model, outcome, who, tag, created_at."""
        stmt = select(votes).order_by(votes.c.id)
        if tag is not None:
            stmt = stmt.where(votes.c.tag == tag)
        if who is not None:
            stmt = stmt.where(votes.c.who == who)
        if since is not None:
            stmt = stmt.where(votes.c.created_at >= _since_text(since))
        with self._connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # --- benchmark runs ---------------------------------------------------------------------------

    def start_benchmark(self, source: str, settings: dict[str, Any], prompts: Iterable[Any],
                        who: str | None = None) -> int:
        """Record a new benchmark run with its prompts (objects with index, prompt, expected, check)."""
        run_id = self.start_run(source, settings.get("system"), settings, kind="benchmark", who=who)
        rows = [{"run_id": run_id, "row": p.index, "prompt": p.prompt, "expected": p.expected, "check_kind": p.check}
                for p in prompts]
        if rows:
            self._save_prompts(rows)
        return run_id

    @_retrying(rerun_after_repair=False)
    def _save_prompts(self, rows: list[dict[str, Any]]) -> None:
        with self._connect(write=True) as conn:
            conn.execute(insert(benchmark_prompts), scrub_value(rows))  # a prompt file may hold a key

    @_retrying(rerun_after_repair=False)
    def save_benchmark_result(self, run_id: int, result: dict[str, Any]) -> None:
        """Record one prompt on one model (call it as soon as that call finishes)."""
        row = scrub_value({name: result.get(name) for name in BENCHMARK_FIELDS})
        for flag in ("ok", "passed"):
            row[flag] = None if row[flag] is None else int(bool(row[flag]))
        with self._connect(write=True) as conn:
            self._upsert(conn, benchmark_results, {"run_id": run_id, **row, "finished_at": _now()},
                         ("run_id", "model", "row"))

    @_retrying()
    def get_benchmark(self, run_id: int) -> dict[str, Any]:
        """One benchmark run: the run row, its prompts and its results (by row, then model)."""
        with self._connect() as conn:
            run = conn.execute(select(runs).where(runs.c.id == run_id, runs.c.kind == "benchmark")).mappings().first()
            if run is None:
                raise SelectorError(f"history has no benchmark run with id {run_id}")
            bp = benchmark_prompts.c
            prompts = conn.execute(select(bp.row, bp.prompt, bp.expected, bp.check_kind.label("check"))
                                   .where(bp.run_id == run_id).order_by(bp.row)).mappings().all()
            found = conn.execute(select(benchmark_results).where(benchmark_results.c.run_id == run_id)
                                 .order_by(benchmark_results.c.row, benchmark_results.c.id)).mappings().all()
        out = dict(run)
        out["settings"] = json.loads(out["settings"])
        out["prompts"] = [dict(p) for p in prompts]
        out["results"] = [dict(r) for r in found]
        return out

    @_retrying()
    def list_benchmarks(self, limit: int = 100) -> list[dict[str, Any]]:
        """Benchmark runs, newest first: id, created_at, source, status, settings, wall_s, who, result count."""
        count = (select(func.count()).select_from(benchmark_results)
                 .where(benchmark_results.c.run_id == runs.c.id).scalar_subquery())
        stmt = (select(runs.c.id, runs.c.created_at, runs.c.prompt.label("source"), runs.c.status, runs.c.settings,
                       runs.c.wall_s, runs.c.who, count.label("results"))
                .where(runs.c.kind == "benchmark").order_by(descending(runs.c.id)).limit(limit))
        with self._connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [dict(r) | {"settings": json.loads(r["settings"])} for r in rows]


def _history_rows():
    """Comparison sides and benchmark rows in one shape (the history page and its CSV)."""
    r, res, b = runs.c, results.c, benchmark_results.c
    run_columns = [r.id.label("run_id"), r.created_at, r.kind]
    run_rest = [r.system, r.settings, r.blind, r.vote, r.wall_s, r.status, r.who]
    compare = (
        select(*run_columns, r.prompt, *run_rest, res.side, *(res[f] for f in RESULT_FIELDS),
               literal(0, Integer).label("sort_row"))
        .select_from(runs.join(results, results.c.run_id == r.id))
    )
    missing = {"litellm_model": Text, "api_base": Text, "output_tokens_counted": Integer, "tokens_per_s": Float}
    bench = (
        select(*run_columns, func.coalesce(b.prompt, r.prompt).label("prompt"), *run_rest,
               (literal("row ", Text) + cast(b.row, Text)).label("side"),
               *(cast(null(), missing[f]).label(f) if f in missing else b[f] for f in RESULT_FIELDS),
               b.row.label("sort_row"))
        .select_from(runs.join(benchmark_results, benchmark_results.c.run_id == r.id))
    )
    return union_all(compare, bench)


def _first_line(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def open_store(location: str | Path | None = None, who: str | None = None) -> Store:
    """The store (default: $SELECTOR_DATABASE_URL, else history.sqlite3 in the data directory), migrated;
    the first open in a process also checks it (see Store.check)."""
    store = Store(location, who=who)
    store.check()
    return store
