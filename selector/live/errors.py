"""LiteLLM's, openai's and httpx's exceptions turned into the project's few error kinds, in one table.

Each kind names the exception types and HTTP status codes that mean it and says, in one line, what
to do. The first kind that matches wins (so a timeout, which LiteLLM derives from a connection
error, comes before "unreachable"). Message fragments are a last resort for servers whose errors
arrive as text only (llama.cpp's context overflow, a connection cut mid-stream).
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass

from selector.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    CallTimeout,
    ContextTooLong,
    ModelCallError,
    RateLimited,
    ServerError,
    Unreachable,
)
from selector.live.keys import provider_key_name
from selector.live.targets import Target
from selector.scrub import scrub

log = logging.getLogger(__name__)


class ServerSaid(Exception):
    """What an OpenAI-compatible server answered to a plain request: its HTTP status and message."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


@dataclass(frozen=True)
class ErrorKind:
    """One row of the table: when an exception means this kind, and the sentence that says what to do."""

    error: type[ModelCallError]
    advice: str                               # formatted with name, at, detail, key_name, when, limit, code
    types: tuple[str, ...] = ()               # "module.Class", matched anywhere in the exception's chain
    statuses: Iterable[int] = ()
    hints: tuple[str, ...] = ()               # lower-case fragments of the chain's text
    hint_statuses: Iterable[int] | None = None  # hints count only with one of these statuses (None: any)
    unless_statuses: Iterable[int] = ()


_CONTEXT_HINTS = ("context length", "context window", "maximum context", "exceed context", "too many tokens",
                  "prompt is too long", "exceeds the context", "context size")
_GARBLED_HINTS = ("expecting value", "expecting ',' delimiter", "expecting property name", "unterminated string",
                  "invalid control character", "extra data", "jsondecodeerror", "invalid json",
                  "repeating the same chunk")  # the last: LiteLLM's guard against a server looping without end
_CLOSED_HINTS = ("incomplete chunked read", "peer closed", "server disconnected", "remoteprotocolerror",
                 "connection reset", "without sending")

ERROR_KINDS: tuple[ErrorKind, ...] = (
    ErrorKind(ContextTooLong, "the prompt does not fit {name}'s context window: shorten it or lower max tokens "
              "({detail})", types=("litellm.ContextWindowExceededError",), hints=_CONTEXT_HINTS,
              hint_statuses=(400,)),
    ErrorKind(AuthError, "{name} rejected the API key: check {key_name} in the sidebar or the environment",
              types=("openai.AuthenticationError", "openai.PermissionDeniedError"), statuses=(401, 403)),
    ErrorKind(RateLimited, "{name} is rate limited or out of quota: {when}, lower max tokens, or check the plan",
              types=("openai.RateLimitError",), statuses=(429,)),
    ErrorKind(CallTimeout, "{name} did not answer{limit}: try again, lower max tokens, or raise the timeout",
              types=("openai.APITimeoutError", "httpx.TimeoutException", "builtins.TimeoutError"), statuses=(408,)),
    ErrorKind(BadResponse, "{name} sent a response that is not a readable answer: check that the URL is an "
              "OpenAI-compatible endpoint ({detail})", types=("json.JSONDecodeError", "builtins.UnicodeDecodeError"),
              hints=_GARBLED_HINTS, unless_statuses=range(400, 500)),
    ErrorKind(Unreachable, "{name}{at} closed the connection before the answer ended: is the server still running? "
              "Try again (any partial answer is kept)", types=("httpx.RemoteProtocolError", "httpx.ReadError"),
              hints=_CLOSED_HINTS),
    ErrorKind(Unreachable, "cannot reach {name}{at}: is the server running and the URL right? ({detail})",
              types=("openai.APIConnectionError", "httpx.TransportError", "builtins.ConnectionError")),
    ErrorKind(ServerError, "{name} answered with a server error{code}: try again later, or check the server's "
              "logs ({detail})", types=("openai.InternalServerError", "litellm.ServiceUnavailableError"),
              statuses=range(500, 600)),
    ErrorKind(BadRequest, "{name} is not a model this provider serves: check the model name ({detail})",
              types=("openai.NotFoundError",), statuses=(404,)),
    ErrorKind(BadRequest, "{name} rejected the request: {detail}",
              types=("openai.BadRequestError", "openai.UnprocessableEntityError"), statuses=(400, 422)),
)
FALLBACK = ErrorKind(ModelCallError, "{name} failed: {type}: {detail}")


@functools.lru_cache(maxsize=None)
def _resolve(name: str) -> type | None:
    module, _, cls = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), cls, None)
    except ImportError:
        return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _matches(kind: ErrorKind, chain: list[BaseException], status: int | None, text: str) -> bool:
    if status is not None and status in kind.unless_statuses:
        return False
    types = tuple(t for t in map(_resolve, kind.types) if t is not None)
    if types and any(isinstance(e, types) and not isinstance(e, ModelCallError) for e in chain):
        return True
    if status is not None and status in kind.statuses:
        return True
    hinted = kind.hint_statuses is None or (status is not None and status in kind.hint_statuses)
    return hinted and any(h in text for h in kind.hints)


def classify(exc: BaseException) -> ErrorKind:
    """The table's first kind that matches the exception (FALLBACK when none does)."""
    chain = _chain(exc)
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    return next((k for k in ERROR_KINDS if _matches(k, chain, status, text)), FALLBACK)


def map_error(exc: BaseException, target: Target, secrets: Iterable[str | None] = (), timeout_s: float | None = None,
              api_base: str | None = None) -> ModelCallError:
    """The project's error for anything a call raised, with a one-line message free of keys."""
    if isinstance(exc, ModelCallError):
        return type(exc)(scrub(str(exc), secrets))
    kind = classify(exc)
    where = api_base or target.api_base
    status = getattr(exc, "status_code", None)
    wait = retry_after_s(exc)
    message = kind.advice.format(
        name=target.label, detail=short_detail(exc), type=type(exc).__name__,
        at=f" at {where}" if where and where not in target.label else "",
        key_name=provider_key_name(target) or "its API key",
        when=f"retry after {wait:.0f} s" if wait is not None else "wait a minute",
        limit=f" within {timeout_s:g} s" if timeout_s else " in time",
        code=f" (HTTP {status})" if isinstance(status, int) else "",
    )
    return kind.error(scrub(message, secrets))


def retry_after_s(exc: BaseException) -> float | None:
    """Seconds from a Retry-After header on the error's response, when there is one."""
    for obj in (exc, getattr(exc, "__cause__", None), getattr(exc, "__context__", None)):
        for headers in (getattr(getattr(obj, "response", None), "headers", None),
                        getattr(obj, "litellm_response_headers", None), getattr(obj, "headers", None)):
            value = headers.get("retry-after") if hasattr(headers, "get") else None
            if value is not None:
                seconds = _seconds(value)
                if seconds is not None:
                    return seconds
    return None


def _seconds(value) -> float | None:
    """A Retry-After value (seconds or an HTTP date) as seconds from now."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    import email.utils

    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def short_detail(exc: BaseException) -> str:
    msg = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    msg = re.sub(r"^(litellm\.)?\w+(Error|Exception):\s*", "", msg.strip())
    msg = re.sub(r"^(litellm\.)?\w+(Error|Exception):\s*", "", msg)
    msg = " ".join(msg.split())
    return msg[:200] + ("..." if len(msg) > 200 else "")


def scrubbed_traceback(exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """The exception's traceback as text, with every key scrubbed (error messages may echo a key)."""
    return scrub("".join(traceback.format_exception(exc)).rstrip(), list(secrets))
