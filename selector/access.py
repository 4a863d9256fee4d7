"""Who may spend the operator's API keys: the policy now lives in `selector.live.keys` (kept here for importers)."""

from selector.live.keys import ALLOW_ENV_KEYS_VAR, TEAM_MODE_VAR, env_keys_allowed, team_mode

__all__ = ["ALLOW_ENV_KEYS_VAR", "TEAM_MODE_VAR", "env_keys_allowed", "team_mode"]
