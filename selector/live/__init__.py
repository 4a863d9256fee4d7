"""The one seam for model calls: LiteLLM, streaming with usage, two sides at once, metrics.

Modules, in the order a call flows through them: `targets` (naming a model), `keys` (its API key and
who may spend the operator's), `caller` (the injected function that calls LiteLLM: the test seam),
`stream` (one bounded streaming call with retries), `errors` (LiteLLM's exceptions mapped to ours
in one table), `metrics` (tokens, speed, cost; the one-line summary is selector.formatting.call_metrics_line), `session` (two sides at once, saved to history), and
`servers` (the bundled models' llama.cpp servers on 127.0.0.1, started on demand).

LiteLLM is imported lazily (about 3 s), only by this package.
"""

from selector.errors import BadResponse, ServerError
from selector.live.caller import current_caller, import_litellm, use_caller
from selector.live.errors import ERROR_KINDS, classify, map_error
from selector.live.keys import env_keys_allowed, find_api_key, provider_key_name, team_mode
from selector.live.session import DEFAULT_PROMPT, HISTORY_ATTEMPTS, SIDES, Comparison, LiveRun, compare
from selector.live.stream import (
    CALL_DEADLINE_S,
    CLI_KEYS,
    FIRST_BACKOFF_S,
    IDLE_DEADLINE_S,
    MAX_ANSWER_BYTES,
    MAX_RETRY_AFTER_S,
    MAX_TOKENS_CAP,
    CallSettings,
    SideResult,
    check_prompt,
    run_side,
)
from selector.live.targets import Target, callable_models, priced_models, resolve_model
from selector.scrub import scrub

__all__ = [
    "BadResponse", "CALL_DEADLINE_S", "CLI_KEYS", "CallSettings", "Comparison", "DEFAULT_PROMPT", "ERROR_KINDS",
    "FIRST_BACKOFF_S", "HISTORY_ATTEMPTS", "IDLE_DEADLINE_S", "LiveRun", "MAX_ANSWER_BYTES", "MAX_RETRY_AFTER_S",
    "MAX_TOKENS_CAP", "SIDES", "ServerError", "SideResult", "Target", "callable_models", "check_prompt", "classify",
    "compare", "current_caller", "env_keys_allowed", "find_api_key", "import_litellm", "map_error", "priced_models",
    "provider_key_name", "resolve_model", "run_side", "scrub", "team_mode", "use_caller",
]
