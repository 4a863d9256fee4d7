"""The store: runs of live comparisons and benchmarks, their results, and votes, in SQLite or PostgreSQL.

Every method takes a connection from the engine and gives it back, so any thread may call any
method. Every run and vote records who made it (a name, never an account); nothing named like a
credential is stored, and URLs lose their user:password and query string.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import (
    Connection, Float, Integer, Text, and_, cast, delete, exc, func, insert, literal, null, or_, select, true, union_all,
    update,
)

from selector.errors import SelectorError
from selector.store import migrate
from selector.store.common import (
    BENCHMARK_FIELDS, OUTCOMES, RESULT_FIELDS, VOTES, clean_name, database_url, default_who, safe_settings, safe_url,
    vote_outcome,
)
from selector.store.engine import get_engine
from selector.store.schema import benchmark_prompts, benchmark_results, results, runs, votes


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

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[Connection]:
        """A connection in a transaction (committed on success); database errors become SelectorError."""
        try:
            with self.engine.connect().execution_options(write=write) as conn, conn.begin():
                yield conn
        except exc.IntegrityError as error:
            raise SelectorError(f"history {self.path}: {_first_line(error)}") from error
        except exc.DBAPIError as error:
            raise SelectorError(f"history {self.path} cannot be used: {_first_line(error)}") from error

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

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest revision (a no-op when it is there)."""
        try:
            migrate.upgrade(self.engine, str(self.path))
        except exc.DBAPIError as error:
            raise SelectorError(f"history {self.path} cannot be opened: {_first_line(error)}") from error

    def dispose(self) -> None:
        """Close pooled connections (before a test drops the database)."""
        self.engine.dispose()

    # --- runs -----------------------------------------------------------------------------------

    def start_run(
        self, prompt: str, system: str | None = None, settings: dict[str, Any] | None = None,
        kind: str = "compare", blind: bool = False, who: str | None = None,
    ) -> int:
        """Record a new run and return its id."""
        row = {"kind": kind, "created_at": _now(), "prompt": prompt, "system": system,
               "settings": json.dumps(safe_settings(settings or {}), sort_keys=True), "blind": int(blind),
               "who": self._who(who)}
        with self._connect(write=True) as conn:
            return int(conn.execute(insert(runs).values(row)).inserted_primary_key[0])

    def save_result(self, run_id: int, side: str, result: dict[str, Any]) -> None:
        """Record one side's outcome (call it as soon as that side finishes)."""
        row = {name: result.get(name) for name in RESULT_FIELDS}
        if row["model"] is None:
            raise SelectorError(f"history: result for side {side!r} of run {run_id} has no model")
        row["api_base"] = safe_url(row["api_base"])
        counted = row["output_tokens_counted"]
        row["output_tokens_counted"] = None if counted is None else int(bool(counted))
        with self._connect(write=True) as conn:
            self._upsert(conn, results, {"run_id": run_id, "side": side, **row, "finished_at": _now()},
                         ("run_id", "side"))

    def finish_run(self, run_id: int, wall_s: float | None, status: str = "done") -> None:
        with self._connect(write=True) as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(wall_s=wall_s, status=status))

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
                .order_by(rows.c.run_id.desc(), rows.c.sort_row, rows.c.side, rows.c.model).limit(limit))
        with self._connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # --- votes ----------------------------------------------------------------------------------

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
            with self._connect(write=True) as conn:
                conn.execute(insert(benchmark_prompts), rows)
        return run_id

    def save_benchmark_result(self, run_id: int, result: dict[str, Any]) -> None:
        """Record one prompt on one model (call it as soon as that call finishes)."""
        row = {name: result.get(name) for name in BENCHMARK_FIELDS}
        for flag in ("ok", "passed"):
            row[flag] = None if row[flag] is None else int(bool(row[flag]))
        with self._connect(write=True) as conn:
            self._upsert(conn, benchmark_results, {"run_id": run_id, **row, "finished_at": _now()},
                         ("run_id", "model", "row"))

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

    def list_benchmarks(self, limit: int = 100) -> list[dict[str, Any]]:
        """Benchmark runs, newest first: id, created_at, source, status, settings, wall_s, who, result count."""
        count = (select(func.count()).select_from(benchmark_results)
                 .where(benchmark_results.c.run_id == runs.c.id).scalar_subquery())
        stmt = (select(runs.c.id, runs.c.created_at, runs.c.prompt.label("source"), runs.c.status, runs.c.settings,
                       runs.c.wall_s, runs.c.who, count.label("results"))
                .where(runs.c.kind == "benchmark").order_by(runs.c.id.desc()).limit(limit))
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
    """The store (default: $SELECTOR_DATABASE_URL, else history.sqlite3 in the data directory), migrated."""
    store = Store(location, who=who)
    store.migrate()
    return store
