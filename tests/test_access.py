"""The policy on the operator's keys when the app is served to a team."""

import pytest

from selector.live.keys import env_keys_allowed, team_mode


@pytest.mark.parametrize("environ, allowed", [
    ({}, True),  # the operator alone on 127.0.0.1
    ({"SELECTOR_TEAM_MODE": "0"}, True),
    ({"SELECTOR_TEAM_MODE": "1"}, False),  # visitors bring their own key by default
    ({"SELECTOR_TEAM_MODE": "true", "SELECTOR_ALLOW_ENV_KEYS": "1"}, True),
    ({"SELECTOR_TEAM_MODE": "1", "SELECTOR_ALLOW_ENV_KEYS": "no"}, False),
    ({"SELECTOR_ALLOW_ENV_KEYS": "1"}, True),
])
def test_env_keys_allowed(environ, allowed):
    assert env_keys_allowed(environ) is allowed


def test_team_mode_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SELECTOR_TEAM_MODE", "1")
    monkeypatch.delenv("SELECTOR_ALLOW_ENV_KEYS", raising=False)
    assert team_mode() and not env_keys_allowed()
