"""The one seam for model calls: LiteLLM, streaming with usage, two sides at once, metrics.

A model is named by a bundled local model ("smollm2-135m-instruct"), a catalogue id ("gpt-4o"),
a catalogue id with one of its offers' providers ("qwen-2.5-72b@together_ai"), a LiteLLM string
("anthropic/claude-haiku-4-5", or an offer's string), or a model name plus the base URL of an
OpenAI-compatible server (vLLM, Ollama, LM Studio, a LiteLLM Proxy). A catalogue model without a
first-party key (open weights served only by hosts) resolves to its cheapest live offer.

LiteLLM is imported lazily (about 3 s) and only here; its exceptions are turned into the
project's error types once, in `map_error`, with messages from which every key is scrubbed.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import re
import threading
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from selector.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    CallTimeout,
    ContextTooLong,
    ModelCallError,
    RateLimited,
    SelectorError,
    ServerError,
    Unreachable,
)
from selector import access
from selector.scrub import register_secret, scrub, scrub_value

log = logging.getLogger(__name__)

MAX_TOKENS_CAP = 4096
CALL_DEADLINE_S = 60.0        # the whole call, from the request to the last byte, whatever the stream sends
IDLE_DEADLINE_S = 30.0        # between content tokens once the first has arrived (keepalives do not count)
MAX_ANSWER_BYTES = 256_000    # answer text kept per side: a server ignoring max_tokens is cut here
MAX_RETRY_AFTER_S = 10.0      # the longest Retry-After honoured; a longer one fails at once, saying when to retry
FIRST_BACKOFF_S = 0.5
HISTORY_ATTEMPTS = 4          # writes to a busy history database, with backoff, before the result stays in memory
DEFAULT_PROMPT = "Explain the transformer attention mechanism in 3 sentences."
SIDES = ("a", "b")
CLI_KEYS = ("model", "text", "ttft_s", "latency_s", "output_tokens", "tokens_per_s", "cost_usd", "finish_reason", "error")


def import_litellm():
    """LiteLLM, imported on first use with its bundled price map (no network at import)."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


# --- naming a model --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A model resolved to what LiteLLM needs, plus what the metrics need (prices)."""

    spec: str                          # what the user named
    label: str                         # a display name
    litellm_model: str
    api_base: str | None = None        # None: the provider's default endpoint
    local_alias: str | None = None     # a bundled model: its server is started on demand
    catalogue_id: str | None = None
    input_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None
    needs_key: bool = True             # False for local servers and custom endpoints
    note: str | None = None
    offer_key: str | None = None       # the LiteLLM map key of the hosted offer called, when one is


