"""A session-wide pair of real llama.cpp servers for the bundled models (imported by the test modules that need them)."""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from conftest import require


@pytest.fixture(scope="session")
def local_servers(tmp_path_factory):
    """Both bundled models served once for the whole session, in a data directory of their own.

    Tests reuse these servers by pointing SELECTOR_DATA_DIR at `data_dir` (monkeypatch.setenv) or by
    calling `base_url[alias]` as a custom OpenAI-compatible endpoint.
    """
    require("llama_cpp")
    from selector.live import servers as local

    data = tmp_path_factory.mktemp("local-servers")
    with _data_dir(data), ThreadPoolExecutor(len(local.LOCAL_MODELS)) as pool:  # both start at once
        futures = {alias: pool.submit(local.ensure_server, alias) for alias in local.LOCAL_MODELS}
        infos = {alias: future.result() for alias, future in futures.items()}
    try:
        yield SimpleNamespace(data_dir=data, servers=infos, base_url={a: i.base_url for a, i in infos.items()})
    finally:
        with _data_dir(data):
            local.stop_all()


@contextlib.contextmanager
def _data_dir(path):
    previous = os.environ.get("SELECTOR_DATA_DIR")
    os.environ["SELECTOR_DATA_DIR"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SELECTOR_DATA_DIR", None)
        else:
            os.environ["SELECTOR_DATA_DIR"] = previous
