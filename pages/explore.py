"""Explore the catalogue: filter, sort, and compare models' facts side by side."""

import datetime as dt

import streamlit as st

from pages._common import catalogue_or_stop
from pages._display import table_columns
from selector.explore import (
    COLUMN_LABELS,
    CatalogueFilter,
    catalogue_table,
    filter_models,
    filter_options,
    model_details,
    offers_summary,
    offers_table,
)

CONTEXT_CHOICES = [None, 8_000, 32_000, 128_000, 200_000, 400_000, 1_000_000]
OPEN_CHOICES = {"any": "Any", "open": "Open weights", "closed": "Closed (API only)"}

catalogue = catalogue_or_stop()
options = filter_options(catalogue)

with st.sidebar:
    st.header("Filters")
    providers = st.multiselect("Provider", options.providers, key="f_providers", placeholder="Any provider")
    open_weights = st.radio("Weights", list(OPEN_CHOICES), format_func=OPEN_CHOICES.get, key="f_open", horizontal=True)
    min_context = st.selectbox(
        "Minimum context window",
        CONTEXT_CHOICES,
        format_func=lambda n: "Any" if n is None else f"{n:,} tokens",
        key="f_min_context",
    )
    max_input = st.number_input(
        "Maximum input price ($ per 1M tokens)", min_value=0.0, value=None, step=0.5, key="f_max_input",
        placeholder="No limit",
    )
    max_output = st.number_input(
        "Maximum output price ($ per 1M tokens)", min_value=0.0, value=None, step=1.0, key="f_max_output",
        placeholder="No limit",
    )
    # Unticked by default: a price limit must drop the models whose price nobody publishes, or it
    # seems to do nothing (about a third of the catalogue is open weights without an API price).
    keep_unknown = st.checkbox(
        "Also keep models without a public price", value=False, key="f_keep_unknown",
        disabled=max_input is None and max_output is None,
        help="Applies when a maximum price is set. Most open-weight models have no single API price: "
             "you host them or pick a host.",
    )
    modalities = st.multiselect("Must accept as input", options.input_modalities, key="f_modalities",
                                placeholder="Text only is fine")
    strengths = st.multiselect("Must be strong at (all of)", options.strengths, key="f_strengths",
                               format_func=lambda s: s.replace("_", " "), placeholder="Anything")
    languages = st.multiselect("Must be strong in languages (all of)", options.languages, key="f_languages",
                               placeholder="Any language")
    released_after = st.date_input(
        "Released after", value=None, min_value=dt.date(2018, 1, 1), max_value=dt.date.today(), key="f_released_after",
    )
    hide_retired = st.toggle("Hide retired models", value=True, key="f_hide_retired")

chosen_filter = CatalogueFilter(
    providers=providers,
    open_weights=open_weights,
    min_context_tokens=min_context,
    max_input_usd_per_mtok=max_input,
    max_output_usd_per_mtok=max_output,
    keep_unknown_price=keep_unknown,
    input_modalities=modalities,
    strengths=strengths,
    languages=languages,
    released_after=released_after,
    hide_retired=hide_retired,
)
models = filter_models(catalogue, chosen_filter)
unpriced_dropped = (
    len(filter_models(catalogue, chosen_filter.model_copy(update={"keep_unknown_price": True}))) - len(models)
)

st.title("Explore the catalogue")
st.caption(f"Facts as of {catalogue.as_of}. Prices are USD per 1M tokens; an empty cell means unknown, never free.")
st.markdown(f"**{len(models)} of {len(catalogue.models)} models**")
if unpriced_dropped:
    st.caption(f"The price limit hides {unpriced_dropped} models without a public price; tick "
               "\"Also keep models without a public price\" to see them.")

selected_rows: list[int] = []
if models:
    table = catalogue_table(models)
    event = st.dataframe(
        table,
        hide_index=True,
        placeholder="",  # an unknown value shows as an empty cell (Streamlit's default text is "None")
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key="explore_table",
        column_config=table_columns(
            table, COLUMN_LABELS, price_format="$%.2f", name=st.column_config.TextColumn("Model", pinned=True),
            active_params_b=st.column_config.NumberColumn("Active (B)", format="%.1f", help="mixture of experts"),
            source=st.column_config.LinkColumn("Source", display_text="model card"),
            price_source=st.column_config.LinkColumn("Price source", display_text="pricing"),
        ),
    )
    selected_rows = list(event.selection.rows) if event is not None else []
    st.caption("Select rows (or pick below) to compare their details side by side.")
else:
    st.info(
        "No model matches all these filters. Widen one of them: raise or clear the maximum prices, "
        "keep models without a public price, lower the minimum context, or remove a required "
        "strength, language or modality.",
        icon=":material/filter_alt_off:",
    )

st.subheader("Details side by side")
from_table = [models[i].id for i in selected_rows if i < len(models)]
picked = st.multiselect(
    "Models to compare",
    catalogue.ids,
    format_func=lambda model_id: f"{catalogue.by_id[model_id].name} ({catalogue.by_id[model_id].provider})",
    key="details_models",
    placeholder="Choose models",
)
shown = list(dict.fromkeys(from_table + picked))
if shown:
    st.dataframe(model_details([catalogue.by_id[i] for i in shown]), width="stretch")
    st.subheader("Where to buy it")
    st.caption("Hosted offers from LiteLLM's price map: the maker's API, clouds and hosts of the same weights. "
               "Sort by any column; prices are USD per 1M tokens.")
    today = dt.date.today()
    for model_id in shown:
        offers = catalogue.offers_for(model_id)
        st.markdown(f"**{catalogue.by_id[model_id].name}**: {offers_summary(offers, today)}")
        if offers:
            table = offers_table(offers, today)
            st.dataframe(table, hide_index=True, placeholder="", width="stretch", key=f"offers_{model_id}",
                         column_config=table_columns(
                             table, COLUMN_LABELS, provider=st.column_config.TextColumn("Provider", pinned=True),
                             variant=st.column_config.TextColumn("Variant", help="quantised build (fp8, turbo) or speed tier")))
else:
    st.caption("Choose one or more models to see every field, benchmark scores with their sources, and notes.")
