"""The questionnaire's schema (Answers): load, validate, and round-trip through URL query params.

The page, the CLI (`--answers FILE`, YAML or JSON) and the report all use this one model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, field_validator

from selector.catalogue import Catalogue, Count, FiniteNumber, Modality, unknown_id_message
from selector.costs import MAX_REQUEST_TOKENS, Traffic
from selector.errors import AnswersError
from selector.files import parse_json, parse_yaml, read_text, shorten

UseCase = Literal[
    "reasoning", "code", "long_documents", "multimodal", "realtime_chat", "summarization", "extraction", "general"
]
Deployment = Literal["any", "api", "self_hosted", "edge"]
ThinkingEffort = Literal["auto", "none", "low", "high"]
Device = Literal["phone", "laptop", "edge_box"]
THINKING_EFFORTS: tuple[str, ...] = ThinkingEffort.__args__  # type: ignore[attr-defined]
DEVICES: tuple[str, ...] = Device.__args__  # type: ignore[attr-defined]
_POLICY = re.compile(r"^(cheapest|median|self_host|provider:[a-z0-9_.\-]+)$")
USE_CASES: tuple[str, ...] = UseCase.__args__  # type: ignore[attr-defined]
DEPLOYMENTS: tuple[str, ...] = Deployment.__args__  # type: ignore[attr-defined]

# The ISO 639-1 two-letter language codes (184, including the withdrawn 'bh' still seen on model cards).
ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
    "ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io "
    "is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr "
    "ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si "
    "sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh "
    "yi yo za zh zu".split()
)
# Upper bounds of the questionnaire (the form's widgets use the same, so a link never holds what the form cannot).
MAX_CONTEXT_TOKENS = MAX_REQUEST_TOKENS
MIN_LATENCY_MS, MAX_LATENCY_MS = 1.0, 600_000.0  # up to ten minutes to the first token
MAX_BUDGET_USD = 1e9
MIN_DEVICE_MEMORY_GB, MAX_DEVICE_MEMORY_GB = 0.1, 1024.0
MIN_DEVICE_BANDWIDTH_GB_S, MAX_DEVICE_BANDWIDTH_GB_S = 1.0, 10_000.0
MAX_DESCRIPTION_CHARS = 2000
MAX_LIST_ITEMS = 200
MAX_ANSWERS_BYTES = 1_000_000


class Priorities(BaseModel):
    """How much each dimension matters, 0 (not at all) .. 5 (above all)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quality: Count = Field(default=3, ge=0, le=5)
    cost: Count = Field(default=3, ge=0, le=5)
    latency: Count = Field(default=3, ge=0, le=5)


