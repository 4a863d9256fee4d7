"""One bounded streaming call, with retries: the whole call has a deadline, the stream an idle deadline,
the answer a byte cap, and a Retry-After longer than we wait fails at once, saying when to retry.

The request and its stream are read in their own thread (`_Pump`); the caller waits on a queue with
its own deadlines, so no stream shape (headers then silence, comment-only keepalives, a trickle) can
hold it. `run_side` never raises for a failed call: the error is in the result.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from selector.errors import BadResponse, CallTimeout, ModelCallError, RateLimited, SelectorError, Unreachable
from selector.live.caller import current_caller, import_litellm
from selector.live.errors import ServerSaid, map_error, retry_after_s, scrubbed_traceback
from selector.live.keys import find_api_key
from selector.live.metrics import fill_cost, fill_tokens
from selector.live.targets import Target

log = logging.getLogger(__name__)

MAX_TOKENS_CAP = 4096
CALL_DEADLINE_S = 60.0        # the whole call, from the request to the last byte, whatever the stream sends
IDLE_DEADLINE_S = 30.0        # between content tokens once the first has arrived (keepalives do not count)
MAX_ANSWER_BYTES = 256_000    # answer text kept per side: a server ignoring max_tokens is cut here
MAX_RETRY_AFTER_S = 10.0      # the longest Retry-After honoured; a longer one fails at once, saying when to retry
FIRST_BACKOFF_S = 0.5
CLI_KEYS = ("model", "text", "ttft_s", "latency_s", "output_tokens", "tokens_per_s", "cost_usd", "finish_reason", "error")


@dataclass(frozen=True)
class CallSettings:
    max_tokens: int = 256
    temperature: float = 0.7
    system: str | None = None
    timeout_s: float = CALL_DEADLINE_S   # the whole call: request, every byte, retries included
    retries: int = 1               # only before the first token, only for rate limits and connection failures
    idle_timeout_s: float = IDLE_DEADLINE_S     # between content tokens once the first has arrived
    max_answer_bytes: int = MAX_ANSWER_BYTES
    max_retry_after_s: float = MAX_RETRY_AFTER_S

    def checked(self) -> CallSettings:
        if not 1 <= self.max_tokens <= MAX_TOKENS_CAP:
            raise SelectorError(f"max tokens must be between 1 and {MAX_TOKENS_CAP} (got {self.max_tokens})")
        if not 0 <= self.temperature <= 2:
            raise SelectorError(f"temperature must be between 0 and 2 (got {self.temperature})")
        if self.timeout_s <= 0:
            raise SelectorError(f"timeout must be positive (got {self.timeout_s})")
        if self.idle_timeout_s <= 0:
            raise SelectorError(f"idle timeout must be positive (got {self.idle_timeout_s})")
        if self.max_answer_bytes < 1:
            raise SelectorError(f"the answer size cap must be at least 1 byte (got {self.max_answer_bytes})")
        return self

    def to_record(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "timeout_s": self.timeout_s,
                "retries": self.retries}


@dataclass
class SideResult:
    model: str
    litellm_model: str | None = None
    api_base: str | None = None
    text: str = ""
    ttft_s: float | None = None
    latency_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    output_tokens_counted: bool | None = None   # True: counted here because the server sent no usage
    tokens_per_s: float | None = None
    cost_usd: float | None = None               # None: unknown
    cost_source: str | None = None              # 'litellm', 'catalogue', 'local' or None
    finish_reason: str | None = None
    error: str | None = None
    error_kind: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON for one side."""
        return {k: getattr(self, k) for k in CLI_KEYS}

    def to_record(self) -> dict[str, Any]:
        """Everything history stores for one side."""
        return asdict(self)


def check_prompt(prompt: str) -> str:
    """The prompt, or SelectorError when there is nothing to send."""
    if not (prompt or "").strip():
        raise SelectorError("prompt is empty: type what the two models should answer")
    return prompt


def _messages(prompt: str, system: str | None) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": prompt}]


