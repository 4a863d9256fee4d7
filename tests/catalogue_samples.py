"""Small hand-made catalogues for tests (the real one is data/models.yaml)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

SOURCE = "https://example.org/model-card"
PRICES = "https://example.org/pricing"


def bench(key: str, score: float, **overrides) -> dict:
    """A published score filed under `key`, with the setting the key requires."""
    from selector.catalogue import BENCHMARK_SPECS

    spec = BENCHMARK_SPECS[key]
    base = {"score": score, "shots": spec.shots, "cot": spec.cot, "thinking": False, "metric": spec.metric,
            "snapshot": "test-snapshot", "source": SOURCE, "date": "2026-11-01"}
    base.update(overrides)
    return base


def entry(model_id: str, **overrides) -> dict:
    """A valid catalogue entry; keyword arguments replace fields (None stays None)."""
    base = {
        "id": model_id,
        "name": model_id.replace("-", " ").title(),
        "provider": "Acme",
        "family": "Acme",
        "open_weights": False,
        "license": "proprietary",
        "params_b": None,
        "context_tokens": 128_000,
        "max_output_tokens": 16_384,
        "input_usd_per_mtok": 1.0,
        "output_usd_per_mtok": 4.0,
        "price_source": PRICES,
        "input_modalities": ["text"],
        "output_modalities": ["text"],
        "strengths": ["chat"],
        "languages": ["en"],
        "release_date": "2025-01-15",
        "sources": [SOURCE],
        "checked": {"prices": "2026-11-01", "benchmarks": "2026-11-01"},
        "evidence_note": "test entry: none published",
        "as_of": "2026-11-01",
    }
    base.update(copy.deepcopy(overrides))
    return base


# Six models chosen so that every explorer filter keeps some and drops others.
SAMPLE_ENTRIES = [
    entry(
        "acme-large", name="Acme Large", provider="Acme", context_tokens=200_000,
        input_usd_per_mtok=3.0, output_usd_per_mtok=15.0, input_modalities=["text", "image"],
        strengths=["reasoning", "code"], languages=["en", "fr", "de"], release_date="2025-05-01",
        litellm_id="acme/acme-large", reasoning=True,
        benchmarks={"mmlu": bench("mmlu", 88.5)},
        notes="Flagship model.",
    ),
    entry(
        "acme-mini", name="Acme Mini", provider="Acme", context_tokens=128_000,
        input_usd_per_mtok=0.15, output_usd_per_mtok=0.6, input_modalities=["text", "image", "audio"],
        strengths=["speed", "cost_efficiency"], languages=["en"], release_date="2024-07-18",
        litellm_id="acme-mini",
    ),
    entry(
        "beta-open-70b", name="Beta Open 70B", provider="Beta Labs", family="Beta Open", open_weights=True,
        license="beta-community", params_b=70.6, context_tokens=128_000, input_usd_per_mtok=None,
        output_usd_per_mtok=None, price_source=None, strengths=["code", "multilingual"],
        languages=["en", "es"], release_date="2024-07-23",
    ),
    entry(
        "beta-open-8b", name="Beta Open 8B", provider="Beta Labs", family="Beta Open", open_weights=True,
        license="beta-community", params_b=8.0, context_tokens=8_192, input_usd_per_mtok=0.05,
        output_usd_per_mtok=0.08, strengths=["edge"], languages=["en"], release_date="2024-04-18",
    ),
    entry(
        "gamma-old", name="Gamma Old", provider="Gamma", family="Gamma", context_tokens=32_000,
        input_usd_per_mtok=0.5, output_usd_per_mtok=1.5, status="retired", release_date="2023-03-01",
    ),
    entry(
        "gamma-vision", name="Gamma Vision", provider="Gamma", family="Gamma", context_tokens=1_000_000,
        input_usd_per_mtok=1.25, output_usd_per_mtok=10.0, input_modalities=["text", "image", "video"],
        strengths=["long_context", "multimodal"], languages=["en", "ja"], release_date=None,
    ),
]


def priced_entry(model_id: str, **overrides) -> dict:
    """entry() at GPT-4o's list price ($2.50 / $10 per 1M tokens) with no strengths: the page tests' baseline,
    so every cost they assert can be worked out by hand."""
    return entry(model_id, **({"input_usd_per_mtok": 2.5, "output_usd_per_mtok": 10.0, "strengths": []} | overrides))


def use_catalogue(tmp_path: Path, monkeypatch, entries: list[dict]) -> Path:
    """Write `entries` as a catalogue and point the app at it (SELECTOR_CATALOGUE)."""
    path = write_catalogue(tmp_path / "models.yaml", {"models": entries})
    monkeypatch.setenv("SELECTOR_CATALOGUE", str(path))
    return path


def sample_data() -> dict:
    return {"models": copy.deepcopy(SAMPLE_ENTRIES)}


def write_catalogue(path: Path, data: object) -> Path:
    """Write `data` as YAML (or `data` itself when it is already text) and return the path."""
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path
