"""Who may spend the operator's API keys: the policy for serving the app to a team.

By default the app runs for its operator alone (on 127.0.0.1), who may use the keys in the
environment. In team mode (SELECTOR_TEAM_MODE set) visitors bring their own key or use the local
models, unless the operator sets SELECTOR_ALLOW_ENV_KEYS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TEAM_MODE_VAR = "SELECTOR_TEAM_MODE"
ALLOW_ENV_KEYS_VAR = "SELECTOR_ALLOW_ENV_KEYS"
_FALSE = {"", "0", "false", "no", "off"}


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
