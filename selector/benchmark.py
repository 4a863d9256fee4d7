"""Benchmark on your own prompts: load a prompt file, run it on 2-6 models, summarise per model.

Every call goes through selector/live/ (run_side), so local servers, keys, error mapping and
metrics are the same as on the live comparison page. A failed call is a failed row, never the end
of the run. Statistics:

- Percentiles (p50, p95) use linear interpolation between closest ranks: for sorted values
  x[0..n-1] the p-th percentile sits at rank h = (n - 1) * p / 100 and is
  x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). This is Hyndman and Fan's
  type 7, the default of numpy.percentile and Excel's PERCENTILE.INC. Only successful calls count.
- Quality is the share of passed checks among successful rows that have an expected answer.
- Cost per request is the mean over successful rows; unknown when any of them has no known cost.
  The projected monthly cost is that mean times the questionnaire's requests per day times
  DAYS_PER_MONTH (it assumes your traffic looks like the prompt file).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from selector.costs import DAYS_PER_MONTH, Traffic
from selector.errors import SelectorError
from selector.formatting import known
from selector.scrub import register_secret

log = logging.getLogger(__name__)

MAX_ROWS = 200
MAX_FILE_BYTES = 1_000_000
MIN_MODELS, MAX_MODELS = 2, 6
MAX_CONCURRENCY = 8
CHECKS = ("exact", "contains", "regex", "judge")
DEFAULT_CHECK = "contains"
EXAMPLE_PROMPTS = Path(__file__).resolve().parent.parent / "data" / "examples" / "prompts.csv"
PERCENTILE_METHOD = (
    "linear interpolation between closest ranks (Hyndman-Fan type 7, as numpy.percentile and "
    "Excel PERCENTILE.INC), over successful calls only"
)

JUDGE_PROMPT = """You grade an answer against a reference answer.
Question:
{prompt}

Reference answer:
{expected}

Answer to grade:
{answer}

