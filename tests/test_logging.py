"""The log file: where it goes, its level, tracebacks of survived failures, and never a key in it."""

from __future__ import annotations

import io
import logging
import sys
import threading

import pytest

from selector import cache, logs
from selector.history import data_dir
from selector.scrub import REDACTED

log = logging.getLogger("selector.tests.logging")


@pytest.fixture(autouse=True)
def _restore_root_logger():
    """Each test installs the handler afresh; the root logger is put back as it was afterwards."""
    root = logging.getLogger()
    handlers, levels = list(root.handlers), {name: logging.getLogger(name).level for name in logs.APP_LOGGERS}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if hasattr(h, logs._MARK)]


def _text() -> str:
    return logs.log_path().read_text(encoding="utf-8")


def test_the_log_file_is_made_in_the_data_directory_and_gets_the_lines():
    path = logs.setup_logging()
    assert path == data_dir() / "logs" / "selector.log" and path.is_file()
    log.info("hello from a test")
    line = next(ln for ln in _text().splitlines() if "hello from a test" in ln)
    assert " INFO selector.tests.logging [MainThread] hello from a test" in line


def test_setup_is_idempotent_across_calls_and_threads():
    threads = [threading.Thread(target=logs.setup_logging) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    logs.setup_logging()
    assert len(_ours()) == 1
    log.warning("only once")
    assert _text().count("only once") == 1


def test_a_new_data_directory_moves_the_one_handler_there(tmp_path):
    first = logs.setup_logging()
    second = logs.setup_logging(tmp_path / "other")
    assert second == tmp_path / "other" / "logs" / "selector.log" and second != first
    assert len(_ours()) == 1


@pytest.mark.parametrize(("value", "shown", "hidden"), [
    ("WARNING", "a warning line", "an info line"),
    ("debug", "a debug line", None),
    ("ERROR", "an error line", "a warning line"),
])
def test_the_level_comes_from_the_environment(monkeypatch, value, shown, hidden):
    monkeypatch.setenv("SELECTOR_LOG_LEVEL", value)
    logs.setup_logging()
    log.debug("a debug line")
    log.info("an info line")
    log.warning("a warning line")
    log.error("an error line")
    text = _text()
    assert shown in text
    assert hidden is None or hidden not in text


def test_other_libraries_keep_their_level_so_their_own_handlers_stay_quiet(monkeypatch):
    """LiteLLM prints INFO lines to stdout through a handler of its own: raising the root's level would
    put them into the CLI's JSON output."""
    monkeypatch.setenv("SELECTOR_LOG_LEVEL", "DEBUG")
    logs.setup_logging()
    assert log.isEnabledFor(logging.DEBUG) and logging.getLogger("pages.compare").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("LiteLLM").isEnabledFor(logging.INFO)
    logging.getLogger("some.library").warning("a library's warning")
    assert "WARNING some.library [MainThread] a library's warning" in _text()


def test_an_invalid_level_falls_back_to_info_with_a_warning(monkeypatch):
    monkeypatch.setenv("SELECTOR_LOG_LEVEL", "LOUD")
    logs.setup_logging()
    log.debug("a debug line")
    log.info("an info line")
    text = _text()
    assert "SELECTOR_LOG_LEVEL='LOUD' is not a logging level" in text
    assert "an info line" in text and "a debug line" not in text


def test_an_unwritable_data_directory_logs_to_stderr_with_one_warning(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert logs.setup_logging(blocker) is None
    assert logs.setup_logging(blocker) is None  # a rerun: no second handler, no second warning
    log.warning("still heard")
    err = capsys.readouterr().err
    assert err.count("the log file cannot be written") == 1 and "still heard" in err
    assert len(_ours()) == 1
    later = io.StringIO()  # stderr replaced afterwards (another test's capture): the lines follow it
    monkeypatch.setattr(sys, "stderr", later)
    log.warning("after stderr changed")
    assert "after stderr changed" in later.getvalue()


def test_a_failure_caught_in_a_worker_thread_leaves_its_traceback_in_the_file(tmp_path, monkeypatch):
    """A damaged cache file read by a background thread: the thread survives (the value is rebuilt)
    and the file holds the traceback of what went wrong, with the thread's name."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.OFF_ENV, raising=False)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "things-k1.pickle").write_bytes(b"\x80\x05not a pickle at all")
    logs.setup_logging()
    results = []
    worker = threading.Thread(target=lambda: results.append(cache.cached("things", "k1", lambda: 42)), name="worker-7")
    worker.start()
    worker.join(timeout=30)
    assert results == [42]
    text = _text()
    assert "WARNING selector.cache [worker-7] cache file" in text
    assert "Traceback (most recent call last)" in text and "pickle" in text.split("Traceback", 1)[1]


def _keys() -> dict[str, str]:
    # Built from pieces so that this file itself holds nothing shaped like a key.
    tail = "Q7xW2mK9pL4vN8rT6yB3hJ5d"
    return {
        "openai": "sk-" + tail,
        "openai project": "sk-proj-" + tail + "_-" + tail,
        "anthropic": "sk-ant-api03-" + tail,
        "google": "AIza" + "Sy" + tail + "0123456789",
        "groq": "gsk_" + tail,
        "xai": "xai-" + tail,
        "bearer": "eyJhbGciOi." + tail + ".sig",
        "env KEY": "plain-looking-value-" + tail[:6],
        "env TOKEN": "tok/" + tail[:10],
        "env PASSWORD": "correct horse battery " + tail[:4],
        "env SECRET": "s3cr3t=" + tail[:8],
    }


@pytest.mark.parametrize("shape", list(_keys()))
def test_no_key_shape_reaches_the_file_from_a_message_or_a_traceback(shape, monkeypatch):
    key = _keys()[shape]
    if shape.startswith("env "):
        monkeypatch.setenv(f"SOME_SERVICE_{shape.split()[1]}", key)
    text_with_key = f"Authorization: Bearer {key}" if shape == "bearer" else key
    logs.setup_logging()
    log.info("calling the provider with %s", text_with_key)
    log.warning(f"formatted into the message: {text_with_key}")
    try:
        try:
            raise ValueError(f"the provider refused {text_with_key}")
        except ValueError as inner:
            raise RuntimeError(f"wrapped: {text_with_key}") from inner
    except RuntimeError:
        log.exception("the call failed")
    text = _text()
    assert "Traceback (most recent call last)" in text and "the call failed" in text
    assert key not in text
    assert text.count(REDACTED) >= 4
