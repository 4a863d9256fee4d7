"""AppTest of the Costs page: change the traffic, see the numbers change."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalogue_samples import bench, priced_entry, use_catalogue
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 30




@pytest.fixture
def small_catalogue(tmp_path, monkeypatch):
    """A three-model catalogue in place of data/models.yaml, so every figure is known by hand."""
    models = [
        priced_entry("gpt-4o", name="GPT-4o", cached_input_usd_per_mtok=1.25,
              benchmarks={"mmlu": bench("mmlu", 88.7)}),
        priced_entry("open-70b", name="Open 70B", open_weights=True, params_b=70, input_usd_per_mtok=0.6,
              output_usd_per_mtok=0.6, benchmarks={"mmlu": bench("mmlu", 83.6)}),
        priced_entry("secret", name="Secret", input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None),
    ]
    return use_catalogue(tmp_path, monkeypatch, models)


def open_costs_page() -> AppTest:
    return open_app_page("pages/costs.py", TIMEOUT_S)


def table(at: AppTest):
    frame = at.dataframe[0].value
    return frame.set_index("Model")


def test_page_shows_hand_checked_costs_and_changes_with_traffic(small_catalogue):
    at = open_costs_page()
    assert at.title[0].value == "Costs"
    at.multiselect(key="costs_models").set_value(["gpt-4o", "open-70b", "secret"]).run()
    frame = table(at)
    assert frame.loc["GPT-4o", "API $/month"] == pytest.approx(136.8)  # $0.0045 x 1,000/day x 30.4
    assert frame.loc["Open 70B", "Self-host $/month"] == pytest.approx(3648)  # 2 GPUs x $2.50 x 729.6 h
    assert frame.loc["Open 70B", "Break-even requests/day"] == 26_667  # against GPT-4o
    assert frame.loc["Secret"].isna()["API $/month"]  # unknown price: empty, not $0
    assert any("Secret" in c.value for c in at.caption)

    at.number_input(key="costs_requests_per_day").set_value(10_000).run()
    assert table(at).loc["GPT-4o", "API $/month"] == pytest.approx(1368)

    at.number_input(key="costs_output_tokens").set_value(1000).run()  # 1,000 x 2.5 + 1,000 x 10 = $0.0125
    assert table(at).loc["GPT-4o", "$ per request"] == pytest.approx(0.0125)
    assert not at.exception


def test_self_hosting_assumptions_change_the_estimate(small_catalogue):
    at = open_costs_page()
    at.multiselect(key="costs_models").set_value(["open-70b"]).run()
    at.selectbox(key="costs_precision").set_value("fp16").run()  # 168 GB -> 4 GPUs
    assert table(at).loc["Open 70B", "Self-host GPUs"] == 4
    at.number_input(key="costs_gpu_usd_per_hour").set_value(3.0).run()
    assert table(at).loc["Open 70B", "Self-host $/month"] == pytest.approx(4 * 3.0 * 729.6)
    shown = " ".join(c.value for c in at.caption)
    assert "GPU price per hour: $3" in shown and "Weight precision: fp16" in shown
    assert "gpu_usd_per_hour" not in shown and "gpus_power_of_two" not in shown and "True" not in shown
    meanings = " ".join(str(v) for v in at.table[0].value.to_numpy().ravel())
    assert "seed" not in meanings and "reference_active_params_b" not in meanings


def test_four_charts_are_drawn(small_catalogue):
    at = open_costs_page()
    charts = at.get("plotly_chart")
    assert len(charts) == 4


def test_traffic_defaults_to_the_questionnaire_answers(small_catalogue):
    from selector.answers import Answers
    from selector.costs import Traffic

    answers = Answers(traffic=Traffic(requests_per_day=5000, input_tokens=3000, output_tokens=400))
    at = open_app_page("pages/costs.py", TIMEOUT_S, session={"answers": answers})
    assert at.number_input(key="costs_requests_per_day").value == 5000
    assert at.number_input(key="costs_input_tokens").value == 3000
    assert any("questionnaire" in c.value for c in at.caption)
    # 3,000 x 2.5 + 400 x 10 = $0.0115 per request, x 5,000/day x 30.4 days
    assert table(at).loc["GPT-4o", "API $/month"] == pytest.approx(0.0115 * 5000 * 30.4)


def test_page_runs_on_the_real_catalogue():
    at = open_costs_page()
    assert len(at.dataframe) >= 1 and len(at.get("plotly_chart")) == 4
    before = table(at)["API $/month"].dropna()
    assert len(before) > 0
    at.number_input(key="costs_requests_per_day").set_value(2000).run()
    after = table(at)["API $/month"].dropna()
    assert list(after) == pytest.approx([2 * v for v in before])
    from selector.catalogue import BENCHMARKS

    for benchmark in list(BENCHMARKS)[:3]:
        at.selectbox(key="costs_benchmark").set_value(benchmark).run()
        assert not at.exception


def test_charts_are_built_once_per_input(small_catalogue, monkeypatch):
    """A rerun with the same inputs (e.g. a toggle elsewhere) draws cached charts instead of building them again."""
    from selector import charts

    calls = []
    real = charts.cost_vs_volume_figure
    monkeypatch.setattr(charts, "cost_vs_volume_figure", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = open_costs_page()
    assert len(calls) == 1
    at.toggle(key="costs_log_scale").set_value(True).run()  # changes the monthly chart only
    assert len(calls) == 1
    at.number_input(key="costs_requests_per_day").set_value(2000).run()
    assert len(calls) == 2


def test_default_models_are_not_shutting_down_soon():
    import datetime as dt

    from selector.catalogue import load_catalogue

    catalogue = load_catalogue()
    at = open_costs_page()
    today = dt.date.today()
    chosen = [catalogue.by_id[i] for i in at.multiselect(key="costs_models").value]
    against = catalogue.by_id[at.selectbox(key="costs_against").value] if "costs_against" in [
        s.key for s in at.selectbox] else None
    assert chosen
    for model in chosen + ([against] if against else []):
        assert model.status == "active", model.id
        assert model.shutdown_date is None or (model.shutdown_date - today).days > 365, model.id


def test_a_link_at_the_schema_limits_fits_the_traffic_fields(small_catalogue):
    """Each traffic field is bounded as Traffic is: whatever a link can carry, the form can hold (no exception).
    (A link carries requests and tokens; the cache share and reasoning multiplier stay at their defaults.)"""
    from selector.answers import Answers, answers_to_query
    from selector.costs import MAX_REQUEST_TOKENS, MAX_REQUESTS_PER_DAY, Traffic

    top = Traffic(requests_per_day=MAX_REQUESTS_PER_DAY, input_tokens=MAX_REQUEST_TOKENS,
                  output_tokens=MAX_REQUEST_TOKENS, cached_input_share=1.0, reasoning_multiplier=1000)
    at = open_app_page("pages/costs.py", TIMEOUT_S, query=answers_to_query(Answers(traffic=top)))
    assert at.number_input(key="costs_requests_per_day").value == MAX_REQUESTS_PER_DAY
    assert at.number_input(key="costs_input_tokens").value == MAX_REQUEST_TOKENS
    for key, field in [("costs_requests_per_day", "requests_per_day"), ("costs_output_tokens", "output_tokens"),
                       ("costs_reasoning_multiplier", "reasoning_multiplier")]:
        bounds = {type(rule).__name__: rule for rule in Traffic.model_fields[field].metadata}
        assert at.number_input(key=key).max == bounds["Le"].le, key


def test_the_break_even_lines_come_from_the_shared_sentence(small_catalogue):
    from selector.catalogue import load_catalogue
    from selector.costs import SelfHostAssumptions, Traffic, break_even_sentence

    catalogue = load_catalogue()
    at = open_costs_page()
    at.multiselect(key="costs_models").set_value(["open-70b"]).run()
    sentence = break_even_sentence(catalogue.by_id["open-70b"], Traffic(), catalogue.by_id["gpt-4o"],
                                   SelfHostAssumptions())
    assert any(sentence in m.value for m in at.markdown)