def resolve_model(spec: str, api_base: str | None = None, catalogue=None) -> Target:
    """Turn a model name into a Target; SelectorError when it cannot be called."""
    from selector.local import LOCAL_MODELS

    spec = (spec or "").strip()
    if not spec:
        raise SelectorError("model is empty: give a catalogue id, a LiteLLM model string or a local model")
    if api_base:
        api_base = api_base.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+", api_base):
            raise SelectorError(f"endpoint URL {api_base!r} must start with http:// or https://")
        model = spec if "/" in spec else f"openai/{spec}"
        return Target(spec=spec, label=f"{spec} @ {api_base}", litellm_model=model, api_base=api_base, needs_key=False)
    alias = spec.removeprefix("local/")
    if alias in LOCAL_MODELS:
        local = LOCAL_MODELS[alias]
        return Target(
            spec=alias, label=local.name, litellm_model=f"openai/{alias}", local_alias=alias,
            catalogue_id=alias, needs_key=False, note=local.blurb,
        )
    if catalogue is None:
        catalogue = _default_catalogue()
    if "@" in spec and catalogue is not None and spec.split("@", 1)[0] in catalogue.by_id:
        model_id, provider = spec.split("@", 1)
        return _offer_target(spec, catalogue, model_id, provider=provider.strip())
    entry = catalogue.by_id.get(spec) if catalogue is not None else None
    if entry is not None:
        if not entry.litellm_id:
            if catalogue.offers_for(spec):
                return _offer_target(spec, catalogue, spec)
            raise SelectorError(
                f"catalogue model {spec!r} has no litellm_id and no hosted offer, so it cannot be called live; "
                "give a LiteLLM model string or an endpoint URL instead"
            )
        return Target(
            spec=spec, label=entry.name, litellm_model=entry.litellm_id, catalogue_id=spec,
            input_usd_per_mtok=entry.input_usd_per_mtok, output_usd_per_mtok=entry.output_usd_per_mtok,
        )
    offered = _find_offer(catalogue, spec) if catalogue is not None else None
    if offered is not None:
        model_id, offer = offered
        return _target_for_offer(spec, catalogue.by_id[model_id], offer)
    if "/" not in spec and catalogue is not None:
        from selector.catalogue import unknown_id_message

        if spec not in _litellm_model_names():  # LiteLLM knows bare names such as 'gpt-4.1-2025-04-14'
            known = catalogue.ids + list(LOCAL_MODELS)
            raise SelectorError(
                unknown_id_message(spec, known) + " (or give a LiteLLM string such as 'anthropic/claude-haiku-4-5')"
            )
    priced = next((m for m in catalogue.models if m.litellm_id == spec), None) if catalogue is not None else None
    return Target(
        spec=spec, label=spec, litellm_model=spec, catalogue_id=priced.id if priced else None,
        input_usd_per_mtok=priced.input_usd_per_mtok if priced else None,
        output_usd_per_mtok=priced.output_usd_per_mtok if priced else None,
    )


def _offer_target(spec: str, catalogue, model_id: str, provider: str | None = None) -> Target:
    """The catalogue model called through one of its live offers: the named provider's, else the cheapest."""
    import datetime as dt

    from selector.costs import Traffic
    from selector.offers import choose_offer

    model = catalogue.by_id[model_id]
    offers = catalogue.offers_for(model_id)
    policy = f"provider:{provider}" if provider else "cheapest"
    if provider and not offers:
        raise SelectorError(f"catalogue model {model_id!r} has no hosted offer, so {spec!r} names none")
    choice = choose_offer(model, offers, Traffic(), policy, today=dt.date.today())
    if choice.offer is None:
        providers = ", ".join(sorted({o.provider for o in offers})) or "none"
        raise SelectorError(f"{spec}: {choice.basis} (providers: {providers})")
    return _target_for_offer(spec, model, choice.offer)


def _target_for_offer(spec: str, model, offer) -> Target:
    return Target(
        spec=spec, label=f"{model.name} @ {offer.provider}", litellm_model=offer.litellm_model, catalogue_id=model.id,
        input_usd_per_mtok=offer.input_usd_per_mtok, output_usd_per_mtok=offer.output_usd_per_mtok,
        offer_key=offer.key,
    )


def _find_offer(catalogue, spec: str):
    """(model id, offer) whose map key or LiteLLM string is `spec`, or None."""
    for model_id, offers in catalogue.offers.items():
        for offer in offers:
            if spec in (offer.key, offer.litellm_model):
                return model_id, offer
    return None


@functools.lru_cache(maxsize=1)
def _litellm_model_names() -> frozenset[str]:
    """Model names in LiteLLM's bundled price map, read as a file (importing litellm costs seconds)."""
    from selector.offers import load_price_map

    try:
        return frozenset(load_price_map())
    except (OSError, ValueError, SelectorError):
        return frozenset()


def _default_catalogue():
    from selector.catalogue import load_catalogue

    try:
        return load_catalogue()
    except SelectorError:
        return None  # a broken catalogue must not block a call by LiteLLM string


# --- keys ------------------------------------------------------------------------------------


def _secrets_file_keys() -> dict[str, str]:
    """Root-level string values of .streamlit/secrets.toml (project, then home)."""
    out: dict[str, str] = {}
    for path in (Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"):
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError):
            continue
        out.update({k: v for k, v in data.items() if isinstance(v, str)})
    return out


