"""No key, whatever its shape or way in, survives a live session: results, history, errors, logs.

Each secret goes in as the session's API key (a server echoes the Authorization header back), or in
the prompt and the system prompt (a server echoes the messages back), and a failing provider puts
it in its error message. None of it may reach the session's results, the history database, an
error message or a log record.
"""

from __future__ import annotations

import json
import logging

import pytest

from fault_server import FaultServer
from scripted_caller import scripted
from selector.history import data_dir, open_history
from selector.live import CallSettings, LiveRun, import_litellm, resolve_model

SHAPES = {  # made-up values in each provider's key shape
    "openai": "sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0",
    "openai project": "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
    "anthropic": "sk-ant-api03-Zy98Xw76Vu54Ts32Rq10Po98Nm76Lk54Ji32",
    "google": "AIzaSyA1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q",
    "groq": "gsk_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9z0",
    "xai": "xai-M1n2B3v4C5x6Z7l8K9j0H1g2F3d4S5a6P7o8I9u0",
    "bearer": "tok.Abc123-def456_ghi789",           # written as "Bearer tok..." in the text
}
ENV_SECRETS = {  # values of key-like variables, in no key shape: caught by the variable's name
    "ACME_KEY": "acme-value-0001x", "ACME_TOKEN": "acme-value-0002x",
    "ACME_PASSWORD": "acme-value-0003x", "ACME_SECRET": "acme-value-0004x",
}
SECRETS = {**SHAPES, **{name: value for name, value in ENV_SECRETS.items()}}
CLAUDE = "anthropic/claude-haiku-4-5"


@pytest.fixture
def env_secrets(monkeypatch):
    for name, value in ENV_SECRETS.items():
        monkeypatch.setenv(name, value)


def _as_text(secret: str, name: str) -> str:
    return f"Bearer {secret}" if name == "bearer" else secret


def _provider_error(secret: str):
    return import_litellm().BadRequestError(message=f"bad request from key {secret}: echoing {secret}",
                                            llm_provider="anthropic", model="claude-haiku-4-5")


def _run_session(secret: str, name: str, way: str) -> LiveRun:
    text = _as_text(secret, name)
    with FaultServer() as server, scripted({CLAUDE: _provider_error(secret)}, passthrough=True):
        echo = resolve_model("m", api_base=server.url("echo_key"))
        live = LiveRun(
            targets={"a": echo, "b": resolve_model(CLAUDE)},
            prompt=f"my key is {text}" if way == "text" else "hello",
            settings=CallSettings(max_tokens=8, timeout_s=10, retries=0,
                                  system=f"the operator's key: {text}" if way == "text" else None),
            api_keys={"a": secret, "b": secret} if way == "api_key" else {"b": "session-key-for-b-0001"},
            history=open_history(),
        ).start()
        live.join(timeout=30)
    return live


@pytest.mark.parametrize("way", ["api_key", "text"])
@pytest.mark.parametrize("name", list(SECRETS))
def test_no_secret_reaches_results_history_errors_or_logs(name, way, env_secrets, caplog, monkeypatch):
    from selector.logs import setup_logging

    monkeypatch.setenv("SELECTOR_LOG_LEVEL", "DEBUG")
    log_file = setup_logging()  # this test's data directory: the file is among the places searched below
    caplog.set_level(logging.DEBUG, logger="selector")  # the app's loggers, which setup_logging sets apart
    secret = SECRETS[name]
    live = _run_session(secret, name, way)
    comparison = live.comparison()
    a, b = comparison.a, comparison.b
    assert a.ok and "you sent Bearer" in a.text, a.error     # the server echoed what it got...
    assert "[redacted]" in a.text                            # ...and the echo was scrubbed
    assert b.error_kind == "BadRequest" and "[redacted]" in b.error
    history = open_history()
    stored = history.get_run(comparison.run_id)
    places = {
        "results": repr(comparison) + json.dumps(comparison.to_dict()) + repr(live.shown),
        "errors": f"{a.error} {b.error} {live.history_error}",
        "history": repr(stored) + repr(history.query(text="")),
        "logs": caplog.text + " ".join(r.getMessage() for r in caplog.records),
    }
    for path in data_dir().rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("utf-8", "replace")
    assert log_file is not None and log_file.stat().st_size > 0 and caplog.records  # the logs were searched
    leaked = [where for where, text in places.items() if secret in text]
    assert not leaked, f"{name} ({way}) found in {leaked}"
    assert stored["results"]["a"]["text"] and "[redacted]" in stored["results"]["a"]["text"]