Does the answer to grade give the same facts as the reference answer? Reply with one word: PASS or FAIL."""


# --- the prompt file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptRow:
    """One prompt of the file; `index` counts from 1 like the rows a person sees."""

    index: int
    prompt: str
    expected: str | None = None
    check: str | None = None   # exact | contains | regex | judge; None when nothing is expected


def load_prompts(data: bytes, name: str = "prompts.csv", max_rows: int = MAX_ROWS) -> list[PromptRow]:
    """Parse an uploaded CSV or JSONL file; SelectorError with one line naming the problem."""
    if len(data) > MAX_FILE_BYTES:
        raise SelectorError(f"{name} is {len(data):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit: split it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SelectorError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}): save it as UTF-8"
        ) from None
    if not text.strip():
        raise SelectorError(f"{name} is empty: give one prompt per row in a column named 'prompt'")
    is_jsonl = name.lower().endswith((".jsonl", ".ndjson", ".json")) or text.lstrip().startswith("{")
    records = _jsonl_records(text, name) if is_jsonl else _csv_records(text, name)
    if not records:
        raise SelectorError(f"{name} has a header but no prompts")
    if len(records) > max_rows:
        raise SelectorError(f"{name} has {len(records):,} prompts, over the limit of {max_rows}: keep the first {max_rows}")
    return [_row(i, record, name) for i, record in enumerate(records, start=1)]


def load_prompts_file(path: str | Path, max_rows: int = MAX_ROWS) -> list[PromptRow]:
    """load_prompts() for a file on disk (the CLI)."""
    from selector.files import check_file

    path = Path(path)
    check_file(path, f"prompts file {path}", SelectorError, MAX_FILE_BYTES)  # regular, non-empty, within the limit
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SelectorError(f"prompts file {path} cannot be read ({exc.strerror})") from None
    return load_prompts(data, str(path), max_rows)


def _csv_records(text: str, name: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "prompt" not in columns:
        shown = ", ".join(repr(c) for c in columns if c) or "none"
        raise SelectorError(f"{name} has no 'prompt' column (columns found: {shown})")
    try:
        rows = [{(k or "").strip().lower(): v for k, v in row.items()} for row in reader]
    except csv.Error as exc:
        raise SelectorError(f"{name} is not valid CSV: {exc}") from None
    # A blank line at the end of a CSV is not a prompt.
    return [r for r in rows if any((v or "").strip() for v in r.values() if isinstance(v, str))]


def _jsonl_records(text: str, name: str) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SelectorError(f"{name} line {number} is not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise SelectorError(f"{name} line {number} must be a JSON object with a 'prompt' field")
        records.append({str(k).lower(): v for k, v in record.items()})
    if records and not any("prompt" in r for r in records):
        raise SelectorError(f"{name} has no 'prompt' field (fields found: {', '.join(map(repr, records[0]))})")
    return records


def _row(index: int, record: dict[str, Any], name: str) -> PromptRow:
    prompt = record.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise SelectorError(f"{name} row {index}: prompt is empty")
    expected = record.get("expected")
    if expected is not None and not isinstance(expected, str):
        expected = str(expected)
    expected = expected if expected and expected.strip() else None
    check = (record.get("check") or "").strip().lower() or None
    if check is not None and check not in CHECKS:
        raise SelectorError(f"{name} row {index}: check must be one of {', '.join(CHECKS)} (got {check!r})")
    if expected is None:
        check = None
    else:
        check = check or DEFAULT_CHECK
        if check == "regex":
            try:
                re.compile(expected)
            except re.error as exc:
                raise SelectorError(f"{name} row {index}: expected is not a valid regular expression ({exc})") from None
    return PromptRow(index=index, prompt=prompt.strip(), expected=expected, check=check)


# --- checks and statistics -----------------------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .!?\"'")


def check_answer(answer: str, expected: str, check: str) -> bool:
    """Whether an answer passes: exact (case, spacing and end punctuation ignored), contains
    (case-insensitive substring), regex (re.search as written; add (?i) to ignore case)."""
    if check == "exact":
        return _normalise(answer) == _normalise(expected)
    if check == "contains":
        return _normalise(expected) in _normalise(answer)
    if check == "regex":
        return re.search(expected, answer) is not None
    raise SelectorError(f"check must be one of exact, contains, regex here (got {check!r})")


def judge_prompt(row: PromptRow, answer: str) -> str:
    """The exact text the judge model receives for one row."""
    return JUDGE_PROMPT.format(prompt=row.prompt, expected=row.expected or "", answer=answer)


def parse_verdict(text: str) -> bool | None:
    """PASS -> True, FAIL -> False, anything else -> None (the judge did not answer the question)."""
    words = re.findall(r"[A-Za-z]+", text.upper())
    verdicts = [w for w in words if w in ("PASS", "FAIL")]
    return None if not verdicts else verdicts[0] == "PASS"


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile by linear interpolation between closest ranks; None for no values."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100 (got {p})")
    data = sorted(values)
    if not data:
        return None
    h = (len(data) - 1) * p / 100
    low = math.floor(h)
    high = min(low + 1, len(data) - 1)
    return data[low] + (h - low) * (data[high] - data[low])


# --- results -------------------------------------------------------------------------------------


@dataclass
class RowResult:
    """One prompt on one model: the call's outcome and its check."""

    model: str
    row: int
    prompt: str
    expected: str | None
    check: str | None
    text: str = ""
    ok: bool = False
    ttft_s: float | None = None
    latency_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cost_source: str | None = None
    finish_reason: str | None = None
    error: str | None = None
    error_kind: str | None = None
    passed: bool | None = None        # None: nothing expected, the call failed, or the judge gave no verdict
    judge_text: str | None = None
    catalogue_id: str | None = None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ModelSummary:
    model: str
    label: str
    rows: int
    succeeded: int
    success_rate: float | None
    latency_p50_s: float | None
    latency_p95_s: float | None
    ttft_p50_s: float | None
    ttft_p95_s: float | None
    output_tokens_mean: float | None
    cost_per_request_usd: float | None
    monthly_cost_usd: float | None
    checked: int
    passed: int
    quality: float | None
    catalogue_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(results: list[RowResult], model: str, label: str | None = None,
              traffic: Traffic | None = None) -> ModelSummary:
    """The per-model figures of a run (see the module docstring for each definition)."""
    mine = [r for r in results if r.model == model]
    good = [r for r in mine if r.ok]
    latencies = [r.latency_s for r in good if r.latency_s is not None]
    ttfts = [r.ttft_s for r in good if r.ttft_s is not None]
    tokens = [r.output_tokens for r in good if r.output_tokens is not None]
    costs = [r.cost_usd for r in good]
    cost = None if not costs or any(c is None for c in costs) else sum(costs) / len(costs)
    monthly = None
    if cost is not None and traffic is not None:
        monthly = cost * traffic.requests_per_day * DAYS_PER_MONTH
    checked = [r for r in good if r.passed is not None]
    passed = sum(1 for r in checked if r.passed)
    return ModelSummary(
        model=model, label=label or model, rows=len(mine), succeeded=len(good),
        success_rate=len(good) / len(mine) if mine else None,
        latency_p50_s=percentile(latencies, 50), latency_p95_s=percentile(latencies, 95),
        ttft_p50_s=percentile(ttfts, 50), ttft_p95_s=percentile(ttfts, 95),
        output_tokens_mean=_mean([float(t) for t in tokens]),
        cost_per_request_usd=cost, monthly_cost_usd=monthly,
        checked=len(checked), passed=passed, quality=passed / len(checked) if checked else None,
        catalogue_id=next((r.catalogue_id for r in mine if r.catalogue_id), None),
    )