def find_api_key(target: Target, api_key: str | None) -> str | None:
    """The key for this call: the session's, else the environment's (LiteLLM reads it), else secrets.toml.

    Raises AuthError naming the variable when a provider needs a key and none is set.
    """
    if api_key:
        return api_key
    if not target.needs_key:
        return "not-needed"  # OpenAI-compatible local servers ignore it, but the client requires one
    if not access.env_keys_allowed():  # a shared app: visitors bring their own key (the operator's stay unused)
        name = provider_key_name(target) or "API key"
        raise AuthError(f"this shared app does not use the operator's keys: add your {name} in the sidebar, "
                        f"or use a local model")
    litellm = import_litellm()
    try:
        env = litellm.validate_environment(model=target.litellm_model)
    except Exception:
        return None
    missing = list(env.get("missing_keys") or [])
    if not missing:
        return None  # present in the environment: LiteLLM reads it itself
    secrets = _secrets_file_keys()
    if len(missing) == 1 and missing[0] in secrets:
        return secrets[missing[0]]
    names = " and ".join(missing)
    raise AuthError(f"no {names}: add it in the sidebar or the environment (needed for {target.label})")


_PROVIDER_KEYS = {
    "openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY",
    "vertex_ai": "GOOGLE_APPLICATION_CREDENTIALS", "xai": "XAI_API_KEY", "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY", "groq": "GROQ_API_KEY", "together_ai": "TOGETHERAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY", "openrouter": "OPENROUTER_API_KEY", "cohere": "COHERE_API_KEY",
    "moonshot": "MOONSHOT_API_KEY", "dashscope": "DASHSCOPE_API_KEY", "perplexity": "PERPLEXITYAI_API_KEY",
}


def provider_key_name(target: Target) -> str | None:
    """The environment variable holding this target's key (None when it needs none), without importing LiteLLM."""
    if not target.needs_key:
        return None
    model = target.litellm_model
    provider = model.split("/", 1)[0] if "/" in model else (
        "anthropic" if model.startswith("claude") else "gemini" if model.startswith("gemini") else "openai"
    )
    return _PROVIDER_KEYS.get(provider, f"{provider.upper()}_API_KEY")


# --- errors ----------------------------------------------------------------------------------


def _retry_after_s(exc: BaseException) -> float | None:
    """Seconds from a Retry-After header on the error's response, when there is one."""
    for obj in (exc, getattr(exc, "__cause__", None), getattr(exc, "__context__", None)):
        for headers in (getattr(getattr(obj, "response", None), "headers", None),
                        getattr(obj, "litellm_response_headers", None), getattr(obj, "headers", None)):
            try:
                value = headers.get("retry-after") if headers is not None else None
            except Exception:
                value = None
            if value is None:
                continue
            try:
                return max(0.0, float(value))
            except ValueError:
                try:
                    import email.utils

                    when = email.utils.parsedate_to_datetime(value)
                    return max(0.0, when.timestamp() - time.time())
                except (TypeError, ValueError):
                    continue
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


_GARBLED_HINTS = ("expecting value", "expecting ',' delimiter", "expecting property name", "unterminated string",
                  "invalid control character", "extra data", "jsondecodeerror", "invalid json",
                  "repeating the same chunk")  # the last: LiteLLM's guard against a server looping without end


def _is_garbled(chain: list[BaseException], chain_text: str) -> bool:
    """Whether the server's bytes could not be read as an answer (bad JSON, bad encoding, endless repeats)."""
    if any(isinstance(e, (ValueError, UnicodeDecodeError)) and not isinstance(e, ModelCallError) for e in chain[1:]):
        return True
    return any(h in chain_text for h in _GARBLED_HINTS)


_CLOSED_HINTS = ("incomplete chunked read", "peer closed", "server disconnected", "remoteprotocolerror",
                 "connection reset", "without sending")


