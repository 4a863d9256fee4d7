"""The seed's quick decision tree and use-case table as acceptance tests, on the real catalogue.

Each case restricts data/models.yaml to the seed's models with `allow`, states the situation as
answers, and asserts the engine's best model and runner-up. Where today's catalogue leads the
engine away from the seed's answer, the case asserts today's answer and `why` says exactly which
published facts cause the difference (the seed was written in 2024; the catalogue is newer).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from selector.answers import parse_answers
from selector.catalogue import load_catalogue
from selector.scoring import recommend

SEED_MODELS = [
    "gpt-4o", "gpt-4o-mini", "o3", "claude-3-5-sonnet", "gemini-1.5-pro",
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mixtral-8x22b",
    "qwen-2.5-1.5b", "qwen-2.5-7b", "qwen-2.5-14b", "qwen-2.5-32b", "qwen-2.5-72b",
    "phi-3-mini", "phi-3-small", "phi-3-medium",
]


@dataclass(frozen=True)
class Case:
    id: str
    answers: dict
    seed_best: set[str]  # what the seed's table or tree says
    seed_runner_up: set[str] | None
    best: str  # what the engine says on today's catalogue
    runner_up: str | None
    why: str | None = None  # None when today's answer agrees with the seed

    @property
    def agrees(self) -> bool:
        runner_ok = self.seed_runner_up is None or self.runner_up in self.seed_runner_up
        return self.best in self.seed_best and runner_ok


REASONING = {"use_cases": ["reasoning"], "context_tokens": 32_000, "deployment": "api",
             "priorities": {"quality": 5, "cost": 1, "latency": 1}}
LONG_DOCS = {"use_cases": ["long_documents"], "context_tokens": 100_000,
             "traffic": {"requests_per_day": 500, "input_tokens": 50_000, "output_tokens": 500},
             "priorities": {"quality": 5, "cost": 2, "latency": 2}}
COST_SENSITIVE = {"use_cases": ["general"], "deployment": "self_hosted",
                  "traffic": {"requests_per_day": 1_000_000, "input_tokens": 1000, "output_tokens": 200},
                  "priorities": {"quality": 4, "cost": 4, "latency": 1}}

TABLE = [
    Case(
        "table: complex reasoning", REASONING, {"gpt-4o", "o3"}, {"claude-3-5-sonnet"}, "o3", "gemini-1.5-pro",
        why="The catalogue carries Gemini 1.5 Pro-002's published reasoning scores (MATH 86.5, GPQA Diamond 59.1) "
        "against Claude 3.5 Sonnet's (MATH 78.3, GPQA 65.0): about equal capability, and Gemini's API costs less "
        "($1.25/$5 per 1M tokens vs $3/$15), so Gemini edges Claude (3rd) for second place.",
    ),
    Case("table: long document Q&A", LONG_DOCS, {"claude-3-5-sonnet"}, {"gemini-1.5-pro"},
         "claude-3-5-sonnet", "gemini-1.5-pro"),
    Case(
        "table: real-time chat",
        {"use_cases": ["realtime_chat"], "deployment": "self_hosted", "latency_p95_ms": 100,
         "priorities": {"quality": 2, "cost": 3, "latency": 5}},
        {"llama-3.1-8b", "phi-3-mini", "phi-3-small", "phi-3-medium"}, {"mixtral-8x22b"},
        "llama-3.1-8b", "qwen-2.5-7b",
        why="Mixtral 8x22B publishes no benchmark in the catalogue (quality unknown, penalised); its 39B active "
        "parameters put it in the 100-400 ms class, at the edge of a 100 ms target; and its 141B weights need 4 "
        "GPUs against 1 for an ~8B model. It ranks behind every small model; Qwen 2.5 7B (IFEval 71.2, "
        "MMLU-Pro 56.3) is the runner-up.",
    ),
    # A 3 s latency target, as for an interactive product: it rules out o3 (a reasoning model, 5-30 s),
    # whose MMMU 82.9 would otherwise rank first.
    Case(
        "table: multimodal tasks",
        {"use_cases": ["multimodal"], "modalities": ["image"], "latency_p95_ms": 3000,
         "priorities": {"quality": 5, "cost": 2, "latency": 2}},
        {"gemini-1.5-pro"}, {"gpt-4o"}, "gemini-1.5-pro", "gpt-4o",
    ),
    Case(
        "table: cost-sensitive", COST_SENSITIVE, {"llama-3.1-70b"}, {"qwen-2.5-32b"}, "qwen-2.5-7b", "qwen-2.5-14b",
        why="At 1,000,000 requests/day self-hosted, GPUs scale with active parameters: a 70B model needs 8x the "
        "GPUs of a 7B one. With quality and cost weighted equally, Qwen 2.5 7B and 14B (strong MMLU-Pro and "
        "IFEval for their size) beat Llama 3.1 70B's higher capability; Qwen 2.5 32B is 3rd, Llama 3.1 70B 6th.",
    ),
]

TREE = [
    Case("tree: reasoning (math, code)", dict(REASONING, use_cases=["reasoning", "code"]), {"gpt-4o", "o3"}, None,
         "o3", "gemini-1.5-pro"),
    Case("tree: long documents (RAG)", LONG_DOCS, {"claude-3-5-sonnet"}, None, "claude-3-5-sonnet", "gemini-1.5-pro"),
    Case(
        "tree: multimodal (images, video)",
        {"use_cases": ["multimodal"], "modalities": ["image", "video"]},
        {"gemini-1.5-pro", "gpt-4o"}, None, "gemini-1.5-pro", None,
    ),
    Case(
        "tree: cost-sensitive, high volume", COST_SENSITIVE, {"llama-3.1-70b", "mixtral-8x22b"}, None,
        "qwen-2.5-7b", "qwen-2.5-14b",
        why="As in the table's cost-sensitive row: small self-hosted models win at this volume; Mixtral 8x22B has "
        "no published benchmark in the catalogue and needs more GPUs than a 70B dense model.",
    ),
    Case(
        "tree: mobile / edge", {"use_cases": ["general"], "deployment": "edge", "latency_p95_ms": 120},
        {"phi-3-mini", "phi-3-small", "phi-3-medium"}, None, "phi-3-mini", "qwen-2.5-1.5b",
    ),
    Case(
        "tree: bilingual", {"use_cases": ["general"], "languages": ["zh", "en"], "deployment": "self_hosted"},
        {"qwen-2.5-1.5b", "qwen-2.5-7b", "qwen-2.5-14b", "qwen-2.5-32b", "qwen-2.5-72b"}, None,
        "qwen-2.5-32b", "qwen-2.5-7b",
    ),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.mark.parametrize("case", TABLE + TREE, ids=lambda c: c.id)
def test_seed_decision(catalogue, case):
    answers = parse_answers(dict(case.answers, allow=SEED_MODELS), "seed case", catalogue)
    result = recommend(catalogue, answers, top=2)
    got = [pick.model.id for pick in result.picks]
    assert got[0] == case.best, f"{case.id}: ranked {got}"
    assert (got[1] if len(got) > 1 else None) == case.runner_up, f"{case.id}: ranked {got}"
    # A disagreement with the seed must be explained, and an explanation must be for a real disagreement.
    assert (case.why is None) == case.agrees, case.id


def test_multimodal_video_excludes_models_without_video_input(catalogue):
    answers = parse_answers({"use_cases": ["multimodal"], "modalities": ["image", "video"], "allow": SEED_MODELS})
    excluded = {e.model.id: e.reasons for e in recommend(catalogue, answers).excluded}
    assert "no video input" in excluded["gpt-4o"]


def test_seed_models_are_all_in_the_catalogue(catalogue):
    missing = [model_id for model_id in SEED_MODELS if model_id not in catalogue.by_id]
    assert not missing
