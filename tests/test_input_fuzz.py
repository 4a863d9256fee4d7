"""Random and extreme input everywhere input enters: answers, catalogue entries, files, every page's link.

Whatever comes in (infinities, NaN, huge, negative, wrong types, unicode, markdown), the result is a
valid object with finite, bounded numbers or one error per problem naming its field: never a
traceback, never `Infinity` in JSON output, exit 2 from the CLI.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from catalogue_samples import entry, sample_data, write_catalogue
from conftest import ROOT, open_app_page
from selector.answers import QUERY_KEYS, Answers, answers_from_query, load_answers, parse_answers
from selector.catalogue import parse_catalogue
from selector.errors import AnswersError, CatalogueError

EXTREME_NUMBERS = [math.inf, -math.inf, math.nan, 1e308, -1e308, 2**53 + 1, 2**64, 10**300, -1, 0, 0.0, 5e-324]
EXTREME_TEXT = ["inf", "-inf", "nan", "Infinity", "1e308", "9" * 400, "", " ", "yes", "true", "128000",
                "ünïcødé ✓ 中文", "\u202e\u0000", "![x](http://203.0.113.7/x.png)", "<img src=x>", "-5", "1_0"]
extreme = st.one_of(
    st.sampled_from(EXTREME_NUMBERS),
    st.sampled_from(EXTREME_TEXT),
    st.booleans(),
    st.none(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.lists(st.sampled_from(["en", "xx", 1, None, "reasoning"]), max_size=3),
    st.dictionaries(st.sampled_from(["requests_per_day", "quality", "bogus"]), st.sampled_from(EXTREME_NUMBERS), max_size=2),
)
ANSWER_FIELDS = list(Answers.model_fields) + ["traffic", "priorities", "not_a_field"]
TRAFFIC_FIELDS = ["requests_per_day", "input_tokens", "output_tokens", "cached_input_share", "reasoning_multiplier"]


def _finite_everywhere(data: object) -> bool:
    if isinstance(data, float):
        return math.isfinite(data) and abs(data) <= 1e12
    if isinstance(data, int) and not isinstance(data, bool):
        return abs(data) <= 2**53
    if isinstance(data, dict):
        return all(_finite_everywhere(v) for v in data.values())
    if isinstance(data, (list, tuple)):
        return all(_finite_everywhere(v) for v in data)
    return True


def _assert_names_fields(message: str, fields: list[str]) -> None:
    for line in message.splitlines():
        assert any(field in line for field in fields), f"no field named in: {line}"
        assert len(line) < 600, "an error line quotes a whole value"


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(ANSWER_FIELDS), extreme, max_size=4),
       st.dictionaries(st.sampled_from(TRAFFIC_FIELDS), extreme, max_size=3))
def test_answers_are_valid_and_finite_or_refused_by_field(data, traffic):
    if traffic:
        data = {**data, "traffic": traffic}
    try:
        answers = parse_answers(data, "fuzz")
    except AnswersError as exc:
        _assert_names_fields(str(exc), [*ANSWER_FIELDS, *TRAFFIC_FIELDS, "document"])
        return
    dumped = answers.model_dump_json()
    assert "Infinity" not in dumped and "NaN" not in dumped
    assert _finite_everywhere(answers.model_dump())


@pytest.mark.parametrize("value", [True, "128000", "yes", 1e308, math.inf, math.nan, 20_000_001, 2**53 + 1])
def test_numbers_are_never_coerced_or_unbounded(value):
    with pytest.raises(AnswersError, match="context_tokens"):
        parse_answers({"context_tokens": value})


def test_languages_come_from_iso_639_1():
    assert parse_answers({"languages": ["EN", "fr"]}).languages == ["en", "fr"]
    with pytest.raises(AnswersError, match=r"languages must be ISO 639-1 codes .*'xx'"):
        parse_answers({"languages": ["en", "xx"]})


MODEL_NUMBERS = ["params_b", "active_params_b", "context_tokens", "max_output_tokens", "input_usd_per_mtok",
                 "output_usd_per_mtok", "cached_input_usd_per_mtok", "kv_cache_kb_per_token"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(MODEL_NUMBERS), extreme, min_size=1, max_size=3), extreme)
def test_catalogue_numbers_are_finite_bounded_and_never_coerced(fields, score):
    model = entry("fuzz-model", **fields)
    model["benchmarks"] = {"mmlu": {"score": score, "shots": 5, "cot": False, "thinking": False, "metric": "accuracy",
                                    "snapshot": "s", "source": "https://example.org", "date": "2026-11-01"}}
    try:
        catalogue = parse_catalogue({"models": [model]}, "fuzz.yaml")
    except CatalogueError as exc:
        for line in str(exc).splitlines():
            assert "fuzz-model" in line or "fuzz.yaml" in line
            assert len(line) < 600
        return
    [parsed] = catalogue.models
    assert _finite_everywhere(parsed.model_dump(mode="json"))
    for name, value in fields.items():  # what passed was a real number of the field's type
        assert not isinstance(value, (str, bool))


# --- files: size, kind, duplicates, emptiness, short echoes ------------------------------------------

@pytest.mark.parametrize(
    "name, text, words",
    [
        ("a.yaml", "", "the file is empty"),
        ("a.yaml", "# only a comment\n", "holds no data"),
        ("a.yaml", "context_tokens: 1000\ncontext_tokens: 2000\n", "duplicate key 'context_tokens'"),
        ("a.json", '{"context_tokens": 1000, "context_tokens": 2000}', "duplicate key 'context_tokens'"),
        ("a.json", '{"budget_usd_per_month": Infinity}', "Infinity is not a JSON number"),
        ("a.yaml", "budget_usd_per_month: .inf\n", "budget_usd_per_month must be a finite number"),
        ("a.yaml", "context_tokens: '128000'\n", "context_tokens must be a whole number"),
        ("a.yaml", "fine_tuning: 1\n", "fine_tuning must be true or false"),
        ("a.yaml", "[" * 5000, "malformed YAML"),
    ],
)
def test_bad_answer_files_are_refused_with_the_reason(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(AnswersError) as info:
        load_answers(path)
    assert words in str(info.value)


def test_a_huge_value_is_echoed_as_a_short_prefix(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("description: " + "x" * 900_000 + "\n")
    with pytest.raises(AnswersError) as info:
        load_answers(path)
    assert "description" in str(info.value) and len(str(info.value)) < 300


def test_an_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(60_000_000)  # sparse: no 60 MB written
    with pytest.raises(CatalogueError, match="over the 10,000,000-byte limit"):
        from selector.catalogue import load_catalogue

        load_catalogue(path)


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "directory"])
def test_only_regular_files_are_read(tmp_path, special):
    if special == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
    elif special == "directory":
        path = tmp_path
    else:
        path = Path(special)
    with pytest.raises(AnswersError, match="directory|not a regular file"):
        load_answers(path)
    result = subprocess.run([sys.executable, "-m", "selector", "catalog", "validate", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "regular file" in result.stderr + result.stdout or "directory" in result.stderr + result.stdout


@pytest.mark.parametrize("text, field", [
    ("budget_usd_per_month: .inf\n", "budget_usd_per_month"),
    ("traffic:\n  requests_per_day: 1.0e+15\n", "requests_per_day"),
    ("context_tokens: true\n", "context_tokens"),
    ("languages: [en, zz]\n", "languages"),
    ("priorities: {quality: 1, quality: 2}\n", "duplicate key 'quality'"),
])
def test_the_cli_exits_2_naming_the_field(tmp_path, text, field):
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    result = subprocess.run([sys.executable, "-m", "selector", "recommend", "--answers", str(path), "--format", "json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Infinity" not in result.stdout
    assert field in result.stderr


# --- every page's link ---------------------------------------------------------------------------------

def _pages() -> list[str]:
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page"]


PAGES = _pages()
ISSUE_LINKS = [
    {"requests_per_day": "inf"},
    {"budget_usd_per_month": "inf"},
    {"latency_p95_ms": "inf"},
    {"requests_per_day": "1e308"},
    {"context_tokens": "20000001"},
    {"context_tokens": str(2**53 + 1)},
]
link_value = st.one_of(st.sampled_from(EXTREME_TEXT), st.text(max_size=30),
                       st.integers().map(str), st.floats().map(repr))


def _check_page(page: str, query: dict) -> None:
    at = open_app_page(page, query=query)  # fails on any exception element
    for error in at.error:
        if "link's answers were ignored" in error.value:
            _assert_names_fields(error.value.split("\n", 1)[1], [*QUERY_KEYS, "traffic", "priorities"])
    try:
        expected_ok = answers_from_query(query) is not None
    except AnswersError:
        expected_ok = False
    if not expected_ok:  # pages that read the answers say so; none keeps them for the other pages
        assert "answers" not in at.session_state, (page, query)
    return at


def test_the_pages_come_from_app_navigation():
    assert "pages/recommend.py" in PAGES and "pages/costs.py" in PAGES and len(PAGES) >= 10


@pytest.mark.parametrize("query", ISSUE_LINKS, ids=lambda q: "-".join(f"{k}={v[:8]}" for k, v in q.items()))
@pytest.mark.parametrize("page", ["pages/recommend.py", "pages/costs.py", "pages/home.py"])
def test_the_issue_links_show_the_ignored_values_not_a_traceback(page, query):
    at = _check_page(page, query)
    if page != "pages/home.py":  # an error element names the bad field
        [field] = query
        assert any(field in e.value for e in at.error), [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=st.dictionaries(st.sampled_from(QUERY_KEYS), link_value, min_size=1, max_size=5))
def test_random_links_on_every_page(page, query):
    _check_page(page, query)


def test_a_bad_link_does_not_stick_across_pages():
    at = open_app_page("pages/costs.py", query={"requests_per_day": "inf"})
    assert any("requests_per_day" in e.value for e in at.error)
    at.switch_page("pages/recommend.py").run()
    assert not at.exception and not at.error
    assert "requests_per_day" not in at.query_params or at.query_params["requests_per_day"] != ["inf"]


def test_answers_json_output_never_holds_infinity():
    answers = parse_answers({"traffic": {"requests_per_day": 1e9}, "budget_usd_per_month": 1e9})
    assert json.loads(answers.model_dump_json())["traffic"]["requests_per_day"] == 1e9
