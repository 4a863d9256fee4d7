"""The test seam: every model call goes through one caller, LiteLLM's `completion` unless a test installs another.

Like an httpx transport, the caller is injected once (`with use_caller(fake): ...`) instead of a test
argument threaded through every signature. The override is process-wide, so it also reaches the
worker threads a session or a benchmark starts inside the block.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Caller = Callable[..., Any]

LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
_override: Caller | None = None
_lock = threading.Lock()


def import_litellm():
    """LiteLLM, imported on first use with its bundled price map (no network at import)."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    if not os.environ.get("LITELLM_LOG"):  # its debug records carry prompts, answers and request headers
        for name in LITELLM_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    return litellm


def current_caller() -> Caller:
    """The function every model call goes through: `litellm.completion`, or the one a test installed."""
    with _lock:
        fake = _override
    return fake if fake is not None else import_litellm().completion


@contextmanager
def use_caller(fake: Caller) -> Iterator[Caller]:
    """Send every model call made inside the block (in any thread) to `fake`, called with LiteLLM's kwargs."""
    global _override
    with _lock:
        previous, _override = _override, fake
    try:
        yield fake
    finally:
        with _lock:
            _override = previous
