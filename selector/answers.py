"""The questionnaire's schema (Answers): load, validate, and round-trip through URL query params.

The page, the CLI (`--answers FILE`, YAML or JSON) and the report all use this one model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from selector.catalogue import Catalogue, Modality, unknown_id_message
from selector.costs import Traffic
from selector.errors import AnswersError
from selector.files import parse_yaml, read_text

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


class Priorities(BaseModel):
    """How much each dimension matters, 0 (not at all) .. 5 (above all)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quality: int = Field(default=3, ge=0, le=5)
    cost: int = Field(default=3, ge=0, le=5)
    latency: int = Field(default=3, ge=0, le=5)


class Answers(BaseModel):
    """What the system needs; every field has a default so a short file is a valid questionnaire."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    use_cases: list[UseCase] = Field(default_factory=lambda: ["general"], min_length=1)
    modalities: list[Modality] = Field(default_factory=lambda: ["text"], min_length=1)
    context_tokens: int = Field(default=8000, gt=0)
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    deployment: Deployment = "any"
    data_must_stay_on_premises: bool = False
    latency_p95_ms: float | None = Field(default=None, gt=0)
    traffic: Traffic = Field(default_factory=Traffic)
    budget_usd_per_month: float | None = Field(default=None, ge=0)
    priorities: Priorities = Field(default_factory=Priorities)
    fine_tuning: bool = False
    allow: list[str] | None = None
    # How an open-weights model is priced: its cheapest live hosted offer, the median one, one named
    # provider's ("provider:together_ai"), or self-hosting on rented GPUs.
    offer_policy: str = "cheapest"
    # Thinking effort for reasoning models; "auto" = the least a model allows when speed matters.
    thinking_effort: ThinkingEffort = "auto"
    # Edge deployment: the device class, with its memory budget for a model and bandwidth editable.
    device: Device = "laptop"
    device_memory_gb: float | None = Field(default=None, gt=0, le=1024)
    device_bandwidth_gb_s: float | None = Field(default=None, gt=0, le=10_000)

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
        bad = [code for code in value if len(code) != 2 or not code.isalpha() or not code.isascii()]
        if bad:
            raise ValueError(f"must be ISO 639-1 codes such as 'en' (got {', '.join(map(repr, bad))})")
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


def _error_text(error: dict) -> str:
    kind, ctx, msg = error["type"], error.get("ctx") or {}, error["msg"]
    got = error.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (typo?)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}{shown}"
    bounds = {"less_than_equal": "<=", "less_than": "<", "greater_than_equal": ">=", "greater_than": ">"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        limit = f"{limit:g}" if isinstance(limit, (int, float)) else limit
        return f"must be {bounds[kind]} {limit}{shown}"
    if kind == "too_short":
        return "must not be empty"
    msg = msg.removeprefix("Value error, ")
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
    text = read_text(path, label, AnswersError)
    if path.suffix.lower() != ".json":
        data = parse_yaml(text, label, AnswersError)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AnswersError(f"{label}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
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


def answers_from_query(params: Mapping[str, object], catalogue: Catalogue | None = None) -> Answers:
    """Parse query params written by answers_to_query (unknown keys are ignored: other pages add theirs)."""
    def text(key: str) -> str | None:
        value = params.get(key)
        if isinstance(value, list):
            value = value[-1] if value else None
        return None if value is None else str(value)

    data: dict[str, object] = {}
    for key in ("description", "context_tokens", "deployment", "latency_p95_ms", "budget_usd_per_month", *_SCALARS):
        if (value := text(key)) is not None and value != "":
            data[key] = value
    for key in _LISTS:
        if (value := text(key)) is not None:
            data[key] = [item.strip() for item in value.split(",") if item.strip()]
    for key in ("data_must_stay_on_premises", "fine_tuning"):
        if (value := text(key)) is not None:
            data[key] = value.strip().lower() in ("1", "true", "yes", "on")
    traffic = {key: value for key in _TRAFFIC if (value := text(key)) is not None}
    if traffic:
        data["traffic"] = traffic
    priorities = {key: value for key in _PRIORITIES if (value := text(_PRIORITY_PREFIX + key)) is not None}
    if priorities:
        data["priorities"] = priorities
    return parse_answers(data, "in the link", catalogue)
