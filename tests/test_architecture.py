"""The architecture's rules, checked over the source (no import of the code, well under a second):
no import cycle in selector/, selector/ free of streamlit and pages, no hand-escaped HTML, short functions
and page scripts, no test hooks in production signatures, every broad exception handler logs or re-raises."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SELECTOR = ROOT / "selector"
PAGES = ROOT / "pages"
MAX_FUNCTION_LINES = 60  # def line to last line
MAX_PAGE_LINES = 150
# HTML escaped by hand: esc(, _esc(, html_esc(, html.escape(, markupsafe.escape( -- not .desc() or re.escape(
ESC_CALL = re.compile(r"(?<![A-Za-z.])esc\(|\b(?:html|markupsafe|Markup)\.escape\(")
TEST_HOOK_PARAMS = {"mock_response", "mock_responses", "mock_judge"}
BROAD = {"Exception", "BaseException"}
LOGGER_NAMES = re.compile(r"^_?(log|logger|LOG|LOGGER|logging)$")
LOG_LEVELS = {"debug", "info", "warning", "warn", "error", "critical", "log", "exception"}


@dataclass(frozen=True)
class Source:
    path: Path
    module: str  # dotted name, e.g. selector.live.errors
    tree: ast.Module

    @property
    def where(self) -> str:
        return str(self.path.relative_to(ROOT))

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def sources(folder: Path) -> tuple[Source, ...]:
    return tuple(Source(path, module_name(path), ast.parse(path.read_text(encoding="utf-8"), str(path)))
                 for path in sorted(folder.rglob("*.py")))


def at(source: Source, node: ast.AST) -> str:
    return f"{source.where}:{node.lineno}"


def by_place(offenders: list[str]) -> list[str]:
    """Sorted by file, then line number ("selector/x.py:12 ..." before "selector/x.py:101 ...")."""
    def key(text: str) -> tuple[str, int, str]:
        path, _, rest = text.partition(":")
        line = re.match(r"\d+", rest)
        return path, int(line.group()) if line else 0, rest
    return sorted(set(offenders), key=key)


# --- imports -------------------------------------------------------------------------------------


def type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes inside `if TYPE_CHECKING:` blocks (never run, so they make no cycle)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    return skipped


def imports(source: Source) -> list[tuple[str, list[str], ast.AST]]:
    """Every import a source makes, at any level (module top, functions, methods): (module, names, node).

    `import a.b` gives ("a.b", []); `from a import b, c` gives ("a", ["b", "c"]); relative imports are
    resolved against the source's package.
    """
    skipped = type_checking_only(source.tree)
    found = []
    for node in ast.walk(source.tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the source's package, up level - 1
                package = source.module.split(".") if source.is_package else source.module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            found.append((base, [alias.name for alias in node.names], node))
    return found


def import_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """Module -> the selector modules it imports; and where each edge's import is written.

    `from a import b` is an edge to a.b when b is a module, else to a (whose code defines or re-exports b).
    """
    known = {source.module for source in sources(SELECTOR)}
    graph: dict[str, set[str]] = {module: set() for module in known}
    where: dict[tuple[str, str], str] = {}
    for source in sources(SELECTOR):
        for base, names, node in imports(source):
            targets = {f"{base}.{name}" if f"{base}.{name}" in known else base for name in names} or {base}
            for target in targets & known - {source.module}:
                graph[source.module].add(target)
                where.setdefault((source.module, target), at(source, node))
    return graph, where


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), as a path a -> ... -> a."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, component) for component in components]


def _path_through(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest cycle from the component's first module back to itself, inside the component."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return component


def test_the_cycle_finder_finds_a_cycle_and_names_it():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_selector_modules():
    graph, where = import_graph()
    assert graph["selector.cli"], "the graph is empty: the import reader is broken"
    found = cycles(graph)
    described = [" -> ".join(cycle) + "\n      " + "; ".join(f"{a} -> {b} at {where[a, b]}"
                 for a, b in zip(cycle, cycle[1:])) for cycle in found]
    assert not found, "import cycles in selector/:\n  " + "\n  ".join(described)


def test_selector_never_imports_streamlit_or_pages():
    offenders = [f"{at(source, node)} imports {base}" for source in sources(SELECTOR)
                 for base, _, node in imports(source) if base.split(".")[0] in ("streamlit", "pages")]
    assert not offenders, "selector/ must not depend on the UI:\n  " + "\n  ".join(by_place(offenders))


# --- code shape ----------------------------------------------------------------------------------


def test_no_hand_escaped_html_in_selector():
    """HTML is escaped by the template engine (autoescape), never by a call someone has to remember."""
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                 for path in sorted(SELECTOR.rglob("*")) if path.is_file() and path.suffix != ".pyc"
                 for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                 if ESC_CALL.search(line)]
    assert not offenders, "esc( calls in selector/:\n  " + "\n  ".join(offenders)


def functions(source: Source):
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_function_in_selector_is_longer_than_60_lines():
    long = [f"{at(source, node)} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for source in sources(SELECTOR) for node in functions(source)
            if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines in selector/:\n  " + "\n  ".join(by_place(long))


def test_no_page_script_is_longer_than_150_lines():
    long = {path.name: n for path in sorted(PAGES.glob("*.py")) if not path.name.startswith("_")
            and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_PAGE_LINES}
    assert not long, f"page scripts over {MAX_PAGE_LINES} lines (move the logic into selector/ or a helper): {long}"


def test_no_production_signature_takes_a_test_hook():
    """Tests inject one fake caller through the live seam, not a mock_response argument in every signature."""
    offenders = []
    for source in sources(SELECTOR):
        for node in ast.walk(source.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
                offenders += [f"{at(source, node)} {getattr(node, 'name', 'lambda')}({name})"
                              for name in sorted(names & TEST_HOOK_PARAMS)]
    assert not offenders, "test hooks in production signatures:\n  " + "\n  ".join(by_place(offenders))


# --- broad exception handlers ---------------------------------------------------------------------


def is_broad(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(ast.unparse(kind).split(".")[-1] in BROAD for kind in kinds)


def logs_traceback(call: ast.Call) -> bool:
    """log.exception(...), or any level of a logger with exc_info=... or with the scrubbed traceback as an
    argument (selector.live.errors.scrubbed_traceback: the traceback as text with every key removed)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in LOG_LEVELS):
        return False
    receiver = func.value
    if isinstance(receiver, ast.Call):  # logging.getLogger(__name__).exception(...)
        receiver = receiver.func.value if isinstance(receiver.func, ast.Attribute) else receiver.func
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    scrubbed = any(isinstance(node, ast.Call) and getattr(node.func, "id", "") == "scrubbed_traceback"
                   for arg in call.args for node in ast.walk(arg))
    with_traceback = any(k.arg == "exc_info" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                         for k in call.keywords)  # exc_info=False or None logs no traceback
    return bool(LOGGER_NAMES.match(name)) and (func.attr == "exception" or scrubbed or with_traceback)


