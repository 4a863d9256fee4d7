"""Drift between the catalogue and LiteLLM's bundled price map (offline)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from catalogue_samples import entry, sample_data, write_catalogue

from selector.catalogue import parse_catalogue
from selector.drift import (
    DriftReport,
    compare_catalogue,
    find_entry,
    format_report,
    load_price_map,
    price_map_path,
)

# A tiny map in LiteLLM's format: prices per token, context as max_input_tokens / max_tokens.
PRICE_MAP = {
    "sample_spec": {"input_cost_per_token": 0, "max_tokens": "set to max_output_tokens"},
    "acme-large": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "max_input_tokens": 200_000,
                   "max_tokens": 16_384, "litellm_provider": "acme"},
    "acme-mini": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07, "max_tokens": 128_000,
                  "litellm_provider": "acme"},
}


def _catalogue(*entries):
    return parse_catalogue({"models": list(entries)})


def test_identical_values_give_no_difference():
    # 2.5e-06 * 1e6 is 2.4999999999999996 in floating point: still the same price.
    price_map = {"m": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "max_input_tokens": 128_000}}
    report = compare_catalogue(
        _catalogue(entry("m-1", litellm_id="m", input_usd_per_mtok=2.5, output_usd_per_mtok=10.0)), price_map
    )
    assert report.differences == []
    assert report.compared == 1


def test_differing_price_without_note_is_flagged():
    report = compare_catalogue(_catalogue(entry("acme-mini", litellm_id="acme-mini", input_usd_per_mtok=0.25,
                                                output_usd_per_mtok=0.6, context_tokens=128_000)), PRICE_MAP)
    [diff] = report.differences
    assert (diff.model_id, diff.field, diff.ours, diff.litellm) == ("acme-mini", "input_usd_per_mtok", 0.25, 0.15)
    assert not diff.explained
    assert report.unexplained == [diff]


def test_differing_price_with_note_is_accepted():
    report = compare_catalogue(
        _catalogue(entry("acme-mini", litellm_id="acme-mini", input_usd_per_mtok=0.25, output_usd_per_mtok=0.6,
                         context_tokens=128_000, price_note="Acme raised the price on 2026-10-01; LiteLLM lags.")),
        PRICE_MAP,
    )
    [diff] = report.differences
    assert diff.explained
    assert report.unexplained == []



def test_a_note_about_prices_does_not_explain_a_context_difference():
    report = compare_catalogue(
        _catalogue(entry("acme-mini", litellm_id="acme-mini", input_usd_per_mtok=0.25, output_usd_per_mtok=0.6,
                         context_tokens=64_000, price_note="Acme raised the price on 2026-10-01; LiteLLM lags.")),
        PRICE_MAP,
    )
    by_field = {d.field: d for d in report.differences}
    assert by_field["input_usd_per_mtok"].explained
    assert not by_field["context_tokens"].explained
    assert report.unexplained == [by_field["context_tokens"]]

@pytest.mark.parametrize(
    "overrides, field, ours, theirs",
    [
        ({"output_usd_per_mtok": 12.0}, "output_usd_per_mtok", 12.0, 15.0),
        ({"context_tokens": 1_000_000}, "context_tokens", 1_000_000, 200_000),
        ({"input_usd_per_mtok": None, "output_usd_per_mtok": None, "price_source": None}, "input_usd_per_mtok", None, 3.0),
    ],
    ids=["output price", "context window", "unknown price where LiteLLM has one"],
)
def test_each_field_is_compared(overrides, field, ours, theirs):
    base = dict(litellm_id="acme-large", input_usd_per_mtok=3.0, output_usd_per_mtok=15.0, context_tokens=200_000)
    report = compare_catalogue(_catalogue(entry("acme-large", **(base | overrides))), PRICE_MAP)
    fields = {(d.field, d.ours, d.litellm) for d in report.differences}
    assert (field, ours, theirs) in fields


def test_context_falls_back_to_max_tokens():
    report = compare_catalogue(_catalogue(entry("acme-mini", litellm_id="acme-mini", input_usd_per_mtok=0.15,
                                                output_usd_per_mtok=0.6, context_tokens=64_000)), PRICE_MAP)
    assert [(d.field, d.litellm) for d in report.differences] == [("context_tokens", 128_000)]


def test_fields_missing_from_the_map_are_not_differences():
    price_map = {"bare": {"litellm_provider": "x"}}
    report = compare_catalogue(_catalogue(entry("bare-1", litellm_id="bare")), price_map)
    assert report.differences == [] and report.compared == 1


def test_models_not_in_the_map_are_listed_separately():
    report = compare_catalogue(
        _catalogue(entry("no-id"), entry("unknown-id", litellm_id="acme/acme-huge")), PRICE_MAP
    )
    assert [(n.model_id, n.litellm_id) for n in report.not_in_map] == [("no-id", None), ("unknown-id", "acme/acme-huge")]
    assert report.differences == [] and report.compared == 0
    text = format_report(report)
    assert "Not in LiteLLM's map (2):" in text
    assert "no-id: no litellm_id in the catalogue" in text


def test_provider_prefixed_id_matches_bare_key_of_that_provider():
    assert find_entry("acme/acme-large", PRICE_MAP)[0] == "acme-large"
    assert find_entry("other/acme-large", PRICE_MAP) is None
    assert find_entry("acme-large", PRICE_MAP)[0] == "acme-large"


def test_format_report_lists_every_difference():
    report = compare_catalogue(
        _catalogue(
            entry("acme-large", litellm_id="acme-large", input_usd_per_mtok=2.0, output_usd_per_mtok=15.0,
                  context_tokens=100_000, price_note="Batch price; the card gives a 100k context window."),
            entry("acme-mini", litellm_id="acme-mini", input_usd_per_mtok=0.2, output_usd_per_mtok=0.6,
                  context_tokens=128_000),
        ),
        PRICE_MAP,
    )
    text = format_report(report)
    assert "3 differences, 1 not explained by a price_note" in text
    assert "acme-large [acme-large] input_usd_per_mtok: $2/1M vs $3/1M - explained: Batch price; the card gives a 100k context window." in text
    assert "acme-large [acme-large] context_tokens: 100,000 tokens vs 200,000 tokens" in text
    assert "acme-mini [acme-mini] input_usd_per_mtok: $0.2/1M vs $0.15/1M - UNEXPLAINED" in text
    as_json = report.to_dict()
    assert as_json["unexplained"] == 1 and len(as_json["differences"]) == 3


def test_cli_drift_on_a_given_map(tmp_path):
    catalogue = write_catalogue(tmp_path / "c.yaml", sample_data())
    price_map = tmp_path / "map.json"
    price_map.write_text(json.dumps(PRICE_MAP | {"acme-mini": PRICE_MAP["acme-mini"] | {"input_cost_per_token": 2e-7}}))
    run = subprocess.run(
        [sys.executable, "-m", "selector", "catalog", "drift", "--catalogue", str(catalogue),
         "--price-map", str(price_map), "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert [(d["model_id"], d["field"], d["ours"], d["litellm"]) for d in out["differences"]] == [
        ("acme-mini", "input_usd_per_mtok", 0.15, 0.2)
    ]
    assert {n["model_id"] for n in out["not_in_map"]} == {"beta-open-70b", "beta-open-8b", "gamma-old", "gamma-vision"}


# --- the real catalogue against the installed litellm's map ---------------------------------------


def test_bundled_map_is_read_without_importing_litellm():
    code = (
        "import sys; from selector.drift import load_price_map; m = load_price_map(); "
        "assert 'litellm' not in sys.modules, 'litellm was imported'; "
        "assert 'gpt-4o' in m and m['gpt-4o']['input_cost_per_token'] > 0; print(len(m))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) > 1000


@pytest.fixture(scope="module")
def real_report() -> DriftReport:
    from selector.catalogue import DEFAULT_CATALOGUE, load_catalogue
    from selector.drift import check_drift

    return check_drift(load_catalogue(DEFAULT_CATALOGUE))


def test_real_catalogue_has_no_unexplained_drift(real_report):
    unexplained = [
        f"{d.model_id} {d.field}: ours {d.ours}, LiteLLM's {d.litellm} ({d.litellm_id})" for d in real_report.unexplained
    ]
    assert not unexplained, "differences no price_note explains:\n" + "\n".join(unexplained)


def test_real_catalogue_litellm_ids_exist_in_the_map(real_report):
    """The catalogue sets litellm_id only where LiteLLM knows the model: an unknown one is a typo."""
    unknown = [f"{n.model_id}: {n.litellm_id}" for n in real_report.not_in_map if n.litellm_id]
    assert not unknown, "litellm_id not in LiteLLM's map (fix or drop it):\n" + "\n".join(unknown)
    assert real_report.compared >= 20


def test_cli_drift_on_the_real_catalogue():
    run = subprocess.run([sys.executable, "-m", "selector", "catalog", "drift"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Compared ")
    assert "model_prices_and_context_window_backup.json from litellm" in run.stdout


def test_price_map_path_is_inside_the_installed_package():
    path = price_map_path()
    assert path.name == "model_prices_and_context_window_backup.json"
    assert path.parent.name == "litellm"
    assert len(load_price_map(path)) > 1000
