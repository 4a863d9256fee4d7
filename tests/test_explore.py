"""The explorer's filter, table and details (selector/explore.py), on a small hand-made catalogue."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from catalogue_samples import entry, sample_data
from pydantic import ValidationError

from selector.catalogue import BENCHMARKS
from selector.catalogue import parse_catalogue
from selector.explore import CatalogueFilter, catalogue_table, filter_models, filter_options, model_details


@pytest.fixture(scope="module")
def catalogue():
    return parse_catalogue(sample_data())


def ids(catalogue, **criteria) -> list[str]:
    return [m.id for m in filter_models(catalogue, CatalogueFilter(**criteria))]


ACTIVE = ["acme-large", "acme-mini", "beta-open-70b", "beta-open-8b", "gamma-vision"]

CASES = [
    ("no filter hides retired", {}, ACTIVE),
    ("show retired", {"hide_retired": False}, ACTIVE[:4] + ["gamma-old", "gamma-vision"]),
    ("one provider", {"providers": ["Beta Labs"]}, ["beta-open-70b", "beta-open-8b"]),
    ("two providers", {"providers": ["Beta Labs", "Gamma"]}, ["beta-open-70b", "beta-open-8b", "gamma-vision"]),
    ("open weights", {"open_weights": "open"}, ["beta-open-70b", "beta-open-8b"]),
    ("closed weights", {"open_weights": "closed"}, ["acme-large", "acme-mini", "gamma-vision"]),
    ("minimum context", {"min_context_tokens": 128_000}, ["acme-large", "acme-mini", "beta-open-70b", "gamma-vision"]),
    ("minimum context is inclusive", {"min_context_tokens": 200_000}, ["acme-large", "gamma-vision"]),
    ("max input price keeps unknown", {"max_input_usd_per_mtok": 1.0}, ["acme-mini", "beta-open-70b", "beta-open-8b"]),
    ("max input price drops unknown", {"max_input_usd_per_mtok": 1.0, "keep_unknown_price": False},
     ["acme-mini", "beta-open-8b"]),
    ("max output price is inclusive", {"max_output_usd_per_mtok": 10.0},
     ["acme-mini", "beta-open-70b", "beta-open-8b", "gamma-vision"]),
    ("free is not unknown", {"max_output_usd_per_mtok": 0.0, "keep_unknown_price": False}, []),
    ("unknown-price switch alone changes nothing", {"keep_unknown_price": False}, ACTIVE),
    ("image input", {"input_modalities": ["image"]}, ["acme-large", "acme-mini", "gamma-vision"]),
    ("image and audio input", {"input_modalities": ["image", "audio"]}, ["acme-mini"]),
    ("one strength", {"strengths": ["code"]}, ["acme-large", "beta-open-70b"]),
    ("all strengths required", {"strengths": ["code", "reasoning"]}, ["acme-large"]),
    ("one language", {"languages": ["es"]}, ["beta-open-70b"]),
    ("all languages required", {"languages": ["en", "fr"]}, ["acme-large"]),
    ("released after (unknown date excluded)", {"released_after": dt.date(2024, 7, 20)},
     ["acme-large", "beta-open-70b"]),
    ("released after is strict", {"released_after": dt.date(2025, 5, 1)}, []),
    ("combined", {"open_weights": "closed", "max_input_usd_per_mtok": 2.0, "input_modalities": ["image"]},
     ["acme-mini", "gamma-vision"]),
]


@pytest.mark.parametrize("case, criteria, expected", CASES, ids=[c[0] for c in CASES])
def test_filter(catalogue, case, criteria, expected):
    assert ids(catalogue, **criteria) == expected


def test_unknown_context_never_meets_a_minimum():
    cat = parse_catalogue({"models": [entry("known", context_tokens=32_000), entry("unknown", context_tokens=None)]})
    assert ids(cat) == ["known", "unknown"]
    assert ids(cat, min_context_tokens=1) == ["known"]


def test_filter_rejects_unknown_values():
    with pytest.raises(ValidationError):
        CatalogueFilter(open_weights="sometimes")
    with pytest.raises(ValidationError):
        CatalogueFilter(input_modalities=["smell"])
    with pytest.raises(ValidationError):
        CatalogueFilter(max_input_usd_per_mtok=-1)


def test_filter_options(catalogue):
    options = filter_options(catalogue)
    assert options.providers == ["Acme", "Beta Labs", "Gamma"]
    assert options.input_modalities == ["text", "image", "audio", "video"]
    assert options.languages == ["de", "en", "es", "fr", "ja"]
    assert "telepathy" not in options.strengths and {"code", "edge", "long_context"} <= set(options.strengths)
    assert options.max_context_tokens == 1_000_000
    assert (options.earliest_release, options.latest_release) == (dt.date(2023, 3, 1), dt.date(2025, 5, 1))


def test_table_keeps_unknowns_missing(catalogue):
    table = catalogue_table(catalogue.models)
    assert list(table["id"]) == catalogue.ids
    row = table.set_index("id").loc["beta-open-70b"]
    assert pd.isna(row["input_usd_per_mtok"]) and pd.isna(row["output_usd_per_mtok"])
    assert table.set_index("id").loc["acme-mini", "input_usd_per_mtok"] == 0.15
    assert table["context_tokens"].dtype == "Int64"
    assert table.set_index("id").loc["acme-large", "source"] == "https://example.org/model-card"


def test_details_side_by_side(catalogue):
    details = model_details([catalogue.get("acme-large"), catalogue.get("beta-open-70b")])
    assert list(details.columns) == ["Acme Large", "Beta Open 70B"]
    assert details.loc["Input price", "Acme Large"] == "$3.00 per 1M tokens"
    assert details.loc["Input price", "Beta Open 70B"] == "unknown"
    assert details.loc["Context window", "Acme Large"] == "200,000 tokens"
    mmlu = details.loc[BENCHMARKS["mmlu"]]
    assert mmlu["Acme Large"] == "88.5 (source: https://example.org/model-card)"
    assert mmlu["Beta Open 70B"] == "not reported"
    assert details.loc["Notes", "Acme Large"] == "Flagship model."
    assert details.loc["Parameters", "Beta Open 70B"] == "70.6 B"


@pytest.mark.parametrize("status, shutdown, lasting", [
    ("active", None, True),
    ("active", "2027-06-01", True),   # more than a year away
    ("active", "2026-03-01", False),  # shuts down within the year
    ("deprecated", None, False),
    ("retired", None, False),
])
def test_defaults_skip_models_shutting_down(status, shutdown, lasting):
    from selector.explore import is_lasting, lasting_defaults

    data = sample_data()
    data["models"][0].update(status=status)
    if shutdown:
        data["models"][0].update(shutdown_date=shutdown, lifecycle_source="https://example.org/lifecycle")
    catalogue = parse_catalogue(data)
    model = catalogue.models[0]
    today = dt.date(2026, 1, 1)
    assert is_lasting(model, today) is lasting
    assert (model.id in lasting_defaults(catalogue, [model.id], today)) is lasting
    assert len(lasting_defaults(catalogue, [], today, count=2)) == 2  # others fill up
