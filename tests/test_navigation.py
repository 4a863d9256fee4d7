"""AppTest of the app as a whole: every page listed and reachable, answers flowing between pages and
surviving a page switch and a reload, a label on every input, no traceback with no answers or a broken catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

from selector.answers import QUERY_KEYS, Answers, Traffic, answers_to_query

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
# Pages that use the questionnaire's answers, and must link to it when there are none.
NEEDS_ANSWERS = ["costs.py", "compare.py", "benchmark.py", "routing.py"]
WIDGETS = ["button", "checkbox", "color_picker", "date_input", "multiselect", "number_input", "radio",
           "select_slider", "selectbox", "slider", "text_area", "text_input", "time_input", "toggle", "chat_input"]


def open_page(name: str, query: dict[str, str] | None = None) -> AppTest:
    return open_app_page(f"pages/{name}", query=query)


def links(at: AppTest) -> list[str]:
    """Targets of the st.page_link elements on the page (url paths such as "recommend")."""
    return [link.proto.page for link in at.page_link]


def submit_questionnaire(at: AppTest, requests_per_day: int) -> None:
    at.switch_page("pages/recommend.py").run()
    at.text_input(key="rec_description").set_value("Help-centre bot")
    at.number_input(key="rec_requests_per_day").set_value(requests_per_day)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert at.header[0].value == "Recommendation"


def navigation_sections() -> dict[str, list[str]]:
    """app.py's SECTIONS, read from its syntax tree: section title -> the page files of its st.Page entries."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    [sections] = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "SECTIONS" for t in node.targets)]
    return {ast.literal_eval(key): [ast.literal_eval(page.args[0]) for page in value.elts]
            for key, value in zip(sections.keys, sections.values, strict=True)}


def test_every_page_file_is_in_the_navigation_once_in_a_section():
    sections = navigation_sections()
    assert list(sections) == ["Decide", "Explore", "Try"]
    listed = [path for paths in sections.values() for path in paths]
    assert sorted(listed) == [f"pages/{name}" for name in PAGE_FILES], "app.py's navigation and pages/ differ"


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
    assert at.info, f"{name} does not say that it runs without answers"
    assert "recommend" in links(at), links(at)


def test_questionnaire_inputs_all_have_help_text():
    at = open_page("recommend.py")
    inputs = [w for kind in WIDGETS if kind != "button" for w in getattr(at, kind)]
    assert len(inputs) >= 15
    missing = [w.label for w in inputs if not (getattr(w, "help", None) or "").strip()]
    assert not missing, f"questionnaire inputs without help text: {missing}"


def test_history_without_runs_links_to_compare():
    at = open_page("history.py")
    assert at.info, "an empty history says so"
    assert not at.dataframe
    assert "compare" in links(at), links(at)


@pytest.mark.parametrize("name", PAGE_FILES)
def test_a_broken_catalogue_gives_a_clear_error_not_a_traceback(name, tmp_path, monkeypatch):
    bad = tmp_path / "models.yaml"
    bad.write_text("models:\n  - id: x\n    name: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(bad))
    at = open_page(name)
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
    assert "recommend" not in links(at)  # no "go to the questionnaire": the answers are here

    at.switch_page("pages/benchmark.py").run()
    assert any("7,300 requests/day" in c.value for c in at.caption)
    assert "recommend" not in links(at)

    at.switch_page("pages/routing.py").run()
    assert not at.exception
    assert "recommend" not in links(at)

    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert "recommend" not in links(at)

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
    at = open_page("home.py", query={"requests_per_day": "many", "deployment": "moon"})
    # the page the link opens reports it once, naming each bad field...
    [error] = at.error
    assert "requests_per_day" in error.value and "deployment" in error.value, error.value
    at.switch_page("pages/costs.py").run()  # ...and the bad values do not follow to the next page
    assert not at.exception and not at.error
    assert at.number_input(key="costs_requests_per_day").value == Traffic().requests_per_day
