"""AppTest of the compare and history pages, on the real local servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

from local_servers import local_servers  # noqa: F401  (session fixture)
from selector.history import open_history

ROOT = Path(__file__).resolve().parent.parent
CANARY = "sk-test-CANARY-page-0123456789abcdef"
TIMEOUT = 180  # the first run imports litellm (about 3 s) and two small models answer on 2 cores


def open_page(path: str = "pages/compare.py") -> AppTest:
    return open_app_page(path, TIMEOUT)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


@pytest.fixture
def shared_servers(local_servers, monkeypatch):
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(local_servers.data_dir))
    return local_servers


def test_the_page_opens_offline_with_the_local_pair_and_the_seed_prompt():
    at = open_page()
    assert at.title[0].value == "Compare two models live"
    assert "SmolLM2 135M Instruct (local) — offline" == at.selectbox(key="pick_a").value
    assert "Gemma 3 270M base (local) — offline" == at.selectbox(key="pick_b").value
    assert at.text_area(key="prompt").value == "Explain the transformer attention mechanism in 3 sentences."
    assert any("supervised fine-tuning" in i.value and "base model" in i.value for i in at.info)
    assert any("no key needed" in m.value for m in at.sidebar.markdown)


@pytest.mark.local_models
def test_comparing_the_local_models_shows_both_answers_with_metrics(shared_servers):
    at = open_page()
    at.number_input(key="max_tokens").set_value(16)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    assert "SmolLM2 135M Instruct (local)" in texts(at.subheader)
    assert "Gemma 3 270M base (local)" in texts(at.subheader)
    metrics = [c.value for c in at.caption if c.value.startswith("first token")]
    assert len(metrics) == 2 and all("$0 (runs on this machine)" in m for m in metrics)
    assert not at.error
    rows = open_history().query(text="transformer attention")
    assert {r["model"] for r in rows} >= {"smollm2-135m-instruct", "gemma-3-270m"}


@pytest.mark.local_models
def test_blind_mode_hides_names_until_the_vote_is_stored(shared_servers):
    at = open_page()
    at.number_input(key="max_tokens").set_value(8)
    at.toggle(key="blind").set_value(True)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    assert {"Answer 1", "Answer 2"} <= set(texts(at.subheader))
    assert not any("Gemma" in s or "SmolLM2" in s for s in texts(at.subheader))
    at.button(key="vote_tie").click().run()
    assert not at.exception, at.exception
    assert {"SmolLM2 135M Instruct (local)", "Gemma 3 270M base (local)"} <= set(texts(at.subheader))
    assert any("Your vote: tie" in s.value for s in at.success)
    run_id = st_run_id(at)
    assert open_history().get_run(run_id)["vote"] == "tie"


def st_run_id(at: AppTest) -> int:
    return at.session_state["live"].run_id


@pytest.mark.local_models
def test_a_provider_without_a_key_fails_on_its_side_only(shared_servers, monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    at = open_page()
    at.selectbox(key="pick_b").set_value("Other LiteLLM model string").run()
    at.text_input(key="litellm_b").set_value("anthropic/claude-haiku-4-5").run()
    assert at.text_input(key="key_ANTHROPIC_API_KEY").value is None or \
        at.text_input(key="key_ANTHROPIC_API_KEY").value == ""
    at.number_input(key="max_tokens").set_value(8)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("no ANTHROPIC_API_KEY: add it in the sidebar or the environment")
    assert sum(1 for c in at.caption if c.value.startswith("first token")) == 2
    assert not [b for b in at.button if b.key and b.key.startswith("vote_")]  # nothing to judge with a side failed
    assert any("No vote for this run: model B failed" in i.value for i in at.info)


@pytest.mark.local_models
def test_a_key_typed_in_the_sidebar_reaches_no_stored_row_or_log(shared_servers):
    at = open_page()
    at.selectbox(key="pick_a").set_value("Custom OpenAI-compatible endpoint").run()
    at.text_input(key="url_a").set_value(shared_servers.base_url["smollm2-135m-instruct"]).run()
    at.text_input(key="name_a").set_value("smollm2-135m-instruct").run()
    at.text_input(key="key_url_a").set_value(CANARY).run()
    at.number_input(key="max_tokens").set_value(8)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    assert not at.error
    for path in shared_servers.data_dir.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    assert CANARY not in str(at.query_params)


def test_bad_settings_are_reported_not_raised():
    at = open_page()
    at.text_area(key="prompt").set_value("   ")
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    assert any("prompt is empty" in e.value for e in at.error)


def test_history_page_filters_and_offers_csv():
    history = open_history()
    run_id = history.start_run("What is attention?")
    history.save_result(run_id, "a", {"model": "gemma-3-270m", "text": "Attention is", "output_tokens": 3})
    history.save_result(run_id, "b", {"model": "gpt-4o", "error": "no OPENAI_API_KEY", "error_kind": "AuthError"})
    at = open_page("pages/history.py")
    assert at.title[0].value == "Run history"
    assert len(at.dataframe[0].value) == 2
    columns = list(at.dataframe[0].value.columns)
    assert columns[:5] == ["When", "Model", "Prompt", "Answer", "Error"]  # the columns that matter first
    assert not [c for c in columns if "_" in c], columns  # no raw field names (run_id, ttft_s)
    at.text_input[0].set_value("gemma").run()
    assert list(at.dataframe[0].value["Model"]) == ["gemma-3-270m"]
    at.checkbox[0].check().run()
    assert any("No runs match" in i.value for i in at.info)


def test_history_page_with_no_runs_says_how_to_make_one():
    at = open_page("pages/history.py")
    assert any("Compare two models live" in i.value for i in at.info)


@pytest.mark.parametrize("blind, expected_notes", [(False, [1, 0]), (True, [0, 0])])
def test_a_local_server_note_shows_once_and_never_in_blind_mode(shared_servers, monkeypatch, blind, expected_notes):
    """E.g. "default port taken": said once per session, and never in blind mode (it names the model)."""
    import dataclasses

    import selector.live.servers as local

    real = local.ensure_server

    def noted(alias, *args, **kwargs):
        info = real(alias, *args, **kwargs)
        return dataclasses.replace(info, note=f"port taken: the {alias} server moved") if alias == "gemma-3-270m" else info

    monkeypatch.setattr(local, "ensure_server", noted)
    at = open_page()
    at.toggle(key="blind").set_value(blind)
    at.number_input(key="max_tokens").set_value(4)
    counts = []
    for _ in range(2):
        at.button(key="run").click().run()
        assert not at.exception, at.exception
        counts.append(sum("port taken" in i.value for i in at.info))
    assert counts == expected_notes