class Answers(BaseModel):
    """What the system needs; every field has a default so a short file is a valid questionnaire."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: StrictStr = Field(default="", max_length=MAX_DESCRIPTION_CHARS)
    use_cases: list[UseCase] = Field(default_factory=lambda: ["general"], min_length=1, max_length=MAX_LIST_ITEMS)
    modalities: list[Modality] = Field(default_factory=lambda: ["text"], min_length=1, max_length=MAX_LIST_ITEMS)
    context_tokens: Count = Field(default=8000, gt=0, le=MAX_CONTEXT_TOKENS)
    languages: list[StrictStr] = Field(default_factory=lambda: ["en"], min_length=1, max_length=MAX_LIST_ITEMS)
    deployment: Deployment = "any"
    data_must_stay_on_premises: StrictBool = False
    latency_p95_ms: FiniteNumber | None = Field(default=None, ge=MIN_LATENCY_MS, le=MAX_LATENCY_MS)
    traffic: Traffic = Field(default_factory=Traffic)
    budget_usd_per_month: FiniteNumber | None = Field(default=None, ge=0, le=MAX_BUDGET_USD)
    priorities: Priorities = Field(default_factory=Priorities)
    fine_tuning: StrictBool = False
    allow: list[StrictStr] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    # How an open-weights model is priced: its cheapest live hosted offer, the median one, one named
    # provider's ("provider:together_ai"), or self-hosting on rented GPUs.
    offer_policy: StrictStr = Field(default="cheapest", max_length=100)
    # Thinking effort for reasoning models; "auto" = the least a model allows when speed matters.
    thinking_effort: ThinkingEffort = "auto"
    # Edge deployment: the device class, with its memory budget for a model and bandwidth editable.
    device: Device = "laptop"
    device_memory_gb: FiniteNumber | None = Field(default=None, ge=MIN_DEVICE_MEMORY_GB, le=MAX_DEVICE_MEMORY_GB)
    device_bandwidth_gb_s: FiniteNumber | None = Field(default=None, ge=MIN_DEVICE_BANDWIDTH_GB_S, le=MAX_DEVICE_BANDWIDTH_GB_S)

    @field_validator("offer_policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        value = value.strip().lower()
        if not _POLICY.match(value):
            raise ValueError("must be 'cheapest', 'median', 'self_host' or 'provider:NAME' (e.g. 'provider:together_ai')")
        return value

    @field_validator("languages")
    @classmethod
    def _languages_are_iso(cls, value: list[str]) -> list[str]:
        value = [code.strip().lower() for code in value]
        bad = [code for code in value if code not in ISO_639_1]
        if bad:
            raise ValueError(f"must be ISO 639-1 codes such as 'en' (got {', '.join(map(shorten, bad[:5]))})")
        return value

    @field_validator("use_cases", "modalities", "languages", "allow")
    @classmethod
    def _no_duplicates(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "document"


_TYPE_MESSAGES = {
    "int_type": "must be a whole number, not text or true/false",
    "float_type": "must be a number, not text or true/false",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be a mapping of fields",
    "dict_type": "must be a mapping of fields",
}


def _error_text(error: dict) -> str:
    kind, ctx, msg = error["type"], error.get("ctx") or {}, error["msg"]
    got = error.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {shorten(got)})"
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (typo?)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}{shown}"
    bounds = {"less_than_equal": "<=", "less_than": "<", "greater_than_equal": ">=", "greater_than": ">"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        if isinstance(limit, (int, float)):
            limit = f"{int(limit):,}" if float(limit).is_integer() else f"{limit:g}"
        return f"must be {bounds[kind]} {limit}{shown}"
    if kind == "too_short":
        return "must not be empty"
    if kind in ("too_long", "string_too_long"):
        return f"is too long (at most {ctx.get('max_length', '?')} {'characters' if isinstance(got, str) else 'items'})"
    if kind in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[kind]}{shown}"
    msg = msg.removeprefix("Value error, ")[:300] or "is not valid"
    return f"{msg[0].lower()}{msg[1:]}{shown if not msg.endswith(')') else ''}"


def parse_answers(data: object, source: str = "<memory>", catalogue: Catalogue | None = None) -> Answers:
    """Validate already-parsed answers; AnswersError lists every problem with its field."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise AnswersError(f"answers {source}: expected a mapping of fields such as 'use_cases:' (got {type(data).__name__})")
    try:
        answers = Answers.model_validate(dict(data))
    except ValidationError as exc:
        lines = [f"answers {source}: {_field_path(e['loc'])} {_error_text(e)}" for e in exc.errors()]
        allow = data.get("allow")
        if catalogue is not None and isinstance(allow, list):  # report unknown ids in the same pass
            lines += _allow_problems([a for a in allow if isinstance(a, str)], catalogue, source)
        raise AnswersError("\n".join(lines)) from None
    if catalogue is not None:
        check_allow(answers, catalogue, source)
    return answers


def check_allow(answers: Answers, catalogue: Catalogue, source: str = "<memory>") -> None:
    """Every id in `allow` must exist in the catalogue (the message names the closest ids)."""
    lines = _allow_problems(answers.allow, catalogue, source)
    if lines:
        raise AnswersError("\n".join(lines))


def _allow_problems(allow: list[str] | None, catalogue: Catalogue, source: str) -> list[str]:
    known = catalogue.by_id
    lines = [
        f"answers {source}: allow[{i}] {unknown_id_message(model_id, catalogue.ids)}"
        for i, model_id in enumerate(allow or [])
        if model_id not in known
    ]
    if allow is not None and not allow:
        lines.append(f"answers {source}: allow must list at least one model id, or be null for every model")
    return lines


def load_answers(path: str | Path, catalogue: Catalogue | None = None) -> Answers:
    """Load a YAML or JSON answers file (JSON is YAML, so one parser reads both)."""
    path = Path(path)
    shown = path.name if path.parent == Path(".") else str(path)
    label = f"answers {shown}"
    text = read_text(path, label, AnswersError, MAX_ANSWERS_BYTES)
    if path.suffix.lower() != ".json":
        data = parse_yaml(text, label, AnswersError)
    else:
        data = parse_json(text, label, AnswersError)
    return parse_answers(data, shown, catalogue)


# --- URL query params: flat, readable keys so a link reproduces a recommendation ------------------

