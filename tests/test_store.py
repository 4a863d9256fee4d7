"""The store on SQLite and on a real PostgreSQL server: the same behaviour, migrations, concurrent writers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)
from selector.errors import SelectorError
from selector.history import open_history, rows_to_csv
from selector.store import SCHEMA_VERSION, migrate, open_store
from selector.store.schema import metadata

ROOT = Path(__file__).resolve().parent.parent
CANARY = "sk-CANARY-store-0123456789abcdef"

# Today's history schema, verbatim from selector/history.py before the store (PRAGMA user_version 2):
# version 1 was _SCHEMA alone, version 2 added _BENCHMARK_SCHEMA. Kept here, never imported, so the
# migration test keeps testing the files people have on disk whatever the code becomes.
LEGACY_SCHEMA = """
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
LEGACY_BENCHMARK_SCHEMA = """
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


def side(model: str, **extra) -> dict:
    base = {"model": model, "litellm_model": f"openai/{model}", "text": f"answer from {model}", "ttft_s": 0.1,
            "latency_s": 1.5, "output_tokens": 12, "output_tokens_counted": True, "tokens_per_s": 8.0,
            "cost_usd": None, "finish_reason": "stop"}
    return base | extra


class Prompt:
    def __init__(self, index: int, prompt: str, expected: str | None = None, check: str | None = None):
        self.index, self.prompt, self.expected, self.check = index, prompt, expected, check


def bench_row(model: str, row: int, **extra) -> dict:
    base = {"model": model, "row": row, "catalogue_id": model, "prompt": f"prompt {row}", "expected": "4",
            "check": "exact", "text": "4", "ok": True, "ttft_s": 0.2, "latency_s": 0.5 + row / 10,
            "input_tokens": 10, "output_tokens": 1, "cost_usd": 0.0001, "cost_source": "litellm",
            "finish_reason": "stop", "passed": True}
    return base | extra


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """The same tests on both backends: a SQLite file, or a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url):
    return open_store(store_url)


def all_rows(store) -> dict[str, list[dict]]:
    """Every row of every table, read back through SQLAlchemy (works on both backends)."""
    with store.engine.connect() as conn:
        return {t.name: [dict(r) for r in conn.execute(sa.select(t)).mappings()] for t in metadata.sorted_tables}


# --- schema and migrations ----------------------------------------------------------------------

def test_a_new_database_is_at_the_newest_revision(store):
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD
        tables = set(sa.inspect(conn).get_table_names())
    assert {"runs", "results", "benchmark_prompts", "benchmark_results", "votes", "alembic_version"} <= tables


def test_the_migrations_build_exactly_the_declared_tables(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_the_head_constant_names_the_newest_migration_file():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_current_head() == migrate.HEAD
    assert [s.revision for s in reversed(list(scripts.walk_revisions()))] == list(migrate.REVISIONS)


def test_opening_twice_is_a_no_op(store_url):
    first = open_store(store_url)
    run_id = first.start_run("p")
    second = open_store(store_url)
    assert second.get_run(run_id)["prompt"] == "p"


def test_down_and_up_again_keeps_every_run_and_turns_old_verdicts_into_votes(store):
    kept = store.start_run("kept")
    store.save_result(kept, "a", side("m1"))
    migrate.downgrade(store.engine, "0002")
    with store.engine.begin() as conn:  # a verdict written by the previous program: runs.vote only
        conn.execute(sa.text("UPDATE runs SET vote = 'a' WHERE id = :id"), {"id": kept})
        old = conn.execute(sa.text("INSERT INTO runs (created_at, prompt, vote) VALUES ('2026-01-01T00:00:00+00:00', "
                                   "'old', 'b') RETURNING id")).scalar()
        for name, model in (("a", "m1"), ("b", "m2")):
            conn.execute(sa.text("INSERT INTO results (run_id, side, model, finished_at) VALUES (:r, :s, :m, 'x')"),
                         {"r": old, "s": name, "m": model})
    store.migrate()
    assert store.get_run(kept)["results"]["a"]["model"] == "m1"
    assert [(v["run_id"], v["left_model"], v["right_model"], v["outcome"]) for v in store.list_votes()] == [
        (old, "m1", "m2", "right")]  # the kept run has one side only: no pair to rate


def test_a_newer_database_is_refused_with_a_message(store):
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SelectorError, match="newer than this program"):
        open_store(store.url)


