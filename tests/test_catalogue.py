"""Catalogue loading: every bad-catalogue case names the file, the entry and the field; the real one is valid."""

from __future__ import annotations

import pytest
import yaml
from catalogue_samples import bench, sample_data, write_catalogue

from selector.catalogue import DEFAULT_CATALOGUE, Catalogue, load_catalogue, parse_catalogue
from selector.errors import CatalogueError, SelectorError

# Every model the issue names: the seed's models, the two bundled local models, today's lineup is checked by count.
REQUIRED_IDS = [
    "gpt-4o", "gpt-4o-mini", "o3", "claude-3-5-sonnet", "claude-haiku-4-5", "claude-opus-4-5",
    "gemini-1.5-pro", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mixtral-8x22b",
    "qwen-2.5-1.5b", "qwen-2.5-7b", "qwen-2.5-14b", "qwen-2.5-32b", "qwen-2.5-72b", "phi-3-mini",
    "phi-3-small", "phi-3-medium", "smollm2-135m-instruct", "gemma-3-270m",
]


def _set(field, value):
    return lambda entry: entry.__setitem__(field, value)


def _drop(field):
    return lambda entry: entry.pop(field)


# (case, change to the first entry 'acme-large', field the message must name, words it must contain)
BAD_ENTRIES = [
    ("wrong type: text for a number", _set("context_tokens", "lots"), "context_tokens", "whole number"),
    ("wrong type: fraction for a count", _set("max_output_tokens", 1.5), "max_output_tokens", "whole number"),
    ("wrong type: text for a boolean", _set("open_weights", "maybe"), "open_weights", "true or false"),
    ("wrong type: scalar for a list", _set("languages", "en"), "languages", "must be a list"),
    ("wrong type: bad date", _set("release_date", "May 2025"), "release_date", "YYYY-MM-DD"),
    ("negative input price", _set("input_usd_per_mtok", -1), "input_usd_per_mtok", ">= 0 (got -1)"),
    ("negative output price", _set("output_usd_per_mtok", -0.5), "output_usd_per_mtok", ">= 0"),
    ("zero context", _set("context_tokens", 0), "context_tokens", "> 0"),
    ("unknown input modality", _set("input_modalities", ["text", "smell"]), "input_modalities[1]", "'smell'"),
    ("unknown output modality", _set("output_modalities", ["video"]), "output_modalities[0]", "'video'"),
    ("empty modalities", _set("input_modalities", []), "input_modalities", "must not be empty"),
    ("no text input", _set("input_modalities", ["image"]), "input_modalities", "must include 'text'"),
    ("unknown strength", _set("strengths", ["code", "telepathy"]), "strengths[1]", "'telepathy'"),
    ("missing required field", _drop("provider"), "provider", "is required but missing"),
    ("missing nullable field", _drop("context_tokens"), "context_tokens", "is required but missing"),
    ("typo field", _set("input_usd_per_mtoken", 1.0), "input_usd_per_mtoken", "not a known field"),
    ("bad language code", _set("languages", ["en", "english"]), "languages", "'english'"),
    ("price without source", _set("price_source", None), "price_source", "required when a price is given"),
    ("benchmark above 100", _set("benchmarks", {"mmlu": bench("mmlu", 120)}), "benchmarks.mmlu", "outside mmlu's scale 0..100"),
    ("unknown benchmark", _set("benchmarks", {"mmlux": bench("mmlu", 50)}), "benchmarks", "'mmlux'"),
    ("score without its setting", _set("benchmarks", {"mmlu": {k: v for k, v in bench("mmlu", 50).items() if k != "shots"}}),
     "benchmarks.mmlu.shots", "required"),
    ("score without its snapshot", _set("benchmarks", {"mmlu": {k: v for k, v in bench("mmlu", 50).items() if k != "snapshot"}}),
     "benchmarks.mmlu.snapshot", "required"),
    ("setting of another key", _set("benchmarks", {"mmlu": bench("mmlu", 50, shots=0, cot=True)}), "benchmarks.mmlu",
     "does not match mmlu (5-shot)"),
    ("no evidence and no note", lambda e: e.update(benchmarks={}, evidence_note=None), "no benchmark", "evidence_note must say"),
    ("language score for another language",
     _set("language_scores", [dict(bench("c_eval", 80), benchmark="c_eval", language="ja")]), "language_scores[0]",
     "c_eval measures 'zh'"),
    ("shutdown without source", _set("shutdown_date", "2027-01-14"), "lifecycle_source", "is required when a shutdown_date"),
    ("benchmark without source", _set("benchmarks", {"mmlu": {k: v for k, v in bench("mmlu", 50).items() if k != "source"}}),
     "benchmarks.mmlu.source", "required"),
    ("unknown status", _set("status", "sunset"), "status", "'sunset'"),
    ("active above total params", lambda e: e.update(params_b=8, active_params_b=20), "active_params_b", "exceeds"),
    ("id not a slug", _set("id", "GPT 4o"), "id", "lower-case"),
]


