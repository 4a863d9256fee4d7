"""The one seam for model calls: LiteLLM, streaming with usage, two sides at once, metrics.

Modules, in the order a call flows through them: `targets` (naming a model), `keys` (its API key and
who may spend the operator's), `caller` (the injected function that calls LiteLLM: the test seam),
`stream` (one bounded streaming call with retries), `errors` (LiteLLM's exceptions mapped to ours
in one table), `metrics` (tokens, speed, cost; the one-line summary is selector.formatting.call_metrics_line), `session` (two sides at once, saved to history), and
`servers` (the bundled models' llama.cpp servers on 127.0.0.1, started on demand).

LiteLLM is imported lazily (about 3 s), only by this package.
"""

import importlib

# Each public name and the module that defines it. Imported on first use (PEP 562), so `from selector.live
# import provider_key_name` (the report, the CLI's recommend) does not load streaming and sessions too.
_WHERE = {
    "selector.errors": ("BadResponse", "ServerError"),
    "selector.live.caller": ("current_caller", "import_litellm", "use_caller"),
    "selector.live.errors": ("ERROR_KINDS", "classify", "map_error"),
    "selector.live.keys": ("env_keys_allowed", "find_api_key", "provider_key_name", "team_mode"),
    "selector.live.session": ("DEFAULT_PROMPT", "HISTORY_ATTEMPTS", "SIDES", "Comparison", "LiveRun", "compare"),
    "selector.live.stream": ("CALL_DEADLINE_S", "CLI_KEYS", "FIRST_BACKOFF_S", "IDLE_DEADLINE_S", "MAX_ANSWER_BYTES",
                             "MAX_RETRY_AFTER_S", "MAX_TOKENS_CAP", "CallSettings", "SideResult", "check_prompt",
                             "run_side"),
    "selector.live.targets": ("Target", "callable_models", "priced_models", "resolve_model"),
    "selector.scrub": ("scrub",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'selector.live' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