def test_an_unreachable_server_is_a_one_line_error():
    with pytest.raises(SelectorError, match=r"cannot be opened: .*127\.0\.0\.1") as info:
        open_store("postgresql://nobody:secret-pw@127.0.0.1:9/nowhere")
    assert "secret-pw" not in str(info.value) and "\n" not in str(info.value)


# --- runs and results ---------------------------------------------------------------------------

def test_a_run_is_stored_side_by_side_with_unknown_cost_kept_unknown(store):
    run_id = store.start_run("Explain attention.", "Be brief.", {"temperature": 0.2, "max_tokens": 64})
    store.save_result(run_id, "a", side("smollm2-135m-instruct", cost_usd=0.0, cost_source="local"))
    store.save_result(run_id, "b", side("gemma-3-270m"))
    store.finish_run(run_id, wall_s=1.6)
    run = store.get_run(run_id)
    assert run["prompt"] == "Explain attention." and run["system"] == "Be brief."
    assert run["settings"] == {"max_tokens": 64, "temperature": 0.2}
    assert run["status"] == "done" and run["wall_s"] == 1.6
    assert run["results"]["a"]["cost_usd"] == 0.0
    assert run["results"]["b"]["cost_usd"] is None  # unknown stays NULL, never 0
    assert run["results"]["b"]["output_tokens_counted"] == 1


def test_saving_a_side_again_replaces_it(store):
    run_id = store.start_run("p")
    store.save_result(run_id, "a", side("m1", text="first"))
    store.save_result(run_id, "a", side("m1", text="second"))
    assert store.get_run(run_id)["results"]["a"]["text"] == "second"
    assert len(all_rows(store)["results"]) == 1


def test_a_side_saved_before_a_crash_survives_it(store):
    run_id = store.start_run("p")
    store.save_result(run_id, "a", side("m1"))
    run = open_store(store.url).get_run(run_id)
    assert list(run["results"]) == ["a"] and run["status"] == "running"


def test_unknown_runs_and_sideless_results_are_errors(store):
    with pytest.raises(SelectorError, match="no run with id 999"):
        store.get_run(999)
    with pytest.raises(SelectorError, match="has no model"):
        store.save_result(1, "a", {"text": "x"})
    with pytest.raises(SelectorError, match="history"):
        store.save_result(999, "a", side("m1"))  # no such run: the foreign key holds on both backends


@pytest.mark.parametrize(
    ("filters", "expected_models"),
    [
        ({}, {"gpt-4o", "gemma-3-270m", "smollm2-135m-instruct", "bench-model"}),
        ({"model": "GEMMA"}, {"gemma-3-270m"}),  # case does not matter, on either backend
        ({"text": "capital"}, {"gpt-4o", "gemma-3-270m"}),
        ({"errors_only": True}, {"gpt-4o"}),
        ({"kind": "benchmark"}, {"smollm2-135m-instruct", "bench-model"}),
        ({"who": "ada"}, {"gpt-4o", "gemma-3-270m"}),
        ({"since": dt.date.today() + dt.timedelta(days=1)}, set()),
        ({"until": dt.date.today()}, {"gpt-4o", "gemma-3-270m", "smollm2-135m-instruct", "bench-model"}),
    ],
)
def test_query_filters(store, filters, expected_models):
    first = store.start_run("What is the capital of France?", who="ada")
    store.save_result(first, "a", side("gpt-4o", text=None, error="no OPENAI_API_KEY", error_kind="AuthError"))
    store.save_result(first, "b", side("gemma-3-270m"))
    second = store.start_run("Say hi", kind="benchmark", who="bob")
    store.save_result(second, "case-1", side("smollm2-135m-instruct"))
    third = store.start_benchmark("prompts.csv", {"models": ["bench-model"]}, [Prompt(1, "2+2?", "4", "exact")],
                                  who="bob")
    store.save_benchmark_result(third, bench_row("bench-model", 1, prompt="2+2?"))
    assert {row["model"] for row in store.query(**filters)} == expected_models


