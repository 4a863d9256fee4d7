"""The live seam: real local servers, a scripted caller for providers, faults, and keys kept secret."""

from __future__ import annotations

import os
import signal
import socket
import threading

import pytest

from local_servers import local_servers  # noqa: F401  (session fixture)
from scripted_caller import scripted
from selector.live import servers as local
from selector.errors import SelectorError
from selector.history import data_dir, open_history
from selector.live import (
    CLI_KEYS,
    CallSettings,
    LiveRun,
    Target,
    compare,
    find_api_key,
    import_litellm,
    provider_key_name,
    resolve_model,
    run_side,
    scrub,
)

SMOL, GEMMA = "smollm2-135m-instruct", "gemma-3-270m"
CANARY = "sk-test-CANARY-live-0123456789abcdef"
CLAUDE = "anthropic/claude-haiku-4-5"


@pytest.fixture
def no_keys(monkeypatch, tmp_path):
    """No provider key anywhere: environment cleared, no secrets.toml in the working or home directory."""
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoint(servers, alias: str) -> Target:
    return resolve_model(alias, api_base=servers.base_url[alias])


# --- naming a model --------------------------------------------------------------------------


def test_local_aliases_resolve_to_openai_compatible_servers():
    target = resolve_model(SMOL)
    assert (target.litellm_model, target.local_alias, target.needs_key) == (f"openai/{SMOL}", SMOL, False)
    assert resolve_model(f"local/{GEMMA}").local_alias == GEMMA


def test_a_custom_endpoint_needs_no_key_and_prefixes_openai():
    target = resolve_model("qwen2.5:0.5b", api_base="http://127.0.0.1:11434/v1/")
    assert target.litellm_model == "openai/qwen2.5:0.5b"
    assert target.api_base == "http://127.0.0.1:11434/v1" and not target.needs_key
    with pytest.raises(SelectorError, match="must start with http"):
        resolve_model("m", api_base="127.0.0.1:8000")


def test_a_catalogue_id_uses_its_litellm_id_and_prices():
    from selector.catalogue import load_catalogue

    catalogue = load_catalogue()
    entry = next(m for m in catalogue.models if m.litellm_id and m.input_usd_per_mtok is not None)
    target = resolve_model(entry.id, catalogue=catalogue)
    assert target.litellm_model == entry.litellm_id
    assert target.input_usd_per_mtok == entry.input_usd_per_mtok
    assert target.catalogue_id == entry.id


def test_unknown_names_are_bad_input_with_suggestions():
    with pytest.raises(SelectorError, match="unknown model id 'smollm2-135m-instruc'.*did you mean"):
        resolve_model("smollm2-135m-instruc")
    with pytest.raises(SelectorError, match="model is empty"):
        resolve_model("  ")
    # A bare name passes through only when LiteLLM's map knows it: a typo is caught before any call.
    with pytest.raises(SelectorError, match="unknown model id 'gpt-4oo'.*did you mean 'gpt-4o'"):
        resolve_model("gpt-4oo")
    assert resolve_model("gpt-4.1-2025-04-14").litellm_model == "gpt-4.1-2025-04-14"


def test_a_litellm_string_is_passed_through():
    target = resolve_model(CLAUDE)
    assert target.litellm_model == CLAUDE and target.needs_key
    assert provider_key_name(target) == "ANTHROPIC_API_KEY"
    assert provider_key_name(resolve_model(SMOL)) is None


# --- real local servers ----------------------------------------------------------------------


