"""Widgets shared by the pages: the API-key sidebar, the model pickers, the prompt file, number fields bounded by
the schema, the person's name. Figures are shown with selector.formatting."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from pages._text import show_error_and_stop
from selector.live import callable_models
from selector.catalogue import Catalogue

KEYS_NOTE = ("Kept only in this browser session: never saved, logged or put in a URL. "
             "Keys in the environment or .streamlit/secrets.toml are used when these are empty.")


def _key_field(label: str, widget_key: str) -> str | None:
    """A password field whose value outlives the page: kept in this session's state (never in the URL), so a
    key typed on one page is there on the next (Streamlit drops a widget's state on pages without it)."""
    kept = f"_kept_{widget_key}"
    if widget_key not in st.session_state and kept in st.session_state:
        st.session_state[widget_key] = st.session_state[kept]
    value = st.text_input(label, type="password", key=widget_key)
    st.session_state[kept] = value
    return value or None


def api_keys_sidebar(targets: Mapping[str, object]) -> dict[str, str | None]:
    """The sidebar's key fields for these resolved models (name -> Target): one password field per key name,
    shared by the models that need it, and one per custom endpoint. Returns name -> typed key (None: use the
    environment's)."""
    from selector.live import provider_key_name

    keys: dict[str, str | None] = {}
    fields: dict[str, str | None] = {}  # widget key -> typed key: one field per key name
    with st.sidebar:
        st.subheader("API keys")
        st.caption(KEYS_NOTE)
        for name, target in targets.items():
            key_name = provider_key_name(target)
            if key_name:
                label, widget_key = key_name, f"key_{key_name}"
            elif target.api_base:
                label, widget_key = f"Key for {target.api_base} (if it needs one)", f"key_url_{name}"
            else:
                continue
            if widget_key not in fields:
                fields[widget_key] = _key_field(label, widget_key)
            keys[name] = fields[widget_key]
        if not fields:
            st.write("The picked models run on this machine: no key needed.")
    return keys


def resolved(specs, catalogue: Catalogue) -> dict[str, object]:
    """spec -> Target for the specs that resolve (the others are reported where the run starts)."""
    from selector.errors import SelectorError
    from selector.live import resolve_model

    targets = {}
    for spec in dict.fromkeys(specs):
        try:
            targets[spec] = resolve_model(spec, catalogue=catalogue)
        except SelectorError:
            continue
    return targets


def pick_models(catalogue: Catalogue, label: str, key: str, default: list[str], container=st) -> list[str]:
    """A multiselect over the models the app can call (the offline pair first)."""
    labels = callable_models(catalogue)
    return container.multiselect(label, list(labels), default=[d for d in default if d in labels], key=key,
                                 format_func=lambda i: labels.get(i, i))


def pick_model(catalogue: Catalogue, label: str, key: str, first: list[str] | None = None, container=st) -> str:
    """A selectbox over the models the app can call, after the `first` options (e.g. "no judge")."""
    labels = callable_models(catalogue)
    return container.selectbox(label, (first or []) + list(labels), key=key, format_func=lambda i: labels.get(i, i))


def schema_bounds(model_class, field: str) -> tuple[float | None, float | None]:
    """(lowest, highest) a pydantic model's numeric field accepts (ge/gt, le/lt), None where unbounded."""
    low = high = None
    for rule in model_class.model_fields[field].metadata:
        low = getattr(rule, "ge", getattr(rule, "gt", low))
        high = getattr(rule, "le", getattr(rule, "lt", high))
    return low, high


def bounded_number(container, label: str, model_class, field: str, value, **kwargs):
    """A number_input bounded as the schema bounds `model_class.field`, so a link's value always fits."""
    low, high = schema_bounds(model_class, field)
    kind = type(value)
    kwargs.setdefault("min_value", None if low is None else kind(low))
    kwargs.setdefault("max_value", None if high is None else kind(high))
    return container.number_input(label, value=value, **kwargs)


def prompt_file(key: str, help: str | None = None, keep_going: bool = False) -> tuple[list, str]:
    """The prompt file uploader (CSV or JSONL; the example prompts without one): (rows, file name). A file that
    does not load is one error: the page stops, or with `keep_going` goes on with no rows (past runs stay)."""
    from selector import benchmark
    from selector.errors import SelectorError

    uploaded = st.file_uploader("Prompt file (CSV or JSONL)", type=["csv", "jsonl", "json"], key=key, help=help)
    if uploaded is not None:
        data, name = uploaded.getvalue(), uploaded.name
    else:
        data, name = benchmark.EXAMPLE_PROMPTS.read_bytes(), "example prompts (data/examples/prompts.csv)"
    try:
        return benchmark.load_prompts(data, name), name
    except SelectorError as exc:
        if not keep_going:
            show_error_and_stop(exc)
        st.error(f"{exc} Fix the file and upload it again, or remove it to use the example prompts.",
                 icon=":material/error:")
        return [], name


def person_name() -> str:
    """The name this person gives in the sidebar, recorded on the runs and votes they save (no accounts).

    Kept in the session beyond the widget, so it survives visits to pages that do not show it;
    it starts from SELECTOR_USER. A name, never a key: the store redacts key-shaped text.
    """
    import os

    if "person_name" not in st.session_state:  # widget state is dropped on pages without the widget
        st.session_state["person_name"] = st.session_state.get("_person_name", os.environ.get("SELECTOR_USER", ""))
    name = st.sidebar.text_input(
        "Your name (for shared history)", key="person_name", max_chars=80,
        help="Saved with your runs and votes so a team sharing one database can tell them apart. Optional.",
    )
    st.session_state["_person_name"] = name
    return name.strip()
