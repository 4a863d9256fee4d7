"""`python -m selector ...`: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 success, 1 a model call failed, 2 bad input (one line per problem, no traceback).
Each command's handler imports what it needs lazily so that, e.g., `recommend` never imports litellm.
"""

from __future__ import annotations

import argparse
import sys

from selector.errors import ModelCallError, SelectorError
from selector.logs import setup_logging


def cmd_catalog_validate(args: argparse.Namespace) -> int:
    from selector.catalogue import load_catalogue

    catalogue = load_catalogue(args.path)
    print(f"catalogue {catalogue.path}: {len(catalogue.models)} models, valid (as of {catalogue.as_of})")
    if catalogue.offers_path:
        count = sum(len(offers) for offers in catalogue.offers.values())
        print(f"offers {catalogue.offers_path}: {count} offers for {sum(1 for o in catalogue.offers.values() if o)} models, valid")
    return 0


def cmd_catalog_drift(args: argparse.Namespace) -> int:
    """Exit 0 when every difference with LiteLLM's map is accepted in drift.yaml, 1 otherwise."""
    import json

    from selector.catalogue import load_catalogue
    from selector.drift import check_drift, format_report

    catalogue = load_catalogue(args.catalogue, price_map=args.price_map)
    report = check_drift(catalogue, map_path=args.price_map, accepted_path=args.accepted)
    print(json.dumps(report.to_dict(), indent=2, default=str) if args.json else format_report(report))
    return 1 if report.failed else 0


def cmd_catalog_missing(args: argparse.Namespace) -> int:
    """Print nothing and exit 0 when no newer chat model of a catalogued maker is missing; else list them, exit 1."""
    from selector.catalogue import load_catalogue
    from selector.drift import find_missing
    from selector.offers import load_price_map

    catalogue = load_catalogue(args.catalogue, price_map=args.price_map)
    missing = find_missing(catalogue, load_price_map(args.price_map))
    for item in missing:
        print(f"{item.key}: {item.why}")
    return 1 if missing else 0


def _opened(history):
    """The history, after saying on stderr what opening it had to do (e.g. a damaged file moved aside)."""
    notice = getattr(history, "notice", None)
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    return history


def cmd_recommend(args: argparse.Namespace) -> int:
    """The ranking as the report's facts: its JSON dump, or its Markdown (no live runs)."""
    from selector.answers import load_answers
    from selector.catalogue import load_catalogue, unknown_id_message
    from selector.report import prepare_report, render
    from selector.scoring import first_pick, recommend

    if args.top < 1:
        raise SelectorError(f"--top must be >= 1 (got {args.top})")
    catalogue = load_catalogue(args.catalogue)
    answers = load_answers(args.answers, catalogue)
    if args.only:
        only = [model_id.strip() for model_id in args.only.split(",") if model_id.strip()]
        unknown = [model_id for model_id in only if model_id not in catalogue.by_id]
        if unknown or not only:
            lines = [f"--only: {unknown_id_message(model_id, catalogue.ids)}" for model_id in unknown]
            raise SelectorError("\n".join(lines) or "--only: list at least one catalogue id")
        answers = answers.model_copy(update={"allow": only})
    recommendation = recommend(catalogue, answers, top=args.top)
    if args.changes:
        from selector.sensitivity import find_changes

        recommendation.changes = find_changes(catalogue, answers, first_pick=first_pick)
    print(render(prepare_report(recommendation), args.format), end="")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import json

    from selector.formatting import call_metrics_line
    from selector.history import open_history
    from selector.live import CallSettings, compare
    from selector.live.servers import ensure_server

    settings = CallSettings(
        max_tokens=args.max_tokens, temperature=args.temperature, system=args.system, timeout_s=args.timeout,
    ).checked()
    a = _side_target(args.a, args.a_api_base, args.api_base)
    b = _side_target(args.b, args.b_api_base, args.api_base)
    for target in {t.local_alias for t in (a, b) if t.local_alias}:
        info = ensure_server(target)  # started before timing, and left running for the next command
        if info.started_here:
            print(f"note: started the local {target} server (pid {info.pid}); it keeps running for reuse: "
                  "stop it with `python -m selector local stop`", file=sys.stderr)
    history = None if args.no_history else _opened(open_history())
    result = compare(a, b, args.prompt, settings, history=history)
    from selector.scrub import scrub, scrub_value

    def say(*parts, **kwargs) -> None:  # every line printed passes the key scrubber
        print(*(scrub(str(p)) for p in parts), **kwargs)

    if args.json:
        print(json.dumps(scrub_value(result.to_dict()), indent=2))  # scrubbed before encoding: stays valid JSON
    else:
        for side, res in (("A", result.a), ("B", result.b)):
            say(f"== {side}: {res.model}")
            say(res.text if res.text else "(no text)")
            if res.error:
                say(f"error: {res.error}")
            say(f"-- {call_metrics_line(res)}")
            say()
        say(f"wall time {result.wall_s:.2f} s")
    if args.json:  # the text output already shows each side's error
        for side, res in (("a", result.a), ("b", result.b)):
            if res.error:
                say(f"error: side {side} ({res.model}): {res.error}", file=sys.stderr)
    if result.history_error:
        say(f"note: {result.history_error}", file=sys.stderr)
    return 1 if result.failed else 0