@pytest.mark.local_models
def test_both_local_models_stream_concurrently_with_metrics(local_servers):
    deltas = {"a": [], "b": []}
    run = LiveRun(
        targets={"a": endpoint(local_servers, SMOL), "b": endpoint(local_servers, GEMMA)},
        prompt="Explain the transformer attention mechanism in 3 sentences.",
        settings=CallSettings(max_tokens=24, temperature=0.0), history=open_history(),
    ).start()
    done = set()
    while len(done) < 2:
        for side in ("a", "b"):
            kind, payload = run.queues[side].get(timeout=120)
            if kind == "delta":
                deltas[side].append(payload)
            else:
                done.add(side)
    result = run.comparison()
    for side, res in (("a", result.a), ("b", result.b)):
        assert res.error is None, res.error
        assert res.text and res.text == "".join(deltas[side])
        assert 0 < res.ttft_s <= res.latency_s
        assert res.output_tokens == len(deltas[side]) and res.output_tokens_counted  # llama.cpp sends no usage
        assert res.tokens_per_s is not None and res.tokens_per_s > 0
        assert res.finish_reason in ("length", "stop")
        assert res.cost_usd is None  # a custom endpoint has no known price
    assert result.wall_s >= max(result.a.latency_s, result.b.latency_s)
    stored = open_history().get_run(result.run_id)
    assert stored["status"] == "done" and stored["results"]["a"]["text"] == result.a.text
    assert stored["results"]["b"]["model"] == GEMMA


@pytest.mark.local_models
def test_bundled_names_reuse_the_recorded_servers_and_cost_nothing(local_servers, monkeypatch):
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(local_servers.data_dir))
    res = run_side(resolve_model(SMOL), "Say hello.", CallSettings(max_tokens=8, temperature=0.0))
    assert res.error is None and res.text
    assert res.api_base == local_servers.base_url[SMOL]  # the running server, not a new one
    assert (res.cost_usd, res.cost_source) == (0.0, "local")
    assert res.input_tokens is not None and res.input_tokens > 0


@pytest.mark.local_models
def test_the_stop_event_ends_a_stream_between_chunks(local_servers):
    stop = threading.Event()
    seen = []

    def on_delta(text):
        seen.append(text)
        if len(seen) == 3:
            stop.set()

    res = run_side(endpoint(local_servers, SMOL), "Write a long story about a lighthouse.",
                   CallSettings(max_tokens=200), on_delta=on_delta, stop=stop)
    assert res.finish_reason == "stopped" and res.error is None
    assert 3 <= res.output_tokens < 200


@pytest.mark.local_models
def test_a_server_killed_mid_stream_is_unreachable_keeps_the_partial_answer_and_is_restarted():
    target = resolve_model(SMOL)  # this test's own data dir: its own server
    try:
        pid = local.ensure_server(SMOL).pid
        killed = []

        def kill_after_first(text):
            if not killed:
                os.kill(pid, signal.SIGKILL)
                killed.append(text)

        res = run_side(target, "Write a long story about a lighthouse.", CallSettings(max_tokens=300),
                       on_delta=kill_after_first)
        assert killed and res.error_kind == "Unreachable", res.error
        assert res.text.startswith(killed[0]) and res.ttft_s is not None
        assert res.attempts == 1  # tokens had arrived: retrying would duplicate the answer
        again = run_side(target, "Say hello.", CallSettings(max_tokens=8))
        assert again.error is None and again.text
        assert local.ensure_server(SMOL).pid != pid
    finally:
        local.stop_all()


@pytest.mark.local_models
def test_a_prompt_longer_than_the_context_is_context_too_long(local_servers):
    res = run_side(endpoint(local_servers, SMOL), "hello " * 5000, CallSettings(max_tokens=8))
    assert res.error_kind == "ContextTooLong", res.error
    assert "context window" in res.error


# --- a catalogue model called through one of its hosted offers -------------------------------

LLAMA_OFFERS = ["deepinfra/meta-llama/Meta-Llama-3.1-70B-Instruct", "nebius/meta-llama/Meta-Llama-3.1-70B-Instruct",
                "fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct",
                "together_ai/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"]  # together's is deprecated in the pinned map


@pytest.fixture
def offered_catalogue():
    """An open model with no first-party key and four hosts, and a closed model with a key and no offers."""
    from catalogue_samples import entry

    from selector.catalogue import parse_catalogue
    from selector.offers import Offer, load_price_map

    extra = {"evidence_note": "none published (test entry)", "checked": {"prices": "2026-11-01"}}
    catalogue = parse_catalogue({"models": [
        entry("llama-3.1-70b", name="Llama 3.1 70B", open_weights=True, params_b=70.0, input_usd_per_mtok=None,
              output_usd_per_mtok=None, price_source=None, **extra),
        entry("closed-1", litellm_id="openai/closed-1", **extra),
        entry("bare-open", open_weights=True, input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None, **extra),
    ]})
    price_map = load_price_map()
    return catalogue.with_offers({"llama-3.1-70b": tuple(Offer.from_entry(k, price_map[k]) for k in LLAMA_OFFERS)})