@dataclass
class BenchmarkRun:
    """A run's prompts, models and row results (complete, stopped, or reopened from history)."""

    rows: list[PromptRow]
    models: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    results: list[RowResult] = field(default_factory=list)
    run_id: int | None = None
    status: str = "running"            # running | done | stopped
    wall_s: float | None = None
    source: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    stop_reason: str | None = None     # e.g. "stopped at the spending cap ($0.0100 of $0.0100)"

    @property
    def total(self) -> int:
        return len(self.rows) * len(self.models)

    def summaries(self, traffic: Traffic | None = None) -> list[ModelSummary]:
        return [summarise(self.results, m, self.labels.get(m), traffic) for m in self.models]

    def result_for(self, model: str, row: int) -> RowResult | None:
        return next((r for r in self.results if r.model == model and r.row == row), None)

    def every_call_failed(self) -> list[str]:
        """Models that have results and not a single successful one."""
        return [m for m in self.models
                if any(r.model == m for r in self.results) and not any(r.ok for r in self.results if r.model == m)]

    @property
    def status_text(self) -> str:
        """The status in words: the stop reason when there is one."""
        words = {"done": "finished", "stopped": "stopped: the calls that finished are kept", "running": "running"}
        return self.stop_reason or words.get(self.status, self.status)

    def paired_comparisons(self) -> list:
        """Each pair of models on the prompts both answered: pass/fail by exact McNemar, latency by a
        paired bootstrap (selector.stats), each with its verdict and the prompts still needed."""
        return paired_comparisons(self)

    def to_dict(self, traffic: Traffic | None = None) -> dict[str, Any]:
        """The CLI's JSON."""
        return {
            "run_id": self.run_id, "status": self.status, "stop_reason": self.stop_reason,
            "wall_s": self.wall_s, "source": self.source,
            "percentile_method": PERCENTILE_METHOD,
            "traffic_requests_per_day": traffic.requests_per_day if traffic else None,
            "models": [s.to_dict() for s in self.summaries(traffic)],
            "paired_statistics": [c.to_dict() for c in self.paired_comparisons()],
            "rows": [r.to_record() for r in sorted(self.results, key=lambda r: (r.row, self.models.index(r.model)))],
        }