def _short(exc: BaseException) -> str:
    msg = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    msg = re.sub(r"^(litellm\.)?\w+(Error|Exception):\s*", "", msg.strip())
    msg = re.sub(r"^(litellm\.)?\w+(Error|Exception):\s*", "", msg)
    msg = " ".join(msg.split())
    return msg[:200] + ("..." if len(msg) > 200 else "")


_CONTEXT_HINTS = ("context length", "context window", "maximum context", "exceed context", "too many tokens",
                  "prompt is too long", "exceeds the context")


def map_error(exc: BaseException, target: Target, secrets: list[str | None] = (), timeout_s: float | None = None,
              api_base: str | None = None) -> ModelCallError:
    """The project's error for anything a call raised, with a one-line message free of keys."""
    if isinstance(exc, ModelCallError):
        return type(exc)(scrub(str(exc), secrets))
    litellm = import_litellm()
    import httpx
    import openai

    name = target.label
    where = api_base or target.api_base
    detail = _short(exc)
    status = getattr(exc, "status_code", None)
    lowered = detail.lower()
    chain = _chain(exc)
    chain_text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    bad_request = isinstance(exc, (litellm.BadRequestError, openai.BadRequestError)) or status == 400
    if isinstance(exc, litellm.ContextWindowExceededError) or (bad_request and any(h in lowered for h in _CONTEXT_HINTS)):
        err: ModelCallError = ContextTooLong(
            f"the prompt does not fit {name}'s context window: shorten it or lower max tokens ({detail})"
        )
    elif isinstance(exc, (litellm.AuthenticationError, openai.AuthenticationError, openai.PermissionDeniedError)) \
            or status in (401, 403):
        key_name = provider_key_name(target) or "its API key"
        err = AuthError(f"{name} rejected the API key: check {key_name} in the sidebar or the environment")
    elif isinstance(exc, (litellm.RateLimitError, openai.RateLimitError)) or status == 429:
        wait = _retry_after_s(exc)
        when = f"retry after {wait:.0f} s" if wait is not None else "wait a minute"
        err = RateLimited(f"{name} is rate limited or out of quota: {when}, lower max tokens, or check the plan")
    elif any(isinstance(e, (litellm.Timeout, openai.APITimeoutError, httpx.TimeoutException, TimeoutError))
             for e in chain) or status == 408:
        limit = f" within {timeout_s:g} s" if timeout_s else " in time"
        err = CallTimeout(f"{name} did not answer{limit}: try again, lower max tokens, or raise the timeout")
    elif _is_garbled(chain, chain_text) and not (isinstance(status, int) and 400 <= status < 500):
        err = BadResponse(f"{name} sent a response that is not a readable answer: check that the URL is an "
                          f"OpenAI-compatible endpoint ({detail})")
    elif any(isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError)) for e in chain) \
            or any(h in chain_text for h in _CLOSED_HINTS):
        at = f" at {where}" if where and where not in name else ""
        err = Unreachable(f"{name}{at} closed the connection before the answer ended: is the server still "
                          "running? Try again (any partial answer is kept)")
    elif any(isinstance(e, (litellm.APIConnectionError, openai.APIConnectionError, httpx.TransportError,
                            ConnectionError)) for e in chain):  # LiteLLM wraps a refused connection as a 500
        at = f" at {where}" if where and where not in name else ""
        err = Unreachable(f"cannot reach {name}{at}: is the server running and the URL right? ({detail})")
    elif isinstance(exc, (litellm.ServiceUnavailableError, litellm.InternalServerError, openai.InternalServerError)) \
            or (isinstance(status, int) and status >= 500):
        code = f" (HTTP {status})" if isinstance(status, int) else ""
        err = ServerError(f"{name} answered with a server error{code}: try again later, or check the server's "
                          f"logs ({detail})")
    elif isinstance(exc, (litellm.NotFoundError, openai.NotFoundError)) or status == 404:
        err = BadRequest(f"{name} is not a model this provider serves: check the model name ({detail})")
    elif isinstance(exc, (litellm.BadRequestError, openai.BadRequestError, openai.UnprocessableEntityError)) \
            or status in (400, 422):
        err = BadRequest(f"{name} rejected the request: {detail}")
    else:
        err = ModelCallError(f"{name} failed: {type(exc).__name__}: {detail}")
    return type(err)(scrub(str(err), secrets))