def test_an_open_model_without_a_key_resolves_to_its_cheapest_live_offer(offered_catalogue):
    target = resolve_model("llama-3.1-70b", catalogue=offered_catalogue)
    assert (target.litellm_model, target.offer_key) == (
        "nebius/meta-llama/Meta-Llama-3.1-70B-Instruct", "nebius/meta-llama/Meta-Llama-3.1-70B-Instruct")
    assert (target.input_usd_per_mtok, target.output_usd_per_mtok) == (0.13, 0.4)
    assert target.catalogue_id == "llama-3.1-70b" and target.label == "Llama 3.1 70B @ nebius"


def test_a_model_named_with_a_provider_uses_that_offer(offered_catalogue):
    target = resolve_model("llama-3.1-70b@fireworks_ai", catalogue=offered_catalogue)
    assert target.litellm_model == "fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct"
    assert (target.input_usd_per_mtok, target.catalogue_id, target.spec) == (0.9, "llama-3.1-70b", "llama-3.1-70b@fireworks_ai")
    with pytest.raises(SelectorError, match=r"no live offer from together_ai .*providers: deepinfra, fireworks_ai, nebius, together_ai"):
        resolve_model("llama-3.1-70b@together_ai", catalogue=offered_catalogue)  # deprecated
    with pytest.raises(SelectorError, match="has no hosted offer"):
        resolve_model("closed-1@azure", catalogue=offered_catalogue)


def test_an_offers_litellm_string_is_priced_at_that_offer(offered_catalogue):
    target = resolve_model("deepinfra/meta-llama/Meta-Llama-3.1-70B-Instruct", catalogue=offered_catalogue)
    assert (target.catalogue_id, target.offer_key, target.input_usd_per_mtok) == (
        "llama-3.1-70b", "deepinfra/meta-llama/Meta-Llama-3.1-70B-Instruct", 0.4)


def test_a_model_with_neither_key_nor_offer_cannot_be_called(offered_catalogue):
    with pytest.raises(SelectorError, match="has no litellm_id and no hosted offer"):
        resolve_model("bare-open", catalogue=offered_catalogue)
    assert resolve_model("closed-1", catalogue=offered_catalogue).offer_key is None


def test_a_call_through_an_offer_costs_that_offers_price(offered_catalogue):
    target = resolve_model("llama-3.1-70b", catalogue=offered_catalogue)
    with scripted({target.litellm_model: "hello there"}):
        res = run_side(target, "hi", CallSettings(max_tokens=8), api_key=CANARY)
    assert res.error is None and res.cost_source in ("litellm", "catalogue")
    assert res.cost_usd == pytest.approx((res.input_tokens * 0.13 + res.output_tokens * 0.4) / 1e6)


# --- providers through a scripted caller ---------------------------------------------------------


def test_a_provider_answer_streams_with_usage_and_litellm_price():
    with scripted({CLAUDE: "Paris is the capital of France."}) as fake:
        res = run_side(resolve_model(CLAUDE), "Capital of France?", CallSettings(max_tokens=32), api_key=CANARY)
    (call,) = fake.calls
    assert call["stream"] and call["stream_options"] == {"include_usage": True} and call["api_key"] == CANARY
    assert res.error is None
    assert res.text == "Paris is the capital of France."
    assert res.output_tokens and res.output_tokens_counted is False
    assert res.cost_source == "litellm" and res.cost_usd > 0
    assert res.finish_reason == "stop"


