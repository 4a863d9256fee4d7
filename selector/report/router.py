"""The report's LiteLLM Router config: the top pick with the runner-up as fallback; keys only as os.environ/ references."""

from __future__ import annotations

import yaml

from selector.recommendation import Pick, Recommendation

SELF_HOSTED_API_BASE = "http://YOUR-SERVER:8000/v1"
SELF_HOSTED_KEY_ENV = "SELF_HOSTED_LLM_API_KEY"


def _key_env(litellm_model: str) -> str:
    from selector.live import Target, provider_key_name

    return provider_key_name(Target(spec=litellm_model, label=litellm_model, litellm_model=litellm_model)) or "API_KEY"


def _params(pick: Pick) -> dict[str, str]:
    """How LiteLLM calls this pick: model string, key reference and, where needed, a base URL."""
    model, serving = pick.model, pick.serving
    call_as = serving.call_as if serving is not None and serving.mode in ("api", "offer") else None
    if call_as is None and not model.open_weights:
        call_as = model.litellm_id
    if call_as is None and model.open_weights:
        return {"model": f"openai/{model.id}", "api_base": SELF_HOSTED_API_BASE,
                "api_key": f"os.environ/{SELF_HOSTED_KEY_ENV}"}
    if call_as:
        params = {"model": call_as, "api_key": f"os.environ/{_key_env(call_as)}"}
        if call_as.startswith(("azure/", "azure_ai/")):
            params["api_base"] = "os.environ/AZURE_AI_API_BASE"
        return params
    return {"model": f"{model.provider.lower().replace(' ', '_')}/{model.id}",
            "api_key": f"os.environ/{model.provider.upper().replace(' ', '_')}_API_KEY"}


def router_config(recommendation: Recommendation) -> dict | None:
    """The config (facts.RouterConfig's fields), or None when no model qualifies."""
    picks = recommendation.picks[:2]
    if not picks:
        return None
    config: dict = {"model_list": [{"model_name": p.model.id, "litellm_params": _params(p)} for p in picks]}
    if len(picks) == 2:
        config["router_settings"] = {"fallbacks": [{picks[0].model.id: [picks[1].model.id]}], "num_retries": 2}
    return config


def router_config_yaml(config: dict | None) -> str:
    """The config as a commented YAML file a LiteLLM Router or Proxy reads."""
    if config is None:
        return ""
    names = [entry["model_name"] for entry in config["model_list"]]
    head = [
        "# LiteLLM Router / Proxy config: the top pick, with the runner-up as fallback.",
        "# Keys are read from the environment (os.environ/NAME); never write a key into this file.",
    ]
    if any(entry["litellm_params"].get("api_base") == SELF_HOSTED_API_BASE for entry in config["model_list"]):
        head.append(f"# Self-hosted: replace {SELF_HOSTED_API_BASE} with your OpenAI-compatible server (vLLM, llama.cpp,")
        head.append("# Ollama) and openai/<id> with openai/<the model name that server serves>.")
    head.append(f"# Python: Router(model_list=cfg['model_list'], **cfg.get('router_settings', {{}})); call model={names[0]!r}.")
    return "\n".join(head) + "\n" + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def router_facts(recommendation: Recommendation) -> dict:
    """facts.RouterFacts' fields: the YAML file and the config it holds."""
    config = router_config(recommendation)
    return {"yaml": router_config_yaml(config), "config": config}