def run_side(
    target: Target, prompt: str, settings: CallSettings, *, api_key: str | None = None,
    on_delta: Callable[[str], None] | None = None, stop: threading.Event | None = None,
) -> SideResult:
    """Stream one model's answer; never raises for a failed call (the error is in the result).

    TTFT and latency are measured from the moment the request of the attempt that answered is sent.
    """
    return _SideCall(target, prompt, settings.checked(), api_key, on_delta, stop).run()


@dataclass
class _Attempt:
    """What one attempt has read so far."""

    api_base: str | None
    t_sent: float | None = None
    t_first: float | None = None
    t_last: float | None = None
    idle_until: float = 0.0
    chunks: int = 0
    size: int = 0
    text: list[str] = field(default_factory=list)
    usage: Any = None


class _SideCall:
    """One side's call: attempts (retried only before the first token), then the metrics."""

    def __init__(self, target: Target, prompt: str, settings: CallSettings, api_key, on_delta, stop):
        self.target, self.settings, self.api_key = target, settings, api_key
        self.on_delta, self.stop = on_delta, stop
        self.messages = _messages(prompt, settings.system)
        self.secrets: list[str | None] = [api_key]
        self.litellm = import_litellm()
        self.result = SideResult(model=target.spec, litellm_model=target.litellm_model, api_base=target.api_base)
        self.deadline = time.monotonic() + settings.timeout_s  # one bound on the whole call, retries included

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def run(self) -> SideResult:
        backoff = FIRST_BACKOFF_S
        for attempt in range(self.settings.retries + 1):
            self.result.attempts = attempt + 1
            state = _Attempt(api_base=self.target.api_base)
            failure = self._attempt(state)
            if failure is None or attempt == self.settings.retries:
                break
            wait = self._retry_wait(*failure, state, backoff)
            if wait is None:
                break
            if self.stop is not None:
                self.stop.wait(wait)
            else:
                time.sleep(wait)
            backoff *= 2
            if self.stopped():
                break
        return self._finish(state)

    def _attempt(self, state: _Attempt) -> tuple[ModelCallError, BaseException] | None:
        """One request and its stream; (our error, the raised exception) when it failed."""
        pump = _Pump(self.target, self.messages, self.settings, self.api_key)
        try:
            pump.start()
            self._read(pump, state)
            self.result.error = self.result.error_kind = None
            self._check_stream(pump, state)
            return None
        except Exception as exc:  # every failure becomes the side's error, never the caller's
            err = map_error(exc, self.target, self.secrets, self.settings.timeout_s, state.api_base)
            self.result.error, self.result.error_kind = str(err), type(err).__name__
            # a known kind is the model's or the network's doing; an unmapped one may be a bug here
            level = logging.WARNING if type(err) is ModelCallError else logging.INFO
            log.log(level, "live: %s failed (%s): %s\n%s", self.target.spec, type(err).__name__, err,
                    scrubbed_traceback(exc, self.secrets))
            return err, exc
        finally:
            pump.close()

    def _retry_wait(self, err: ModelCallError, exc: BaseException, state: _Attempt, backoff: float) -> float | None:
        """Seconds to wait before trying again, or None when this failure is not retried."""
        if state.t_first is not None or not isinstance(err, (RateLimited, Unreachable)) or self.stopped():
            return None
        wait = backoff
        if isinstance(err, RateLimited):
            asked = retry_after_s(exc)
            if asked is not None:
                wait = asked if asked <= self.settings.max_retry_after_s else None
        return wait if wait is not None and time.monotonic() + wait < self.deadline else None

    def _read(self, pump: _Pump, state: _Attempt) -> None:
        """Take the pump's events until the stream ends, stop is asked, or a deadline passes (CallTimeout)."""
        while True:
            left = self._time_left(state)
            try:
                kind, payload = pump.events.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self.stopped():
                    self.result.finish_reason = "stopped"
                    return
                continue
            if kind == "sent":
                state.t_sent = payload
            elif kind == "base":
                state.api_base = self.result.api_base = payload
            elif kind == "key":
                self.secrets.append(payload)
            elif kind == "error":
                raise payload
            elif kind == "end":
                return
            else:
                self._on_chunk(state, *payload)
                if self.stopped():
                    self.result.finish_reason = "stopped"
                    return

    def _time_left(self, state: _Attempt) -> float:
        now = time.monotonic()
        left = self.deadline - now
        if state.t_first is not None:
            left = min(left, state.idle_until - now)
        if left > 0:
            return left
        label, partial = self.target.label, " (the partial answer is kept)" if state.text else ""
        if state.t_first is None or self.deadline - now <= 0:
            raise CallTimeout(f"{label} did not answer within {self.settings.timeout_s:g} s: lower max tokens "
                              "or raise the timeout" + partial)
        raise CallTimeout(f"{label} sent nothing for {self.settings.idle_timeout_s:g} s after it started to answer: "
                          "the server may be stuck; try again (the partial answer is kept)")

    def _on_chunk(self, state: _Attempt, chunk, now: float) -> None:
        if getattr(chunk, "usage", None) is not None:
            state.usage = chunk.usage
        for choice in chunk.choices or []:
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None) if delta is not None else None
            if content:
                self._on_text(state, content, now)
            if choice.finish_reason:
                self.result.finish_reason = choice.finish_reason

    def _on_text(self, state: _Attempt, content: str, now: float) -> None:
        """Keep a content delta, up to the byte cap (BadResponse once a server passes it)."""
        if state.t_first is None:
            state.t_first = now
        state.t_last = now
        state.idle_until = time.monotonic() + self.settings.idle_timeout_s
        state.chunks += 1
        room = self.settings.max_answer_bytes - state.size
        data = content.encode("utf-8")
        if len(data) > room:
            content = data[:room].decode("utf-8", "ignore")
        state.size += len(content.encode("utf-8"))
        if content:
            state.text.append(content)
            if self.on_delta is not None:
                self.on_delta(content)
        if len(data) > room:
            raise BadResponse(f"{self.target.label} sent more than {self.settings.max_answer_bytes} bytes, ignoring "
                              "max tokens: the answer was cut there (the partial answer is kept)")

    def _check_stream(self, pump: _Pump, state: _Attempt) -> None:
        """An empty or unreadable stream becomes an error; a usage LiteLLM made up is dropped."""
        stream, own_server = pump.stream, bool(self.target.api_base or self.target.local_alias)
        stopped = self.result.finish_reason == "stopped"
        if not state.text and not stopped and own_server:
            # llama.cpp reports a prompt longer than its context as an empty 200 stream; asking
            # once more without streaming (one token, nothing was shown yet) surfaces the error.
            pump.close()
            _probe_empty_stream(pump.kwargs, state.api_base, max(1.0, min(30.0, self.deadline - time.monotonic())))
        if not state.text and not stopped and _server_sent_nothing(stream, self.result.finish_reason, state.usage):
            raise BadResponse(f"{self.target.label} answered without a readable stream{_content_type(stream)}: check "
                              "that the URL is an OpenAI-compatible endpoint (often it ends in /v1)")
        if state.usage is not None and own_server and not _server_reported_usage(stream):
            state.usage = None  # LiteLLM estimates a usage when a server sends none (llama.cpp does not)

    def _finish(self, state: _Attempt) -> SideResult:
        result = self.result
        result.text = "".join(state.text)
        if state.t_sent is not None:
            result.latency_s = round(time.perf_counter() - state.t_sent, 4)
        if state.t_first is not None:
            result.ttft_s = round(state.t_first - state.t_sent, 4)
        fill_tokens(result, self.target, self.messages, state.usage, state.chunks, self.litellm)
        if result.output_tokens and result.output_tokens > 1 and state.t_first is not None \
                and state.t_last > state.t_first:
            result.tokens_per_s = round((result.output_tokens - 1) / (state.t_last - state.t_first), 2)
        fill_cost(result, self.target, self.litellm)
        return result