def test_catalogue_prices_are_the_fallback_and_unknown_stays_unknown():
    priced = Target(spec="my-ft", label="my-ft", litellm_model="openai/my-fine-tune-xyz",
                    input_usd_per_mtok=1.0, output_usd_per_mtok=4.0)
    with scripted({"*": "hello there"}):
        res = run_side(priced, "hi", CallSettings(max_tokens=8), api_key=CANARY)
    assert res.cost_source == "catalogue"
    assert res.cost_usd == pytest.approx((res.input_tokens * 1.0 + res.output_tokens * 4.0) / 1e6)
    unpriced = Target(spec="x", label="x", litellm_model="openai/my-fine-tune-xyz")
    with scripted({"*": "hello there"}):
        res = run_side(unpriced, "hi", CallSettings(max_tokens=8), api_key=CANARY)
    assert res.cost_usd is None and res.cost_source is None


def _litellm_error(name: str, message: str):
    litellm = import_litellm()
    cls = getattr(litellm, name)
    return cls(message=message, llm_provider="anthropic", model="claude-haiku-4-5")


@pytest.mark.parametrize(
    ("error", "kind", "words", "attempts"),
    [
        ("RateLimitError", "RateLimited", "rate limited", 2),
        ("AuthenticationError", "AuthError", "rejected the API key: check ANTHROPIC_API_KEY", 1),
        ("Timeout", "CallTimeout", "did not answer within 30 s", 1),
        ("ContextWindowExceededError", "ContextTooLong", "context window", 1),
        ("BadRequestError", "BadRequest", "rejected the request", 1),
        ("NotFoundError", "BadRequest", "check the model name", 1),
        ("APIConnectionError", "Unreachable", "cannot reach", 2),
    ],
)
def test_provider_errors_map_to_one_line_messages_without_the_key(error, kind, words, attempts):
    exc = _litellm_error(error, f"invalid request for key {CANARY}")
    with scripted({CLAUDE: exc}):
        res = run_side(resolve_model(CLAUDE), "hi", CallSettings(max_tokens=8, timeout_s=30, retries=1), api_key=CANARY)
    assert res.error_kind == kind
    assert words in res.error
    assert CANARY not in res.error and "\n" not in res.error
    assert res.attempts == attempts  # retried only where safe: rate limits and connection failures
    assert res.text == "" and res.ttft_s is None


def test_no_key_is_an_actionable_error_before_any_call(no_keys):
    res = run_side(resolve_model(CLAUDE), "hi", CallSettings(max_tokens=8))
    assert res.error_kind == "AuthError"
    assert res.error.startswith("no ANTHROPIC_API_KEY: add it in the sidebar or the environment")


def test_a_key_in_streamlit_secrets_is_found(no_keys, tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'ANTHROPIC_API_KEY = "{CANARY}"\n')
    assert find_api_key(resolve_model(CLAUDE), None) == CANARY
    assert find_api_key(resolve_model(CLAUDE), "sk-session") == "sk-session"


def test_one_failing_side_never_stops_the_other():
    history = open_history()
    with scripted({CLAUDE: "fine answer", "openai/gpt-4o-mini": _litellm_error("RateLimitError", "slow down")}):
        result = compare(
            resolve_model(CLAUDE), resolve_model("openai/gpt-4o-mini"), "hi", CallSettings(max_tokens=8, retries=0),
            api_keys={"a": CANARY, "b": CANARY}, history=history,
        )
    assert result.a.error is None and result.a.text == "fine answer"
    assert result.b.error_kind == "RateLimited" and result.failed
    assert set(result.to_dict()) == {"a", "b", "wall_s"} and set(result.to_dict()["a"]) == set(CLI_KEYS)
    stored = history.get_run(result.run_id)
    assert stored["results"]["a"]["text"] == "fine answer" and "rate limited" in stored["results"]["b"]["error"]


# --- faults on real sockets ------------------------------------------------------------------


def test_connection_refused_is_unreachable_after_one_safe_retry():
    port = closed_port()
    res = run_side(resolve_model("m", api_base=f"http://127.0.0.1:{port}/v1"), "hi",
                   CallSettings(max_tokens=8, timeout_s=5, retries=1))
    assert res.error_kind == "Unreachable"
    assert f"cannot reach m @ http://127.0.0.1:{port}/v1" in res.error
    assert res.attempts == 2


