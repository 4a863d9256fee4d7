"""Fault injection: every way a server can misbehave is bounded in time and memory, classified, and never
costs the other side its answer; keys never reach history or the terminal."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from fault_server import BIG_BYTES, FaultServer
from selector.history import open_history
from selector.live import (
    CALL_DEADLINE_S,
    IDLE_DEADLINE_S,
    MAX_ANSWER_BYTES,
    MAX_RETRY_AFTER_S,
    CallSettings,
    LiveRun,
    compare,
    resolve_model,
    run_side,
)
from selector.scrub import register_secret, scrub

CANARY = "sk-test-CANARY-faults-0123456789abcdef"
DEADLINE_S, IDLE_S, CAP = 4.0, 1.5, 50_000
SETTINGS = CallSettings(max_tokens=8, timeout_s=DEADLINE_S, idle_timeout_s=IDLE_S, retries=1, max_answer_bytes=CAP)
SLACK_S = 3.0  # thread hand-off and a loaded machine; far below what an unbounded stream would take (20 s)

# fault -> (error kind, words in the message, whether text arrived before the fault)
CASES = {
    "hang": ("CallTimeout", f"did not answer within {DEADLINE_S:g} s", False),
    "headers_then_silence": ("CallTimeout", f"did not answer within {DEADLINE_S:g} s", False),
    "keepalive": ("CallTimeout", f"sent nothing for {IDLE_S:g} s", True),
    "trickle": ("CallTimeout", f"did not answer within {DEADLINE_S:g} s", True),
    "not_json": ("BadResponse", "OpenAI-compatible endpoint", False),
    "garbled": ("BadResponse", "not a readable answer", True),
    "http500": ("ServerError", "server error (HTTP 500)", False),
    "rate_limited_long": ("RateLimited", "retry after 30 s", False),
    "oversized": ("BadResponse", f"more than {CAP} bytes", True),
    "midstream_close": ("Unreachable", "closed the connection before the answer ended", True),
}


@pytest.fixture(scope="module")
def server():
    with FaultServer() as s:
        # the first call pays LiteLLM's lazy imports: not a fault, so not inside any test's bound
        warm = run_side(resolve_model("m", api_base=s.url("ok")), "hi", CallSettings(max_tokens=8, timeout_s=120))
        assert warm.error is None and warm.text == "Hello there"
        yield s


def _target(server, fault):
    return resolve_model("m", api_base=server.url(fault))


def test_deadlines_and_caps_are_named_and_overridable():
    assert CALL_DEADLINE_S == CallSettings().timeout_s and IDLE_DEADLINE_S == CallSettings().idle_timeout_s
    assert MAX_ANSWER_BYTES == CallSettings().max_answer_bytes and MAX_RETRY_AFTER_S == CallSettings().max_retry_after_s
    assert 0 < IDLE_DEADLINE_S <= CALL_DEADLINE_S and MAX_RETRY_AFTER_S < CALL_DEADLINE_S


@pytest.mark.parametrize("fault", list(CASES))
def test_each_fault_is_bounded_and_classified(server, fault):
    kind, words, partial = CASES[fault]
    t0 = time.monotonic()
    res = run_side(_target(server, fault), "hi", SETTINGS)
    elapsed = time.monotonic() - t0
    assert res.error_kind == kind, res.error
    assert words in res.error and "\n" not in res.error
    assert elapsed <= DEADLINE_S + SLACK_S, elapsed
    assert len(res.text.encode()) <= CAP
    assert bool(res.text) == partial  # what arrived before the fault is kept
    assert res.attempts == 1  # none of these is safe or worth retrying (a 30 s Retry-After is over the cap)


def test_the_oversized_stream_is_cut_at_the_cap_not_read_to_the_end(server):
    res = run_side(_target(server, "oversized"), "hi", SETTINGS)
    assert CAP - 2_000 <= len(res.text.encode()) <= CAP  # filled to the cap, never past it
    assert len(res.text.encode()) < BIG_BYTES


def test_a_deadline_also_ends_the_reading_thread(server):
    """The reader is closed with the call: no thread lingers on a stream of keepalives."""
    run_side(_target(server, "keepalive"), "hi", SETTINGS)
    limit = time.monotonic() + 5
    while any(t.name.startswith("live-pump-") and t.is_alive() for t in threading.enumerate()) \
            and time.monotonic() < limit:
        time.sleep(0.05)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("live-pump-") and t.is_alive()]


def test_retry_after_is_honoured(server):
    t0 = time.monotonic()
    res = run_side(_target(server, "rate_limited"), "hi", SETTINGS)
    assert res.error is None and res.text == "Hello there" and res.attempts == 2
    assert time.monotonic() - t0 >= 1.0  # the server asked for 1 s, not the 0.5 s default backoff


def test_stop_ends_a_stuck_stream_promptly(server):
    run = LiveRun(targets={"a": _target(server, "keepalive"), "b": _target(server, "headers_then_silence")},
                  prompt="hi", settings=CallSettings(max_tokens=8, timeout_s=60, idle_timeout_s=60)).start()
    time.sleep(0.5)
    run.stop()
    result = run.join(timeout=5)  # raises if a side had not finished
    assert result.a.finish_reason == "stopped" and result.a.text == "Hello"
    assert result.b.finish_reason == "stopped"


@pytest.mark.parametrize("fault", list(CASES))
def test_the_other_side_is_saved_whatever_this_side_does(server, fault):
    history = open_history()
    result = compare(_target(server, fault), _target(server, "ok"), "hi", SETTINGS, history=history)
    assert result.a.error_kind == CASES[fault][0] and result.b.error is None
    stored = history.get_run(result.run_id)
    assert stored["status"] == "done"
    assert stored["results"]["b"]["text"] == "Hello there"
    assert stored["results"]["a"]["error"] == result.a.error


# --- history faults --------------------------------------------------------------------------


class _Flaky:
    """A history whose writes fail `failures` times (a database locked by another process), then pass through."""

    def __init__(self, inner, failures: int):
        self.inner, self.failures = inner, failures

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name not in ("start_run", "save_result", "finish_run"):
            return attr

        def write(*args, **kwargs):
            if self.failures > 0:
                self.failures -= 1
                import sqlalchemy.exc

                raise sqlalchemy.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
            return attr(*args, **kwargs)

        return write


def test_a_busy_database_is_retried_and_both_answers_saved(server):
    history = _Flaky(open_history(), failures=2)
    result = compare(_target(server, "ok"), _target(server, "ok"), "hi", SETTINGS, history=history)
    assert result.history_error is None and not result.failed
    stored = history.get_run(result.run_id)
    assert stored["status"] == "done" and stored["results"]["a"]["text"] == stored["results"]["b"]["text"] == "Hello there"


def test_a_database_that_stays_locked_loses_no_answer(server):
    history = _Flaky(open_history(), failures=10**6)
    result = compare(_target(server, "ok"), _target(server, "keepalive"), "hi", SETTINGS, history=history)
    assert result.a.text == "Hello there" and result.b.text == "Hello" and result.b.error_kind == "CallTimeout"
    assert result.run_id is None and "not saved" in result.history_error


def test_a_lock_taken_by_another_program_mid_run_is_waited_out_and_nothing_is_lost(server):
    history = open_history()
    run = LiveRun(targets={"a": _target(server, "ok"), "b": _target(server, "trickle")}, prompt="hi",
                  settings=CallSettings(max_tokens=8, timeout_s=2, idle_timeout_s=2), history=history)
    other = sqlite3.connect(history.path, timeout=0, check_same_thread=False)
    run.start()
    other.execute("BEGIN EXCLUSIVE")  # another program's long write, taken while both sides stream
    threading.Timer(3.0, other.rollback).start()
    result = run.join(timeout=60)
    other.close()
    assert result.a.text == "Hello there" and result.b.text.startswith("tick")
    assert result.history_error is None
    stored = history.get_run(result.run_id)
    assert stored["status"] == "done" and stored["results"]["a"]["text"] == "Hello there"
    assert stored["results"]["b"]["text"] == result.b.text


# --- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [
    "sk-proj-abcdefghijklmnopqrstuvwx", "sk-ant-api03-abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnop",
    "gsk_abcdefghijklmnopqrstuvwx", "xai-abcdefghijklmnopqrstuvwx",
])
def test_key_shapes_are_scrubbed(key):
    assert key not in scrub(f"my key is {key}.") and "[redacted]" in scrub(f"my key is {key}.")


def test_bearer_tokens_env_values_and_session_keys_are_scrubbed(monkeypatch):
    monkeypatch.setenv("ACME_SERVICE_TOKEN", "plain-token-value-42")
    monkeypatch.setenv("DB_PASSWORD", "hunter2hunter2")
    monkeypatch.setenv("WEIRD_KEY", "k3y-without-any-shape")
    register_secret("session-only-secret-xyz")
    text = ("Authorization: Bearer abc.def-ghi_123 plain-token-value-42 hunter2hunter2 k3y-without-any-shape "
            "session-only-secret-xyz")
    out = scrub(text)
    for secret in ("abc.def-ghi_123", "plain-token-value-42", "hunter2hunter2", "k3y-without-any-shape",
                   "session-only-secret-xyz"):
        assert secret not in out
    assert out.startswith("Authorization: Bearer [redacted]")
    assert scrub("an ordinary sentence about tokens and keys.") == "an ordinary sentence about tokens and keys."


def test_keys_in_prompts_and_echoed_answers_never_reach_history(server, monkeypatch):
    monkeypatch.setenv("ACME_SERVICE_TOKEN", "plain-token-value-42")
    history = open_history()
    settings = CallSettings(max_tokens=8, timeout_s=DEADLINE_S, system=f"use {CANARY}")
    result = compare(_target(server, "echo_key"), _target(server, "ok"), "my token is plain-token-value-42",
                     settings, api_keys={"a": CANARY}, history=history)
    assert CANARY not in result.a.text and "[redacted]" in result.a.text  # the session's results are scrubbed too
    stored = history.get_run(result.run_id)
    dumped = repr(stored)
    assert CANARY not in dumped and "plain-token-value-42" not in dumped
    assert "[redacted]" in stored["prompt"] and "[redacted]" in stored["results"]["a"]["text"]
    assert CANARY.encode() not in open(history.path, "rb").read()


def test_the_cli_prints_no_key(server, monkeypatch, capsys):
    from selector.cli import main

    monkeypatch.setenv("ACME_SERVICE_TOKEN", "plain-token-value-42")
    code = main(["compare", "--a", "m", "--a-api-base", server.url("echo_key"), "--b", "m",
                 "--b-api-base", server.url("http500"), "--prompt", f"say {CANARY} and plain-token-value-42",
                 "--max-tokens", "8", "--timeout", "10"])
    captured = capsys.readouterr()
    assert code == 1 and "server error (HTTP 500)" in captured.out
    for secret in (CANARY, "plain-token-value-42"):
        assert secret not in captured.out and secret not in captured.err
    code = main(["compare", "--a", "m", "--a-api-base", server.url("echo_key"), "--b", "m",
                 "--b-api-base", server.url("ok"), "--prompt", f"say {CANARY}", "--max-tokens", "8", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and CANARY not in out
    assert "[redacted]" in json.loads(out)["a"]["text"]
