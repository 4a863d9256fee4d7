"""AppTest of the report downloads on the recommendation page: built on request, one button per format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from conftest import open_app_page
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from selector.answers import answers_to_query, load_answers
from selector.catalogue import load_catalogue
from selector.history import open_history
from selector.scoring import recommend

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/recommend.py"
SUPPORT = ROOT / "data" / "examples" / "support-bot.yaml"


@pytest.fixture
def media(monkeypatch):
    """The media file managers AppTest creates, so a test can read what a download button serves."""
    managers: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return managers


def served_bytes(managers: list[MediaFileManager], url: str) -> bytes:
    name = url.rsplit("/", 1)[-1]
    return managers[-1]._storage.get_file(name).content


def open_with_answers() -> AppTest:
    """The page opened from a link carrying the support-bot answers (a recommendation is shown at once)."""
    return open_app_page(PAGE, query=answers_to_query(load_answers(SUPPORT)))


def test_downloads_are_built_only_when_asked(media):
    at = open_with_answers()
    assert [h.value for h in at.subheader if h.value[:1].isdigit()], "a recommendation is shown"
    assert len(at.download_button) == 0
    assert "report_files" not in at.session_state
    prepare = at.button(key="report_prepare")
    assert prepare.label == "Prepare report"

    prepare.click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.label for b in at.download_button]
    assert labels == ["Download HTML (charts, printable)", "Download Markdown", "Download JSON (data)"]

    top = recommend(load_catalogue(), load_answers(SUPPORT)).top.model
    html_button = at.download_button(key="report_download_html")
    assert html_button.proto.url.endswith(".html")
    page = served_bytes(media, html_button.proto.url).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert f'<strong class="top-pick">{top.name}</strong>' in page
    data = json.loads(served_bytes(media, at.download_button(key="report_download_json").proto.url))
    assert data["recommendations"][0]["id"] == top.id
    assert data["answers"]["description"] == "Support bot for our help centre"


def test_changed_answers_drop_the_old_report(media):
    at = open_with_answers()
    at.button(key="report_prepare").click().run()
    assert len(at.download_button) == 3
    at.number_input(key="rec_context_tokens").set_value(150_000)
    next(b for b in at.button if b.label == "Recommend").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.download_button) == 0  # the report would describe the old answers
    at.button(key="report_prepare").click().run()
    data = json.loads(served_bytes(media, at.download_button(key="report_download_json").proto.url))
    assert data["answers"]["context_tokens"] == 150_000


def test_report_includes_this_sessions_live_runs(media):
    history = open_history()
    run_id = history.start_run("Which is better, tea or coffee?", settings={"max_tokens": 32})
    history.save_result(run_id, "a", {"model": "gpt-4o-mini", "text": "Tea, calmly.", "output_tokens": 3})
    history.save_result(run_id, "b", {"model": "claude-haiku-4-5", "text": "Coffee!", "output_tokens": 2})
    other = history.start_run("Not from this session")
    at = open_with_answers()
    at.session_state["session_run_ids"] = [run_id]
    at.run()
    assert "1 live comparison run(s)" in " ".join(c.value for c in at.caption)
    at.button(key="report_prepare").click().run()
    data = json.loads(served_bytes(media, at.download_button(key="report_download_json").proto.url))
    assert [r["id"] for r in data["live_runs"]] == [run_id] and other != run_id
    assert [s["text"] for s in data["live_runs"][0]["sides"]] == ["Tea, calmly.", "Coffee!"]
    md = served_bytes(media, at.download_button(key="report_download_md").proto.url).decode()
    assert "Which is better, tea or coffee?" in md


def test_report_file_names_follow_the_description_and_date(media):
    """Two projects' reports no longer download under the same name."""
    import datetime as dt

    at = open_with_answers()
    at.button(key="report_prepare").click().run()
    today = dt.date.today().isoformat()
    names = {fmt: media[-1]._storage.get_file(at.download_button(key=f"report_download_{fmt}").proto.url.rsplit("/", 1)[-1]).filename
             for fmt in ("html", "md", "json")}
    assert names == {fmt: f"model-report-support-bot-for-our-help-centre-{today}.{fmt}" for fmt in names}


@pytest.mark.parametrize("description, top, expected", [
    ("Support bot for our help centre", "gpt-4o", "model-report-support-bot-for-our-help-centre-2026-11-30.md"),
    ("", "gpt-4o", "model-report-gpt-4o-2026-11-30.md"),
    ("  ¿Qué? / ../../etc  ", None, "model-report-qu-etc-2026-11-30.md"),
    ("", None, "model-report-no-pick-2026-11-30.md"),
])
def test_download_name(description, top, expected):
    import datetime as dt

    from pages._report import download_name

    assert download_name(description, top, dt.date(2026, 11, 30), "md") == expected
