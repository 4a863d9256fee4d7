"""UI helpers shared by the pages (kept out of app.py: see ARCHITECTURE.md, AppTest notes)."""

from __future__ import annotations

import streamlit as st

from selector.catalogue import Catalogue, load_catalogue
from selector.errors import SelectorError


@st.cache_resource(show_spinner=False)
def _cached_catalogue(path: str | None) -> Catalogue:
    return load_catalogue(path)


def catalogue_or_stop(path: str | None = None) -> Catalogue:
    """The validated catalogue; on a bad catalogue, show the one-line problems and stop the page."""
    try:
        return _cached_catalogue(path)
    except SelectorError as exc:
        show_error_and_stop(exc)


def show_error_and_stop(exc: SelectorError) -> None:
    """Render a SelectorError as a message (never a traceback) and stop this page run."""
    st.error(str(exc), icon=":material/error:")
    st.stop()