def _side_target(spec: str, own_base: str | None, shared_base: str | None):
    """One side's target: its own --X-api-base, else the shared --api-base unless the spec already names a
    catalogue or bundled model (which must keep its own provider or local server)."""
    from selector.live import resolve_model

    if own_base or not shared_base:
        return resolve_model(spec, api_base=own_base)
    try:
        known = resolve_model(spec)
    except SelectorError:
        known = None
    if known is not None and (known.local_alias or known.catalogue_id):
        return known
    return resolve_model(spec, api_base=shared_base)


def _bench_preflight(args: argparse.Namespace, rows, targets, settings, judge):
    """The spending cap and the run's cost estimate, said on the terminal unless --json."""
    from selector.catalogue import load_catalogue
    from selector.preflight import check_cap, preflight

    cap = check_cap(args.max_cost)
    estimate = preflight([r.prompt for r in rows], targets, settings.max_tokens, load_catalogue(),
                         concurrency=args.concurrency, judge=judge,
                         judged_rows=[r.index for r in rows if r.check == "judge"] if judge else ())
    if not args.json:
        print(estimate.summary())
        for note in estimate.notes:
            print(f"note: {note}", file=sys.stderr)
        if cap is not None and (estimate.cost_usd is None or estimate.cost_usd > cap):
            print(f"note: the estimate is above the spending cap of ${cap:.4f}: the run stops at the cap", file=sys.stderr)
    return cap, estimate


def _print_bench_summary(run, rows, targets, traffic) -> None:
    """Each model's latency, cost and quality, then the paired comparisons, as lines of text."""
    from selector import benchmark
    from selector.formatting import known as fmt

    print(f"{len(rows)} prompts x {len(targets)} models, {run.status} in {run.wall_s:.1f} s"
          + (f" (history run {run.run_id})" if run.run_id else ""))
    for s in run.summaries(traffic):
        quality = "no expected answers" if s.quality is None else f"{s.quality:.0%} ({s.passed}/{s.checked})"
        print(f"== {s.label}: {s.succeeded}/{s.rows} succeeded; latency p50 {fmt(s.latency_p50_s, '.2f', ' s')}, "
              f"p95 {fmt(s.latency_p95_s, '.2f', ' s')}; TTFT p50 {fmt(s.ttft_p50_s, '.2f', ' s')}, "
              f"p95 {fmt(s.ttft_p95_s, '.2f', ' s')}; {fmt(s.output_tokens_mean, '.1f')} output tokens; "
              f"cost/request {fmt(s.cost_per_request_usd, '.6f')}"
              + (f"; monthly {fmt(s.monthly_cost_usd, ',.2f')}" if traffic else "") + f"; quality {quality}")
    print(f"percentiles: {benchmark.PERCENTILE_METHOD}")
    for comparison in run.paired_comparisons():
        print(f"-- {comparison.metric}, {comparison.test}: {comparison.verdict}")
    if run.stop_reason:
        print(run.stop_reason)


