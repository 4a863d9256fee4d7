"""Rendering of a Recommendation on the page: picks with intervals, warnings, unrated models, what would change."""

from __future__ import annotations

import streamlit as st

from selector.catalogue import Catalogue
from selector.recommendation import Recommendation, format_money
from selector.rules import PART_LABELS


def show_recommendation(result: Recommendation, catalogue: Catalogue) -> None:
    st.header("Recommendation")
    st.caption(
        f"{result.candidates} of {result.catalogue_models} models meet every requirement "
        f"(catalogue {result.catalogue_path}, facts as of {result.as_of})."
    )
    _copy_link()
    if result.binding:
        st.warning(result.binding, icon=":material/block:")
    for warning in result.warnings:
        st.warning(warning, icon=":material/event_busy:")
    if result.margin:
        st.info(result.margin, icon=":material/compare_arrows:")
    for pick in result.picks:
        _show_pick(pick)
    runner = result.runner_up
    if runner is not None and runner.tradeoff:
        st.info(f"**Runner-up:** {runner.tradeoff}", icon=":material/balance:")
    if result.changes:
        st.subheader("What would change the answer")
        for change in result.changes:
            st.markdown(f"- {change.sentence}")
    if result.unrated:
        with st.expander(f"Not enough evidence to rank ({len(result.unrated)})", expanded=not result.picks):
            st.caption("These models meet every requirement, but no benchmark or rating is published for them: "
                       "they are not ranked as if they were bad. Measure them on your own prompts.")
            st.dataframe(
                [{"Model": u.model.name, "id": u.model.id, "Monthly cost": format_money(u.monthly_cost_usd),
                  "How to rank it": "Benchmark page, or bench-prompts on your prompts"} for u in result.unrated],
                hide_index=True, width="stretch",
            )
            st.page_link("pages/benchmark.py", label="Measure models on your prompts", icon=":material/science:")
    with st.expander(f"Excluded models ({len(result.excluded)})"):
        if result.excluded:
            st.dataframe(
                [{"Model": e.model.name, "id": e.model.id, "Why": "; ".join(e.reasons)} for e in result.excluded],
                hide_index=True, width="stretch",
            )
        else:
            st.write("No model was excluded.")


def _copy_link() -> None:
    """The page's link, which carries the answers (never a key), with a copy button."""
    with st.popover("Copy link", icon=":material/link:"):
        st.caption("This link reopens the page with these answers. Copy it with the icon at the right.")
        st.code(st.context.url or "", language=None, wrap_lines=True)


def _show_pick(pick) -> None:
    with st.container(border=True):
        head, money = st.columns([3, 1])
        head.subheader(f"{pick.rank}. {pick.model.name}")
        shutdown = f" · shuts down {pick.model.shutdown_date.isoformat()}" if pick.model.shutdown_date else ""
        head.caption(f"`{pick.model.id}` · {pick.model.provider} · score {pick.score:.2f} of 1{shutdown}")
        label = "Monthly cost" if not (pick.serving and pick.serving.mode == "device") else "Server bill"
        money.metric(label, format_money(pick.monthly_cost_usd), help=f"Cost basis: {pick.cost_basis}")
        estimate = pick.capability
        if estimate is not None:
            st.caption(
                f"Capability {estimate.point:.2f} (95% interval {estimate.low:.2f}-{estimate.high:.2f}, "
                f"{estimate.basis}, {estimate.evidence} score(s))"
            )
        for reason in pick.reasons:
            st.markdown(f"- {reason}")
        st.caption(
            "How the score is made: each bar below rates the model from 0 (worst among the candidates) to 1 (best) "
            "on one criterion; the weight is how much your answers make that criterion count. The score is the "
            "weighted average of the bars, so 1 would mean best on everything you care about."
        )
        for name, part in pick.score_parts.items():
            st.progress(
                min(1.0, max(0.0, part.value)),
                text=f"{PART_LABELS[name]}: {part.value:.2f} x weight {part.weight:g}",
            )