def paired_comparisons(run: BenchmarkRun) -> list:
    """See BenchmarkRun.paired_comparisons."""
    from itertools import combinations

    from selector.stats import compare_pass_fail, compare_values

    by_key = {(r.model, r.row): r for r in run.results}
    out = []
    for a, b in combinations(run.models, 2):
        names = (run.labels.get(a, a), run.labels.get(b, b))
        pairs = [(by_key.get((a, row.index)), by_key.get((b, row.index))) for row in run.rows]
        checked = [(x.passed, y.passed) for x, y in pairs if x and y and x.passed is not None and y.passed is not None]
        if checked:
            out.append(compare_pass_fail(a, b, [x for x, _ in checked], [y for _, y in checked], names=names))
        timed = [(x.latency_s, y.latency_s) for x, y in pairs
                 if x and y and x.ok and y.ok and x.latency_s is not None and y.latency_s is not None]
        if timed:
            out.append(compare_values(a, b, [x for x, _ in timed], [y for _, y in timed], "latency", unit=" s",
                                      lower_is_better=True, names=names))
    return out


def summary_rows(run: BenchmarkRun, traffic: Traffic | None = None) -> list[dict[str, str]]:
    """The per-model summary as display rows (unknown figures say so, never 0)."""
    return [{
        "Model": s.label, "Success": f"{s.succeeded}/{s.rows}",
        "Latency p50 (s)": known(s.latency_p50_s, ".2f"), "Latency p95 (s)": known(s.latency_p95_s, ".2f"),
        "TTFT p50 (s)": known(s.ttft_p50_s, ".2f"), "TTFT p95 (s)": known(s.ttft_p95_s, ".2f"),
        "Output tokens (mean)": known(s.output_tokens_mean, ".1f"),
        "Cost / request": known(s.cost_per_request_usd, ".6f", prefix="$"),
        "Monthly at your traffic": known(s.monthly_cost_usd, ",.2f", prefix="$"),
        "Quality": "no expected answers" if s.quality is None else f"{s.quality:.0%} ({s.passed}/{s.checked})",
    } for s in run.summaries(traffic)]


def comparison_lines(run: BenchmarkRun) -> list[str]:
    """One Markdown-safe sentence per paired comparison: metric, test, verdict."""
    return [f"**{c.metric.capitalize()}** ({c.test}): {c.verdict}." for c in run.paired_comparisons()]


ROW_COLUMNS = ("row", "model", "prompt", "expected", "check", "ok", "passed", "text", "ttft_s", "latency_s",
               "input_tokens", "output_tokens", "cost_usd", "cost_source", "finish_reason", "error", "judge_text")