_LISTS = ("use_cases", "modalities", "languages", "allow")
_TRAFFIC = ("requests_per_day", "input_tokens", "output_tokens")
_PRIORITIES = {"quality": "quality", "cost": "cost", "latency": "latency"}
_PRIORITY_PREFIX = "priority_"
_SCALARS = ("offer_policy", "thinking_effort", "device", "device_memory_gb", "device_bandwidth_gb_s")
QUERY_KEYS = (
    "description", *_LISTS, "context_tokens", "deployment", "data_must_stay_on_premises", "latency_p95_ms",
    *_TRAFFIC, "budget_usd_per_month", *(_PRIORITY_PREFIX + p for p in _PRIORITIES), "fine_tuning", *_SCALARS,
)


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def answers_to_query(answers: Answers) -> dict[str, str]:
    """Answers as flat string query params (every field, so defaults changing later cannot alter a link)."""
    params: dict[str, str] = {"description": answers.description} if answers.description else {}
    for key in _LISTS:
        value = getattr(answers, key)
        if value is not None:
            params[key] = ",".join(value)
    params["context_tokens"] = str(answers.context_tokens)
    params["deployment"] = answers.deployment
    params["data_must_stay_on_premises"] = "true" if answers.data_must_stay_on_premises else "false"
    if answers.latency_p95_ms is not None:
        params["latency_p95_ms"] = _number(answers.latency_p95_ms)
    for key in _TRAFFIC:
        params[key] = _number(getattr(answers.traffic, key))
    if answers.budget_usd_per_month is not None:
        params["budget_usd_per_month"] = _number(answers.budget_usd_per_month)
    for key in _PRIORITIES:
        params[_PRIORITY_PREFIX + key] = str(getattr(answers.priorities, key))
    params["fine_tuning"] = "true" if answers.fine_tuning else "false"
    defaults = Answers()
    for key in _SCALARS:  # only when set: links made before these fields existed stay valid
        value = getattr(answers, key)
        if value != getattr(defaults, key):
            params[key] = _number(value) if isinstance(value, float) else str(value)
    return params


def has_answers_in_query(params: Mapping[str, object]) -> bool:
    return any(key in params for key in QUERY_KEYS)


_INT_KEYS = frozenset({"context_tokens", "input_tokens", "output_tokens", *(_PRIORITY_PREFIX + p for p in _PRIORITIES)})
_FLOAT_KEYS = frozenset({"latency_p95_ms", "requests_per_day", "budget_usd_per_month", "device_memory_gb",
                         "device_bandwidth_gb_s"})
_BOOL_KEYS = ("data_must_stay_on_premises", "fine_tuning")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_MAX_NUMBER_CHARS = 40


def _from_text(key: str, value: str) -> object:
    """A link's text converted to the field's type; ValueError says why it cannot be."""
    value = value.strip()
    if key in _BOOL_KEYS:
        if value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        raise ValueError(f"must be true or false (got {shorten(value)})")
    if len(value) > _MAX_NUMBER_CHARS:
        raise ValueError(f"must be a number (got {shorten(value)})")
    if key in _INT_KEYS:
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"must be a whole number (got {shorten(value)})") from None
    try:
        return float(value)  # "inf" and "nan" convert here and are refused by the schema with its bounds
    except ValueError:
        raise ValueError(f"must be a number (got {shorten(value)})") from None


def answers_from_query(params: Mapping[str, object], catalogue: Catalogue | None = None) -> Answers:
    """Parse query params written by answers_to_query (unknown keys are ignored: other pages add theirs).

    Every value is text in a link: this converts each to its field's type itself (never trusting the
    schema to coerce), and reports every value it cannot convert with its key, with the schema's problems.
    """
    source = "in the link"

    def text(key: str) -> str | None:
        value = params.get(key)
        if isinstance(value, list):
            value = value[-1] if value else None
        return None if value is None else str(value)

    problems: list[str] = []

    def converted(key: str) -> object:
        value = text(key)
        if value is None or (value.strip() == "" and key not in _BOOL_KEYS):
            return None
        try:
            return _from_text(key, value)
        except ValueError as exc:
            problems.append(f"answers {source}: {key} {exc}")
            return None

    data: dict[str, object] = {}
    for key in ("description", "deployment", "offer_policy", "thinking_effort", "device"):
        if (value := text(key)) is not None and value != "":
            data[key] = value
    for key in ("context_tokens", "latency_p95_ms", "budget_usd_per_month", "device_memory_gb",
                "device_bandwidth_gb_s", *_BOOL_KEYS):
        if (value := converted(key)) is not None:
            data[key] = value
    for key in _LISTS:
        if (value := text(key)) is not None:
            data[key] = [item.strip() for item in value.split(",") if item.strip()]
    traffic = {key: value for key in _TRAFFIC if (value := converted(key)) is not None}
    if traffic:
        data["traffic"] = traffic
    priorities = {key: value for key in _PRIORITIES if (value := converted(_PRIORITY_PREFIX + key)) is not None}
    if priorities:
        data["priorities"] = priorities
    try:
        answers = parse_answers(data, source, catalogue)
    except AnswersError as exc:
        problems += str(exc).splitlines()
    if problems:
        raise AnswersError("\n".join(problems))
    return answers
