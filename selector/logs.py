"""Logging for the app and the CLI: one rotating file in the data directory, every line scrubbed of keys.

`setup_logging()` is called once at each entry point (the CLI's `main`, the app's `app.py`); calling it
again (every Streamlit rerun, several threads) does nothing more, unless the data directory has changed,
when the file handler moves there. Modules only ever do `log = logging.getLogger(__name__)`.

The file is `<data dir>/logs/selector.log` (rotated at 1 MB, three old files kept); the level of this
package's and the pages' loggers comes from SELECTOR_LOG_LEVEL (default INFO); other libraries' warnings
and errors reach the file too. Every line, traceback included, passes through `selector.scrub.scrub`
before it is written, so a key in a message or an exception never reaches the file. A data directory
that cannot be written sends the log to stderr instead, with one warning.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
from pathlib import Path

from selector.errors import SelectorError
from selector.scrub import scrub
from selector.store.common import data_dir as default_data_dir

LEVEL_ENV = "SELECTOR_LOG_LEVEL"
DEFAULT_LEVEL = logging.INFO
LOG_NAME = "selector.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
# The loggers the level applies to: this package's and the pages'. Other libraries keep their own level
# (the root's WARNING): raising it would wake their own handlers, e.g. LiteLLM's INFO lines on stdout.
APP_LOGGERS = ("selector", "pages", "__main__")
_MARK = "_selector_log_target"  # set on the handler this module installs: the file it was asked to write
_lock = threading.Lock()


class ScrubbingFormatter(logging.Formatter):
    """A formatter whose whole output (message, arguments, traceback, stack) goes through `scrub`."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record)) or ""


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (as logging's own last-resort handler does), so a
    replaced stderr (a test's capture, a closed console) is never written after it is gone."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def log_path(directory: Path | None = None) -> Path:
    """Where the log file is (or would be) for this data directory."""
    return (directory or default_data_dir()) / "logs" / LOG_NAME


def _level() -> tuple[int, str | None]:
    """The level from SELECTOR_LOG_LEVEL, and a complaint when its value is not a level."""
    raw = os.environ.get(LEVEL_ENV, "").strip()
    if not raw:
        return DEFAULT_LEVEL, None
    level = logging.getLevelName(raw.upper()) if not raw.isdigit() else int(raw)
    if isinstance(level, int):
        return level, None
    return DEFAULT_LEVEL, f"{LEVEL_ENV}={raw!r} is not a logging level (DEBUG, INFO, WARNING, ERROR); using INFO"


def _installed(root: logging.Logger) -> logging.Handler | None:
    return next((h for h in root.handlers if hasattr(h, _MARK)), None)


def _file_handler(directory: Path | None) -> tuple[logging.Handler, str | None]:
    """A rotating file handler in the data directory, or a stderr handler and why the file could not be used."""
    try:
        path = log_path(directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
        )
        return handler, None
    except (OSError, SelectorError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        return _StderrHandler(), f"the log file cannot be written ({reason}); logging to stderr"


def _set_app_level(level: int) -> None:
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(level)


def setup_logging(data_dir: Path | None = None) -> Path | None:
    """Send this process's logs to `<data dir>/logs/selector.log`, scrubbed; safe to call any number of times.

    Returns the log file, or None when the log goes to stderr because the data directory is not writable.
    """
    level, complaint = _level()
    root = logging.getLogger()
    with _lock:
        current = _installed(root)
        try:
            wanted = str(log_path(data_dir))
        except SelectorError:
            wanted = None
        _set_app_level(level)
        if current is not None and getattr(current, _MARK) == wanted:
            if isinstance(current, logging.FileHandler):
                current.setLevel(level)
            return Path(current.baseFilename) if isinstance(current, logging.FileHandler) else None
        handler, problem = _file_handler(data_dir)
        setattr(handler, _MARK, wanted)
        handler.setFormatter(ScrubbingFormatter(FORMAT))
        handler.setLevel(level if problem is None else max(level, logging.WARNING))  # stderr: no chatter
        if current is not None:
            root.removeHandler(current)
            current.close()
        root.addHandler(handler)
    log = logging.getLogger(__name__)
    if complaint:
        log.warning("%s", complaint)
    if problem:
        log.warning("%s", problem)
        return None
    return Path(getattr(handler, "baseFilename"))
