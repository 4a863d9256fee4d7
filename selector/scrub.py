"""The one key scrubber: everything written to history or printed passes through `scrub`.

It replaces text shaped like a provider key (OpenAI sk-, Anthropic sk-ant-, Google AIza, Groq gsk_,
xAI xai-, bearer tokens), the values of key-like environment variables (*_KEY, *_TOKEN,
*_PASSWORD, *_SECRET) and every key registered for the session (the sidebar's).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6           # shorter values ("1", "true") would redact ordinary words
_KEY_SHAPES = re.compile(
    r"(?:\bsk-ant-[A-Za-z0-9_\-]{8,}"
    r"|\bsk-[A-Za-z0-9_\-]{8,}"
    r"|\bAIza[0-9A-Za-z_\-]{20,}"
    r"|\bgsk_[A-Za-z0-9]{16,}"
    r"|\bxai-[A-Za-z0-9]{16,})"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9_\-\.=:+/]{8,}")
_SECRET_ENV = re.compile(r"(KEY|TOKEN|PASSWORD|SECRET)$", re.I)
_NOT_SECRETS = {"not-needed", "none", "true", "false"}
_session_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a key given for this session (the sidebar's) so that it is scrubbed everywhere."""
    if _is_secret(value):
        with _lock:
            _session_secrets.add(value)


def _is_secret(value: str | None) -> bool:
    return bool(value) and len(value) >= MIN_SECRET_CHARS and value.lower() not in _NOT_SECRETS


def _secrets(extra: Iterable[str | None]) -> list[str]:
    found = {v for v in extra if _is_secret(v)}
    found |= {v for k, v in os.environ.items() if _SECRET_ENV.search(k) and _is_secret(v)}
    with _lock:
        found |= _session_secrets
    return sorted(found, key=len, reverse=True)  # longest first: a key containing another goes whole


def scrub(text: str | None, secrets: Iterable[str | None] = ()) -> str | None:
    """The text with every known secret and anything shaped like an API key replaced by [redacted]."""
    if not text:
        return text
    for secret in _secrets(secrets):
        text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _KEY_SHAPES.sub(REDACTED, text)


def scrub_value(value, secrets: Iterable[str | None] = ()):
    """`scrub` applied to every string inside dicts, lists and tuples; other values unchanged."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_value(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_value(v, secrets) for v in value)
    return value
