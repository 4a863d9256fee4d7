"""How long the cost model and the chart builders take on the real catalogue (figures for `make bench`)."""

from __future__ import annotations

from bench import best_of
from selector import charts
from selector.catalogue import load_catalogue
from selector.costs import SelfHostAssumptions, Traffic, compare_costs, volume_grid


def run() -> dict:
    catalogue = load_catalogue()
    models = [m for m in catalogue.models if not m.is_retired]
    traffic, assumptions = Traffic(), SelfHostAssumptions()
    open_models = [m for m in models if m.open_weights and m.params_b is not None][:8]
    return {
        "models": len(models),
        "compare_costs_ms": round(1000 * best_of(5, lambda: compare_costs(models, traffic, assumptions)), 2),
        "cost_vs_volume_figure_ms": round(
            1000 * best_of(3, lambda: charts.cost_vs_volume_figure(open_models, traffic, assumptions)), 1
        ),
        "cost_vs_volume_points": len(volume_grid()),
        "price_quality_figure_ms": round(1000 * best_of(3, lambda: charts.price_quality_figure(models, traffic, "mmlu")), 1),
        "monthly_cost_figure_ms": round(1000 * best_of(3, lambda: charts.monthly_cost_figure(models, traffic)), 1),
    }
