"""The models the app can call live, for the pickers of the compare, benchmark and routing pages."""

from __future__ import annotations

from selector.catalogue import Catalogue


def callable_models(catalogue: Catalogue) -> dict[str, str]:
    """Model id -> label: the bundled offline models first, then every current catalogue model with a LiteLLM id."""
    from selector.local import LOCAL_MODELS  # the bundled models' registry (no server is started)

    labels = {alias: f"{model.name} — offline" for alias, model in LOCAL_MODELS.items()}
    labels |= {m.id: f"{m.name} ({m.provider})" for m in catalogue.models
               if m.litellm_id and not m.is_retired and m.id not in LOCAL_MODELS}
    return labels


def priced_models(catalogue: Catalogue) -> list[str]:
    """Ids of current models with a known cost per call (an API price, or a bundled model: free on this machine)."""
    from selector.local import LOCAL_MODELS

    return [m.id for m in catalogue.models if not m.is_retired and (m.has_api_price or m.id in LOCAL_MODELS)]
