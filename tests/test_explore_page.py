"""AppTest of the explorer page: each filter changes the table's rows; details show side by side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from catalogue_samples import sample_data, write_catalogue
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

from selector.catalogue import BENCHMARKS

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/explore.py"
ACTIVE = ["acme-large", "acme-mini", "beta-open-70b", "beta-open-8b", "gamma-vision"]


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    """The explorer on the six-model sample catalogue (SELECTOR_CATALOGUE points the app at it)."""
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(write_catalogue(tmp_path / "sample.yaml", sample_data())))
    return open_app_page(PAGE)


def table_ids(at: AppTest) -> list[str]:
    tables = [df.value for df in at.dataframe if "id" in df.value.columns]
    return list(tables[0]["id"]) if tables else []


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " models**" in m.value)


def test_default_view_hides_retired(app):
    assert table_ids(app) == ACTIVE
    assert count_line(app) == "**5 of 6 models**"


@pytest.mark.parametrize(
    "set_widget, expected",
    [
        (lambda at: at.multiselect(key="f_providers").set_value(["Beta Labs"]), ["beta-open-70b", "beta-open-8b"]),
        (lambda at: at.radio(key="f_open").set_value("open"), ["beta-open-70b", "beta-open-8b"]),
        (lambda at: at.radio(key="f_open").set_value("closed"), ["acme-large", "acme-mini", "gamma-vision"]),
        (lambda at: at.selectbox(key="f_min_context").set_value(200_000), ["acme-large", "gamma-vision"]),
        (lambda at: at.number_input(key="f_max_input").set_value(1.0), ["acme-mini", "beta-open-8b"]),
        (lambda at: at.number_input(key="f_max_output").set_value(5.0), ["acme-mini", "beta-open-8b"]),
        (lambda at: at.multiselect(key="f_modalities").set_value(["image", "audio"]), ["acme-mini"]),
        (lambda at: at.multiselect(key="f_strengths").set_value(["code"]), ["acme-large", "beta-open-70b"]),
        (lambda at: at.multiselect(key="f_languages").set_value(["ja"]), ["gamma-vision"]),
        (lambda at: at.date_input(key="f_released_after").set_value(dt.date(2024, 7, 20)),
         ["acme-large", "beta-open-70b"]),
        (lambda at: at.toggle(key="f_hide_retired").set_value(False),
         ["acme-large", "acme-mini", "beta-open-70b", "beta-open-8b", "gamma-old", "gamma-vision"]),
    ],
    ids=["provider", "open weights", "closed weights", "min context", "max input price", "max output price",
         "modalities", "strengths", "languages", "released after", "show retired"],
)
def test_each_filter_changes_the_rows(app, set_widget, expected):
    set_widget(app)
    app.run()
    assert not app.exception, app.exception
    assert table_ids(app) == expected
    assert count_line(app) == f"**{len(expected)} of 6 models**"


def test_price_limit_drops_unpriced_models_unless_asked(app):
    """The default price filter works: a limit hides models without a public price, and says so."""
    assert app.checkbox(key="f_keep_unknown").disabled  # means nothing without a limit
    app.number_input(key="f_max_input").set_value(1.0).run()
    assert table_ids(app) == ["acme-mini", "beta-open-8b"]
    assert any("hides 1 models without a public price" in c.value for c in app.caption)
    app.checkbox(key="f_keep_unknown").check().run()
    assert table_ids(app) == ["acme-mini", "beta-open-70b", "beta-open-8b"]


def test_unknown_cells_are_empty_not_none(app):
    """The caption promises an empty cell for an unknown value: the grid's placeholder is '' (default "None")."""
    app.toggle(key="f_hide_retired").set_value(False).run()
    app.multiselect(key="details_models").set_value(["beta-open-70b"]).run()
    [table] = [df for df in app.dataframe if "id" in df.value.columns]
    assert table.value["input_usd_per_mtok"].isna().any()  # the model without a price is in the table
    assert table.proto.placeholder == "" and table.proto.HasField("placeholder")


def test_empty_result_explains_what_to_widen(app):
    app.multiselect(key="f_providers").set_value(["Gamma"]).run()
    app.radio(key="f_open").set_value("open").run()
    assert table_ids(app) == []
    assert count_line(app) == "**0 of 6 models**"
    assert any("No model matches" in info.value for info in app.info)


def test_table_formats_prices_and_context(app):
    [table] = [df for df in app.dataframe if "id" in df.value.columns]
    config = str(table.proto)  # the column_config travels in the element's proto as JSON
    assert "$%.2f" in config and "localized" in config and "link" in config


def test_selected_models_show_side_by_side(app):
    app.multiselect(key="details_models").set_value(["acme-large", "beta-open-70b"]).run()
    assert not app.exception, app.exception
    details = [df.value for df in app.dataframe if "id" not in df.value.columns and "litellm_model" not in df.value.columns]
    assert len(details) == 1
    assert list(details[0].columns) == ["Acme Large", "Beta Open 70B"]
    assert details[0].loc["Input price", "Beta Open 70B"] == "unknown"
    assert details[0].loc[BENCHMARKS["mmlu"], "Acme Large"].startswith("88.5 (source: https://example.org/")


def test_bad_catalogue_shows_one_line_error(tmp_path, monkeypatch):
    data = sample_data()
    data["models"][0]["input_usd_per_mtok"] = -1
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(write_catalogue(tmp_path / "bad.yaml", data)))
    at = open_app_page(PAGE)
    assert any("input_usd_per_mtok must be >= 0" in e.value for e in at.error)
    assert not at.dataframe


def test_model_detail_lists_its_offers_with_the_spread(tmp_path, monkeypatch):
    """A model's hosted offers (offers.yaml next to the catalogue) show as a sortable table with min/median/max."""
    path = write_catalogue(tmp_path / "sample.yaml", sample_data())
    (tmp_path / "offers.yaml").write_text(
        "beta-open-70b:\n"
        "  - together_ai/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo\n"  # deprecated in the pinned map
        "  - deepinfra/meta-llama/Meta-Llama-3.1-70B-Instruct\n"
        "  - nebius/meta-llama/Meta-Llama-3.1-70B-Instruct\n"
        "  - fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct\n"
    )
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(path))
    at = open_app_page(PAGE)
    at.multiselect(key="details_models").set_value(["beta-open-70b", "acme-mini"]).run()
    assert not at.exception, at.exception
    [offers] = [df.value for df in at.dataframe if "litellm_model" in df.value.columns]
    assert list(offers["provider"]) == ["nebius", "deepinfra", "fireworks_ai", "together_ai"]  # live first, cheapest first
    assert list(offers["live"]) == [True, True, True, False]
    assert offers.loc[0, "input_usd_per_mtok"] == 0.13
    lines = [m.value for m in at.markdown]
    assert ("**Beta Open 70B**: 3 of 4 offers live. Price per 1M tokens, min / median / max: "
            "input $0.13 / $0.4 / $0.9, output $0.4 / $0.4 / $0.9.") in lines
    assert "**Acme Mini**: No hosted offer is listed for this model." in lines
