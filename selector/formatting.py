"""Figures for people: each kind of number shown one way, and an unknown one as "unknown" (never 0 or "None").

Pure functions: the pages (through pages/_widgets.py), the CLI and the report can all use them.
"""

from __future__ import annotations

import math

UNKNOWN = "unknown"


def is_unknown(value) -> bool:
    """None or NaN: a figure nobody measured or published."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def known(value, spec: str = "", unit: str = "", prefix: str = "") -> str:
    """`value` in the format `spec` between `prefix` and `unit`, or "unknown"."""
    return UNKNOWN if is_unknown(value) else f"{prefix}{value:{spec}}{unit}"


def money(value: float | None, digits: int = 2) -> str:
    """US dollars with thousands separators: $1,234.50."""
    return known(value, f",.{digits}f", prefix="$")


def money_rounded(value: float | None) -> str:
    """Dollars without cents from $10 up: $1,234, $9.50 (monthly figures in sentences)."""
    if is_unknown(value):
        return UNKNOWN
    return f"${value:,.0f}" if value >= 10 else f"${value:,.2f}"


def seconds(value: float | None, digits: int = 2) -> str:
    return known(value, f".{digits}f", " s")


def milliseconds(value: float | None, unit: str = " ms") -> str:
    return known(value, ",.0f", unit)


def number(value: float | None, unit: str = "") -> str:
    """A count or measure as published: whole numbers with separators (128,000), others shortest (0.36, 1,500.5)."""
    if is_unknown(value):
        return UNKNOWN
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value:,g}{unit}"


def percent(value: float | None, digits: int = 0) -> str:
    """A share 0..1 as a percentage: 0.25 -> 25%."""
    return known(value, f".{digits}%")


def call_cost(result) -> str:
    """One call's cost with where its prices came from."""
    if is_unknown(result.cost_usd):
        return "cost unknown"
    if result.cost_source == "local":
        return "$0 (runs on this machine)"
    return f"${result.cost_usd:.6f} ({result.cost_source} prices)"


def call_metrics_line(result, show_cost: bool = True) -> str:
    """One side of a live call in one line: first token, total, output tokens, speed, cost, finish reason.

    `show_cost=False` in blind mode, where a $0 cost would give the local model away.
    """
    count = UNKNOWN if is_unknown(result.output_tokens) else f"{result.output_tokens}" + (
        " (counted)" if result.output_tokens_counted else "")
    parts = [f"first token {seconds(result.ttft_s)}", f"total {seconds(result.latency_s)}", f"{count} output tokens",
             known(result.tokens_per_s, ".1f", " tok/s")]
    if show_cost:
        parts.append(call_cost(result))
    return " · ".join(parts + [f"finish: {result.finish_reason or UNKNOWN}"])