# --- one side --------------------------------------------------------------------------------


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


def _is_safe_to_retry(err: ModelCallError) -> bool:
    return isinstance(err, (RateLimited, Unreachable))


def run_side(
    target: Target, prompt: str, settings: CallSettings, *, api_key: str | None = None,
    on_delta: Callable[[str], None] | None = None, stop: threading.Event | None = None,
    mock_response: Any = None,
) -> SideResult:
    """Stream one model's answer; never raises for a failed call (the error is in the result).

    TTFT and latency are measured from the moment the request of the attempt that answered is sent.
    """
    settings = settings.checked()
    result = SideResult(model=target.spec, litellm_model=target.litellm_model, api_base=target.api_base)
    secrets = [api_key]
    litellm = import_litellm()
    messages = _messages(prompt, settings.system)
    usage = None
    deadline = time.monotonic() + settings.timeout_s  # one bound on the whole call, retries included
    backoff = FIRST_BACKOFF_S
    for attempt in range(settings.retries + 1):
        result.attempts = attempt + 1
        t_sent = t_first = t_last = None
        chunks = 0
        size = 0
        text: list[str] = []
        api_base = target.api_base
        pump = _Pump(target, messages, settings, api_key, mock_response, litellm)
        try:
            pump.start()
            while True:
                now_m = time.monotonic()
                left = deadline - now_m
                if t_first is not None:
                    left = min(left, idle_until - now_m)
                if left <= 0:
                    if t_first is None or deadline - now_m <= 0:
                        raise CallTimeout(
                            f"{target.label} did not answer within {settings.timeout_s:g} s: lower max tokens "
                            "or raise the timeout" + (" (the partial answer is kept)" if text else "")
                        )
                    raise CallTimeout(
                        f"{target.label} sent nothing for {settings.idle_timeout_s:g} s after it started to answer: "
                        "the server may be stuck; try again (the partial answer is kept)"
                    )
                try:
                    kind, payload = pump.events.get(timeout=min(left, 0.2))
                except queue.Empty:
                    if stop is not None and stop.is_set():
                        result.finish_reason = "stopped"
                        break
                    continue
                if kind == "sent":
                    t_sent = payload
                    continue
                if kind == "base":
                    api_base = result.api_base = payload
                    continue
                if kind == "key":
                    secrets.append(payload)
                    continue
                if kind == "error":
                    raise payload
                if kind == "end":
                    break
                chunk, now = payload
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in chunk.choices or []:
                    delta = getattr(choice, "delta", None)
                    content = getattr(delta, "content", None) if delta is not None else None
                    if content:
                        if t_first is None:
                            t_first = now
                        t_last = now
                        idle_until = time.monotonic() + settings.idle_timeout_s
                        chunks += 1
                        room = settings.max_answer_bytes - size
                        data = content.encode("utf-8")
                        if len(data) > room:
                            content = data[:room].decode("utf-8", "ignore")
                        size += len(content.encode("utf-8"))
                        if content:
                            text.append(content)
                            if on_delta is not None:
                                on_delta(content)
                        if len(data) > room:
                            raise BadResponse(
                                f"{target.label} sent more than {settings.max_answer_bytes} bytes, ignoring max "
                                f"tokens: the answer was cut there (the partial answer is kept)"
                            )
                    if choice.finish_reason:
                        result.finish_reason = choice.finish_reason
                if stop is not None and stop.is_set():
                    result.finish_reason = "stopped"
                    break
            result.error = result.error_kind = None
            stream = pump.stream
            if not text and result.finish_reason != "stopped" and (target.api_base or target.local_alias):
                # llama.cpp reports a prompt longer than its context as an empty 200 stream; asking
                # once more without streaming (one token, nothing was shown yet) surfaces the error.
                pump.close()
                _probe_empty_stream(pump.kwargs, api_base, max(1.0, min(30.0, deadline - time.monotonic())))
            if not text and result.finish_reason != "stopped" \
                    and _server_sent_nothing(stream, result.finish_reason, usage):
                raise BadResponse(
                    f"{target.label} answered without a readable stream{_content_type(stream)}: check that the "
                    "URL is an OpenAI-compatible endpoint (often it ends in /v1)"
                )
            if usage is not None and (target.api_base or target.local_alias):
                # LiteLLM fills in an estimated usage when a server sends none (llama.cpp does not):
                # keep it only when the server itself reported usage.
                if not _server_reported_usage(stream):
                    usage = None
        except Exception as exc:  # every failure becomes the side's error, never the caller's
            err = map_error(exc, target, secrets, settings.timeout_s, api_base)
            result.error, result.error_kind = str(err), type(err).__name__
            wait = backoff
            if isinstance(err, RateLimited):
                asked = _retry_after_s(exc)
                if asked is not None:
                    wait = asked if asked <= settings.max_retry_after_s else None
            if t_first is None and attempt < settings.retries and _is_safe_to_retry(err) and wait is not None \
                    and time.monotonic() + wait < deadline and not (stop is not None and stop.is_set()):
                if stop is not None:
                    stop.wait(wait)
                else:
                    time.sleep(wait)
                backoff *= 2
                if not (stop is not None and stop.is_set()):
                    continue
        finally:
            pump.close()
        break
    end = time.perf_counter()
    result.text = "".join(text)
    if t_sent is not None:
        result.latency_s = round(end - t_sent, 4)
    if t_first is not None:
        result.ttft_s = round(t_first - t_sent, 4)
    _fill_tokens(result, target, messages, usage, chunks, litellm)
    if result.output_tokens and result.output_tokens > 1 and t_first is not None and t_last > t_first:
        result.tokens_per_s = round((result.output_tokens - 1) / (t_last - t_first), 2)
    _fill_cost(result, target, litellm)
    return result


