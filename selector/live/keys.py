"""Finding the API key for a call, and who may spend the operator's keys.

A key comes from the session (the sidebar), else the environment (LiteLLM reads it itself), else
`.streamlit/secrets.toml`. By default the app runs for its operator alone (on 127.0.0.1), who may
use the keys in the environment. In team mode (SELECTOR_TEAM_MODE set) visitors bring their own key
or use the local models, unless the operator sets SELECTOR_ALLOW_ENV_KEYS. Every key found is
scrubbed from what is written by `selector.scrub`.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from selector.errors import AuthError, SelectorError
from selector.files import read_text
from selector.live.caller import import_litellm
from selector.live.targets import Target
from selector.scrub import register_secret

log = logging.getLogger(__name__)
SECRETS_MAX_BYTES = 100_000  # a secrets.toml is a handful of keys: anything larger is not read

TEAM_MODE_VAR = "SELECTOR_TEAM_MODE"
ALLOW_ENV_KEYS_VAR = "SELECTOR_ALLOW_ENV_KEYS"
_FALSE = {"", "0", "false", "no", "off"}

_PROVIDER_KEYS = {
    "openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY",
    "vertex_ai": "GOOGLE_APPLICATION_CREDENTIALS", "xai": "XAI_API_KEY", "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY", "groq": "GROQ_API_KEY", "together_ai": "TOGETHERAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY", "openrouter": "OPENROUTER_API_KEY", "cohere": "COHERE_API_KEY",
    "moonshot": "MOONSHOT_API_KEY", "dashscope": "DASHSCOPE_API_KEY", "perplexity": "PERPLEXITYAI_API_KEY",
}


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() not in _FALSE


def team_mode(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the operator serves the app to others (SELECTOR_TEAM_MODE=1)."""
    return _flag(os.environ if environ is None else environ, TEAM_MODE_VAR)


def env_keys_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether calls may use keys from the environment or secrets.toml: always for the operator alone,
    in team mode only when SELECTOR_ALLOW_ENV_KEYS is set."""
    env = os.environ if environ is None else environ
    return not team_mode(env) or _flag(env, ALLOW_ENV_KEYS_VAR)


def _secrets_file_keys() -> dict[str, str]:
    """Root-level string values of .streamlit/secrets.toml (project, then home)."""
    out: dict[str, str] = {}
    for path in (Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"):
        if not path.exists():
            continue
        try:
            data = tomllib.loads(read_text(path, f"secrets file {path}", SelectorError, SECRETS_MAX_BYTES))
        except (SelectorError, tomllib.TOMLDecodeError):
            log.warning("could not read %s; its keys are not used", path, exc_info=True)
            continue
        out.update({k: v for k, v in data.items() if isinstance(v, str)})
    return out


def find_api_key(target: Target, api_key: str | None) -> str | None:
    """The key for this call: the session's, else the environment's (LiteLLM reads it), else secrets.toml.

    Raises AuthError naming the variable when a provider needs a key and none is set.
    """
    if api_key:
        register_secret(api_key)  # scrubbed from everything written, whatever its shape
        return api_key
    if not target.needs_key:
        return "not-needed"  # OpenAI-compatible local servers ignore it, but the client requires one
    if not env_keys_allowed():  # a shared app: visitors bring their own key (the operator's stay unused)
        name = provider_key_name(target) or "API key"
        raise AuthError(f"this shared app does not use the operator's keys: add your {name} in the sidebar, "
                        f"or use a local model")
    try:
        env = import_litellm().validate_environment(model=target.litellm_model)
    except Exception:
        log.exception("LiteLLM could not tell which key %s needs; the call goes ahead without one", target.spec)
        return None
    missing = list(env.get("missing_keys") or [])
    if not missing:
        return None  # present in the environment: LiteLLM reads it itself
    secrets = _secrets_file_keys()
    if len(missing) == 1 and missing[0] in secrets:
        register_secret(secrets[missing[0]])  # not in the environment, so the scrubber must be told
        return secrets[missing[0]]
    names = " and ".join(missing)
    raise AuthError(f"no {names}: add it in the sidebar or the environment (needed for {target.label})")


def provider_key_name(target: Target) -> str | None:
    """The environment variable holding this target's key (None when it needs none), without importing LiteLLM."""
    if not target.needs_key:
        return None
    model = target.litellm_model
    provider = model.split("/", 1)[0] if "/" in model else (
        "anthropic" if model.startswith("claude") else "gemini" if model.startswith("gemini") else "openai"
    )
    return _PROVIDER_KEYS.get(provider, f"{provider.upper()}_API_KEY")