def test_benchmark_runs_appear_in_the_history_one_row_per_prompt_and_model(store):
    compare = store.start_run("Say hi")
    store.save_result(compare, "a", side("m1"))
    prompts = [Prompt(i, f"prompt {i}", "4", "exact") for i in (1, 2, 10)]
    run_id = store.start_benchmark("mine.csv", {"models": ["x", "y"], "max_tokens": 8, "api_key": CANARY}, prompts,
                                   who="ada")
    for row in (10, 2, 1):
        for model in ("y", "x"):
            store.save_benchmark_result(run_id, bench_row(model, row, error=None if row != 2 else "timeout"))
    store.finish_run(run_id, 3.5)
    rows = store.query()
    bench = [r for r in rows if r["run_id"] == run_id]
    assert [(r["side"], r["model"]) for r in bench] == [
        ("row 1", "x"), ("row 1", "y"), ("row 2", "x"), ("row 2", "y"), ("row 10", "x"), ("row 10", "y")]
    assert {r["kind"] for r in bench} == {"benchmark"} and {r["who"] for r in bench} == {"ada"}
    assert bench[0]["prompt"] == "prompt 1" and bench[0]["latency_s"] == pytest.approx(0.6)
    assert rows[-1]["run_id"] == compare  # newest run first
    assert {r["model"] for r in store.query(errors_only=True)} == {"x", "y"}
    assert len(store.query(kind="benchmark", limit=4)) == 4
    [listed] = store.list_benchmarks()
    assert listed["id"] == run_id and listed["results"] == 6 and listed["source"] == "mine.csv"
    assert listed["who"] == "ada" and listed["settings"] == {"models": ["x", "y"], "max_tokens": 8}
    stored = store.get_benchmark(run_id)
    assert [p["row"] for p in stored["prompts"]] == [1, 2, 10] and stored["prompts"][0]["check"] == "exact"
    assert [(r["row"], r["model"]) for r in stored["results"]][:2] == [(1, "y"), (1, "x")]  # by row, then saved order
    assert stored["results"][0]["passed"] == 1 and stored["status"] == "done"
    with pytest.raises(SelectorError, match="no benchmark run with id"):
        store.get_benchmark(compare)


def test_a_benchmark_row_saved_again_replaces_the_first(store):
    run_id = store.start_benchmark("mine.csv", {}, [Prompt(1, "p")])
    store.save_benchmark_result(run_id, bench_row("x", 1, text="first", passed=False))
    store.save_benchmark_result(run_id, bench_row("x", 1, text="second", passed=None))
    [result] = store.get_benchmark(run_id)["results"]
    assert result["text"] == "second" and result["passed"] is None


def test_csv_export_round_trips_rows(store):
    run_id = store.start_run('A "quoted", multi-line\nprompt', who="ada")
    store.save_result(run_id, "a", side("m1"))
    parsed = list(csv.DictReader(io.StringIO(rows_to_csv(store.query()))))
    assert parsed[0]["prompt"] == 'A "quoted", multi-line\nprompt'
    assert parsed[0]["model"] == "m1" and parsed[0]["side"] == "a" and parsed[0]["who"] == "ada"


# --- votes --------------------------------------------------------------------------------------

def test_a_verdict_on_a_comparison_is_a_vote_and_a_second_one_replaces_it(store):
    run_id = store.start_run("p", blind=True)
    store.save_result(run_id, "a", side("m1"))
    store.save_result(run_id, "b", side("m2"))
    with pytest.raises(SelectorError, match="vote must be one of"):
        store.set_vote(run_id, "left")
    with pytest.raises(SelectorError, match="no run with id 999"):
        store.set_vote(999, "a")
    store.set_vote(run_id, "a", who="ada", tag="chatbot")
    store.set_vote(run_id, "b", who="ada", tag="chatbot")  # ada changed her mind
    store.set_vote(run_id, "tie", who="bob")
    assert store.get_run(run_id)["vote"] == "tie"
    assert store.query(voted=True)[0]["vote"] == "tie" and store.query(voted=False) == []
    assert [(v["who"], v["left_model"], v["right_model"], v["outcome"], v["tag"]) for v in store.list_votes()] == [
        ("ada", "m1", "m2", "right", "chatbot"), ("bob", "m1", "m2", "tie", None)]


