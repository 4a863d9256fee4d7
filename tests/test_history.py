"""History store: schema, saving sides as they finish, filters, CSV, and no credentials stored."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3

import pytest

from selector.errors import SelectorError
from selector.history import SCHEMA_VERSION, data_dir, open_history, rows_to_csv, safe_settings, safe_url


def side(model: str, **extra) -> dict:
    base = {"model": model, "litellm_model": f"openai/{model}", "text": f"answer from {model}", "ttft_s": 0.1,
            "latency_s": 1.5, "output_tokens": 12, "output_tokens_counted": True, "tokens_per_s": 8.0,
            "cost_usd": None, "finish_reason": "stop"}
    return base | extra


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere").is_dir()


def test_default_database_lives_in_the_data_dir_with_a_versioned_schema():
    history = open_history()
    assert history.path.parent == data_dir()
    with sqlite3.connect(history.path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "results"} <= tables


def test_a_newer_schema_is_refused_with_a_message(tmp_path):
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SelectorError, match="newer than this program"):
        open_history(path)


def test_a_run_is_stored_side_by_side_with_unknown_cost_kept_unknown():
    history = open_history()
    run_id = history.start_run("Explain attention.", "Be brief.", {"temperature": 0.2, "max_tokens": 64})
    history.save_result(run_id, "a", side("smollm2-135m-instruct", cost_usd=0.0, cost_source="local"))
    history.save_result(run_id, "b", side("gemma-3-270m"))
    history.finish_run(run_id, wall_s=1.6)
    run = history.get_run(run_id)
    assert run["prompt"] == "Explain attention." and run["system"] == "Be brief."
    assert run["settings"] == {"max_tokens": 64, "temperature": 0.2}
    assert run["status"] == "done" and run["wall_s"] == 1.6
    assert run["results"]["a"]["cost_usd"] == 0.0
    assert run["results"]["b"]["cost_usd"] is None  # unknown stays NULL, never 0
    assert run["results"]["b"]["output_tokens_counted"] == 1


def test_a_side_saved_before_a_crash_survives_it():
    history = open_history()
    run_id = history.start_run("p")
    history.save_result(run_id, "a", side("m1"))
    # the process dies here: no side b, no finish_run
    reopened = open_history(history.path)
    run = reopened.get_run(run_id)
    assert list(run["results"]) == ["a"] and run["status"] == "running"


def test_votes_are_checked_and_stored():
    history = open_history()
    run_id = history.start_run("p", blind=True)
    history.save_result(run_id, "a", side("m1"))
    with pytest.raises(SelectorError, match="vote must be one of"):
        history.set_vote(run_id, "left")
    with pytest.raises(SelectorError, match="no run with id 999"):
        history.set_vote(999, "a")
    history.set_vote(run_id, "b")
    assert history.get_run(run_id)["vote"] == "b"
    assert history.query(voted=True)[0]["vote"] == "b"
    assert history.query(voted=False) == []


@pytest.mark.parametrize(
    ("filters", "expected_models"),
    [
        ({}, {"gpt-4o", "gemma-3-270m", "smollm2-135m-instruct"}),
        ({"model": "gemma"}, {"gemma-3-270m"}),
        ({"text": "capital"}, {"gpt-4o", "gemma-3-270m"}),
        ({"errors_only": True}, {"gpt-4o"}),
        ({"kind": "benchmark"}, {"smollm2-135m-instruct"}),
        ({"since": dt.date.today() + dt.timedelta(days=1)}, set()),
        ({"until": dt.date.today()}, {"gpt-4o", "gemma-3-270m", "smollm2-135m-instruct"}),
    ],
)
def test_query_filters(filters, expected_models):
    history = open_history()
    first = history.start_run("What is the capital of France?")
    history.save_result(first, "a", side("gpt-4o", text=None, error="no OPENAI_API_KEY", error_kind="AuthError"))
    history.save_result(first, "b", side("gemma-3-270m"))
    second = history.start_run("Say hi", kind="benchmark")
    history.save_result(second, "case-1", side("smollm2-135m-instruct"))
    assert {row["model"] for row in history.query(**filters)} == expected_models


def test_csv_export_round_trips_rows():
    history = open_history()
    run_id = history.start_run('A "quoted", multi-line\nprompt')
    history.save_result(run_id, "a", side("m1"))
    rows = history.query()
    parsed = list(csv.DictReader(io.StringIO(rows_to_csv(rows))))
    assert parsed[0]["prompt"] == 'A "quoted", multi-line\nprompt'
    assert parsed[0]["model"] == "m1" and parsed[0]["side"] == "a"
    assert rows_to_csv([]) == ""


def test_credentials_never_reach_the_database():
    canary = "sk-CANARY-history-0123456789"
    history = open_history()
    run_id = history.start_run("p", settings={"temperature": 0.1, "api_key": canary, "OPENAI_API_KEY": canary})
    history.save_result(run_id, "a", side("m1", api_base=f"https://user:{canary}@proxy.example/v1?key={canary}"))
    assert canary.encode() not in history.path.read_bytes()
    stored = history.get_run(run_id)
    assert stored["settings"] == {"temperature": 0.1}
    assert stored["results"]["a"]["api_base"] == "https://proxy.example/v1"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("https://u:p@host/v1?api_key=x#frag", "https://host/v1"),
        (None, None),
    ],
)
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_safe_settings_keeps_token_counts_but_drops_secrets():
    assert safe_settings({"max_tokens": 5, "api_key": "x", "client_secret": "y", "Authorization": "z"}) == {
        "max_tokens": 5
    }