def cmd_bench_prompts(args: argparse.Namespace) -> int:
    """Exit 0 when every model answered at least one prompt (failed rows are counted in its success
    rate), 1 when every call of some model failed, 2 for bad input (nothing is run)."""
    import json

    from selector import benchmark
    from selector.history import open_history
    from selector.live import CallSettings

    rows = benchmark.load_prompts_file(args.prompts)
    targets = benchmark.check_models(args.models.split(","))
    settings = CallSettings(max_tokens=args.max_tokens, temperature=args.temperature, timeout_s=args.timeout).checked()
    judge = None
    if args.judge:
        from selector.live import resolve_model

        judge = resolve_model(args.judge)
    elif any(r.check == "judge" for r in rows):
        print("note: rows with check 'judge' stay unchecked without --judge MODEL", file=sys.stderr)
    history = None if args.no_history else _opened(open_history())
    traffic = None
    if args.answers:
        from selector.answers import load_answers

        traffic = load_answers(args.answers).traffic
    cap, estimate = _bench_preflight(args, rows, targets, settings, judge)
    run = benchmark.run_benchmark(rows, targets, settings, concurrency=args.concurrency, history=history,
                                  judge=judge, source=args.prompts, max_cost_usd=cap, preflight=estimate)
    if args.json:
        print(json.dumps(run.to_dict(traffic) | {"preflight": estimate.to_dict(), "max_cost_usd": cap}, indent=2))
    else:
        _print_bench_summary(run, rows, targets, traffic)
    failed = run.every_call_failed()
    for model in failed:
        first = next(r.error for r in run.results if r.model == model and r.error)
        print(f"error: every call to {model} failed; first error: {first}", file=sys.stderr)
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from selector.answers import load_answers
    from selector.catalogue import load_catalogue
    from selector.report import load_runs, prepare_report, render, to_html, write_pdf
    from selector.scoring import recommend

    catalogue = load_catalogue(args.catalogue)
    answers = load_answers(args.answers, catalogue)
    runs = []
    if args.runs.strip().lower() not in ("", "none"):
        from selector.history import open_history

        runs = load_runs(_opened(open_history()), args.runs)
    from selector.scoring import first_pick
    from selector.sensitivity import find_changes

    recommendation = recommend(catalogue, answers, top=args.top)
    recommendation.changes = find_changes(catalogue, answers, first_pick=first_pick)
    report = prepare_report(recommendation, runs)
    text = render(report, args.format)
    out = Path(args.out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SelectorError(f"--out {out}: cannot write the report ({exc.strerror})") from None
    print(f"report written to {out} ({len(text.encode('utf-8')) / 1e6:.2f} MB, {args.format})")
    if args.pdf is not None:
        pdf = Path(args.pdf) if args.pdf else out.with_suffix(".pdf")
        html = text if args.format == "html" else to_html(report)
        if write_pdf(html, pdf):
            print(f"PDF written to {pdf}")
        else:
            print("PDF not written: no chromium found (install chromium or set SELECTOR_CHROMIUM); "
                  "the other formats do not need it", file=sys.stderr)
    return 0


def cmd_local(args: argparse.Namespace) -> int:
    import json

    from selector.live import servers as local

    if args.model is not None:
        local.get_local_model(args.model)  # an unknown name is bad input, named before anything runs
    aliases = [args.model] if args.model else list(local.LOCAL_MODELS)
    if args.port is not None and not 1 <= args.port <= 65535:
        raise SelectorError(f"--port must be a TCP port between 1 and 65535 (got {args.port})")
    if args.port is not None and len(aliases) != 1:
        raise SelectorError("--port needs --model: each model runs on its own port")
    if args.action == "serve":
        for alias in aliases:
            info = local.ensure_server(alias, port=args.port)
            if info.note:
                print(f"note: {info.note}", file=sys.stderr)
            how = "started" if info.started_here else "already running"
            print(f"{alias}: {how}, pid {info.pid}, {info.base_url} (log {info.log_path})")
        return 0
    if args.action == "stop":
        for alias in aliases:
            print(f"{alias}: {'stopped' if local.stop_server(alias) else 'was not running'}")
        return 0
    rows = [r for r in local.server_status() if r["model"] in aliases]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            state = f"running, pid {r['pid']}, {r['base_url']}" if r["running"] else "stopped"
            health = "" if not r["running"] else (", healthy" if r["healthy"] else ", NOT answering")
            print(f"{r['model']}: {state}{health}")
    return 0


def _add_catalog(sub) -> None:
    catalog = sub.add_parser("catalog", help="check the model catalogue")
    catalog_sub = catalog.add_subparsers(dest="action", required=True)
    validate = catalog_sub.add_parser("validate", help="validate a catalogue file (default data/models.yaml)")
    validate.add_argument("path", nargs="?", default=None)
    validate.set_defaults(handler=cmd_catalog_validate)
    drift = catalog_sub.add_parser(
        "drift", help="compare the catalogue and its offers with LiteLLM's bundled map",
        description="Exit codes: 0 every difference is accepted in drift.yaml; 1 some difference is not; 2 bad input.",
    )
    drift.add_argument("--catalogue", default=None)
    drift.add_argument("--json", action="store_true")
    drift.add_argument("--price-map", default=None, help="a LiteLLM-format JSON map (default: the installed litellm's)")
    drift.add_argument("--accepted", default=None, help="accepted differences (default: drift.yaml next to the catalogue)")
    drift.set_defaults(handler=cmd_catalog_drift)
    missing = catalog_sub.add_parser(
        "missing", help="list chat models of catalogued makers newer than the catalogue's",
        description="Exit codes: 0 none missing (prints nothing); 1 some are listed, one per line; 2 bad input.",
    )
    missing.add_argument("--catalogue", default=None)
    missing.add_argument("--price-map", default=None, help="a LiteLLM-format JSON map (default: the installed litellm's)")
    missing.set_defaults(handler=cmd_catalog_missing)


def _add_recommend(sub) -> None:
    recommend = sub.add_parser("recommend", help="rank models for a questionnaire's answers")
    recommend.add_argument("--answers", required=True, help="YAML or JSON file of answers")
    recommend.add_argument("--catalogue", default=None)
    recommend.add_argument("--only", default=None, help="comma-separated catalogue ids to choose among")
    recommend.add_argument("--top", type=int, default=3)
    recommend.add_argument("--format", choices=["json", "md"], default="md",
                           help="json: the report's facts (the same shape as `report --format json`); md: the report")
    recommend.add_argument("--changes", action="store_true",
                           help="also work out what would change the answer (about 80 more rankings, ~0.3 s)")
    recommend.set_defaults(handler=cmd_recommend)


def _add_compare(sub) -> None:
    compare = sub.add_parser("compare", help="run one prompt on two models side by side")
    compare.add_argument("--a", required=True, help="catalogue id or LiteLLM model string")
    compare.add_argument("--b", required=True)
    compare.add_argument("--prompt", required=True)
    compare.add_argument("--system", default=None)
    compare.add_argument("--max-tokens", type=int, default=256)
    compare.add_argument("--temperature", type=float, default=0.7)
    compare.add_argument(
        "--api-base", default=None,
        help="base URL of an OpenAI-compatible server, for each side that is not a catalogue or bundled model",
    )
    compare.add_argument("--json", action="store_true")
    compare.add_argument("--a-api-base", default=None, help="base URL for model A only")
    compare.add_argument("--b-api-base", default=None, help="base URL for model B only")
    compare.add_argument("--timeout", type=float, default=120.0, help="seconds per side (default 120)")
    compare.add_argument("--no-history", action="store_true", help="do not record this run in the history")
    compare.set_defaults(handler=cmd_compare)


def _add_bench_prompts(sub) -> None:
    bench = sub.add_parser(
        "bench-prompts", help="run a CSV/JSONL prompt file on 2-6 models and summarise latency, cost and quality",
        description="Exit codes: 0 every model answered at least one prompt; 1 every call of some model failed; "
                    "2 bad input (nothing run).",
    )
    bench.add_argument("--prompts", required=True, help="CSV or JSONL with a 'prompt' column (optional expected, check)")
    bench.add_argument("--models", required=True, help="2-6 comma-separated models (catalogue ids, local models, LiteLLM strings)")
    bench.add_argument("--concurrency", type=int, default=2, help="calls in flight at once (default 2)")
    bench.add_argument("--max-tokens", type=int, default=128)
    bench.add_argument("--temperature", type=float, default=0.0)
    bench.add_argument("--timeout", type=float, default=120.0, help="seconds per call (default 120)")
    bench.add_argument("--judge", default=None, help="model that grades rows whose check is 'judge'")
    bench.add_argument("--answers", default=None, help="questionnaire file: project monthly cost at its traffic")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--no-history", action="store_true", help="do not record this run in the history")
    bench.add_argument("--max-cost", type=float, default=None, metavar="USD",
                       help="spending cap: no call starts that could take the run past it; finished rows are kept")
    bench.set_defaults(handler=cmd_bench_prompts)


def _add_report(sub) -> None:
    report = sub.add_parser("report", help="write a recommendation report")
    report.add_argument("--answers", required=True)
    report.add_argument("--format", choices=["html", "md", "json"], required=True)
    report.add_argument("--out", required=True)
    report.add_argument("--catalogue", default=None)
    report.add_argument("--runs", default="none", help="live runs to include: all, none (default) or ids like 3,5")
    report.add_argument("--top", type=int, default=3, help="how many ranked picks (default 3)")
    report.add_argument("--pdf", nargs="?", const="", default=None, metavar="PATH",
                        help="also print the HTML report to PDF with chromium (default path: --out with .pdf)")
    report.set_defaults(handler=cmd_report)


def _add_local(sub) -> None:
    local = sub.add_parser("local", help="the bundled local models")
    local.add_argument("action", choices=["serve", "status", "stop"])
    local.add_argument("--model", default=None, help="one bundled model (default: both)")
    local.add_argument("--port", type=int, default=None, help="port for `serve` (with --model)")
    local.add_argument("--json", action="store_true", help="`status` as JSON")
    local.set_defaults(handler=cmd_local)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m selector", description="Choose a large language model.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_catalog, _add_recommend, _add_compare, _add_bench_prompts, _add_report, _add_local):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ModelCallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SelectorError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