def test_arena_votes_are_added_and_listed_by_tag_person_and_date(store):
    run_id = store.start_run("p")
    ids = [
        store.add_vote("m1", "m2", "left", run_id=run_id, tag="coding", who="ada"),
        store.add_vote("m2", "m3", "both_bad", tag="coding", who="bob"),
        store.add_vote("m1", "m3", "tie", tag="chatbot", who="ada"),
    ]
    assert ids == sorted(ids)
    assert store.get_run(run_id)["vote"] == "a"  # the run's own column follows its vote
    everything = store.list_votes()
    assert [v["id"] for v in everything] == ids
    assert set(everything[0]) == {"id", "run_id", "left_model", "right_model", "outcome", "who", "tag", "created_at"}
    assert [v["outcome"] for v in store.list_votes(tag="coding")] == ["left", "both_bad"]
    assert [v["right_model"] for v in store.list_votes(who="ada")] == ["m2", "m3"]
    assert [v["id"] for v in store.list_votes(tag="coding", who="bob")] == [ids[1]]
    assert len(store.list_votes(since=dt.date.today())) == 3
    assert store.list_votes(since=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)) == []
    assert store.list_votes(since=dt.date.today() + dt.timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add_vote("m1", "m2", "a"), "outcome must be one of left, right, tie, both_bad"),
        (lambda s: s.add_vote("m1", "", "tie"), "needs both models"),
        (lambda s: s.add_vote("m1", "m2", "tie", run_id=999), "no run with id 999"),
    ],
)
def test_bad_votes_are_refused(store, call, message):
    with pytest.raises(SelectorError, match=message):
        call(store)
    assert store.list_votes() == []


def test_a_deleted_run_leaves_its_votes(store):
    run_id = store.start_run("p")
    store.add_vote("m1", "m2", "right", run_id=run_id)
    with store.engine.begin() as conn:
        if store.backend == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.execute(sa.text("DELETE FROM runs WHERE id = :id"), {"id": run_id})
    [vote] = store.list_votes()
    assert vote["run_id"] is None and vote["outcome"] == "right"


# --- who, and what is never stored ----------------------------------------------------------------

def test_who_comes_from_the_call_the_store_or_the_environment(store_url, monkeypatch):
    monkeypatch.setenv("SELECTOR_USER", "  env   user ")
    anonymous, named = open_store(store_url), open_store(store_url, who="Grace Hopper")
    runs = [anonymous.start_run("p"), named.start_run("p"), named.start_run("p", who="Ada"),
            named.start_benchmark("f.csv", {}, [])]
    assert [anonymous.get_run(r)["who"] for r in runs] == ["env user", "Grace Hopper", "Ada", "Grace Hopper"]
    monkeypatch.delenv("SELECTOR_USER")
    assert anonymous.get_run(anonymous.start_run("p"))["who"] == ""
    assert anonymous.list_votes() == [] and anonymous.add_vote("a", "b", "tie") and anonymous.list_votes()[0]["who"] == ""


def test_credentials_never_reach_the_database(store):
    run_id = store.start_run("p", settings={"temperature": 0.1, "api_key": CANARY, "OPENAI_API_KEY": CANARY},
                             who=f"me {CANARY}")
    store.save_result(run_id, "a", side("m1", api_base=f"https://user:{CANARY}@proxy.example/v1?key={CANARY}"))
    store.save_result(run_id, "b", side("m2"))
    store.set_vote(run_id, "a", who=CANARY, tag=CANARY)
    bench = store.start_benchmark("f.csv", {"models": ["x"], "authorization": f"Bearer {CANARY}"}, [Prompt(1, "p")])
    store.save_benchmark_result(bench, bench_row("x", 1))
    assert CANARY not in json.dumps(all_rows(store), default=str)
    if store.backend == "sqlite":
        folder = Path(store.path).parent
        assert all(CANARY.encode() not in f.read_bytes() for f in folder.iterdir() if f.is_file())
    stored = store.get_run(run_id)
    assert stored["settings"] == {"temperature": 0.1}
    assert stored["results"]["a"]["api_base"] == "https://proxy.example/v1"
    assert stored["who"] == "me [redacted]"


def test_the_environment_url_selects_the_database_and_the_caption_hides_its_password(store_url, monkeypatch):
    shown = store_url
    if store_url.startswith("postgresql"):
        store_url = store_url.replace("selector@", "selector:pw-not-shown@")  # trust auth ignores it
        shown = store_url.replace("pw-not-shown", "***")
    monkeypatch.setenv("SELECTOR_DATABASE_URL", store_url)
    history = open_history()
    run_id = history.start_run("through the environment")
    assert open_store(store_url).get_run(run_id)["prompt"] == "through the environment"
    assert "pw-not-shown" not in str(history.path) and str(history.path) in shown