def _probe_empty_stream(kwargs: dict[str, Any], api_base: str, timeout_s: float) -> None:
    """Ask once more, without streaming and for one token, on a fresh connection; raise what the server says.

    llama.cpp's server answers a prompt longer than its context with an empty 200 stream; only a
    plain request gets the 400 that explains it.
    """
    import json
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
        except ValueError:
            detail = exc.reason
        lowered = str(detail).lower()
        if any(h in lowered for h in _CONTEXT_HINTS):
            raise _ServerSaid(400, f"context window exceeded: {detail}") from None
        raise _ServerSaid(exc.code, str(detail)) from None
    except OSError:
        return  # the stream's own outcome stands


class _ServerSaid(Exception):
    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class _Pump:
    """One attempt's request and stream, read in its own thread into a queue.

    The caller waits on the queue with its own deadlines, so no stream shape (headers then silence,
    comment-only keepalives, a trickle) can hold it; on a deadline it closes the response, which ends
    the read here too.
    """

    def __init__(self, target: Target, messages, settings: CallSettings, api_key, mock_response, litellm):
        self.target, self.messages, self.settings = target, messages, settings
        self.api_key, self.mock_response, self.litellm = api_key, mock_response, litellm
        self.events: queue.Queue = queue.Queue()
        self.stream = None
        self.kwargs: dict[str, Any] = {}
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"live-pump-{target.spec}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            key = find_api_key(self.target, self.api_key)
            self.events.put(("key", key))
            api_base = self.target.api_base
            if self.target.local_alias:
                from selector.local import ensure_server

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
            if self.mock_response is not None:
                kwargs["mock_response"] = self.mock_response
            self.kwargs = kwargs
            self.events.put(("sent", time.perf_counter()))
            self.stream = self.litellm.completion(**kwargs)
            if self._closed.is_set():
                self.close()
                return
            for chunk in self.stream:
                if self._closed.is_set():
                    return
                self.events.put(("chunk", (chunk, time.perf_counter())))
            self.events.put(("end", None))
        except BaseException as exc:  # handed to the caller, which maps it
            if not self._closed.is_set():
                self.events.put(("error", exc))

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
                pass