@pytest.mark.parametrize("case, change, field, words", BAD_ENTRIES, ids=[c[0] for c in BAD_ENTRIES])
def test_bad_entry_names_file_entry_and_field(tmp_path, case, change, field, words):
    data = sample_data()
    change(data["models"][0])
    path = write_catalogue(tmp_path / "bad.yaml", data)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    problems = info.value.problems
    assert len(problems) == 1, problems
    message = problems[0]
    assert str(path) in message
    entry_id = data["models"][0]["id"]
    assert f"model {entry_id!r}" in message
    assert f": {field} " in message or message.endswith(f": {field}") or f" {field} " in message or f": {field}: " in message, message
    assert words in message
    assert "\n" not in message and "Traceback" not in message
    assert isinstance(info.value, SelectorError)


def test_entry_without_id_is_named_by_position(tmp_path):
    data = sample_data()
    del data["models"][2]["id"]
    path = write_catalogue(tmp_path / "bad.yaml", data)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert info.value.problems == [f"catalogue {path}, model #3 (no id): id is required but missing"]


def test_duplicate_ids_name_both_entries(tmp_path):
    data = sample_data()
    data["models"][3]["id"] = "acme-mini"
    path = write_catalogue(tmp_path / "dup.yaml", data)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert info.value.problems == [
        f"catalogue {path}, model 'acme-mini': id is duplicated (entries #2 and #4; ids must be unique)"
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    data = sample_data()
    data["models"][0]["input_usd_per_mtok"] = -1
    data["models"][1]["strengths"] = ["telepathy"]
    data["models"][4]["id"] = "acme-large"
    path = write_catalogue(tmp_path / "many.yaml", data)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    joined = "\n".join(info.value.problems)
    assert len(info.value.problems) == 3, joined
    assert "model 'acme-large': input_usd_per_mtok" in joined
    assert "model 'acme-mini': strengths[0]" in joined
    assert "id is duplicated" in joined


@pytest.mark.parametrize(
    "text, words",
    [
        ("models:\n  - id: a\n    name: [unclosed\n  - id: b\n", "malformed YAML at line 4"),
        ("models:\n  - id: a\n   name: b\n", "malformed YAML at line 3"),
        ("models:\n\t- id: a\n", "malformed YAML at line 2"),
    ],
    ids=["unclosed bracket", "bad indentation", "tab"],
)
def test_malformed_yaml_gives_the_line(tmp_path, text, words):
    path = write_catalogue(tmp_path / "broken.yaml", text)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    [message] = info.value.problems
    assert message.startswith(f"catalogue {path}: ")
    assert words in message


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "the file is empty"),
        ("- id: a\n", "expected a top-level 'models:' list (got a list)"),
        ("model:\n  - id: a\n", "expected a top-level 'models:' list (got only 'model')"),
        ("just text\n", "expected a top-level 'models:' list (got 'just text')"),
        ("models:\n  id: a\n", "top level: models must be a list of model entries (got a mapping)"),
        ("models: []\n", "top level: models is empty"),
        ("models:\n  - just a string\n", "model #1 (no id): must be a mapping of field: value (got 'just a string')"),
    ],
    ids=["empty file", "bare list", "misspelt key", "scalar", "mapping not list", "empty list", "entry not mapping"],
)
def test_not_a_models_list(tmp_path, text, words):
    path = write_catalogue(tmp_path / "shape.yaml", text)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    [message] = info.value.problems
    assert message.startswith(f"catalogue {path}")
    assert words in message