def _probe_empty_stream(kwargs: dict[str, Any], api_base: str, timeout_s: float) -> None:
    """Ask once more, without streaming and for one token, on a fresh connection; raise what the server says.

    llama.cpp's server answers a prompt longer than its context with an empty 200 stream; only a
    plain request gets the 400 that explains it (the error table reads it).
    """
    import urllib.error
    import urllib.request

    body = {"model": kwargs["model"].split("/", 1)[-1], "messages": kwargs["messages"], "max_tokens": 1}
    request = urllib.request.Request(
        f"{api_base.rstrip('/')}/chat/completions", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {kwargs.get('api_key') or 'none'}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read(MAX_ANSWER_BYTES)  # bounded: a server ignoring max_tokens is not read to the end
            return
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", {}).get("message") or exc.reason
        except (ValueError, AttributeError):
            detail = exc.reason
        raise ServerSaid(exc.code, str(detail)) from None
    except OSError:
        return  # the stream's own outcome stands


class _Pump:
    """One attempt's request and stream, read in its own thread into a queue.

    On a deadline the reader closes the response, which ends the read here too.
    """

    def __init__(self, target: Target, messages, settings: CallSettings, api_key):
        self.target, self.messages, self.settings, self.api_key = target, messages, settings, api_key
        self.events: queue.Queue = queue.Queue()
        self.stream = None
        self.kwargs: dict[str, Any] = {}
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"live-pump-{target.spec}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _request(self) -> dict[str, Any]:
        """LiteLLM's kwargs for this call (finding the key and starting a bundled model's server on the way)."""
        key = find_api_key(self.target, self.api_key)
        self.events.put(("key", key))
        api_base = self.target.api_base
        if self.target.local_alias:
            from selector.live.servers import ensure_server

            api_base = ensure_server(self.target.local_alias).base_url
            self.events.put(("base", api_base))
        # httpx's own timeouts only bound each read; they are a backstop for the caller's deadlines.
        per_read = min(self.settings.timeout_s, self.settings.idle_timeout_s + 1)
        kwargs: dict[str, Any] = dict(
            model=self.target.litellm_model, messages=self.messages, stream=True,
            stream_options={"include_usage": True}, max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature, timeout=max(self.settings.timeout_s, per_read),
            num_retries=0, max_retries=0,
        )
        if api_base:
            kwargs["api_base"] = api_base
        if key:
            kwargs["api_key"] = key
        return kwargs

    def _run(self) -> None:
        try:
            self.kwargs = self._request()
            self.events.put(("sent", time.perf_counter()))
            self.stream = current_caller()(**self.kwargs)
            if self._closed.is_set():
                self.close()
                return
            for chunk in self.stream:
                if self._closed.is_set():
                    return
                self.events.put(("chunk", (chunk, time.perf_counter())))
            self.events.put(("end", None))
        except BaseException as exc:  # handed to the reader, which maps and logs it
            if not self._closed.is_set():
                self.events.put(("error", exc))
            else:  # the reader gave up on this attempt (deadline, stop): its late error changes nothing
                log.debug("live: a closed attempt of %s ended with:\n%s", self.target.spec,
                          scrubbed_traceback(exc, [self.api_key]))

    def close(self) -> None:
        """Stop reading: close the response so a blocked read ends, and drop whatever comes later."""
        self._closed.set()
        if self.stream is not None and hasattr(self.stream, "completion_stream"):
            _close_quietly(self.stream)


def _server_sent_nothing(stream, finish_reason: str | None, usage) -> bool:
    """Whether the server sent no chunk at all (LiteLLM then makes up a 'stop'): an HTML page, say."""
    chunks = getattr(stream, "chunks", None)
    if isinstance(chunks, list):
        return not chunks
    return finish_reason is None and usage is None


def _content_type(stream) -> str:
    headers = (getattr(stream, "_hidden_params", None) or {}).get("additional_headers") or {}
    ctype = headers.get("llm_provider-content-type")
    return f" (it sent {ctype})" if ctype else ""


def _server_reported_usage(stream) -> bool:
    """Whether any chunk from the server carried usage (LiteLLM keeps the raw chunks it saw)."""
    chunks = getattr(stream, "chunks", None) or []
    return any(getattr(c, "usage", None) is not None for c in chunks)


def _close_quietly(stream) -> None:
    inner = getattr(stream, "completion_stream", None)
    for obj in (inner, getattr(inner, "response", None)):
        close = getattr(obj, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                log.debug("closing a stream failed (it is dropped anyway)", exc_info=True)
