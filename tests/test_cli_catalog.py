"""`python -m selector catalog validate [PATH]`: exit 0 when valid, 2 with one-line messages otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from catalogue_samples import sample_data, write_catalogue

from selector.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "selector", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


def _bad(change):
    data = sample_data()
    change(data["models"][0])
    return data


# (case, file content, text stderr must contain)
BAD_FILES = [
    ("wrong type", _bad(lambda e: e.update(context_tokens="lots")), "model 'acme-large': context_tokens must be a whole number"),
    ("negative price", _bad(lambda e: e.update(input_usd_per_mtok=-1)), "model 'acme-large': input_usd_per_mtok must be >= 0"),
    ("unknown modality", _bad(lambda e: e.update(input_modalities=["text", "smell"])), "input_modalities[1] must be one of"),
    ("unknown strength", _bad(lambda e: e.update(strengths=["telepathy"])), "strengths[0] must be one of"),
    ("missing field", _bad(lambda e: e.pop("license")), "model 'acme-large': license is required but missing"),
    ("typo field", _bad(lambda e: e.update(contxt_tokens=5)), "contxt_tokens is not a known field"),
    ("bad language", _bad(lambda e: e.update(languages=["EN"])), "languages must be ISO 639-1 codes"),
    ("price without source", _bad(lambda e: e.update(price_source=None)), "price_source is required when a price is given"),
    ("duplicate id", {"models": sample_data()["models"] + [sample_data()["models"][0]]}, "model 'acme-large': id is duplicated"),
    ("malformed YAML", "models:\n  - id: a\n    name: [oops\n  - id: b\n", "malformed YAML at line 4"),
    ("not a models list", "- id: a\n", "expected a top-level 'models:' list"),
]


@pytest.mark.parametrize("case, content, expected", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_validate_bad_catalogue_exits_2_with_message(tmp_path, capsys, case, content, expected):
    path = write_catalogue(tmp_path / "bad.yaml", content)
    assert main(["catalog", "validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert expected in err
    for line in err.splitlines():
        assert line.startswith(f"error: catalogue {path}"), line
    assert "Traceback" not in err


def test_validate_file_not_found(tmp_path, capsys):
    assert main(["catalog", "validate", str(tmp_path / "none.yaml")]) == 2
    assert capsys.readouterr().err == f"error: catalogue {tmp_path / 'none.yaml'}: file not found\n"


def test_validate_good_catalogue_exits_0(tmp_path, capsys):
    path = write_catalogue(tmp_path / "ok.yaml", sample_data())
    assert main(["catalog", "validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"catalogue {path}: 6 models, valid (as of 2026-11-01)\n"
    assert err == ""


@pytest.mark.parametrize(
    "content, code, expected",
    [
        (sample_data(), 0, "6 models, valid"),
        (_bad(lambda e: e.update(output_usd_per_mtok=-3)), 2, "output_usd_per_mtok must be >= 0 (got -3)"),
        ("models:\n  - id: [\n", 2, "malformed YAML at line"),
    ],
    ids=["valid", "negative price", "malformed"],
)
def test_validate_as_a_process(tmp_path, content, code, expected):
    """The real entry point: exit code, message, and never a traceback."""
    path = write_catalogue(tmp_path / "c.yaml", content)
    run = run_cli("catalog", "validate", str(path))
    assert run.returncode == code
    assert expected in (run.stdout if code == 0 else run.stderr)
    assert "Traceback" not in run.stderr


def test_validate_missing_file_as_a_process(tmp_path):
    run = run_cli("catalog", "validate", str(tmp_path / "missing.yaml"))
    assert run.returncode == 2
    assert run.stderr.strip() == f"error: catalogue {tmp_path / 'missing.yaml'}: file not found"
    assert "Traceback" not in run.stderr


def test_validate_default_honours_selector_catalogue(tmp_path):
    path = write_catalogue(tmp_path / "env.yaml", sample_data())
    run = run_cli("catalog", "validate", env_extra={"SELECTOR_CATALOGUE": str(path)})
    assert run.returncode == 0, run.stderr
    assert "6 models, valid" in run.stdout


def test_validate_real_catalogue():
    run = run_cli("catalog", "validate", "data/models.yaml")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("catalogue data/models.yaml: ")
    assert "valid" in run.stdout


# --- `catalog missing`: newer chat models of catalogued makers ---------------------------------

import json  # noqa: E402

from catalogue_samples import entry  # noqa: E402

MISSING_MAP = {
    "acme-large-2": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
    "acme-large-3": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
    "acme-large-3-2026-01-01": {"litellm_provider": "openai", "mode": "chat"},     # dated snapshot
    "acme-large-4-preview": {"litellm_provider": "openai", "mode": "chat"},        # preview
    "acme-large-4-audio": {"litellm_provider": "openai", "mode": "chat"},          # audio model
    "acme-large-4-latest": {"litellm_provider": "openai", "mode": "chat"},         # moving alias
    "acme-large-5": {"litellm_provider": "openai", "mode": "embedding"},           # not chat
    "acme-mini-1": {"litellm_provider": "openai", "mode": "chat"},                 # older than the catalogued mini
    "acme-ultra-3": {"litellm_provider": "openai", "mode": "chat"},                # a new tier of the newest generation
    "acme-ultra-1": {"litellm_provider": "openai", "mode": "chat"},                # a new tier of an old generation
    "host/acme-large-9": {"litellm_provider": "somehost", "mode": "chat"},         # not the maker
    "zeta-9": {"litellm_provider": "openai", "mode": "chat"},                      # a family not in the catalogue
}


def _missing_files(tmp_path, models):
    catalogue = write_catalogue(tmp_path / "models.yaml", {"models": models})
    price_map = tmp_path / "map.json"
    price_map.write_text(json.dumps(MISSING_MAP))
    return catalogue, price_map


def _acme(model_id, **kw):
    return entry(model_id, provider="OpenAI", family="Acme", evidence_note="none published (test entry)",
                 checked={"prices": "2026-11-01"}, **kw)


def test_missing_lists_newer_chat_models_of_catalogued_makers(tmp_path):
    catalogue, price_map = _missing_files(tmp_path, [_acme("acme-large-2", litellm_id="acme-large-2"), _acme("acme-mini-2")])
    run = run_cli("catalog", "missing", "--catalogue", str(catalogue), "--price-map", str(price_map))
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        "acme-large-3: 3 is newer than the newest catalogued acme large (acme-large-2, 2)",
        "acme-ultra-3: acme ultra is a line the catalogue lacks, at 3; the newest catalogued acme is acme-large-2 (2)",
    ]


def test_missing_prints_nothing_and_exits_0_when_the_catalogue_is_current(tmp_path):
    catalogue, price_map = _missing_files(tmp_path, [_acme("acme-large-3"), _acme("acme-ultra-3"), _acme("acme-mini-2")])
    run = run_cli("catalog", "missing", "--catalogue", str(catalogue), "--price-map", str(price_map))
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_a_key_listed_as_an_offer_is_catalogued(tmp_path):
    catalogue, price_map = _missing_files(tmp_path, [_acme("acme-large-2"), _acme("acme-ultra-3")])
    (tmp_path / "offers.yaml").write_text("acme-large-2: [acme-large-3]\n")
    run = run_cli("catalog", "missing", "--catalogue", str(catalogue), "--price-map", str(price_map))
    assert (run.returncode, run.stdout) == (0, "")


def test_missing_on_the_real_catalogue_runs():
    run = run_cli("catalog", "missing")
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    for line in run.stdout.splitlines():
        key, _, why = line.partition(": ")
        assert key and why, line
