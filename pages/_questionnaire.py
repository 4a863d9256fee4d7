"""The questionnaire's form: every question with the help a person needs to answer it."""

import streamlit as st

from selector import answers as limits
from selector.answers import DEPLOYMENTS, DEVICES, THINKING_EFFORTS, USE_CASES, Answers
from selector.catalogue import Catalogue
from selector.costs import MAX_REQUEST_TOKENS, MAX_REQUESTS_PER_DAY
from selector.rules import USE_CASE_RULES

DEPLOYMENT_LABELS = {
    "any": "Any: API or self-hosted, whichever fits",
    "api": "A provider's API",
    "self_hosted": "Our own servers (self-hosted)",
    "edge": "On devices: phones and laptops (edge)",
}
MODALITY_LABELS = {"text": "Text", "image": "Images", "audio": "Audio", "video": "Video"}
DEVICE_LABELS = {"phone": "Phone", "laptop": "Laptop", "edge_box": "Edge box (e.g. Jetson Orin)"}
EFFORT_LABELS = {"auto": "Automatic: none when speed matters", "none": "None (answer at once)",
                 "low": "Low", "high": "High (best answers, slowest)"}


def questionnaire(d: Answers, catalogue: Catalogue) -> dict | None:
    """The form, filled from `d`; the raw answers (for selector.answers.parse_answers) when submitted, else None."""
    raw, traffic, priorities = {}, {}, {}  # filled by the widgets below, in the shape of Answers
    with st.form("questionnaire"):
        raw["description"] = st.text_input(
            "What are you building?", d.description, key="rec_description", max_chars=limits.MAX_DESCRIPTION_CHARS,
            placeholder="Support bot for our help centre",
            help="Free text, shown at the top of the recommendation and the report.",
        )
        left, right = st.columns(2)
        raw["use_cases"] = left.multiselect(
            "Use cases", USE_CASES, d.use_cases, key="rec_use_cases", format_func=lambda u: USE_CASE_RULES[u].label,
            help="Each use case counts different benchmarks: GPQA and MATH for reasoning, SWE-bench and "
            "LiveCodeBench for code, MMMU for images, IFEval for chat and extraction.",
        )
        raw["modalities"] = right.multiselect(
            "Inputs the model must accept", list(MODALITY_LABELS), d.modalities, key="rec_modalities", format_func=MODALITY_LABELS.get,
            help="A model that cannot read images cannot answer questions about screenshots, whatever its score.",
        )
        raw["context_tokens"] = left.number_input(
            "Largest request, in tokens", key="rec_context_tokens", min_value=1, max_value=limits.MAX_CONTEXT_TOKENS,
            value=d.context_tokens, step=1000,
            help="System prompt + retrieved documents + conversation + the reply must fit the model's context window "
            "(a token is about 3/4 of an English word; a 100-page contract is roughly 50,000 tokens). Chat needs "
            "4k-32k; document Q&A 200k+; a code repository 128k+.",
        )
        languages = right.text_input(
            "Languages", ", ".join(d.languages), key="rec_languages",
            help="ISO 639-1 codes, comma-separated (en, fr, zh). A model whose card does not list a language is "
            "ruled out; the others are scored on published per-language results (C-Eval, CMMLU, MMMLU, MGSM...).",
        )
        raw["deployment"] = left.selectbox(
            "Where will it run?", DEPLOYMENTS, key="rec_deployment", index=DEPLOYMENTS.index(d.deployment), format_func=DEPLOYMENT_LABELS.get,
            help="API: you pay per token, to the maker or a host serving open weights. Self-hosted: you rent or own GPUs "
            "(an H100 is about $2-3/hour) and need open weights. Edge: the model runs on your users' devices: it must fit "
            "the device's memory, there is no server bill, and nothing leaves the device.",
        )
        raw["data_must_stay_on_premises"] = right.checkbox(
            "Data must stay on our premises", d.data_must_stay_on_premises, key="rec_on_premises",
            help="Prompts may not be sent to an outside provider. Only models whose weights you can download and run "
            "on your own hardware qualify, and their cost becomes GPU time rather than a per-token price.",
        )
        raw["latency_p95_ms"] = left.number_input(
            "Latency target: p95 time to first token, ms (leave empty for none)", key="rec_latency_p95_ms", min_value=limits.MIN_LATENCY_MS,
            max_value=limits.MAX_LATENCY_MS, value=d.latency_p95_ms, step=100.0,
            help="Checked against the p95 estimate, not the best case. Typical APIs start answering in 0.5-2 s; a "
            "self-hosted 8B model on an H100 in 50-200 ms. A reasoning model's thinking comes before its first token.",
        )
        raw["budget_usd_per_month"] = right.number_input(
            "Budget, USD per month (leave empty for none)", key="rec_budget", min_value=0.0, max_value=limits.MAX_BUDGET_USD,
            value=d.budget_usd_per_month, step=100.0,
            help="Models whose monthly cost for the traffic below exceeds it are ruled out. A model without a known "
            "cost is kept but flagged.",
        )
        st.markdown("**Traffic**")
        t1, t2, t3 = st.columns(3)
        traffic["requests_per_day"] = t1.number_input(
            "Requests per day", key="rec_requests_per_day", min_value=0, max_value=int(MAX_REQUESTS_PER_DAY),
            value=int(d.traffic.requests_per_day), step=100,
            help="Monthly cost = requests x tokens x price; self-hosting cost grows in whole GPUs.",
        )
        traffic["input_tokens"] = t2.number_input(
            "Input tokens per request", key="rec_input_tokens", min_value=0, max_value=MAX_REQUEST_TOKENS,
            value=d.traffic.input_tokens, step=100,
            help="Average prompt size, including retrieved documents. Input is usually cheaper than output.",
        )
        traffic["output_tokens"] = t3.number_input(
            "Output tokens per request", key="rec_output_tokens", min_value=0, max_value=MAX_REQUEST_TOKENS,
            value=d.traffic.output_tokens, step=50,
            help="Average reply length. Reasoning models also bill hidden thinking tokens.",
        )
        st.markdown("**Priorities** (0 = does not matter, 5 = above all)")
        p1, p2, p3 = st.columns(3)
        priorities["quality"] = p1.slider("Quality", 0, 5, d.priorities.quality, key="rec_quality", help="Weight of capability on your use cases.")
        priorities["cost"] = p2.slider("Cost", 0, 5, d.priorities.cost, key="rec_cost", help="Weight of the monthly cost for your traffic.")
        priorities["latency"] = p3.slider("Latency", 0, 5, d.priorities.latency, key="rec_latency", help="Weight of the estimated response time.")
        o1, o2, o3 = st.columns(3)
        raw["offer_policy"] = o1.text_input(
            "Price open models by", d.offer_policy, key="rec_offer_policy",
            help="cheapest (the cheapest live host in LiteLLM's price map), median (a typical host), "
            "provider:NAME (one host, e.g. provider:together_ai) or self_host (your own GPUs).",
        )
        raw["thinking_effort"] = o2.selectbox(
            "Thinking effort (reasoning models)", THINKING_EFFORTS, THINKING_EFFORTS.index(d.thinking_effort),
            key="rec_thinking_effort", format_func=EFFORT_LABELS.get,
            help="Thinking tokens come before the first visible token and are billed as output. Models that can "
            "answer without thinking are judged that way when you ask for speed.",
        )
        raw["device"] = o3.selectbox(
            "Device (edge deployment)", DEVICES, DEVICES.index(d.device), key="rec_device", format_func=DEVICE_LABELS.get,
            help="Only used when the model runs on devices: its memory budget for a model and its memory bandwidth "
            "decide what fits and how fast it answers. Override them below.",
        )
        m1, m2 = st.columns(2)
        raw["device_memory_gb"] = m1.number_input(
            "Device memory for the model, GB (empty = the device's default)", key="rec_device_memory_gb",
            min_value=limits.MIN_DEVICE_MEMORY_GB, max_value=limits.MAX_DEVICE_MEMORY_GB, value=d.device_memory_gb, step=0.5,
            help="What one model may use beside the operating system and apps: weights plus the KV cache for the "
            "context must fit (defaults: phone 4 GB of 12, laptop 16 GB of 24, edge box 48 GB of 64).",
        )
        raw["device_bandwidth_gb_s"] = m2.number_input(
            "Device memory bandwidth, GB/s (empty = the device's default)", key="rec_device_bandwidth",
            min_value=limits.MIN_DEVICE_BANDWIDTH_GB_S, max_value=limits.MAX_DEVICE_BANDWIDTH_GB_S,
            value=d.device_bandwidth_gb_s, step=10.0,
            help="Decoding reads the model's weights once per token, so speed on the device is about bandwidth "
            "over weight size (defaults: phone 77 GB/s, laptop 273 GB/s, edge box 205 GB/s).",
        )
        raw["fine_tuning"] = st.checkbox(
            "We plan to fine-tune on our own data", d.fine_tuning, key="rec_fine_tuning",
            help="Open weights can be fine-tuned freely; some providers offer a fine-tuning API. Prompting solves "
            "most tasks: fine-tune once you have 500+ good examples and prompting has hit a ceiling.",
        )
        raw["allow"] = st.multiselect(
            "Approved models only (optional)", catalogue.ids, d.allow or [], key="rec_allow",
            help="If your organisation has an approved list, choose among these models only. Empty = the whole catalogue.",
        )
        st.caption(
            f"Limits: context up to {limits.MAX_CONTEXT_TOKENS:,} tokens; latency {limits.MIN_LATENCY_MS:g} to "
            f"{limits.MAX_LATENCY_MS:,.0f} ms; budget up to ${limits.MAX_BUDGET_USD:,.0f} a month; up to "
            f"{MAX_REQUESTS_PER_DAY:,.0f} requests a day and {MAX_REQUEST_TOKENS:,} tokens in or out per request. "
            "A number outside its field's limits is not taken: the field keeps its previous value."
        )
        if not st.form_submit_button("Recommend", type="primary"):
            return None
    return raw | {"languages": [code.strip() for code in languages.split(",") if code.strip()],
                  "traffic": traffic, "priorities": priorities,
                  "allow": raw["allow"] or None, "offer_policy": raw["offer_policy"] or "cheapest"}
