"""Offers: LiteLLM map keys serving a catalogue model, the curated data/offers.yaml, and the pricing policy."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from catalogue_samples import entry, write_catalogue

from selector.catalogue import load_catalogue, parse_catalogue
from selector.costs import DAYS_PER_MONTH, Traffic, request_cost_usd
from selector.errors import CatalogueError, SelectorError
from selector.offer_pricing import choose_offer
from selector.offers import (
    Offer,
    litellm_model_string,
    load_price_map,
    parse_offers,
    price_map_path,
    price_spread,
)

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 30)

# A tiny map in LiteLLM's format: USD per token, limits, flags, deprecation dates.
TINY_MAP = {
    "sample_spec": {"input_cost_per_token": 0, "max_input_tokens": "max input tokens"},
    "host-a/beta-open-70b-instruct": {"litellm_provider": "host-a", "mode": "chat", "input_cost_per_token": 8.8e-07,
                                      "output_cost_per_token": 8.8e-07, "max_input_tokens": 131072,
                                      "max_output_tokens": 8192},
    "host-b/beta-open-70b-instruct-fp8": {"litellm_provider": "host-b", "mode": "chat", "input_cost_per_token": 1.2e-07,
                                          "output_cost_per_token": 3e-07, "max_input_tokens": 32768,
                                          "supports_vision": False},
    "host-c/beta-open-70b": {"litellm_provider": "host-c", "mode": "chat", "input_cost_per_token": 4e-07,
                             "output_cost_per_token": 4e-07, "max_input_tokens": 131072,
                             "cache_read_input_token_cost": 1e-07, "supports_vision": True},
    "host-d/beta-open-70b": {"litellm_provider": "host-d", "mode": "chat", "input_cost_per_token": 1e-08,
                             "output_cost_per_token": 1e-08, "max_input_tokens": 131072,
                             "deprecation_date": "2026-10-01"},
    "host-e/beta-open-70b": {"litellm_provider": "host-e", "mode": "chat", "max_input_tokens": 131072},
}
KEYS = ["host-a/beta-open-70b-instruct", "host-b/beta-open-70b-instruct-fp8", "host-c/beta-open-70b",
        "host-d/beta-open-70b"]


def _entry(model_id: str, **overrides) -> dict:
    """catalogue_samples.entry with the fields the new schema requires when a price or no benchmark is given."""
    return entry(model_id, **({"evidence_note": "none published (test entry)", "checked": {"prices": "2026-11-01"}}
                              | overrides))


def _model(**overrides):
    fields = dict(open_weights=True, params_b=70.0, input_usd_per_mtok=None, output_usd_per_mtok=None,
                  price_source=None, input_modalities=["text", "image"]) | overrides
    return parse_catalogue({"models": [_entry("beta-open-70b", **fields)]}).models[0]


def _offers(keys=KEYS):
    return tuple(Offer.from_entry(k, TINY_MAP[k]) for k in keys)


# --- parsing the map -------------------------------------------------------------------------


def test_an_offer_reads_prices_limits_flags_and_variant():
    fp8 = Offer.from_entry("host-b/beta-open-70b-instruct-fp8", TINY_MAP["host-b/beta-open-70b-instruct-fp8"])
    assert (fp8.provider, fp8.input_usd_per_mtok, fp8.output_usd_per_mtok) == ("host-b", 0.12, 0.3)
    assert (fp8.context_tokens, fp8.max_output_tokens, fp8.variant) == (32768, None, "fp8")
    assert fp8.input_modalities == ("text",) and "image" in fp8.declared_modalities
    cached = Offer.from_entry("host-c/beta-open-70b", TINY_MAP["host-c/beta-open-70b"])
    assert cached.cached_input_usd_per_mtok == 0.1 and cached.input_modalities == ("text", "image")
    assert cached.variant is None and cached.reasoning is None


@pytest.mark.parametrize(
    "key, provider, expected",
    [
        ("gpt-4o", "openai", "gpt-4o"),
        ("claude-opus-5", "anthropic", "claude-opus-5"),
        ("deepseek-chat", "deepseek", "deepseek/deepseek-chat"),
        ("anthropic.claude-opus-5", "bedrock_converse", "bedrock/converse/anthropic.claude-opus-5"),
        ("meta.llama3-1-70b-instruct-v1:0", "bedrock", "bedrock/meta.llama3-1-70b-instruct-v1:0"),
        ("gemini-3.5-flash", "vertex_ai-language-models", "vertex_ai/gemini-3.5-flash"),
        ("vertex_ai/claude-opus-5", "vertex_ai-anthropic_models", "vertex_ai/claude-opus-5"),
        ("together_ai/Qwen/Qwen2.5-72B-Instruct", "together_ai", "together_ai/Qwen/Qwen2.5-72B-Instruct"),
    ],
)
def test_the_litellm_string_carries_the_provider(key, provider, expected):
    assert litellm_model_string(key, provider) == expected


def test_deprecated_and_unpriced_offers_are_not_live():
    offers = {o.key: o for o in _offers()}
    assert offers["host-d/beta-open-70b"].is_live(dt.date(2026, 9, 30))
    assert not offers["host-d/beta-open-70b"].is_live(TODAY)
    assert offers["host-a/beta-open-70b-instruct"].is_live(TODAY)
    assert not Offer.from_entry("host-e/beta-open-70b", TINY_MAP["host-e/beta-open-70b"]).is_live(TODAY)


def test_the_map_is_parsed_once_and_without_litellm(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps(TINY_MAP))
    first = load_price_map(path)
    assert "sample_spec" not in first and len(first) == 5
    assert load_price_map(path) is first  # cached per process
    code = ("import sys; from selector.offers import load_price_map; m = load_price_map(); "
            "assert 'litellm' not in sys.modules; print(len(m))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) > 1000


# --- the offers file -------------------------------------------------------------------------


def test_parse_offers_attaches_each_key():
    offers = parse_offers({"beta-open-70b": KEYS}, ["beta-open-70b"], TINY_MAP, "offers o.yaml")
    assert [o.key for o in offers["beta-open-70b"]] == KEYS


@pytest.mark.parametrize(
    "data, message",
    [
        ({"beta-open-71b": KEYS}, "offers o.yaml: unknown model id 'beta-open-71b'; did you mean 'beta-open-70b'?"),
        ({"beta-open-70b": ["host-z/nothing"]}, "offers o.yaml, model 'beta-open-70b': 'host-z/nothing' is not a key of LiteLLM's map"),
        ({"beta-open-70b": ["host-e/beta-open-70b"]}, "'host-e/beta-open-70b' has no input and output price"),
        ({"beta-open-70b": "host-a/beta-open-70b-instruct"}, "must be a list of LiteLLM map keys"),
        (["beta-open-70b"], "expected a mapping of catalogue id"),
    ],
    ids=["unknown id", "unknown key", "unpriced key", "not a list", "not a mapping"],
)
def test_bad_offers_give_one_line_errors_naming_them(data, message):
    with pytest.raises(CatalogueError) as caught:
        parse_offers(data, ["beta-open-70b"], TINY_MAP, "offers o.yaml")
    assert message in str(caught.value)
    assert all("\n" not in p for p in caught.value.problems)


def test_a_key_listed_for_two_models_is_an_error():
    with pytest.raises(CatalogueError, match="already listed for model 'a-1'"):
        parse_offers({"a-1": KEYS[:1], "b-1": KEYS[:1]}, ["a-1", "b-1"], TINY_MAP, "offers o.yaml")


def test_load_catalogue_reads_the_offers_file_next_to_it(tmp_path):
    catalogue_path = write_catalogue(tmp_path / "models.yaml", {"models": [_entry("beta-open-70b", open_weights=True)]})
    assert load_catalogue(catalogue_path).offers_for("beta-open-70b") == ()  # no offers file: no offers
    map_path = tmp_path / "map.json"
    map_path.write_text(json.dumps(TINY_MAP))
    (tmp_path / "offers.yaml").write_text(yaml.safe_dump({"beta-open-70b": KEYS}))
    catalogue = load_catalogue(catalogue_path, price_map=map_path)
    assert [o.provider for o in catalogue.offers_for("beta-open-70b")] == ["host-a", "host-b", "host-c", "host-d"]
    assert catalogue.subset(["beta-open-70b"]).offers_for("beta-open-70b") == catalogue.offers_for("beta-open-70b")
    with pytest.raises(CatalogueError, match="unknown model id 'nope'"):
        catalogue.offers_for("nope")
    (tmp_path / "offers.yaml").write_text(yaml.safe_dump({"gamma-9": KEYS[:1], "beta-open-70b": ["host-z/x"]}))
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(catalogue_path, price_map=map_path)
    problems = caught.value.problems
    assert any(p.startswith(f"offers {tmp_path / 'offers.yaml'}: unknown model id 'gamma-9'") for p in problems)
    assert any("'host-z/x' is not a key of LiteLLM's map" in p for p in problems)


def test_validate_command_names_the_offers_file(tmp_path):
    catalogue_path = write_catalogue(tmp_path / "models.yaml", {"models": [_entry("beta-open-70b")]})
    (tmp_path / "offers.yaml").write_text("beta-open-70b: [not-a-real-key-anywhere]\n")
    run = subprocess.run([sys.executable, "-m", "selector", "catalog", "validate", str(catalogue_path)],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 2
    assert "offers" in run.stderr and "'not-a-real-key-anywhere' is not a key of LiteLLM's map" in run.stderr
    assert "Traceback" not in run.stderr


# --- pricing policy --------------------------------------------------------------------------

TRAFFIC = Traffic(requests_per_day=1000, input_tokens=2000, output_tokens=500)


def test_cheapest_is_the_cheapest_live_offer_for_the_traffic():
    choice = choose_offer(_model(), _offers(), TRAFFIC, "cheapest", today=TODAY)
    assert choice.offer.key == "host-b/beta-open-70b-instruct-fp8"  # host-d is cheaper but deprecated
    per_request = (2000 * 0.12 + 500 * 0.3) / 1e6
    assert choice.usd_per_request == pytest.approx(per_request)
    assert choice.monthly_usd == pytest.approx(per_request * 1000 * DAYS_PER_MONTH)
    assert choice.basis == "cheapest of 3 live offers: host-b (fp8) at $0.12/$0.3 per 1M"
    assert choice.considered == 3


def test_the_cost_matches_costs_request_cost_usd_rules():
    """Cached input at the cached price where known, reasoning output multiplied: as for a catalogue price."""
    model = _model(reasoning=True)
    traffic = Traffic(requests_per_day=10, input_tokens=1000, output_tokens=100, cached_input_share=0.5,
                      reasoning_multiplier=3)
    offer = Offer.from_entry("host-c/beta-open-70b", TINY_MAP["host-c/beta-open-70b"])
    choice = choose_offer(model, (offer,), traffic, today=TODAY)
    priced = _model(reasoning=True, input_usd_per_mtok=0.4, output_usd_per_mtok=0.4, cached_input_usd_per_mtok=0.1,
                    price_source="https://example.org/pricing")
    assert choice.usd_per_request == pytest.approx(request_cost_usd(priced, traffic))


def test_context_and_modalities_narrow_the_choice():
    choice = choose_offer(_model(), _offers(), TRAFFIC, need_context=100_000, today=TODAY)
    assert choice.offer.key == "host-c/beta-open-70b"
    # host-a's map says nothing about vision (the model takes images), host-b says no.
    images = choose_offer(_model(), _offers(), TRAFFIC, modalities=["image"], today=TODAY)
    assert images.offer.key == "host-c/beta-open-70b" and images.considered == 2
    none = choose_offer(_model(), _offers(), TRAFFIC, need_context=500_000, today=TODAY)
    assert none.offer is None and none.monthly_usd is None
    assert none.basis == "none of 3 live offers meets the need (500,000 tokens of context)"


def test_median_picks_the_median_cost_live_offer():
    choice = choose_offer(_model(), _offers(), TRAFFIC, "median", today=TODAY)
    assert choice.offer.key == "host-c/beta-open-70b"
    assert choice.basis.startswith("median of 3 live offers: host-c at $0.4/$0.4 per 1M")


def test_a_named_provider():
    choice = choose_offer(_model(), _offers(), TRAFFIC, "provider:host-a", today=TODAY)
    assert choice.offer.key == "host-a/beta-open-70b-instruct"
    assert choice.basis == "host-a, as asked: host-a at $0.88/$0.88 per 1M"
    missing = choose_offer(_model(), _offers(), TRAFFIC, "provider:host-d", today=TODAY)
    assert missing.offer is None and "no live offer from host-d" in missing.basis


def test_self_host_uses_no_offer():
    choice = choose_offer(_model(), _offers(), TRAFFIC, "self_host", today=TODAY)
    assert (choice.offer, choice.monthly_usd) == (None, None)
    assert "self-hosted" in choice.basis


def test_no_live_offer_says_why():
    choice = choose_offer(_model(), _offers(["host-d/beta-open-70b"]), TRAFFIC, today=TODAY)
    assert choice.offer is None and choice.basis == "none of its 1 offers is live on 2026-11-30 for beta-open-70b"
    assert choose_offer(_model(), (), TRAFFIC, today=TODAY).basis == "no offer is listed for beta-open-70b"


def test_an_unknown_policy_is_a_one_line_error():
    with pytest.raises(SelectorError, match="pricing policy 'priciest' is not one of cheapest, median"):
        choose_offer(_model(), _offers(), TRAFFIC, "priciest", today=TODAY)


def test_price_spread_over_live_offers():
    spread = price_spread(_offers(), TODAY)
    assert spread["input"] == {"min": 0.12, "median": 0.4, "max": 0.88}
    assert price_spread((), TODAY)["output"] == {"min": None, "median": None, "max": None}


# --- the real curated file against the pinned map --------------------------------------------

OFFERS_FILE = ROOT / "data" / "offers.yaml"
GATEWAYS = {"vercel_ai_gateway", "github_copilot", "chatgpt", "aihubmix", "kyma", "clf_ai_gateway",
            "hostinger_router", "opencode_go", "zerogpu", "microsoft_365_copilot", "refuseless", "abliteration"}
CLOUDS = ("azure", "azure_ai", "bedrock", "bedrock_converse", "bedrock_mantle", "vertex_ai", "oci")
FIRST_PARTY = {"OpenAI": {"openai"}, "Anthropic": {"anthropic"}, "Google": {"gemini", "vertex_ai-language-models"},
               "xAI": {"xai"}, "Mistral AI": {"mistral"}, "Meta": {"meta"}, "Z.ai (Zhipu AI)": {"zai"}, "Alibaba (Qwen)": {"dashscope", "qwencloud", "qwen_ai_platform"}}
# Names a host uses for a model that differ from the catalogue id (the rule: these tokens appear in order).
ALIASES = {
    "mistral-nemo": ["mistral nemo"], "mistral-small-3.1": ["mistral small 2503", "mistral small 3.1 24b"],
    "mistral-medium-3": ["mistral medium 2505", "mistral medium 3"], "llama-4-maverick": ["llama 4 maverick"],
    "llama-4-scout": ["llama 4 scout"], "gemini-3.1-pro": ["gemini 3.1 pro preview"],
    "claude-sonnet-4": ["claude sonnet 4"], "kimi-k2": ["kimi k2 instruct"],
    # The same model under Anthropic's restricted-access programme name (its maker says so).
    "claude-fable-5-1": ["claude mythos 5 1"],
}
EXCLUDED_WORDS = {"hermes", "distill", "abliterated", "nous", "base", "lora", "latest", "preview"}


def _tokens(text: str) -> list[str]:
    text = re.sub(r"-v\d+:\d+$|-v1$", "", text.lower())
    text = re.sub(r"(\d)[p_](\d)", r"\1.\2", text)
    return [t for t in re.findall(r"[a-z]+|\d+", text) if t != "v"]


def _contains(tokens: list[str], stem: list[str]) -> bool:
    return any(tokens[i:i + len(stem)] == stem for i in range(len(tokens) - len(stem) + 1))


@pytest.fixture(scope="module")
def curated() -> dict[str, list[str]]:
    return yaml.safe_load(OFFERS_FILE.read_text())


def test_every_curated_key_is_a_priced_chat_key_of_the_pinned_map(curated):
    price_map = load_price_map(price_map_path())
    problems = []
    for model_id, keys in curated.items():
        for key in keys or []:
            e = price_map.get(key)
            if e is None:
                problems.append(f"{model_id}: {key} is not in the map")
            elif e.get("mode") not in ("chat", "responses") or not e.get("input_cost_per_token") \
                    or not e.get("output_cost_per_token"):
                problems.append(f"{model_id}: {key} is not a priced chat key")
            elif e.get("litellm_provider") in GATEWAYS:
                problems.append(f"{model_id}: {key} is a gateway or subscription, not a host")
    assert not problems, "\n".join(problems)


def test_every_curated_key_names_the_model_family_and_size(curated):
    """The matching rules hold for every key: the key's name, normalised (3p1 -> 3.1, 3_1 -> 3.1, case and
    separators ignored), contains the model id's words and numbers (its family, version and size) in order,
    or those of its first-party key (mistral-small-2603), or a listed alias; and none of the words of another build
    (fine-tunes, distills, base models)."""
    catalogue = load_catalogue(ROOT / "data" / "models.yaml")
    problems = []
    for model_id, keys in curated.items():
        stems = [_tokens(model_id.replace("qwen-2.5", "qwen2.5"))] + [_tokens(a) for a in ALIASES.get(model_id, [])]
        litellm_id = catalogue.get(model_id).litellm_id
        if litellm_id:
            stems.append(_tokens(litellm_id.rsplit("/", 1)[-1]))
        for key in keys or []:
            tokens = _tokens(key.split("/")[-1])
            matched = [stem for stem in stems if _contains(tokens, stem)]
            if not matched:
                problems.append(f"{model_id}: {key} does not name {model_id}")
            other = EXCLUDED_WORDS & set(tokens) - {t for stem in matched for t in stem}
            if other:
                problems.append(f"{model_id}: {key} names another build ({', '.join(sorted(other))})")
    assert not problems, "\n".join(problems)


def test_closed_models_are_offered_by_their_maker_and_the_big_clouds(curated):
    price_map = load_price_map(price_map_path())
    catalogue = load_catalogue(ROOT / "data" / "models.yaml")
    problems = []
    for model_id, keys in curated.items():
        model = catalogue.get(model_id)
        if model.open_weights:
            continue
        first_party = FIRST_PARTY[model.provider]
        for key in keys or []:
            provider = price_map[key]["litellm_provider"]
            if provider not in first_party and not provider.startswith(CLOUDS):
                problems.append(f"{model_id}: {key} is sold by {provider}, neither the maker nor a big cloud")
    assert not problems, "\n".join(problems)


def test_one_key_per_provider_and_variant(curated):
    price_map = load_price_map(price_map_path())
    problems = []
    for model_id, keys in curated.items():
        seen = {}
        for key in keys or []:
            offer = Offer.from_entry(key, price_map[key])
            provider = "bedrock" if offer.provider.startswith("bedrock") else offer.provider
            slot = (provider, offer.variant)
            if slot in seen:
                problems.append(f"{model_id}: {key} and {seen[slot]} are the same provider and variant")
            seen[slot] = key
    assert not problems, "\n".join(problems)


def test_every_catalogue_model_was_reviewed(curated):
    """Each catalogue id has an entry (an empty list: reviewed, no priced key), and each entry a catalogue id."""
    catalogue = load_catalogue(ROOT / "data" / "models.yaml")
    assert sorted(set(catalogue.ids) - set(curated)) == []
    assert sorted(set(curated) - set(catalogue.ids)) == []


@pytest.mark.parametrize("model_id, hosts", [("qwen-2.5-72b", 6), ("llama-3.1-70b", 9), ("qwen3-32b", 6)])
def test_open_weights_models_list_their_hosts(curated, model_id, hosts):
    price_map = load_price_map(price_map_path())
    providers = {price_map[k]["litellm_provider"] for k in curated[model_id]}
    assert len(providers) >= hosts, sorted(providers)


def test_with_deployment_api_no_open_model_that_a_live_host_serves_is_excluded_for_lack_of_a_price():
    from selector.answers import parse_answers
    from selector.scoring import recommend

    catalogue = load_catalogue(ROOT / "data" / "models.yaml")
    served = [m.id for m in catalogue.models if m.open_weights and catalogue.live_offers(catalogue.as_of).get(m.id)]
    assert len(served) >= 50
    result = recommend(catalogue, parse_answers({"deployment": "api", "allow": served}), top=len(served))
    unpriced = {e.model.id: e.reasons for e in result.excluded
                if any("offer" in r or "price" in r for r in e.reasons)}
    assert unpriced == {}
    priced = [p for p in result.picks if p.model.open_weights]
    assert priced and all(p.monthly_cost_usd is not None and p.serving.offer_key for p in priced)