# --- several writers at once ----------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import alembic.command, sqlalchemy  # imported before the start line, so both start together
    from selector.store import open_store
    url, who, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
    store = open_store(url, who=who)  # both processes may find the database new and migrate it at once
    (go.parent / f"ready-{who}").touch()  # then both start writing together, whatever the migration's locks did
    while len(list(go.parent.glob("ready-*"))) < 2:
        time.sleep(0.005)
    run_id = store.start_run(f"pair of {who}")
    for i in range(200):
        store.add_vote(f"model-{i % 7}", f"model-{(i + 3) % 7}", ("left", "right", "tie", "both_bad")[i % 4],
                       run_id=run_id if i == 0 else None, tag="coding" if i % 2 else "chatbot")
    print(run_id)
""")


def test_two_processes_voting_at_once_lose_no_vote(store_url, tmp_path):
    go = tmp_path / "go"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, store_url, who, str(go)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for who in ("ada", "bob")]
    go.touch()
    outputs = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [err for _, err in outputs]
    store = open_store(store_url)
    votes = store.list_votes()
    assert len(votes) == 400 and len({v["id"] for v in votes}) == 400
    assert {who: len(store.list_votes(who=who)) for who in ("ada", "bob")} == {"ada": 200, "bob": 200}
    assert len(store.list_votes(tag="coding")) == 200
    assert {v["who"] for v in votes[:200]} == {"ada", "bob"}, "the two writers did not overlap: not a test of concurrency"
    assert {store.get_run(int(out))["who"] for out, _ in outputs} == {"ada", "bob"}


# --- SQLite: the history people already have on disk ---------------------------------------------

def legacy_history(path: Path, version: int) -> dict[str, list[tuple]]:
    """A history file exactly as the previous program wrote it (schema `version` 1 or 2), with rows."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(LEGACY_SCHEMA + (LEGACY_BENCHMARK_SCHEMA if version == 2 else ""))
        conn.execute(f"PRAGMA user_version = {version}")
        runs = [
            (1, "compare", "2026-10-01T09:00:00.000+00:00", "Explain attention.", "Be brief.",
             '{"max_tokens": 64, "temperature": 0.2}', 0, "a", 1.6, "done"),
            (2, "compare", "2026-10-02T09:00:00.000+00:00", "Blind one", None, "{}", 1, "both_bad", 2.0, "done"),
            (3, "compare", "2026-10-03T09:00:00.000+00:00", "Crashed", None, "{}", 0, None, None, "running"),
            (5, "compare", "2026-10-04T09:00:00.000+00:00", "One side voted", None, "{}", 0, "tie", 1.0, "stopped"),
        ]
        conn.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", runs)
        results = [
            (1, 1, "a", "smollm2-135m-instruct", "openai/smollm2", "http://127.0.0.1:8080/v1", "Attention is...",
             0.1, 1.5, 12, 30, 1, 20.0, 0.0, "local", "stop", None, None, "2026-10-01T09:00:01.000+00:00"),
            (2, 1, "b", "gemma-3-270m", "openai/gemma", None, "Attention", 0.2, 1.6, 12, 31, 0, 19.5, None, None,
             "length", None, None, "2026-10-01T09:00:01.500+00:00"),
            (3, 2, "a", "gpt-4o", "gpt-4o", None, None, None, None, None, None, None, None, None, None, None,
             "no OPENAI_API_KEY", "AuthError", "2026-10-02T09:00:01.000+00:00"),
            (4, 2, "b", "gemma-3-270m", None, None, "x", 0.3, 1.0, 5, 6, None, 6.0, None, None, "stop", None, None,
             "2026-10-02T09:00:02.000+00:00"),
            (5, 3, "a", "smollm2-135m-instruct", None, None, "half", 0.1, None, None, None, None, None, None, None,
             None, None, None, "2026-10-03T09:00:01.000+00:00"),
            (6, 5, "a", "gpt-4o-mini", None, None, "only", 0.1, 0.4, 3, 4, None, 10.0, 0.00001, "litellm", "stop",
             None, None, "2026-10-04T09:00:01.000+00:00"),
        ]
        conn.executemany(f"INSERT INTO results VALUES ({', '.join('?' * 19)})", results)
        bench = {}
        if version == 2:
            conn.execute("INSERT INTO runs VALUES (4, 'benchmark', '2026-10-03T10:00:00.000+00:00', 'prompts.csv', "
                         "NULL, ?, 0, NULL, 4.2, 'done')", ('{"models": ["gpt-4o-mini"]}',))
            conn.executemany('INSERT INTO benchmark_prompts (run_id, "row", prompt, expected, check_kind) '
                             "VALUES (?, ?, ?, ?, ?)", [(4, 1, "2+2?", "4", "exact"), (4, 2, "Say hi", None, None)])
            conn.executemany(f"INSERT INTO benchmark_results VALUES ({', '.join('?' * 22)})", [
                (1, 4, "gpt-4o-mini", 1, "gpt-4o-mini", "2+2?", "4", "exact", "4", 1, 0.2, 0.5, 8, 1, 0.00001,
                 "litellm", "stop", None, None, 1, None, "2026-10-03T10:00:01.000+00:00"),
                (2, 4, "gpt-4o-mini", 2, "gpt-4o-mini", "Say hi", None, None, None, 0, None, 30.0, None, None, None,
                 None, None, "timed out", "CallTimeout", None, None, "2026-10-03T10:00:31.000+00:00"),
            ])
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("runs", "results", "benchmark_prompts", "benchmark_results") if version == 2
                or table in ("runs", "results")}


