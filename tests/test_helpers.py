"""The test helpers themselves: a missing required feature fails under CI=true and skips elsewhere; a wait fails
with its message when its time is up."""

from __future__ import annotations

import conftest
import pytest
from conftest import require, wait_until

pytest_plugins = ["pytester"]


@pytest.fixture
def absent(monkeypatch):
    """A feature that is never there."""
    monkeypatch.setitem(conftest.FEATURES, "absent", (lambda: None, "absent is not installed (apt-get install absent)"))
    return "absent"


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_a_missing_feature_fails_under_ci(absent, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"absent is not installed .*CI=true"):
        require(absent)


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_a_missing_feature_skips_outside_ci(absent, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="absent is not installed"):
        require(absent)


def test_a_present_feature_is_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setitem(conftest.FEATURES, "here", (lambda: "/opt/here", "never said"))
    assert require("here") == "/opt/here"


def test_every_feature_has_a_finder_and_an_install_hint():
    assert set(conftest.FEATURES) >= {"llama_cpp", "chromium", "postgresql"}
    for find, reason in conftest.FEATURES.values():
        assert callable(find) and "install" in reason


def test_under_ci_a_test_run_with_a_missing_feature_fails(pytester, monkeypatch):
    """End to end: the same test file passes-by-skipping outside CI and fails the run under CI=true."""
    pytester.makeconftest((conftest.ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(
        test_needs="import conftest\n"
                   "def test_needs_it(monkeypatch):\n"
                   "    monkeypatch.setitem(conftest.FEATURES, 'absent', (lambda: None, 'absent is missing'))\n"
                   "    conftest.require('absent')\n",
    )
    monkeypatch.setenv("PYTHONPATH", str(conftest.ROOT))  # the copied conftest imports bench.served_app
    monkeypatch.delenv("CI", raising=False)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(skipped=1)
    monkeypatch.setenv("CI", "true")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)


def test_wait_until_returns_the_first_truthy_value():
    calls = iter([0, None, "ready"])
    assert wait_until(lambda: next(calls), timeout_s=5, message="never", interval_s=0) == "ready"


def test_wait_until_fails_with_its_message_when_time_is_up():
    with pytest.raises(pytest.fail.Exception, match=r"timed out after 0\.1 s: the server never answered"):
        wait_until(lambda: False, timeout_s=0.1, message="the server never answered", interval_s=0.02)
