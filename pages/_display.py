"""Shared display helpers: charts built once per input, tables' column configs, and long work kept off the
script run (a fragment redraws its progress, so the page stays live)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping

import streamlit as st

from selector.catalogue import Model

# id(model) -> (model, its JSON): a catalogue's models are the same objects on every rerun (the catalogue is
# cached), so each is dumped once. Holding the model keeps its id from being reused by another object.
_DUMPED: dict[int, tuple[Model, str]] = {}


def _stable_text(value) -> str:
    """A text that changes whenever a chart argument does (pydantic models by their JSON)."""
    if isinstance(value, Model):
        kept = _DUMPED.get(id(value))
        if kept is None or kept[0] is not value:
            if len(_DUMPED) > 10_000:
                _DUMPED.clear()
            kept = _DUMPED[id(value)] = (value, value.model_dump_json())
        return kept[1]
    if hasattr(value, "model_dump_json"):  # a small per-run input (traffic, assumptions)
        return value.model_dump_json()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_stable_text(v) for v in value) + "]"
    return repr(value)


# A resource cache, not st.cache_data: cache_data pickles the figure and unpickling a plotly Figure validates
# every property again, which took longer than drawing it (about 0.2 s per chart). The figures are only read.
@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_figure(builder: str, key: str, _args: tuple, _kwargs: dict):
    from selector import charts

    return getattr(charts, builder)(*_args, **_kwargs)


def cached_chart(builder: str, *args, **kwargs):
    """selector.charts.<builder>(*args, **kwargs), built once per input: a page reruns on every widget change,
    and building a figure over the catalogue takes far longer than drawing a cached one."""
    key = _stable_text(list(args)) + _stable_text(sorted(kwargs.items()))
    return _cached_figure(builder, key, args, kwargs)


def table_columns(table, labels: Mapping[str, str], price_format: str = "$%.3f", **overrides) -> dict:
    """st.dataframe's column_config for `table`, by what each column holds (prices per 1M tokens, token counts,
    billions of parameters, dates, yes/no, lists), headed by `labels`; `overrides` replace single columns."""
    import pandas as pd

    cc = st.column_config
    config = {}
    for name in table.columns:
        label = labels.get(name, name.replace("_", " "))
        values = table[name].dropna()
        if name.endswith("_usd_per_mtok"):
            config[name] = cc.NumberColumn(label, format=price_format)
        elif name.endswith("_tokens"):
            config[name] = cc.NumberColumn(label, format="localized")
        elif name.endswith("params_b"):
            config[name] = cc.NumberColumn(label, format="%.1f")
        elif name.endswith("_date"):
            config[name] = cc.DateColumn(label, format="YYYY-MM-DD")
        elif pd.api.types.is_bool_dtype(table[name]):
            config[name] = cc.CheckboxColumn(label)
        elif len(values) and isinstance(values.iloc[0], list):
            config[name] = cc.ListColumn(label)
        else:
            config[name] = cc.TextColumn(label)
    return config | overrides


# Page work that takes longer than a moment (e.g. classifying prompts with a model) runs here, off the script run.
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="page-work")


def run_in_background(fn, *args, **kwargs) -> concurrent.futures.Future:
    """fn(*args, **kwargs) in a worker thread; show wait_for(future) until it is done, then read its result."""
    return _POOL.submit(fn, *args, **kwargs)


@st.fragment(run_every=0.5)
def wait_for(future: concurrent.futures.Future, text: str) -> None:
    """`text` while `future` runs, redrawn on its own every half second (the page stays live); when the work
    ends the whole page reruns to show its result."""
    if future.done():
        st.rerun()
    st.info(text, icon=":material/hourglass_top:")