def results_to_csv(run: BenchmarkRun) -> str:
    """One CSV line per prompt and model (empty cells are unknown, never zero)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ROW_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for r in sorted(run.results, key=lambda r: (r.row, run.models.index(r.model) if r.model in run.models else 0)):
        writer.writerow(r.to_record())
    return out.getvalue()


# --- running -------------------------------------------------------------------------------------


def check_models(specs: Sequence[str], catalogue=None, api_bases: dict[str, str] | None = None):
    """Resolve 2..6 distinct model names to live Targets; SelectorError naming the bad one."""
    from selector.live import resolve_model

    specs = [s.strip() for s in specs if s and s.strip()]
    if len(set(specs)) != len(specs):
        dupes = sorted({s for s in specs if specs.count(s) > 1})
        raise SelectorError(f"models: {', '.join(dupes)} given twice; pick each model once")
    if not MIN_MODELS <= len(specs) <= MAX_MODELS:
        raise SelectorError(f"pick {MIN_MODELS} to {MAX_MODELS} models (got {len(specs)})")
    return [resolve_model(s, (api_bases or {}).get(s), catalogue) for s in specs]


def _grade(result: RowResult, row: PromptRow, judge, settings, api_keys, call=None) -> None:
    if not result.ok or row.expected is None:
        return
    if row.check != "judge":
        result.passed = check_answer(result.text, row.expected, row.check)
        return
    if judge is None:
        return  # judged rows without a judge model stay unchecked
    from selector.live import CallSettings, run_side

    verdict = (call or run_side)(judge, judge_prompt(row, result.text),
                       CallSettings(max_tokens=8, temperature=0.0, timeout_s=settings.timeout_s, retries=settings.retries),
                       api_key=(api_keys or {}).get(judge.spec))
    result.judge_text = verdict.text if verdict.ok else f"judge failed: {verdict.error}"
    result.passed = parse_verdict(verdict.text) if verdict.ok else None


def _to_row_result(side, target, row: PromptRow) -> RowResult:
    return RowResult(
        model=target.spec, row=row.index, prompt=row.prompt, expected=row.expected, check=row.check,
        text=side.text, ok=side.ok, ttft_s=side.ttft_s, latency_s=side.latency_s, input_tokens=side.input_tokens,
        output_tokens=side.output_tokens, cost_usd=side.cost_usd, cost_source=side.cost_source,
        finish_reason=side.finish_reason, error=side.error, error_kind=side.error_kind,
        catalogue_id=target.catalogue_id,
    )


@dataclass
class BenchmarkJob:
    """A benchmark running in a background thread: the page polls `done`, the CLI calls `join()`.

    Calls run through a pool of `concurrency` threads; each finished row is saved to history at
    once, so stopping (or a crash) keeps what finished. A call cut short by stop is dropped.
    With `max_cost_usd`, a call starts only while the cost of the finished calls plus the estimates
    of those in flight and of this one stays within the cap; once one would pass it, no further
    call starts, the calls in flight finish and are kept, and the run stops with `stop_reason`
    saying so. (A judge's calls are not counted against the cap.)
    """

    rows: list[PromptRow]
    targets: list[Any]                    # live.Target
    settings: Any                         # live.CallSettings
    concurrency: int = 2
    api_keys: dict[str, str | None] = field(default_factory=dict)
    history: Any = None
    judge: Any = None                     # live.Target or None
    source: str = ""
    on_result: Callable[[RowResult], None] | None = None
    max_cost_usd: float | None = None     # the spending cap: no call starts that could take the run past it
    preflight: Any = None                 # preflight.Preflight: each call's estimated cost (computed when None)
    run: BenchmarkRun | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server_locks: dict[str, threading.Lock] = field(default_factory=dict)
    spent_usd: float = 0.0                # finished calls: their cost, or their estimate when unknown
    _reserved_usd: float = 0.0            # calls in flight: their estimates
    capped: bool = False

    def start(self) -> BenchmarkJob:
        from selector.live import import_litellm

        if not self.rows:
            raise SelectorError("no prompts to run")
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise SelectorError(f"concurrency must be between 1 and {MAX_CONCURRENCY} (got {self.concurrency})")
        self.settings = self.settings.checked()
        for key in self.api_keys.values():
            register_secret(key)  # scrubbed from every row, error and log line, whatever its shape
        if self.max_cost_usd is not None:
            from selector.preflight import check_cap, preflight

            self.max_cost_usd = check_cap(self.max_cost_usd)
            if self.preflight is None:
                self.preflight = preflight([r.prompt for r in self.rows], self.targets, self.settings.max_tokens,
                                           concurrency=self.concurrency, system=self.settings.system)
        specs = [t.spec for t in self.targets]
        self.run = BenchmarkRun(rows=list(self.rows), models=specs, labels={t.spec: t.label for t in self.targets},
                                source=self.source, settings=self._settings_record())
        import_litellm()  # once, before the threads: concurrent first imports would both wait
        self._start_local_servers()
        if self.history is not None:
            self.run.run_id = self.history.start_benchmark(self.run.source, self.run.settings, self.rows)
        self._thread = threading.Thread(target=self._work, name="benchmark", daemon=True)
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def _settings_record(self) -> dict[str, Any]:
        return self.settings.to_record() | {
            "models": [t.spec for t in self.targets], "labels": {t.spec: t.label for t in self.targets},
            "api_bases": {t.spec: t.api_base for t in self.targets if t.api_base},
            "concurrency": self.concurrency, "judge": self.judge.spec if self.judge is not None else None,
            "system": self.settings.system, "max_cost_usd": self.max_cost_usd,
        }

    def _start_local_servers(self) -> None:
        from selector.live.servers import ensure_server

        for alias in dict.fromkeys(t.local_alias for t in [*self.targets, self.judge] if t is not None and t.local_alias):
            ensure_server(alias)
            self._server_locks[alias] = threading.Lock()

    def _side(self, target, prompt: str, settings, **kwargs):
        """run_side, one call at a time per bundled server: llama-cpp-python's server interrupts a
        running stream when another request arrives, and queued time is not the model's latency."""
        from selector.live import run_side

        lock = self._server_locks.get(target.local_alias or "")
        if lock is None:
            return run_side(target, prompt, settings, **kwargs)
        with lock:
            return run_side(target, prompt, settings, **kwargs)

    def _reserve(self, target, row: PromptRow) -> float | None:
        """The call's estimate, reserved against the cap; None when it would pass the cap (the run stops
        starting calls from then on, and the calls in flight finish)."""
        if self.max_cost_usd is None:
            return 0.0
        estimate = self.preflight.call_estimate(target.spec, row.index) if self.preflight is not None else 0.0
        with self._lock:
            if self.capped or self.spent_usd + self._reserved_usd + estimate > self.max_cost_usd + 1e-12:
                self.capped = True
                return None
            self._reserved_usd += estimate
        return estimate

    def _settle(self, estimate: float, cost: float | None) -> None:
        with self._lock:
            self._reserved_usd -= estimate
            self.spent_usd += estimate if cost is None else cost

    def _call(self, target, row: PromptRow) -> RowResult | None:
        if self.stop_event.is_set():
            return None
        estimate = self._reserve(target, row)
        if estimate is None:
            return None
        side = None
        try:
            side = self._side(target, row.prompt, self.settings, api_key=self.api_keys.get(target.spec),
                              stop=self.stop_event)
        finally:  # a call without a known cost (failed, unpriced) counts at its estimate
            self._settle(estimate, side.cost_usd if side is not None else None)
        if side.finish_reason == "stopped" or (self.stop_event.is_set() and not side.ok):
            return None
        result = _to_row_result(side, target, row)
        _grade(result, row, self.judge, self.settings, self.api_keys, call=self._side)
        with self._lock:
            self.run.results.append(result)
        if self.history is not None and self.run.run_id is not None:
            try:
                self.history.save_benchmark_result(self.run.run_id, result.to_record())  # the store scrubs it
            except SelectorError:  # the history is a record, not a reason to lose the result
                log.warning("benchmark: could not save row %s of %s", row.index, target.spec, exc_info=True)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _work(self) -> None:
        # Row-major order: every model gets the first prompts first, so a stopped run stays comparable.
        tasks = [(t, row) for row in self.rows for t in self.targets]
        try:
            with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="bench") as pool:
                for future in [pool.submit(self._call, t, row) for t, row in tasks]:
                    try:
                        future.result()
                    except Exception:  # run_side never raises for a call; a bug loses one row, not the run
                        log.exception("benchmark: a call failed inside the worker (its row is lost)")
        finally:
            self.run.wall_s = round(time.perf_counter() - self._t0, 4)
            self.run.status = "stopped" if self.stop_event.is_set() or self.capped else "done"
            if self.capped:
                self.run.stop_reason = (f"stopped at the spending cap (${self.spent_usd:.4f} of "
                                        f"${self.max_cost_usd:.4f}): {len(self.run.results)} of {self.run.total} "
                                        "calls finished and are kept")
            if self.history is not None and self.run.run_id is not None:
                try:
                    self.history.finish_run(self.run.run_id, self.run.wall_s, self.run.status)
                except SelectorError:
                    log.warning("benchmark: could not close run %s in history", self.run.run_id, exc_info=True)

    @property
    def done(self) -> int:
        return len(self.run.results) if self.run else 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> BenchmarkRun:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.run