def _walk_here(node: ast.AST):
    """ast.walk without entering nested functions and classes (their raise is not this handler's)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
        return
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _walk_here(child)


def handles_properly(handler: ast.ExceptHandler) -> bool:
    inside = [node for stmt in handler.body for node in _walk_here(stmt)]
    return any(isinstance(node, ast.Raise) or (isinstance(node, ast.Call) and logs_traceback(node)) for node in inside)


def test_the_handler_check_tells_logged_from_swallowed():
    def handler(code: str) -> ast.ExceptHandler:
        return ast.parse(f"try:\n    pass\n{code}").body[0].handlers[0]

    assert handles_properly(handler("except Exception:\n    log.exception('x')"))
    assert handles_properly(handler("except Exception as e:\n    logger.warning('x', exc_info=True)"))
    assert handles_properly(handler("except BaseException:\n    cleanup()\n    raise"))
    assert handles_properly(handler("except Exception as e:\n    raise SelectorError(str(e)) from e"))
    assert handles_properly(handler("except Exception as e:\n    log.error('x\\n%s', scrubbed_traceback(e, keys))"))
    assert not handles_properly(handler("except Exception:\n    pass"))
    assert not handles_properly(handler("except Exception:\n    log.warning('x', exc_info=False)"))
    assert not handles_properly(handler("except Exception:\n    def later():\n        raise\n    later"))
    assert not handles_properly(handler("except Exception as e:\n    log.warning('x %s', e)"))
    assert not handles_properly(handler("except Exception as e:\n    print(e)"))
    assert is_broad(handler("except:\n    pass")) and is_broad(handler("except (ValueError, Exception):\n    pass"))
    assert not is_broad(handler("except ValueError:\n    pass"))


def test_every_broad_exception_handler_logs_its_traceback_or_reraises():
    offenders = [f"{at(source, node)} except {ast.unparse(node.type) if node.type else ''}".rstrip()
                 for folder in (SELECTOR, PAGES) for source in sources(folder) for node in ast.walk(source.tree)
                 if isinstance(node, ast.ExceptHandler) and is_broad(node) and not handles_properly(node)]
    assert not offenders, ("broad except without log.exception(...) / exc_info=... or a raise "
                           "(a swallowed error leaves no trace):\n  " + "\n  ".join(by_place(offenders)))
