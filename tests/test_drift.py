"""Drift between the catalogue (models and offers) and LiteLLM's bundled map: a check that can fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from catalogue_samples import entry, write_catalogue

from selector.catalogue import parse_catalogue
from selector.drift import (
    Accepted,
    DriftReport,
    compare_catalogue,
    find_entry,
    format_report,
    parse_accepted,
)
from selector.errors import SelectorError
from selector.offers import Offer, load_price_map, price_map_path

ROOT = Path(__file__).resolve().parent.parent

# A tiny map in LiteLLM's format: prices per token, context as max_input_tokens.
PRICE_MAP = {
    "sample_spec": {"input_cost_per_token": 0, "max_tokens": "set to max_output_tokens"},
    "acme-large": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "max_input_tokens": 200_000,
                   "max_output_tokens": 16_384, "litellm_provider": "acme", "mode": "chat", "supports_vision": True,
                   "supports_reasoning": True},
    "acme-mini": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07, "max_input_tokens": 128_000,
                  "litellm_provider": "acme", "mode": "chat"},
    "host/beta-open-70b": {"input_cost_per_token": 4e-07, "output_cost_per_token": 4e-07, "max_input_tokens": 32_768,
                           "litellm_provider": "host", "mode": "chat"},
    "big/beta-open-70b": {"input_cost_per_token": 9e-07, "output_cost_per_token": 9e-07, "max_input_tokens": 1_000_000,
                          "litellm_provider": "big", "mode": "chat", "supports_vision": True, "supports_reasoning": True},
}


def _entry(model_id: str, **overrides) -> dict:
    return entry(model_id, **({"evidence_note": "none published (test entry)", "checked": {"prices": "2026-11-01"}}
                              | overrides))


LARGE = dict(litellm_id="acme-large", input_usd_per_mtok=3.0, output_usd_per_mtok=15.0, context_tokens=200_000,
             max_output_tokens=16_384, input_modalities=["text", "image"], reasoning=True)
OPEN = dict(open_weights=True, params_b=70.0, input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None,
            context_tokens=131_072)


def _catalogue(*entries, offers: dict | None = None):
    catalogue = parse_catalogue({"models": list(entries)})
    attached = {mid: tuple(Offer.from_entry(k, PRICE_MAP[k]) for k in keys) for mid, keys in (offers or {}).items()}
    return catalogue.with_offers(attached)


def _hashable(value):
    if isinstance(value, list):
        return tuple(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _fields(report: DriftReport) -> set[tuple]:
    return {(d.model, d.key, d.field, _hashable(d.ours), _hashable(d.map)) for d in report.differences}


def test_identical_values_give_no_difference():
    # 2.5e-06 * 1e6 is 2.4999999999999996 in floating point: still the same price.
    price_map = {"m": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "max_input_tokens": 128_000}}
    report = compare_catalogue(
        _catalogue(_entry("m-1", litellm_id="m", input_usd_per_mtok=2.5, output_usd_per_mtok=10.0)), price_map
    )
    assert report.differences == [] and report.compared == 1 and not report.failed


@pytest.mark.parametrize(
    "overrides, field, ours, theirs",
    [
        ({"input_usd_per_mtok": 2.0}, "input_usd_per_mtok", 2.0, 3.0),
        ({"output_usd_per_mtok": 12.0}, "output_usd_per_mtok", 12.0, 15.0),
        ({"context_tokens": 1_000_000}, "context_tokens", 1_000_000, 200_000),
        ({"max_output_tokens": 8_192}, "max_output_tokens", 8_192, 16_384),
        ({"input_modalities": ["text"]}, "input_modalities", ["text"], ["text", "image"]),
        ({"reasoning": False}, "reasoning", False, True),
        ({"shutdown_date": "2027-01-01", "lifecycle_source": "https://example.org/deprecations"},
         "shutdown_date", "2027-01-01", None),
        ({"input_usd_per_mtok": None, "output_usd_per_mtok": None, "price_source": None}, "input_usd_per_mtok", None, 3.0),
    ],
    ids=["input price", "output price", "context", "max output", "modalities", "reasoning", "shutdown date",
         "unknown price where the map has one"],
)
def test_each_field_of_the_first_party_key_is_compared(overrides, field, ours, theirs):
    report = compare_catalogue(_catalogue(_entry("acme-large", **(LARGE | overrides))), PRICE_MAP)
    assert ("acme-large", "acme-large", field, _hashable(ours), _hashable(theirs)) in _fields(report)
    assert report.failed


def test_fields_missing_from_the_map_are_not_differences():
    report = compare_catalogue(_catalogue(_entry("bare-1", litellm_id="bare")), {"bare": {"litellm_provider": "x"}})
    assert report.differences == [] and report.compared == 1


def test_an_offer_claiming_more_than_its_model_is_drift_but_a_smaller_context_is_not():
    report = compare_catalogue(
        _catalogue(_entry("beta-open-70b", **OPEN), offers={"beta-open-70b": ["host/beta-open-70b", "big/beta-open-70b"]}),
        PRICE_MAP,
    )
    assert _fields(report) == {
        ("beta-open-70b", "big/beta-open-70b", "context_tokens", 131_072, 1_000_000),
        ("beta-open-70b", "big/beta-open-70b", "input_modalities", ("text",), ("text", "image")),
        ("beta-open-70b", "big/beta-open-70b", "reasoning", False, True),
    }
    assert report.through_offers == {"beta-open-70b": 2} and report.offers_compared == 2
    assert "beta-open-70b: no first-party key; checked through 2 offers" in format_report(report)


def test_an_accepted_difference_records_both_values_and_reopens_when_one_changes():
    accepted = [Accepted("acme-large", "acme-large", "input_usd_per_mtok", 2.0, 3.0, "Acme's page lists $2 since 2026-10-01")]
    report = compare_catalogue(_catalogue(_entry("acme-large", **(LARGE | {"input_usd_per_mtok": 2.0}))), PRICE_MAP, accepted)
    [diff] = report.differences
    assert diff.explained and diff.accepted.startswith("Acme's page") and not report.failed
    moved = PRICE_MAP | {"acme-large": PRICE_MAP["acme-large"] | {"input_cost_per_token": 2.5e-06}}
    report = compare_catalogue(_catalogue(_entry("acme-large", **(LARGE | {"input_usd_per_mtok": 2.0}))), moved, accepted)
    assert report.unexplained and report.failed
    assert report.stale == accepted  # the old entry no longer matches anything


def test_a_reason_for_one_field_does_not_accept_another():
    accepted = [Accepted("acme-large", "acme-large", "input_usd_per_mtok", 2.0, 3.0, "price changed")]
    report = compare_catalogue(
        _catalogue(_entry("acme-large", **(LARGE | {"input_usd_per_mtok": 2.0, "context_tokens": 100_000}))),
        PRICE_MAP, accepted)
    assert [d.field for d in report.unexplained] == ["context_tokens"]


def test_a_litellm_id_the_map_lacks_fails_the_check():
    report = compare_catalogue(_catalogue(_entry("unknown-id", litellm_id="acme/acme-huge")), PRICE_MAP)
    assert [(n.model_id, n.litellm_id) for n in report.not_in_map] == [("unknown-id", "acme/acme-huge")]
    assert report.failed and "litellm_id not in LiteLLM's map (1)" in format_report(report)


def test_provider_prefixed_id_matches_bare_key_of_that_provider():
    assert find_entry("acme/acme-large", PRICE_MAP)[0] == "acme-large"
    assert find_entry("other/acme-large", PRICE_MAP) is None


def test_the_report_says_what_to_do_and_how_to_accept():
    report = compare_catalogue(_catalogue(_entry("acme-large", **(LARGE | {"input_usd_per_mtok": 2.0}))), PRICE_MAP)
    text = format_report(report)
    assert "1 differences, 1 not accepted" in text
    assert ("acme-large [acme-large] input_usd_per_mtok: ours $2/1M, map $3/1M - check the maker's price page "
            "and fix the catalogue's input_usd_per_mtok") in text
    assert ('to accept: - {model: "acme-large", key: "acme-large", field: "input_usd_per_mtok", ours: 2, map: 3, '
            'reason: "..."}') in text
    assert report.to_dict()["unexplained"] == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"model": "x"}, "expected a list"),
        ([{"model": "x", "key": "k", "field": "input_usd_per_mtok", "ours": 1, "map": 2}], "entry #1: missing reason"),
        ([{"model": "x", "key": "k", "field": "colour", "ours": 1, "map": 2, "reason": "r"}], "field 'colour' is not one of"),
        ([{"model": "x", "key": "k", "field": "reasoning", "ours": 1, "map": 2, "reason": "..."}], "reason must say why"),
        ([{"model": "x", "key": "k", "field": "reasoning", "ours": 1, "map": 2, "reason": "r", "note": "n"}], "unknown note"),
    ],
    ids=["not a list", "missing reason", "unknown field", "placeholder reason", "extra key"],
)
def test_bad_accepted_entries_are_named(data, message):
    with pytest.raises(SelectorError, match=message):
        parse_accepted(data, "drift file d.yaml")


# --- the command -----------------------------------------------------------------------------


def _files(tmp_path, entries, accepted=None):
    catalogue = write_catalogue(tmp_path / "models.yaml", {"models": entries})
    price_map = tmp_path / "map.json"
    price_map.write_text(json.dumps(PRICE_MAP))
    if accepted is not None:
        (tmp_path / "drift.yaml").write_text(yaml.safe_dump(accepted))
    return catalogue, price_map


def _drift(*args):
    return subprocess.run([sys.executable, "-m", "selector", "catalog", "drift", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_cli_drift_exits_1_on_an_unaccepted_difference_and_0_once_accepted(tmp_path):
    entries = [_entry("acme-large", **(LARGE | {"input_usd_per_mtok": 2.0}))]
    catalogue, price_map = _files(tmp_path, entries)
    run = _drift("--catalogue", str(catalogue), "--price-map", str(price_map))
    assert run.returncode == 1, run.stderr
    assert "acme-large [acme-large] input_usd_per_mtok: ours $2/1M, map $3/1M" in run.stdout
    catalogue, price_map = _files(tmp_path, entries, accepted=[
        {"model": "acme-large", "key": "acme-large", "field": "input_usd_per_mtok", "ours": 2.0, "map": 3.0,
         "reason": "Acme's price page lists $2 since 2026-10-01; the map lags"}])
    run = _drift("--catalogue", str(catalogue), "--price-map", str(price_map), "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    assert out["unexplained"] == 0 and out["differences"][0]["explained"]


def test_cli_drift_with_a_bad_accepted_file_exits_2(tmp_path):
    catalogue, price_map = _files(tmp_path, [_entry("acme-large", **LARGE)], accepted=[{"model": "acme-large"}])
    run = _drift("--catalogue", str(catalogue), "--price-map", str(price_map))
    assert run.returncode == 2
    assert "drift file" in run.stderr and "missing key, field, ours, map, reason" in run.stderr
    assert "Traceback" not in run.stderr


# --- the real catalogue against the installed litellm's map -----------------------------------


def test_price_map_path_is_inside_the_installed_package():
    path = price_map_path()
    assert path.name == "model_prices_and_context_window_backup.json" and path.parent.name == "litellm"
    assert len(load_price_map(path)) > 1000


def test_real_catalogue_has_no_unaccepted_drift():
    """`make test` fails when the map and the catalogue disagree and data/drift.yaml does not say why."""
    run = _drift()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr
    assert run.stdout.startswith("Compared ")
    assert "model_prices_and_context_window_backup.json from litellm" in run.stdout


# --- names cut into family, version and line (the rule behind `catalog missing`) ---------------

from selector.drift import parse_model_name  # noqa: E402


@pytest.mark.parametrize(
    "name, stem, version, words",
    [
        ("claude-opus-5-5", "claude", (5, 5), ("opus",)),
        ("gpt-6.1-terra", "gpt", (6, 1), ("terra",)),
        ("gpt-4o-mini", "gpt", (4,), ("o", "mini")),
        ("o4-mini", "o", (4,), ("mini",)),
        ("qwen3-30b-a3b", "qwen", (3,), ("30b", "a3b")),
        ("qwen3.8-max", "qwen", (3, 8), ("max",)),
        ("deepseek-v4-pro", "deepseek", (4,), ("pro",)),
        ("kimi-k3.1-pro", "kimi", (3, 1), ("k", "pro")),
        ("MiniMax-M3", "minimax", (3,), ("m",)),
        ("mistral-large-4-0", "mistral", (4,), ("large",)),
        ("glm-5p3", "glm", (5, 3), ()),
        ("grok-4.20-reasoning", "grok", (4, 20), ()),
        ("gemini-3.5-flash-lite", "gemini", (3, 5), ("flash", "lite")),
    ],
)
def test_model_names_are_cut_into_family_version_and_line(name, stem, version, words):
    parsed = parse_model_name(name)
    assert (parsed.stem, parsed.version, parsed.words) == (stem, version, words)


def test_versions_compare_as_numbers_part_by_part():
    assert parse_model_name("grok-4.20").version > parse_model_name("grok-4.7").version
    assert parse_model_name("gpt-5.10").version > parse_model_name("gpt-5.9").version
    assert parse_model_name("no-version-here") is None