def run_benchmark(rows: list[PromptRow], targets: list, settings, **kwargs) -> BenchmarkRun:
    """Run every prompt on every model and wait (the CLI's and the tests' path)."""
    job = BenchmarkJob(rows=rows, targets=targets, settings=settings, **kwargs).start()
    try:
        return job.join()
    except KeyboardInterrupt:
        job.stop()
        return job.join(timeout=30)


# --- history -------------------------------------------------------------------------------------


def load_run(history, run_id: int) -> BenchmarkRun:
    """Reopen a stored benchmark run."""
    return run_from_stored(history.get_benchmark(run_id), run_id)


def run_from_stored(stored: dict[str, Any], run_id: int | None = None) -> BenchmarkRun:
    """A BenchmarkRun from the store's dict of one run (its settings, prompts and results)."""
    run_id = stored.get("id", run_id) if run_id is None else run_id
    settings = stored["settings"]
    if isinstance(settings, str):
        settings = json.loads(settings)
    rows = [PromptRow(index=p["row"], prompt=p["prompt"], expected=p["expected"], check=p["check"])
            for p in stored["prompts"]]
    results = [RowResult(**{k: r[k] for k in RowResult.__dataclass_fields__ if k in r}) for r in stored["results"]]
    for r in results:
        r.ok, r.passed = bool(r.ok), None if r.passed is None else bool(r.passed)
    return BenchmarkRun(
        rows=rows, models=list(settings.get("models") or dict.fromkeys(r.model for r in results)),
        labels=settings.get("labels") or {}, results=results, run_id=run_id, status=stored["status"],
        wall_s=stored["wall_s"], source=stored["prompt"], settings=settings,
    )


