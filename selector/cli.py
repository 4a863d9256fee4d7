"""`python -m selector ...`: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 success, 1 a model call failed, 2 bad input (one line per problem, no traceback).
Each command's handler imports what it needs lazily so that, e.g., `recommend` never imports litellm.
"""

from __future__ import annotations

import argparse
import sys

from selector.errors import ModelCallError, SelectorError


def cmd_catalog_validate(args: argparse.Namespace) -> int:
    from selector.catalogue import load_catalogue

    catalogue = load_catalogue(args.path)
    print(f"catalogue {catalogue.path}: {len(catalogue.models)} models, valid (as of {catalogue.as_of})")
    return 0


def cmd_catalog_drift(args: argparse.Namespace) -> int:
    raise SelectorError("catalog drift is not built yet")


def cmd_recommend(args: argparse.Namespace) -> int:
    raise SelectorError("recommend is not built yet")


def cmd_compare(args: argparse.Namespace) -> int:
    raise SelectorError("compare is not built yet")


def cmd_report(args: argparse.Namespace) -> int:
    raise SelectorError("report is not built yet")


def cmd_local(args: argparse.Namespace) -> int:
    raise SelectorError("local is not built yet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m selector", description="Choose a large language model.")
    sub = parser.add_subparsers(dest="command", required=True)

    catalog = sub.add_parser("catalog", help="check the model catalogue")
    catalog_sub = catalog.add_subparsers(dest="action", required=True)
    validate = catalog_sub.add_parser("validate", help="validate a catalogue file (default data/models.yaml)")
    validate.add_argument("path", nargs="?", default=None)
    validate.set_defaults(handler=cmd_catalog_validate)
    drift = catalog_sub.add_parser("drift", help="compare prices and context windows with LiteLLM's bundled map")
    drift.add_argument("--catalogue", default=None)
    drift.add_argument("--json", action="store_true")
    drift.set_defaults(handler=cmd_catalog_drift)

    recommend = sub.add_parser("recommend", help="rank models for a questionnaire's answers")
    recommend.add_argument("--answers", required=True, help="YAML or JSON file of answers")
    recommend.add_argument("--catalogue", default=None)
    recommend.add_argument("--only", default=None, help="comma-separated catalogue ids to choose among")
    recommend.add_argument("--top", type=int, default=3)
    recommend.add_argument("--format", choices=["json", "md"], default="md")
    recommend.set_defaults(handler=cmd_recommend)

    compare = sub.add_parser("compare", help="run one prompt on two models side by side")
    compare.add_argument("--a", required=True, help="catalogue id or LiteLLM model string")
    compare.add_argument("--b", required=True)
    compare.add_argument("--prompt", required=True)
    compare.add_argument("--system", default=None)
    compare.add_argument("--max-tokens", type=int, default=256)
    compare.add_argument("--temperature", type=float, default=0.7)
    compare.add_argument("--api-base", default=None, help="base URL of an OpenAI-compatible server")
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(handler=cmd_compare)

    report = sub.add_parser("report", help="write a recommendation report")
    report.add_argument("--answers", required=True)
    report.add_argument("--format", choices=["html", "md", "json"], required=True)
    report.add_argument("--out", required=True)
    report.add_argument("--catalogue", default=None)
    report.set_defaults(handler=cmd_report)

    local = sub.add_parser("local", help="the bundled local models")
    local.add_argument("action", choices=["serve", "status", "stop"])
    local.set_defaults(handler=cmd_local)
    return parser


def main(argv: list[str] | None = None) -> int:
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
