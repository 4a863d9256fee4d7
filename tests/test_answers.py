"""The questionnaire's schema: defaults, files, one-line errors naming the field, URL round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from selector.answers import (
    Answers,
    answers_from_query,
    answers_to_query,
    has_answers_in_query,
    load_answers,
    parse_answers,
)
from selector.catalogue import parse_catalogue
from selector.errors import AnswersError, SelectorError

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "data" / "examples").glob("*.yaml"))


def _catalogue():
    base = {
        "provider": "Acme", "family": "A", "open_weights": False, "license": "proprietary", "params_b": None,
        "context_tokens": 128000, "max_output_tokens": None, "input_usd_per_mtok": None,
        "output_usd_per_mtok": None, "input_modalities": ["text"], "output_modalities": ["text"],
        "languages": ["en"], "release_date": None, "sources": ["https://example.com"], "as_of": "2026-11-01",
        "evidence_note": "test entry: none published",
    }
    ids = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"]
    return parse_catalogue({"models": [dict(base, id=i, name=i) for i in ids]}, "test.yaml")


def test_empty_answers_are_the_documented_defaults():
    answers = parse_answers({})
    assert answers == Answers()
    assert answers.use_cases == ["general"] and answers.context_tokens == 8000
    assert answers.priorities.quality == 3 and answers.traffic.requests_per_day == 1000
    assert answers.allow is None and answers.budget_usd_per_month is None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_answer_files_are_valid(path):
    answers = load_answers(path)
    assert answers.description
    assert set(answers.model_dump()) == set(Answers.model_fields)


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"priorities": {"quality": 9}}, "answers support.yaml: priorities.quality must be <= 5 (got 9)"),
        ({"priorities": {"cost": -1}}, "answers support.yaml: priorities.cost must be >= 0 (got -1)"),
        ({"use_cases": ["poetry"]}, "answers support.yaml: use_cases[0] must be one of"),
        ({"modalities": ["smell"]}, "answers support.yaml: modalities[0] must be one of"),
        ({"traffic": {"requests_per_day": -5}}, "answers support.yaml: traffic.requests_per_day must be >= 0 (got -5"),
        ({"context_tokens": 0}, "answers support.yaml: context_tokens must be > 0 (got 0)"),
        ({"deployment": "cloud"}, "answers support.yaml: deployment must be one of"),
        ({"use_case": ["code"]}, "answers support.yaml: use_case is not a known field (typo?)"),
        ({"languages": ["english"]}, "answers support.yaml: languages must be ISO 639-1 codes"),
        ({"use_cases": []}, "answers support.yaml: use_cases must not be empty"),
        ({"budget_usd_per_month": -1}, "answers support.yaml: budget_usd_per_month must be >= 0 (got -1"),
    ],
)
def test_bad_answers_name_the_file_and_field(data, expected):
    with pytest.raises(AnswersError) as info:
        parse_answers(data, "support.yaml")
    assert str(info.value).startswith(expected), str(info.value)
    assert isinstance(info.value, SelectorError)


def test_every_problem_is_reported_on_its_own_line():
    with pytest.raises(AnswersError) as info:
        parse_answers({"priorities": {"quality": 9, "latency": 7}, "deployment": "moon"}, "x.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 3 and all(line.startswith("answers x.yaml: ") for line in lines)


def test_unknown_allow_id_names_the_closest_catalogue_ids():
    with pytest.raises(AnswersError, match=r"allow\[1\] unknown model id 'gpt4o-mini'; did you mean 'gpt-4o-mini'"):
        parse_answers({"allow": ["gpt-4o", "gpt4o-mini"]}, "a.yaml", _catalogue())
    assert parse_answers({"allow": ["gpt-4o"]}, "a.yaml", _catalogue()).allow == ["gpt-4o"]


def test_empty_allow_list_is_rejected_rather_than_excluding_everything():
    with pytest.raises(AnswersError, match="allow must list at least one model id"):
        parse_answers({"allow": []}, "a.yaml", _catalogue())


def test_load_reads_yaml_and_json(tmp_path):
    data = {"use_cases": ["code"], "context_tokens": 128000, "priorities": {"quality": 5, "cost": 1, "latency": 2}}
    (tmp_path / "a.json").write_text(json.dumps(data))
    (tmp_path / "a.yaml").write_text("use_cases: [code]\ncontext_tokens: 128000\npriorities: {quality: 5, cost: 1, latency: 2}\n")
    assert load_answers(tmp_path / "a.json") == load_answers(tmp_path / "a.yaml") == parse_answers(data)


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("bad.yaml", "use_cases: [code\n", "malformed YAML at line"),
        ("bad.json", "{\"use_cases\": }", "malformed JSON at line 1"),
        ("list.yaml", "- code\n", "expected a mapping of fields"),
    ],
)
def test_unreadable_files_are_one_line_errors(tmp_path, name, text, expected):
    (tmp_path / name).write_text(text)
    with pytest.raises(AnswersError) as info:
        load_answers(tmp_path / name)
    assert expected in str(info.value) and name in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_missing_file_is_named(tmp_path):
    with pytest.raises(AnswersError, match="nope.yaml: file not found"):
        load_answers(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_query_params_round_trip(path):
    answers = load_answers(path)
    params = answers_to_query(answers)
    assert all(isinstance(v, str) for v in params.values())
    assert has_answers_in_query(params)
    assert answers_from_query(params) == answers


def test_query_round_trip_keeps_allow_latency_and_fractional_numbers():
    answers = parse_answers({
        "description": "a, b & c", "allow": ["gpt-4o", "claude-3-5-sonnet"], "latency_p95_ms": 250.5,
        "traffic": {"requests_per_day": 12.5, "input_tokens": 3, "output_tokens": 4}, "fine_tuning": True,
        "data_must_stay_on_premises": True, "budget_usd_per_month": 0,
    })
    assert answers_from_query(answers_to_query(answers), _catalogue()) == answers


def test_query_ignores_other_pages_keys_and_reports_bad_values():
    assert not has_answers_in_query({"page": "costs"})
    assert answers_from_query({"context_tokens": "4000", "model": "gpt-4o"}).context_tokens == 4000
    with pytest.raises(AnswersError, match="answers in the link: priorities.quality must be <= 5"):
        answers_from_query({"priority_quality": "8"})
    with pytest.raises(AnswersError, match="context_tokens"):
        answers_from_query({"context_tokens": "lots"})


def test_unknown_allow_ids_are_reported_with_the_other_problems_in_one_pass():
    from selector.catalogue import load_catalogue

    with pytest.raises(AnswersError) as info:
        parse_answers({"priorities": {"quality": 9}, "allow": ["gpt-4o", "nope-model"]}, "a.yaml", load_catalogue())
    lines = str(info.value).splitlines()
    assert any(line.startswith("answers a.yaml: priorities.quality") for line in lines)
    assert any(line.startswith("answers a.yaml: allow[1] unknown model id 'nope-model'") for line in lines)
