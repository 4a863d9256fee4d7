"""History under faults: locked by another process mid-run, a damaged file, a read-only data directory.

Nothing finished is lost: a busy database is retried and then says what was not saved; a damaged
file is moved aside (and named) and a fresh one works; pages and commands that can go without
history do, with one line instead of a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fake_openai_server import FakeServer
from selector.history import StoreBusy, StoreError, data_dir, open_history
from selector.store import engine as store_engine
from selector.store import store as store_module

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "data" / "examples" / "support-bot.yaml"


@pytest.fixture
def quick_retries(monkeypatch):
    """Short lock waits so a test holding the lock past every retry takes about a second, not a minute."""
    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_S", 0.1)
    monkeypatch.setattr(store_module, "BUSY_RETRIES", 3)
    monkeypatch.setattr(store_module, "BUSY_BACKOFF_S", 0.05)


class Locker:
    """Another process holding the history's write lock (BEGIN EXCLUSIVE) until released."""

    def __init__(self, path: Path):
        code = textwrap.dedent(f"""
            import sqlite3, sys
            con = sqlite3.connect({str(path)!r}, timeout=10, isolation_level=None)
            con.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            sys.stdin.readline()
            con.execute("COMMIT")
        """)
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
        self.proc.wait(timeout=10)


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "selector", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env={**os.environ, **(env or {})}, check=False)


# --- locked mid-run by another process ----------------------------------------------------------------


def test_a_write_waits_out_another_process_lock_and_keeps_the_finished_side(quick_retries):
    history = open_history()
    run_id = history.start_run("mid-run")
    history.save_result(run_id, "a", {"model": "gpt-4o", "text": "first side, saved before the lock"})
    locker = Locker(history.path)
    saved = threading.Event()

    def save_b():
        history.save_result(run_id, "b", {"model": "gpt-4o-mini", "text": "second side, saved after the lock"})
        saved.set()

    thread = threading.Thread(target=save_b)
    thread.start()
    time.sleep(0.3)  # the writer is retrying now
    assert not saved.is_set()
    locker.release()
    thread.join(timeout=30)
    assert saved.is_set()
    history.finish_run(run_id, 1.0)
    stored = history.get_run(run_id)
    assert stored["status"] == "done"
    assert {side: r["text"] for side, r in stored["results"].items()} == {
        "a": "first side, saved before the lock", "b": "second side, saved after the lock"}


def test_a_lock_held_past_every_retry_is_a_storebusy_that_names_what_was_not_saved(quick_retries):
    history = open_history()
    run_id = history.start_run("kept")
    history.save_result(run_id, "a", {"model": "gpt-4o", "text": "kept"})
    locker = Locker(history.path)
    try:
        began = time.monotonic()
        with pytest.raises(StoreBusy, match=r"history .* is busy .*save result was not done after 4 tries") as info:
            history.save_result(run_id, "b", {"model": "gpt-4o-mini", "text": "in memory only"})
        assert time.monotonic() - began < 10
        assert isinstance(info.value, StoreError) and "\n" not in str(info.value)
        assert history.get_run(run_id)["results"]["a"]["text"] == "kept"  # readers are not blocked (WAL)
    finally:
        locker.release()
    history.save_result(run_id, "b", {"model": "gpt-4o-mini", "text": "saved on the next try"})
    assert set(history.get_run(run_id)["results"]) == {"a", "b"}


def test_a_busy_retry_in_a_worker_thread_leaves_its_traceback_in_the_log_file(quick_retries, monkeypatch):
    """The store survives a lock held by another process (it retries); the log file keeps each retry's
    cause with its traceback and the worker thread's name."""
    import logging

    from selector import logs

    root = logging.getLogger()
    before = list(root.handlers)
    for name in logs.APP_LOGGERS:  # put back as they were afterwards
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    logs.setup_logging()
    try:
        history = open_history()
        run_id = history.start_run("kept")
        locker = Locker(history.path)
        outcome = []

        def worker():
            try:
                history.save_result(run_id, "a", {"model": "gpt-4o", "text": "later"})
            except StoreBusy as error:
                outcome.append(error)

        thread = threading.Thread(target=worker, name="history-writer")
        thread.start()
        thread.join(timeout=60)
        locker.release()
        assert outcome and isinstance(outcome[0], StoreBusy)
        text = logs.log_path().read_text()
        assert "INFO selector.store.store [history-writer] history" in text and "is busy; retrying" in text
        assert "Traceback (most recent call last)" in text and "database is locked" in text
    finally:
        for handler in root.handlers:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