def test_unknown_top_level_key_is_named(tmp_path):
    data = sample_data() | {"version": 2, "path": "elsewhere"}
    path = write_catalogue(tmp_path / "extra.yaml", data)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert info.value.problems == [
        f"catalogue {path}, top level: version is not a known field (only 'models:' is expected)",
        f"catalogue {path}, top level: path is not a known field (only 'models:' is expected)",
    ]


def test_file_not_found(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert str(info.value) == f"catalogue {path}: file not found"


def test_valid_sample_loads_with_unknowns_as_none(tmp_path):
    catalogue = load_catalogue(write_catalogue(tmp_path / "ok.yaml", sample_data()))
    assert isinstance(catalogue, Catalogue)
    assert catalogue.ids == ["acme-large", "acme-mini", "beta-open-70b", "beta-open-8b", "gamma-old", "gamma-vision"]
    open_70b = catalogue.get("beta-open-70b")
    assert open_70b.input_usd_per_mtok is None and not open_70b.has_api_price
    assert catalogue.get("gamma-vision").release_date is None
    assert catalogue.get("gamma-old").is_retired


def test_environment_variable_chooses_the_default_catalogue(tmp_path, monkeypatch):
    path = write_catalogue(tmp_path / "mine.yaml", sample_data())
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(path))
    assert load_catalogue().ids[0] == "acme-large"
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(tmp_path / "missing.yaml"))
    with pytest.raises(CatalogueError, match="missing.yaml: file not found"):
        load_catalogue()


def test_parse_catalogue_in_memory():
    catalogue = parse_catalogue(sample_data())
    assert catalogue.path == "<memory>"
    with pytest.raises(CatalogueError, match="catalogue <memory>, model 'acme-large': name must not be empty"):
        data = sample_data()
        data["models"][0]["name"] = ""
        parse_catalogue(data)


# --- the real catalogue ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_catalogue() -> Catalogue:
    return load_catalogue(DEFAULT_CATALOGUE)


def test_real_catalogue_is_valid_and_large_enough(real_catalogue):
    assert len(real_catalogue.models) >= 40


@pytest.mark.parametrize("model_id", REQUIRED_IDS)
def test_real_catalogue_contains_required_model(real_catalogue, model_id):
    assert model_id in real_catalogue.by_id


def test_real_catalogue_has_todays_lineup(real_catalogue):
    """The families the issue asks for are present (by id prefix)."""
    ids = real_catalogue.ids
    for prefix in ["gpt-5", "claude-sonnet-4", "gemini-2.5", "gemini-3", "llama-3.3", "llama-4", "qwen3",
                   "deepseek-v3", "deepseek-r1", "mistral", "gemma-3", "gpt-oss", "phi-4"]:
        assert any(i.startswith(prefix) for i in ids), f"no model id starts with {prefix!r}"


def test_real_catalogue_bundled_local_models_are_open(real_catalogue):
    for model_id in ("smollm2-135m-instruct", "gemma-3-270m"):
        model = real_catalogue.get(model_id)
        assert model.open_weights


def test_real_catalogue_round_trips_through_yaml(real_catalogue):
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    assert [entry["id"] for entry in raw["models"]] == real_catalogue.ids
