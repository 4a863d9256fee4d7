"""A page for tests/test_app_exit.py: starts the bundled servers the way the app's pages do.

It imports pages._common like every page of the app, which is what makes the app stop at exit the
servers it started; the servers are started through selector.live.servers.ensure_server, the function
the compare, benchmark and routing pages reach.
"""

import streamlit as st

import pages._common  # noqa: F401
from selector.live.servers import LOCAL_MODELS, ensure_server

for alias in LOCAL_MODELS:
    info = ensure_server(alias)
    st.write(f"server {alias} pid {info.pid} started_here {info.started_here}")