def _fill_tokens(result: SideResult, target: Target, messages, usage, chunks: int, litellm) -> None:
    completion = getattr(usage, "completion_tokens", None) if usage is not None else None
    prompt = getattr(usage, "prompt_tokens", None) if usage is not None else None
    if completion and (result.finish_reason != "stopped"):
        result.output_tokens, result.output_tokens_counted = int(completion), False
    elif result.text:
        # llama.cpp streams one token per chunk; elsewhere LiteLLM's tokenizer gives an estimate.
        if target.local_alias or target.api_base:
            counted = chunks
        else:
            try:
                counted = litellm.token_counter(model=target.litellm_model, text=result.text)
            except Exception:
                counted = chunks
        result.output_tokens, result.output_tokens_counted = int(counted), True
    elif result.error is None:
        result.output_tokens, result.output_tokens_counted = 0, False
    if prompt:
        result.input_tokens = int(prompt)
    else:
        try:
            result.input_tokens = int(litellm.token_counter(model=target.litellm_model, messages=messages))
        except Exception:
            result.input_tokens = None


def _fill_cost(result: SideResult, target: Target, litellm) -> None:
    if result.output_tokens is None or result.input_tokens is None:
        return
    if target.local_alias:
        result.cost_usd, result.cost_source = 0.0, "local"  # runs on this machine: no per-token price
        return
    if not target.api_base:
        try:
            cin, cout = litellm.cost_per_token(
                model=target.litellm_model, prompt_tokens=result.input_tokens,
                completion_tokens=result.output_tokens,
            )
            result.cost_usd, result.cost_source = round(cin + cout, 8), "litellm"
            return
        except Exception:
            pass
    if target.input_usd_per_mtok is not None and target.output_usd_per_mtok is not None:
        cost = (result.input_tokens * target.input_usd_per_mtok + result.output_tokens * target.output_usd_per_mtok) / 1e6
        result.cost_usd, result.cost_source = round(cost, 8), "catalogue"


# --- two sides -------------------------------------------------------------------------------


@dataclass
class Comparison:
    a: SideResult
    b: SideResult
    wall_s: float
    run_id: int | None = None
    history_error: str | None = None   # set when a result could not be saved (it is still here, in memory)

    @property
    def failed(self) -> bool:
        return not (self.a.ok and self.b.ok)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "wall_s": self.wall_s}