@dataclass(frozen=True)
class MeasuredFigures:
    """What a benchmark measured for one catalogue model, for the recommendation engine."""

    latency_p95_ms: float | None
    quality_0_1: float | None
    source: str                  # e.g. "benchmark run 3, 10 prompts"
    prompts: int | None = None   # how many prompts the quality rests on (its interval follows)
    # Where the latency was measured: "api" (the model's hosted API, as a user would call it) or
    # "this machine" (a bundled model on this computer's CPU): the engine applies a measured latency
    # only to the way of serving it represents, never to a GPU server or a device class.
    measured_on: str = "api"
    quality_low: float | None = None  # a 95% interval where the evidence gives one (e.g. arena votes)
    quality_high: float | None = None


def measured_figures(history, limit_runs: int = 50) -> dict[str, MeasuredFigures]:
    """Catalogue id -> figures from the most recent finished benchmark run that measured it."""
    from selector.live.servers import LOCAL_MODELS

    out: dict[str, MeasuredFigures] = {}
    for info in history.list_benchmarks(limit=limit_runs):  # newest first
        if info["status"] == "running":
            continue
        run = load_run(history, info["id"])
        for summary in run.summaries():
            cid = summary.catalogue_id
            if cid is None or cid in out or summary.succeeded == 0:
                continue
            p95 = summary.latency_p95_s
            out[cid] = MeasuredFigures(
                latency_p95_ms=None if p95 is None else round(p95 * 1000, 1),
                quality_0_1=summary.quality,
                source=f"benchmark run {run.run_id}, {summary.succeeded} prompts",
                prompts=summary.succeeded,
                measured_on="this machine" if cid in LOCAL_MODELS else "api",
            )
    return out