def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:  # accepts connections (kernel backlog), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        res = run_side(resolve_model("m", api_base=f"http://127.0.0.1:{port}/v1"), "hi",
                       CallSettings(max_tokens=8, timeout_s=1.5, retries=1))
    assert res.error_kind == "CallTimeout", res.error
    assert "did not answer within 1.5 s" in res.error
    assert res.attempts == 1  # a timeout is not retried: the user would wait twice


def test_settings_are_checked():
    with pytest.raises(SelectorError, match="max tokens must be between 1 and 4096"):
        CallSettings(max_tokens=0).checked()
    with pytest.raises(SelectorError, match="temperature must be between 0 and 2"):
        CallSettings(temperature=3).checked()


# --- keys stay secret ------------------------------------------------------------------------


def test_scrub_removes_given_keys_and_key_shapes():
    assert scrub(f"bad key {CANARY}!", [CANARY]) == "bad key [redacted]!"
    assert "sk-abcdefghijkl" not in scrub("got sk-abcdefghijklmnop in header")


@pytest.mark.local_models
def test_a_key_given_for_the_session_reaches_no_row_log_or_error(local_servers):
    history = open_history()
    with scripted({CLAUDE: _litellm_error("AuthenticationError", f"invalid x-api-key {CANARY}")}, passthrough=True):
        result = compare(
            endpoint(local_servers, SMOL), resolve_model(CLAUDE), "Say hello.", CallSettings(max_tokens=8, retries=0),
            api_keys={"a": CANARY, "b": CANARY}, history=history,
        )
    assert result.a.error is None and result.b.error_kind == "AuthError"
    assert CANARY not in repr(result) and CANARY not in str(result.to_dict())
    for path in [history.path, *data_dir().rglob("*"), *local_servers.data_dir.rglob("*")]:
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def test_usage_reported_by_an_openai_compatible_server_is_used_not_counted():
    from fake_openai_server import USAGE, WORDS, FakeServer

    with FakeServer() as server:
        res = run_side(resolve_model("fake-model", api_base=server.base_url), "hi", CallSettings(max_tokens=8))
    assert res.error is None and res.text == "".join(WORDS)
    assert (res.output_tokens, res.output_tokens_counted) == (USAGE["completion_tokens"], False)
    assert res.input_tokens == USAGE["prompt_tokens"]
    assert res.finish_reason == "stop"


# --- the error table -------------------------------------------------------------------------


def _status_error(status: int, message: str = "it went wrong"):
    from selector.live.errors import ServerSaid

    return ServerSaid(status, message)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: _status_error(401), "AuthError"),
        (lambda: _status_error(403), "AuthError"),
        (lambda: _status_error(429), "RateLimited"),
        (lambda: _status_error(408), "CallTimeout"),
        (lambda: _status_error(404), "BadRequest"),
        (lambda: _status_error(422), "BadRequest"),
        (lambda: _status_error(400, "the request exceeds the available context size"), "ContextTooLong"),
        (lambda: _status_error(400, "temperature must be a number"), "BadRequest"),
        (lambda: _status_error(503), "ServerError"),
        (lambda: _status_error(500, "Expecting value: line 1 column 1"), "BadResponse"),
        (lambda: __import__("httpx").ConnectError("refused"), "Unreachable"),
        (lambda: __import__("httpx").RemoteProtocolError("peer closed connection"), "Unreachable"),
        (lambda: __import__("json").JSONDecodeError("Expecting value", "<html>", 0), "BadResponse"),
        (lambda: TimeoutError("slow"), "CallTimeout"),
        (lambda: KeyError("a bug"), "ModelCallError"),
    ],
)
def test_the_error_table_maps_types_and_status_codes_to_one_kind_each(make, kind):
    from selector.live.errors import map_error

    err = map_error(make(), resolve_model(CLAUDE), timeout_s=5)
    assert type(err).__name__ == kind
    assert "\n" not in str(err) and "anthropic/claude-haiku-4-5" in str(err)


