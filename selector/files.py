"""Reading the project's YAML files (catalogue, answers) with one-line errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from selector.errors import SelectorError

# libyaml's loader parses the catalogue about 10x faster than the pure-Python one (same safety).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, label: str, error: type[SelectorError]) -> str:
    """The file's UTF-8 text; `error` names `label` (e.g. "catalogue data/models.yaml") when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{label}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{label}: cannot read the file ({exc})") from None


def parse_yaml(text: str, label: str, error: type[SelectorError]) -> object:
    """Safely parsed YAML; malformed YAML raises `error` with the line and column."""
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{label}: malformed YAML{where}: {problem}") from None
