"""Reading the project's input files (catalogue, answers) with one-line errors that name the file.

Every read is bounded: the size is checked before reading, and only regular files are read (a named
pipe would block forever and /dev/zero would fill memory). YAML and JSON refuse duplicate keys, and
messages quote at most a short prefix of a value (`shorten`).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml

from selector.errors import SelectorError

# libyaml's loader parses the catalogue about 10x faster than the pure-Python one (same safety).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The real catalogue is about 0.5 MB; 10 MB leaves room to grow and parses in a few seconds.
MAX_FILE_BYTES = 10_000_000
SHOWN_CHARS = 40  # how much of a rejected value an error message quotes


def shorten(value: object, limit: int = SHOWN_CHARS) -> str:
    """repr(value), cut to about `limit` characters with the full length said, for error messages."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else f"{text[:limit]}... ({len(text):,} characters)"


def check_file(path: Path, label: str, error: type[SelectorError], max_bytes: int = MAX_FILE_BYTES) -> int:
    """The file's size in bytes; `error` when it is missing, not a regular file, empty or over `max_bytes`."""
    try:
        info = path.stat()  # follows symlinks: a link to a regular file is fine
    except FileNotFoundError:
        raise error(f"{label}: file not found") from None
    except OSError as exc:
        raise error(f"{label}: cannot read the file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, socket or device)"
        raise error(f"{label}: is {kind}; give a regular file")
    if info.st_size == 0:
        raise error(f"{label}: the file is empty")
    if info.st_size > max_bytes:
        raise error(f"{label}: the file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit")
    return info.st_size


def read_text(path: Path, label: str, error: type[SelectorError], max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's UTF-8 text; `error` names `label` (e.g. "catalogue data/models.yaml") when it cannot be read.

    Refused before reading: a missing file, anything but a regular file, an empty file, one over `max_bytes`.
    """
    check_file(path, label, error, max_bytes)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise error(f"{label}: cannot read the file ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise error(f"{label}: the file is over the {max_bytes:,}-byte limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{label}: not UTF-8 text (byte {exc.start:,})") from None
    if not text.strip():
        raise error(f"{label}: the file is empty")
    return text


class _StrictLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that refuses a key given twice in one mapping (YAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):  # noqa: ANN001, ANN201 - PyYAML's signature
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: SafeConstructor reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {shorten(key)}", key_node.start_mark
                    )
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, label: str, error: type[SelectorError]) -> object:
    """Safely parsed YAML; malformed YAML or a duplicate key raises `error` with the line and column."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except RecursionError:
        raise error(f"{label}: malformed YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{label}: malformed YAML{where}: {problem[:200]}") from None
    if data is None:
        raise error(f"{label}: the file holds no data (only comments or blank lines)")
    return data


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(text: str, label: str, error: type[SelectorError]) -> object:
    """Parsed JSON that refuses duplicate keys and NaN/Infinity (which are not JSON)."""
    def pairs(items: list[tuple[str, object]]) -> dict:
        result: dict = {}
        for key, value in items:
            if key in result:
                raise ValueError(f"duplicate key {shorten(key)}")
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{label}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise error(f"{label}: malformed JSON: {str(exc)[:200]}") from None
