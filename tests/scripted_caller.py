"""A fake model caller for tests, installed through the live seam: `with scripted({...}): ...`.

The script maps a model (a catalogue id, a LiteLLM string, or "*" for any other) to its replies:
- a list: one reply per call, in the order the calls arrive;
- a dict: the reply for each prompt (the last user message), for calls whose order is not fixed;
- a callable: given LiteLLM's kwargs, returns the reply;
- anything else: the reply to every call.
A reply is text, streamed back by LiteLLM's own `mock_response`, or an exception, raised the way a
provider's would be. With `passthrough=True`, models not in the script are called for real (a local
server, the loopback fake OpenAI server). The fake records every call's kwargs in `calls`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from selector.live import import_litellm, resolve_model, use_caller


_REAL = object()


class ScriptedCaller:
    def __init__(self, script: dict[str, Any], passthrough: bool = False):
        self.script = dict(script)
        self.passthrough = passthrough
        self.calls: list[dict[str, Any]] = []
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()
        self._names: dict[str, str] | None = None

    def _key(self, model: str) -> str:
        if model in self.script:
            return model
        if self._names is None:
            self._names = {}
            for key in self.script:
                try:
                    self._names[resolve_model(key).litellm_model] = key
                except Exception:  # a key that is not a model name (e.g. "*") matches only itself
                    continue
        key = self._names.get(model) or ("*" if "*" in self.script else None)
        if key is None and self.passthrough:
            return None
        if key is None:
            raise AssertionError(f"the test's script has no reply for model {model!r} (it has {list(self.script)})")
        return key

    def reply_for(self, kwargs: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append(dict(kwargs))
            key = self._key(kwargs["model"])
            if key is None:
                return _REAL
            replies = self.script[key]
            if isinstance(replies, list):
                index = self._used.get(key, 0)
                self._used[key] = index + 1
                if index >= len(replies):
                    raise AssertionError(f"model {key!r} was called {index + 1} times; the script has {len(replies)}")
                return replies[index]
        if isinstance(replies, dict):
            prompt = [m["content"] for m in kwargs["messages"] if m["role"] == "user"][-1]
            return replies[prompt]
        if callable(replies) and not isinstance(replies, BaseException):
            return replies(kwargs)
        return replies

    def __call__(self, **kwargs: Any) -> Any:
        reply = self.reply_for(kwargs)
        if reply is _REAL:
            return import_litellm().completion(**kwargs)
        if isinstance(reply, BaseException):
            raise reply
        return import_litellm().completion(**kwargs, mock_response=reply)


@contextmanager
def scripted(script: dict[str, Any], passthrough: bool = False) -> Iterator[ScriptedCaller]:
    """Every model call inside the block (in any thread) answered from the script."""
    fake = ScriptedCaller(script, passthrough)
    with use_caller(fake):
        yield fake


def per_prompt(rows: Iterable[Any], replies: Iterable[Any]) -> dict[str, Any]:
    """{prompt: reply} for benchmark rows, in order: the script of a model whose calls run concurrently."""
    return {row.prompt: reply for row, reply in zip(rows, replies)}