def test_every_error_kind_says_what_to_do():
    from selector.live import ERROR_KINDS

    advice = [k.advice for k in ERROR_KINDS]
    assert len(set(advice)) == len(advice)
    assert all(":" in a for a in advice)  # "<what happened>: <what to do>"


# --- the session -------------------------------------------------------------------------------


@pytest.mark.parametrize(("draw", "swapped"), [(0.1, True), (0.9, False)])
def test_blind_mode_puts_either_model_on_the_left_with_its_own_key(draw, swapped):
    mini = "openai/gpt-4o-mini"
    with scripted({CLAUDE: "from claude", mini: "from mini"}) as fake:
        run = LiveRun(targets={"a": resolve_model(CLAUDE), "b": resolve_model(mini)}, prompt="hi",
                      settings=CallSettings(max_tokens=8), api_keys={"a": "claude-key-000001", "b": "mini-key-000001"},
                      blind=True, shuffle=lambda: draw).start()
        result = run.join(timeout=30)
    assert run.swapped is swapped
    left = mini if swapped else CLAUDE
    assert run.targets["a"].spec == left and result.a.text == ("from mini" if swapped else "from claude")
    assert {c["model"]: c["api_key"] for c in fake.calls} == {CLAUDE: "claude-key-000001", mini: "mini-key-000001"}


def test_without_blind_mode_the_sides_stay_where_they_were_picked():
    with scripted({"*": "ok"}):
        run = LiveRun(targets={"a": resolve_model(CLAUDE), "b": resolve_model("openai/gpt-4o-mini")}, prompt="hi",
                      settings=CallSettings(max_tokens=8), api_keys={"a": CANARY, "b": CANARY},
                      shuffle=lambda: 0.0).start()
        run.join(timeout=30)
    assert not run.swapped and run.targets["a"].spec == CLAUDE


def test_updates_stream_each_sides_text_and_end_with_the_final_answers():
    with scripted({CLAUDE: "Paris is the capital.", "openai/gpt-4o-mini": "Lyon, surely."}):
        run = LiveRun(targets={"a": resolve_model(CLAUDE), "b": resolve_model("openai/gpt-4o-mini")},
                      prompt="Capital of France?", settings=CallSettings(max_tokens=16),
                      api_keys={"a": CANARY, "b": CANARY}).start()
        seen = list(run.updates())
    assert seen and set(run.results) == {"a", "b"}
    assert run.shown == {"a": "Paris is the capital.", "b": "Lyon, surely."}
    assert all(set(s) == {"a", "b"} for s in seen)
    assert list(run.updates()) == []  # a rerun of the page after the end: nothing more to wait for


def test_a_bug_inside_a_worker_ends_its_side_and_logs_the_traceback(monkeypatch, caplog):
    import selector.live.session as session

    def broken(*args, **kwargs):
        return {}["missing"]

    monkeypatch.setattr(session, "run_side", broken)
    with scripted({"*": "ok"}):
        result = compare(resolve_model(CLAUDE), resolve_model("openai/gpt-4o-mini"), "hi", CallSettings(max_tokens=8),
                         api_keys={"a": CANARY, "b": CANARY})
    assert result.a.error == "internal error: KeyError" and result.b.error == "internal error: KeyError"
    logged = [r for r in caplog.records if r.name == "selector.live.session" and r.levelname == "ERROR"]
    assert len(logged) == 2
    assert all("Traceback" in r.getMessage() and "in broken" in r.getMessage() for r in logged)


def test_a_caller_installed_in_a_block_reaches_the_worker_threads_and_is_gone_after():
    from selector.live import current_caller, use_caller

    seen = []

    def fake(**kwargs):
        seen.append(threading.current_thread().name)
        return import_litellm().completion(**kwargs, mock_response="ok")

    with use_caller(fake):
        assert current_caller() is fake
        compare(resolve_model(CLAUDE), resolve_model("openai/gpt-4o-mini"), "hi", CallSettings(max_tokens=8),
                api_keys={"a": CANARY, "b": CANARY})
    assert len(seen) == 2 and all(name.startswith("live-pump") for name in seen)
    assert current_caller() is import_litellm().completion
