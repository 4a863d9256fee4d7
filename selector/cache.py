"""A small on-disk cache of validated catalogues, so a command does not parse 400 kB of YAML each run.

The key is a hash of everything the result depends on: the content of the catalogue and offers
files, the identity (path, size, mtime) of LiteLLM's map, and the source of the modules that define
the schema and the fit. Any change to one of them misses the cache; a cache that cannot be read or
written is skipped with a log line, never an error. Set SELECTOR_NO_CACHE=1 to turn it off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
CACHE_ENV = "SELECTOR_CACHE_DIR"
OFF_ENV = "SELECTOR_NO_CACHE"
_CODE = ("catalogue.py", "offers.py", "capability.py", "files.py")


def cache_dir() -> Path:
    """$SELECTOR_CACHE_DIR, else $XDG_CACHE_HOME/model-selector, else ~/.cache/model-selector."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "model-selector"


def fingerprint(contents: list[Path], identities: list[Path]) -> str:
    """A hash of the files' contents, the other files' path/size/mtime, and this package's schema code."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in [*contents, *(here / name for name in _CODE)]:
        digest.update(str(path).encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    for path in identities:
        try:
            stat = path.stat()
            digest.update(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        except OSError:
            digest.update(f"{path}:<missing>".encode())
    return digest.hexdigest()[:32]


def cached(namespace: str, key: str, build: Callable[[], T]) -> T:
    """build(), or its result from an earlier run with the same key."""
    if os.environ.get(OFF_ENV, "").strip() not in ("", "0"):
        return build()
    path = cache_dir() / f"{namespace}-{key}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except Exception:  # a damaged or incompatible cache file: rebuild it
        log.warning("cache file %s could not be read; rebuilding it", path, exc_info=True)
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        log.warning("cache file %s could not be written; continuing without it", path, exc_info=True)
    return value
