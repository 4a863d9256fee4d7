"""Bundled local models: weights found and checked, servers started, reused, restarted, stopped."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace

import pytest
from conftest import require, wait_until

from selector.live import servers as local
from selector.cli import main
from selector.errors import SelectorError
from selector.history import data_dir

require("llama_cpp")


@pytest.fixture
def own_servers():
    """Servers started by a test in its own data directory are stopped after it."""
    yield
    local.stop_all()


def _alive(pid: int) -> bool:
    return local._pid_alive(pid)


@pytest.mark.parametrize("alias", list(local.LOCAL_MODELS))
def test_weights_are_found_through_package_metadata_and_match_the_pinned_hash(alias):
    path = local.model_path(alias)
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "site-packages" in str(path) or path.parent == local.cache_dir()
    record = json.loads((local.cache_dir() / "verified.json").read_text())
    assert record[str(path)]["sha256"] == local.LOCAL_MODELS[alias].sha256


def test_a_checksum_mismatch_is_a_clear_error_and_is_rechecked_after_a_change(tmp_path, monkeypatch):
    monkeypatch.setenv("SELECTOR_MODEL_CACHE", str(tmp_path / "cache"))
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 100)
    good = local._sha256_of(model)
    local.verify_sha256(model, good)  # passes and is remembered
    model.write_bytes(b"GGUF" + b"\1" * 100)  # replaced: size is equal, mtime differs
    os.utime(model, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    with pytest.raises(local.LocalModelError, match=r"m\.gguf has SHA-256 .* expected .*reinstall"):
        local.verify_sha256(model, good)


def test_a_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(local.LOCAL_MODELS, "ghost", replace(local.LOCAL_MODELS["smollm2-135m-instruct"],
                                                             alias="ghost", distribution="no-such-dist-xyz"))
    with pytest.raises(SelectorError, match=r"'no-such-dist-xyz' is not installed.*\[local\]"):
        local.model_path("ghost")


def test_unknown_local_model_is_named():
    with pytest.raises(SelectorError, match="unknown local model 'gpt-9'.*smollm2-135m-instruct"):
        local.get_local_model("gpt-9")


@pytest.mark.local_models
def test_server_starts_records_its_state_and_is_reused(own_servers):
    first = local.ensure_server("smollm2-135m-instruct")
    assert first.started_here and local.health(first.port, "smollm2-135m-instruct")
    state = json.loads((data_dir() / "local-servers.json").read_text())
    assert state["smollm2-135m-instruct"]["pid"] == first.pid
    assert state["smollm2-135m-instruct"]["port"] == first.port
    again = local.ensure_server("smollm2-135m-instruct")  # what a second browser session or CLI does
    assert (again.pid, again.port, again.started_here) == (first.pid, first.port, False)
    assert (data_dir() / "logs" / "smollm2-135m-instruct.log").stat().st_size > 0


@pytest.mark.local_models
def test_a_dead_server_is_detected_and_the_next_call_restarts_it(own_servers):
    first = local.ensure_server("smollm2-135m-instruct")
    os.kill(first.pid, signal.SIGKILL)

    def gone() -> bool:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(first.pid, os.WNOHANG)
        return not _alive(first.pid)

    wait_until(gone, 10, f"the killed server (pid {first.pid}) is still alive")
    status = {row["model"]: row for row in local.server_status()}
    assert status["smollm2-135m-instruct"]["running"] is False
    second = local.ensure_server("smollm2-135m-instruct")
    assert second.pid != first.pid and second.started_here
    assert local.health(second.port, "smollm2-135m-instruct")


@pytest.mark.local_models
def test_a_port_taken_by_another_program_is_reported(own_servers, monkeypatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(local.LocalModelError, match=f"port {taken} on 127.0.0.1 is already taken"):
            local.ensure_server("smollm2-135m-instruct", port=taken)
        # the default port taken: another free port is chosen, and the user is told
        model = replace(local.LOCAL_MODELS["smollm2-135m-instruct"], default_port=taken)
        monkeypatch.setitem(local.LOCAL_MODELS, "smollm2-135m-instruct", model)
        info = local.ensure_server("smollm2-135m-instruct")
        assert info.port != taken
        assert info.note == f"port {taken} was taken by another program; smollm2-135m-instruct uses port {info.port}"


@pytest.mark.local_models
def test_cli_local_serve_status_stop(own_servers, capsys):
    assert main(["local", "serve", "--model", "gemma-3-270m"]) == 0
    out = capsys.readouterr().out
    assert "gemma-3-270m: started, pid" in out and "http://127.0.0.1:" in out
    assert main(["local", "serve", "--model", "gemma-3-270m"]) == 0
    assert "gemma-3-270m: already running" in capsys.readouterr().out
    assert main(["local", "status", "--json"]) == 0
    rows = {row["model"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["gemma-3-270m"]["running"] and rows["gemma-3-270m"]["healthy"]
    assert not rows["smollm2-135m-instruct"]["running"]
    pid = rows["gemma-3-270m"]["pid"]
    assert main(["local", "stop"]) == 0
    out = capsys.readouterr().out
    assert "gemma-3-270m: stopped" in out and "smollm2-135m-instruct: was not running" in out
    assert not _alive(pid)
    assert main(["local", "status"]) == 0
    assert "gemma-3-270m: stopped" in capsys.readouterr().out


def test_cli_local_port_needs_a_model(capsys):
    assert main(["local", "serve", "--port", "9999"]) == 2
    assert "--port needs --model" in capsys.readouterr().err


@pytest.mark.local_models
def test_stop_with_a_pid_leaves_a_newer_server_alone(own_servers):
    info = local.ensure_server("smollm2-135m-instruct")
    assert local.stop_server("smollm2-135m-instruct", pid=info.pid + 100000) is False
    assert _alive(info.pid)
    assert local.stop_server("smollm2-135m-instruct", pid=info.pid) is True


@pytest.mark.local_models
def test_stop_started_here_stops_this_process_servers_not_the_clis(own_servers, monkeypatch, tmp_path):
    monkeypatch.setattr(local, "_started_here", {})  # only this test's servers: earlier tests' stay recorded
    served = subprocess.run([sys.executable, "-m", "selector", "local", "serve", "--model", "gemma-3-270m"],
                            capture_output=True, text=True, timeout=180, check=False)
    assert served.returncode == 0, served.stderr
    cli_pid = int(re.search(r"pid (\d+)", served.stdout).group(1))
    assert _alive(cli_pid)  # the CLI has exited; its server keeps running
    ours = local.ensure_server("smollm2-135m-instruct")
    assert ours.started_here and not local.ensure_server("gemma-3-270m").started_here
    with monkeypatch.context() as m:  # the data directory of the moment does not matter at exit
        m.setenv("SELECTOR_DATA_DIR", str(tmp_path / "elsewhere"))
        assert local.stop_started_here() == ["smollm2-135m-instruct"]
    assert not _alive(ours.pid) and _alive(cli_pid)
    assert local.stop_started_here() == []
    status = {row["model"]: row["running"] for row in local.server_status()}
    assert status == {"smollm2-135m-instruct": False, "gemma-3-270m": True}


# --- the state file is a cache of the process table -------------------------------------------------


@pytest.fixture
def fake_server(tmp_path):
    """A process whose command line and environment look like one of our llama.cpp servers of this data
    directory (it only sleeps): what the state file must never lose track of."""
    procs = []

    def start(alias: str = "smollm2-135m-instruct", directory=None, starter: int | None = None) -> subprocess.Popen:
        port = local._free_port()
        starter_env = {local.STARTER_ENV: str(starter)} if starter else {}
        proc = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(120)", "-m", "llama_cpp.server",
             "--model", str(tmp_path / "m.gguf"), "--model_alias", alias, "--port", str(port)],
            env={**os.environ, local.DATA_DIR_ENV: str(directory or data_dir()), **starter_env},
        )
        procs.append(proc)
        wait_until(lambda: local._is_our_server(proc.pid), 10, f"the fake server (pid {proc.pid}) never looked like one")
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.parametrize("damage", ["garbage", "empty object", "deleted", "a list"])
def test_a_lost_or_corrupted_state_file_is_rebuilt_from_the_running_servers(fake_server, damage, capsys):
    proc = fake_server()
    state_file = data_dir() / "local-servers.json"
    {"garbage": lambda: state_file.write_bytes(b"\x00{not json"), "empty object": lambda: state_file.write_text("{}"),
     "deleted": lambda: state_file.unlink(missing_ok=True), "a list": lambda: state_file.write_text("[1, 2]")}[damage]()
    rows = {row["model"]: row for row in local.server_status()}
    assert rows["smollm2-135m-instruct"]["running"] and rows["smollm2-135m-instruct"]["pid"] == proc.pid
    assert not rows["gemma-3-270m"]["running"]
    assert main(["local", "status"]) == 0
    assert f"smollm2-135m-instruct: running, pid {proc.pid}" in capsys.readouterr().out
    assert main(["local", "stop"]) == 0  # the server the file had lost is stopped, not orphaned
    assert "smollm2-135m-instruct: stopped" in capsys.readouterr().out
    assert proc.wait(timeout=10) is not None and not _alive(proc.pid)


def test_servers_of_another_data_directory_are_not_taken_for_ours(fake_server, tmp_path):
    theirs = fake_server(directory=tmp_path / "someone-else")
    assert local.discover_servers() == {}
    assert not any(row["running"] for row in local.server_status())
    assert main(["local", "stop"]) == 0
    assert _alive(theirs.pid)
    assert [i.pid for i in local.discover_servers(tmp_path / "someone-else")["smollm2-135m-instruct"]] == [theirs.pid]


def test_a_duplicate_is_stopped_unless_another_running_program_started_it(fake_server):
    """Two servers of one model for one data directory (a state file was lost): the extra one is stopped,
    except when the program that started it still runs (it may be using it; it stops it at its exit)."""
    other_program = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        theirs = fake_server(starter=other_program.pid)
        orphan = fake_server(starter=99_999_999)  # its starter has exited
        mine = fake_server(starter=os.getpid())
        local._stop_duplicates(local.discover_servers()["smollm2-135m-instruct"], None)
        assert _alive(theirs.pid)
        assert orphan.wait(timeout=10) is not None and mine.wait(timeout=10) is not None
    finally:
        other_program.kill()
        other_program.wait(timeout=10)


@pytest.mark.local_models
def test_a_server_the_state_file_lost_is_reused_not_started_twice(own_servers):
    first = local.ensure_server("smollm2-135m-instruct")
    (data_dir() / "local-servers.json").write_text("garbage")
    again = local.ensure_server("smollm2-135m-instruct")
    assert (again.pid, again.port, again.started_here) == (first.pid, first.port, False)
    assert json.loads((data_dir() / "local-servers.json").read_text())["smollm2-135m-instruct"]["pid"] == first.pid


@pytest.mark.local_models
def test_a_frozen_server_is_replaced_within_seconds_and_the_user_is_told(own_servers):
    first = local.ensure_server("smollm2-135m-instruct")
    os.kill(first.pid, signal.SIGSTOP)  # alive, holding its port, answering nothing
    try:
        began = time.monotonic()
        second = local.ensure_server("smollm2-135m-instruct")
        took = time.monotonic() - began
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(first.pid, signal.SIGCONT)
    assert second.pid != first.pid and second.started_here
    assert took < 30, took  # detection takes a few seconds; the rest is the new server's start
    assert f"(pid {first.pid})" in second.note and "replaced it" in second.note
    assert local.health(second.port, "smollm2-135m-instruct") and not _alive(first.pid)


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_cli_local_serve_refuses_a_port_out_of_range(port, capsys):
    assert main(["local", "serve", "--model", "smollm2-135m-instruct", "--port", port]) == 2
    err = capsys.readouterr().err
    assert err == f"error: --port must be a TCP port between 1 and 65535 (got {port})\n"
    assert local.server_status()[0]["running"] is False


# --- portable, and safe with several callers ---------------------------------------------------------


def test_the_module_imports_without_fcntl_as_on_windows():
    """No POSIX-only import at the top: on Windows `import fcntl` fails, which once broke every page."""
    code = ("import sys; sys.modules['fcntl'] = None; sys.modules['termios'] = None\n"
            "import selector.live.servers, selector.logs, selector.store.store\nprint('imported')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "imported", done.stderr


def test_a_lock_held_by_another_program_is_a_clear_error_after_a_bounded_wait(monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock\n"
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(120)",
         str(data_dir() / "local-servers.lock")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(local, "LOCK_TIMEOUT_S", 0.5)
        with pytest.raises(local.LocalModelError, match=r"another program has held the local server lock .*"
                                                        r"local-servers\.lock for over 0 s; try again"):
            local.ensure_server("smollm2-135m-instruct")
        assert local.discover_servers() == {}  # nothing was started behind the lock's back
    finally:
        holder.kill()
        holder.wait(timeout=10)


@pytest.mark.local_models
def test_two_programs_asking_at_once_end_with_one_server(own_servers):
    """What the app and a CLI (or the test process) sharing a data directory do: one starts the server,
    the other waits for that start instead of starting or stopping a second one."""
    code = ("from selector.live import servers as local; i = local.ensure_server('smollm2-135m-instruct'); "
            "print(i.pid, i.started_here)")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    answers = sorted(out.split() for out, _ in outs)
    assert answers[0][0] == answers[1][0] and sorted(a[1] for a in answers) == ["False", "True"]
    assert [i.pid for i in local.discover_servers()["smollm2-135m-instruct"]] == [int(answers[0][0])]
    assert local.health(local.ensure_server("smollm2-135m-instruct").port, "smollm2-135m-instruct")


@pytest.mark.local_models
def test_two_threads_asking_at_once_end_with_one_server(own_servers):
    infos = []
    threads = [threading.Thread(target=lambda: infos.append(local.ensure_server("gemma-3-270m"))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert len(infos) == 2 and infos[0].pid == infos[1].pid
    assert sorted(i.started_here for i in infos) == [False, True]
    assert [i.pid for i in local.discover_servers()["gemma-3-270m"]] == [infos[0].pid]


@pytest.mark.local_models
def test_a_server_busy_generating_is_reused_while_it_generates(own_servers):
    """llama.cpp answers its health check only between generations; a server streaming an answer to
    another page (even to a slow reader) is reused at once, never waited for nor taken for frozen."""
    first = local.ensure_server("gemma-3-270m")
    body = json.dumps({"model": "gemma-3-270m", "prompt": "Once upon a time", "max_tokens": 1500,
                       "stream": True, "temperature": 1.0}).encode()
    request = urllib.request.Request(f"{first.base_url}/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as stream:
        assert stream.readline().startswith(b"data:")  # generating now
        again = local.ensure_server("gemma-3-270m", timeout_s=10)  # far less than the generation takes
        rest = stream.read(4096)  # the same generation goes on after the check
    assert (again.pid, again.started_here, again.note) == (first.pid, False, first.note)  # nothing replaced
    assert b"data:" in rest


@pytest.mark.local_models
def test_a_port_taken_while_the_model_loads_is_given_up_for_another(own_servers, monkeypatch):
    """Another program (another data directory's server, say) binds the port chosen for ours before
    our server binds it: the server is started again on another port, and the user is told."""
    choose = local._choose_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        calls = []

        def choose_a_port_about_to_be_taken(model, port):
            calls.append(port)
            return (taken, None) if len(calls) == 1 else choose(model, port)

        monkeypatch.setattr(local, "_choose_port", choose_a_port_about_to_be_taken)
        info = local.ensure_server("smollm2-135m-instruct")
    assert len(calls) == 2 and info.port != taken and local.health(info.port, "smollm2-135m-instruct")
    assert info.note.startswith(f"port {taken} was taken by another program while smollm2-135m-instruct was starting")
    assert [i.pid for i in local.discover_servers()["smollm2-135m-instruct"]] == [info.pid]