def test_a_repair_lock_held_by_another_program_is_a_clear_error_after_a_bounded_wait(monkeypatch):
    path = data_dir() / "history.sqlite3"
    _history_with_runs(path)
    _damage(path, 5)
    _forget_checks(monkeypatch)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock\n"
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(120)",
         str(path.with_name(path.name + ".repair-lock"))],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(store_module, "REPAIR_LOCK_TIMEOUT_S", 0.5)
        with pytest.raises(StoreError, match=r"is damaged .* and another program has been moving it aside for "
                                             r"over 0 s; try again"):
            open_history().query()
        assert _moved_aside(data_dir()) == []  # nothing moved behind the other program's back
    finally:
        holder.kill()
        holder.wait(timeout=10)


# --- a damaged file --------------------------------------------------------------------------------


def _history_with_runs(path: Path, runs: int = 12) -> None:
    history = open_history(path)
    for n in range(runs):
        run_id = history.start_run(f"prompt {n} " + "x" * 3000)
        history.save_result(run_id, "a", {"model": "gpt-4o", "text": "y" * 3000})
        history.finish_run(run_id, 1.0)
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _damage(path: Path, from_page: int) -> None:
    """Garbage over every page from `from_page` (1-based) on; the 100-byte header stays valid."""
    data = bytearray(path.read_bytes())
    assert data.startswith(b"SQLite format 3\0")
    page = int.from_bytes(data[16:18], "big")
    start = max(100, (from_page - 1) * page)
    data[start:] = (b"\xde\xad\xbe\xef" * (len(data) // 4 + 1))[: len(data) - start]
    path.write_bytes(data)


def _moved_aside(folder: Path) -> list[Path]:
    """The damaged files moved aside (without the WAL that goes with each)."""
    return sorted(p for p in folder.glob("history.sqlite3.damaged-*") if not p.name.endswith(("-wal", "-journal")))


def _forget_checks(monkeypatch) -> None:
    """As in a new process: the once-per-process integrity check runs again."""
    monkeypatch.setattr(store_module, "_opened", set())
    monkeypatch.setattr(store_module, "_notices", {})


@pytest.mark.parametrize("from_page", [1, 5], ids=["schema page", "data pages"])
def test_a_damaged_file_is_moved_aside_named_and_a_fresh_one_works(tmp_path, monkeypatch, from_page):
    path = data_dir() / "history.sqlite3"
    _history_with_runs(path)
    _damage(path, from_page)
    _forget_checks(monkeypatch)
    history = open_history()
    moved = _moved_aside(data_dir())
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"SQLite format 3\0")
    assert history.notice and moved[0].name in history.notice and "\n" not in history.notice
    assert "a fresh history was started" in history.notice
    assert history.query() == []
    run_id = history.start_run("after the repair")
    history.save_result(run_id, "a", {"model": "gpt-4o", "text": "works"})
    assert history.get_run(run_id)["results"]["a"]["text"] == "works"
    assert open_history().notice == history.notice  # the pages opened later in this process can show it


def test_damage_found_while_in_use_is_repaired_and_a_read_goes_on_with_the_fresh_file(monkeypatch):
    history = open_history()
    path = Path(history.path)
    _history_with_runs(path)
    _damage(path, 5)
    assert history.query() == []  # not a traceback: the damaged file is moved aside and read afresh
    assert _moved_aside(path.parent)
    assert "damaged" in history.notice


def test_the_cli_goes_on_after_a_damaged_history_without_a_traceback(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = {"SELECTOR_DATA_DIR": str(data)}
    _history_with_runs(data / "history.sqlite3")
    _damage(data / "history.sqlite3", 5)
    out = tmp_path / "report.md"
    done = _run("report", "--answers", str(ANSWERS), "--format", "md", "--out", str(out), "--runs", "all", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "damaged" in done.stderr and "moved aside" in done.stderr
    assert out.read_text().strip()
    _damage(data / "history.sqlite3", 1)  # the fresh one is damaged too: compare repairs it and saves its run
    with FakeServer() as server:
        done = _run("compare", "--a", "openai/one", "--b", "openai/two", "--api-base", server.base_url,
                    "--prompt", "hi", "--max-tokens", "8", env=env | {"OPENAI_API_KEY": "sk-test"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Hello there" in done.stdout
    assert len(_moved_aside(data)) == 2
    rows = open_history(data / "history.sqlite3").query()
    assert {row["side"] for row in rows} == {"a", "b"}


# --- runs a crash left running ------------------------------------------------------------------------


def test_runs_a_crashed_program_left_running_are_closed_as_interrupted_at_the_next_start(monkeypatch):
    history = open_history()
    old = history.start_run("crashed long ago")
    history.save_result(old, "a", {"model": "gpt-4o", "text": "the side that finished is kept"})
    live = history.start_run("still streaming in another program")
    done = history.start_run("finished")
    history.finish_run(done, 1.0)
    long_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).isoformat(timespec="milliseconds")
    with sqlite3.connect(history.path) as con:
        con.execute("UPDATE runs SET created_at = ? WHERE id IN (?, ?)", (long_ago, old, done))
        con.execute("UPDATE results SET finished_at = ? WHERE run_id = ?", (long_ago, old))
    _forget_checks(monkeypatch)  # the next program start
    history = open_history()
    assert history.get_run(old)["status"] == "interrupted"
    assert history.get_run(old)["results"]["a"]["text"] == "the side that finished is kept"
    assert history.get_run(live)["status"] == "running"  # recent: another program may still be on it
    assert history.get_run(done)["status"] == "done"


# --- a read-only data directory --------------------------------------------------------------------


@pytest.fixture
def read_only_dir(tmp_path, monkeypatch):
    """A data directory nobody may write: chmod 0555 for a normal user; root ignores modes, so for root a
    directory of sysfs, which is read-only for everyone."""
    if os.geteuid() != 0:
        path = tmp_path / "read-only"
        path.mkdir()
        path.chmod(0o555)
    else:
        path = Path("/sys/kernel")
    try:
        (path / "probe").write_text("x")
    except OSError:
        pass
    else:
        pytest.fail(f"{path} is writable: cannot simulate a read-only data directory here")
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(path))
    yield path
    if os.geteuid() != 0:
        path.chmod(0o755)


def test_a_read_only_data_directory_is_a_store_error_not_a_traceback(read_only_dir):
    with pytest.raises(StoreError, match=r"history .*history\.sqlite3 cannot be opened: unable to open database "
                                         r"file; make its directory writable or set SELECTOR_DATA_DIR$"):
        open_history()


def test_the_recommendation_page_renders_without_history_in_a_read_only_directory(read_only_dir):
    from conftest import open_app_page

    from selector.answers import load_answers

    at = open_app_page("pages/recommend.py", session={"answers": load_answers(ANSWERS)}, timeout=60)
    assert not at.error, [e.value for e in at.error]
    assert any("History unavailable" in c.value for c in at.caption)
    assert any(h.value == "Recommendation" for h in at.header)  # the recommendation itself is drawn


def test_local_serve_in_a_read_only_directory_exits_2_with_one_line(read_only_dir):
    done = _run("local", "serve", "--model", "smollm2-135m-instruct", env={"SELECTOR_DATA_DIR": str(read_only_dir)})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    # One error line, after the one warning that the log goes to stderr (its file cannot be written either).
    warning, *lines = done.stderr.strip().splitlines()
    assert "WARNING selector.logs" in warning and "the log file cannot be written" in warning
    assert len(lines) == 1 and lines[0].startswith("error: data directory") and "not writable" in lines[0]
    assert "SELECTOR_DATA_DIR" in lines[0]