@dataclass
class LiveRun:
    """Two sides streaming in their own threads; each side's events go to its own queue.

    Events are ("delta", text) while streaming and ("done", SideResult) at the end. Each side is
    saved to history as soon as it finishes; the last one to finish closes the run.
    """

    targets: dict[str, Target]
    prompt: str
    settings: CallSettings
    api_keys: dict[str, str | None] = field(default_factory=dict)
    history: Any = None
    blind: bool = False
    mock_responses: dict[str, Any] = field(default_factory=dict)
    queues: dict[str, queue.Queue] = field(default_factory=lambda: {s: queue.Queue() for s in SIDES})
    results: dict[str, SideResult] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)
    run_id: int | None = None
    wall_s: float | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _t0: float = 0.0
    history_error: str | None = None

    def _secrets(self) -> list[str | None]:
        return list(self.api_keys.values())

    def _write(self, what: str, write: Callable[[], Any]) -> Any:
        """One history write, retried with backoff on a busy database; None (and history_error) when it fails."""
        delay = 0.2
        for attempt in range(HISTORY_ATTEMPTS):
            try:
                return write()
            except Exception as exc:  # a locked or broken database must never cost an answer
                # the store already waits out a busy database (SelectorError after its own retries)
                if attempt + 1 < HISTORY_ATTEMPTS and not isinstance(exc, SelectorError):
                    time.sleep(delay)
                    delay *= 2
                    continue
                log.warning("history: could not %s: %s", what, scrub(str(exc), self._secrets()))
                self.history_error = scrub(  # the first failure is the one to report
                    self.history_error or
                    f"history: could not {what} ({_short(exc)}); the answers are shown but not saved",
                    self._secrets())
                return None
        return None

    def start(self) -> LiveRun:
        self.settings = self.settings.checked()
        check_prompt(self.prompt)
        for key in self.api_keys.values():
            register_secret(key)
        import_litellm()  # once, here: two threads importing it at once would both wait
        if self.history is not None:
            secrets = self._secrets()
            self.run_id = self._write("record the run", lambda: self.history.start_run(
                scrub(self.prompt, secrets), scrub(self.settings.system, secrets),
                self.settings.to_record() | {"a": self.targets["a"].spec, "b": self.targets["b"].spec},
                kind="compare", blind=self.blind,
            ))
        self._t0 = time.perf_counter()
        for side in SIDES:
            thread = threading.Thread(target=self._work, args=(side,), name=f"live-{side}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def _work(self, side: str) -> None:
        q = self.queues[side]
        try:
            result = run_side(
                self.targets[side], self.prompt, self.settings, api_key=self.api_keys.get(side),
                on_delta=lambda text: q.put(("delta", text)), stop=self.stop_event,
                mock_response=self.mock_responses.get(side),
            )
        except Exception as exc:  # a bug must still end this side, not hang the page
            log.exception("live: side %s failed inside run_side", side)
            result = SideResult(model=self.targets[side].spec, error=f"internal error: {type(exc).__name__}",
                                error_kind="ModelCallError")
        try:
            with self._lock:
                self.results[side] = result
                last = len(self.results) == len(SIDES)
                if last:
                    self.wall_s = round(time.perf_counter() - self._t0, 4)
            if self.history is not None and self.run_id is not None:
                record = scrub_value(result.to_record(), self._secrets())
                self._write(f"save side {side}", lambda: self.history.save_result(self.run_id, side, record))
                if last:
                    status = "stopped" if self.stop_event.is_set() else "done"
                    self._write("close the run", lambda: self.history.finish_run(self.run_id, self.wall_s, status))
        finally:
            q.put(("done", result))  # always: the page waits for it

    def stop(self) -> None:
        self.stop_event.set()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def join(self, timeout: float | None = None) -> Comparison:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.comparison()

    def comparison(self) -> Comparison:
        missing = [s for s in SIDES if s not in self.results]
        if missing:
            raise SelectorError(f"side {', '.join(missing)} has not finished yet")
        return Comparison(a=self.results["a"], b=self.results["b"], wall_s=self.wall_s or 0.0, run_id=self.run_id,
                          history_error=self.history_error)


def compare(
    a: Target, b: Target, prompt: str, settings: CallSettings | None = None, *,
    api_keys: dict[str, str | None] | None = None, history: Any = None,
    mock_responses: dict[str, Any] | None = None,
) -> Comparison:
    """Run both sides concurrently and wait for both (the CLI's path; the page drains the queues)."""
    run = LiveRun(
        targets={"a": a, "b": b}, prompt=prompt, settings=settings or CallSettings(),
        api_keys=api_keys or {}, history=history, mock_responses=mock_responses or {},
    ).start()
    try:
        return run.join()
    except KeyboardInterrupt:
        run.stop()
        return run.join(timeout=10)


__all__ = [
    "BadResponse", "CallSettings", "Comparison", "ServerError", "check_prompt", "DEFAULT_PROMPT", "LiveRun", "SideResult", "Target", "compare",
    "find_api_key", "import_litellm", "map_error", "provider_key_name", "resolve_model", "run_side", "scrub",
]
