"""AppTest of the app as a whole: every page listed and reachable, answers flowing between pages and
surviving a page switch and a reload, a label on every input, no traceback with no answers or a broken catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from selector.answers import QUERY_KEYS, Answers, Traffic, answers_to_query

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT_S = 60
PAGE_FILES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
# Pages that use the questionnaire's answers, and must link to it when there are none.
NEEDS_ANSWERS = ["costs.py", "compare.py", "benchmark.py", "routing.py"]
WIDGETS = ["button", "checkbox", "color_picker", "date_input", "multiselect", "number_input", "radio",
           "select_slider", "selectbox", "slider", "text_area", "text_input", "time_input", "toggle", "chat_input"]


def open_page(name: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    if query:
        at.query_params.update(query)
    at.run()
    if name != "home.py":
        at.switch_page(f"pages/{name}").run()
    return at


def links(at: AppTest) -> list[str]:
    """Targets of the st.page_link elements on the page (AppTest has no typed accessor for them)."""
    found = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if getattr(node, "type", None) == "page_link" and proto is not None:
            found.append(proto.page)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def submit_questionnaire(at: AppTest, requests_per_day: int) -> None:
    at.switch_page("pages/recommend.py").run()
    at.text_input(key="rec_description").set_value("Help-centre bot")
    at.number_input(key="rec_requests_per_day").set_value(requests_per_day)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert at.header[0].value == "Recommendation"


def test_every_page_file_is_in_the_navigation_in_a_section():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    for name in PAGE_FILES:
        assert f'"pages/{name}"' in source, f"{name} is not in app.py's navigation"
    assert re.search(r'"Decide":\s*\[', source) and re.search(r'"Explore":', source) and re.search(r'"Try":', source)
    assert "guide.py" in PAGE_FILES


@pytest.mark.parametrize("name", PAGE_FILES)
def test_every_page_opens_without_answers_and_labels_every_input(name):
    at = open_page(name)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, f"{name} has no title"
    for kind in WIDGETS:
        for widget in getattr(at, kind):
            label = getattr(widget, "label", None)
            assert label and label.strip(), f"{name}: a {kind} (key {widget.key!r}) has no label"


@pytest.mark.parametrize("name", NEEDS_ANSWERS)
def test_pages_that_use_answers_say_so_and_link_to_the_questionnaire(name):
    at = open_page(name)
    assert any("No questionnaire answers yet" in i.value for i in at.info), [i.value for i in at.info]
    assert "pages/recommend.py" in " ".join(links(at)) or "recommend" in " ".join(links(at))


def test_questionnaire_inputs_all_have_help_text():
    at = open_page("recommend.py")
    inputs = [w for kind in WIDGETS if kind != "button" for w in getattr(at, kind)]
    assert len(inputs) >= 15
    missing = [w.label for w in inputs if not (getattr(w, "help", None) or "").strip()]
    assert not missing, f"questionnaire inputs without help text: {missing}"


def test_history_without_runs_links_to_compare():
    at = open_page("history.py")
    assert any("No runs match" in i.value for i in at.info)
    assert any("compare" in target for target in links(at))


@pytest.mark.parametrize("name", PAGE_FILES)
def test_a_broken_catalogue_gives_a_clear_error_not_a_traceback(name, tmp_path, monkeypatch):
    bad = tmp_path / "models.yaml"
    bad.write_text("models:\n  - id: x\n    name: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(bad))
    at = open_page(name)
    assert not at.exception, [e.value for e in at.exception]
    if name == "history.py":  # the only page that does not read the catalogue
        assert at.title[0].value == "Run history"
        return
    assert at.error, f"{name} shows no error for a broken catalogue"
    assert "models.yaml" in at.error[0].value
    assert "Traceback" not in at.error[0].value


def test_answers_flow_to_costs_benchmark_routing_and_compare():
    at = open_page("home.py")
    submit_questionnaire(at, requests_per_day=7_300)

    at.switch_page("pages/costs.py").run()
    assert not at.exception
    assert at.number_input(key="costs_requests_per_day").value == 7_300
    assert not any("No questionnaire answers yet" in i.value for i in at.info)

    at.switch_page("pages/benchmark.py").run()
    assert any("7,300 requests/day" in c.value for c in at.caption)

    at.switch_page("pages/routing.py").run()
    assert not any("No questionnaire answers yet" in i.value for i in at.info)

    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert any("top picks" in c.value for c in at.caption)

    at.switch_page("pages/home.py").run()
    assert any("Help-centre bot" in s.value for s in at.success)


def test_a_page_switch_that_drops_the_query_params_puts_the_answers_back():
    """Streamlit clears the URL's query string on a page switch: the next run must restore it."""
    at = open_page("home.py")
    submit_questionnaire(at, requests_per_day=4_200)
    assert at.query_params["requests_per_day"] == "4200"
    at.query_params.clear()  # what the browser does when the user picks another page
    at.switch_page("pages/explore.py").run()  # a page that never reads the answers itself
    assert at.query_params.get("requests_per_day") == "4200"
    assert at.query_params.get("description") == "Help-centre bot"


def test_a_reload_restores_the_answers_from_the_url():
    """A reload is a new session: only the URL carries the answers."""
    answers = Answers(description="Contract review", traffic=Traffic(requests_per_day=12_345))
    query = answers_to_query(answers)
    assert set(query) <= set(QUERY_KEYS)
    at = open_page("costs.py", query=query)
    assert not at.exception
    assert at.number_input(key="costs_requests_per_day").value == 12_345
    at.switch_page("pages/recommend.py").run()
    assert at.text_input(key="rec_description").value == "Contract review"
    assert at.header[0].value == "Recommendation"


def test_a_bad_link_is_reported_and_the_page_still_works():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update({"requests_per_day": "many", "deployment": "moon"})
    at.run()  # the page the link opens reports it once...
    assert any("link's answers were ignored" in e.value for e in at.error)
    at.switch_page("pages/costs.py").run()  # ...and the bad values do not follow to the next page
    assert not at.exception and not at.error
    assert at.number_input(key="costs_requests_per_day").value == Traffic().requests_per_day