@pytest.mark.parametrize("version", [2, 1])
def test_a_history_written_by_the_previous_program_upgrades_in_place_keeping_every_row(tmp_path, version):
    path = tmp_path / "history.sqlite3"
    before = legacy_history(path, version)
    history = open_history(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        for table, rows in before.items():
            width = len(rows[0])
            after = [row[:width] for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()]
            if table == "runs":  # the run a crash left `running` long ago is closed, and only that
                rows = [row[:-1] + ("interrupted",) if row[-1] == "running" else row for row in rows]
            assert after == rows, table  # old columns first, unchanged; new columns after them
        assert conn.execute("SELECT DISTINCT who FROM runs").fetchall() == [("",)]
    # Verdicts on a pair became votes; the one-sided run keeps its runs.vote only.
    assert [(v["run_id"], v["left_model"], v["right_model"], v["outcome"]) for v in history.list_votes()] == [
        (1, "smollm2-135m-instruct", "gemma-3-270m", "left"), (2, "gpt-4o", "gemma-3-270m", "both_bad")]
    assert history.get_run(5)["vote"] == "tie"
    # The upgraded file works as before, and new ids follow the old ones.
    assert history.get_run(1)["results"]["b"]["cost_usd"] is None
    new = history.start_run("after the upgrade", who="ada")
    assert new > 5
    if version == 2:
        assert history.get_benchmark(4)["results"][1]["error_kind"] == "CallTimeout"
        assert {r["side"] for r in history.query(kind="benchmark")} == {"row 1", "row 2"}
    else:
        assert history.list_benchmarks() == []
    open_history(path)  # and opening it again changes nothing
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM votes").fetchone()[0] == 2


def test_a_newer_sqlite_file_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SelectorError, match="newer than this program"):
        open_history(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_a_file_that_is_not_a_database_is_moved_aside_and_a_fresh_one_made(tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_text("not a database, just text " * 100)
    history = open_history(path)
    moved = list(tmp_path.glob("history.sqlite3.damaged-*"))
    assert len(moved) == 1 and moved[0].read_text().startswith("not a database")
    assert "file is not a database" in history.notice and moved[0].name in history.notice
    assert history.query() == [] and history.get_run(history.start_run("after")).get("prompt") == "after"


def test_the_cli_that_never_touches_the_store_does_not_import_sqlalchemy():
    code = ("import sys, runpy; sys.argv = ['selector', 'recommend', '--answers', 'data/examples/edge.yaml', "
            "'--format', 'json']\ntry:\n    runpy.run_module('selector', run_name='__main__')\nexcept SystemExit:\n"
            "    pass\nassert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_store_scrubs_keys_in_everything_it_writes(store):
    """Whoever writes (a live run, a benchmark, a script), a key in a prompt, an answer or a setting is
    redacted on its way into the history."""
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8J9k0" * 2
    run_id = store.start_run(f"my key is {key}", system=f"use {key}", settings={"note": key}, kind="benchmark")
    store.save_result(run_id, "a", {"model": "m", "text": f"echo {key}", "error": f"bad key {key}"})
    store.save_benchmark_result(run_id, {"model": "m", "row": 1, "text": f"echo {key}", "ok": True})
    dump = repr(store.get_run(run_id)) + repr(store.get_benchmark(run_id))
    assert key not in dump and "[redacted]" in dump
