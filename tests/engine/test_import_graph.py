"""personalize_local's modules import one another one way only: no import cycle, not even a hidden one.

A cycle held together by imports inside functions or under `if TYPE_CHECKING:` still couples every module on it
(none can be understood, tested or changed alone), so every import of a sibling module counts here, wherever it
sits. Edges are the imports a module writes: `from .x import y` imports `personalize_local.x`, `from . import x`
imports `personalize_local.x`, and importing a package imports its `__init__`. Python's implicit loading of a
module's parent packages is not an edge (a package's `__init__` re-exporting its own modules is not a cycle).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import personalize_local

PACKAGE = "personalize_local"
ROOT = Path(personalize_local.__file__).parent


def _modules() -> dict[str, Path]:
    """Dotted module name -> source file, for every module and package of personalize_local."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Sibling modules `name` imports anywhere in its source (module level, in functions, under TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:  # from . import x, from .pkg import module
                    found.add(submodule)
                elif source in modules:
                    found.add(source)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert len(graph) > 20
    assert "personalize_local.recipes" in graph["personalize_local.metrics"]  # a package means its __init__
    assert "personalize_local.recipes.base" in graph["personalize_local.recipes.ease"]  # relative, in a subpackage
    assert "personalize_local.errors" in graph["personalize_local.recipes.base"]  # two levels up
    assert "personalize_local.config" in graph["personalize_local.cli"]  # inside a function


def _tangles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that all reach one another (strongly connected components of more than one module)."""
    reach = {name: _reachable(graph, name) for name in graph}
    groups = {frozenset(m for m in reach[name] if name in reach[m]) | {name} for name in graph}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_no_import_cycle() -> None:
    graph = import_graph()
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        tangles = "; ".join(", ".join(group) for group in _tangles(graph))
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}\nmodules tied in cycles: {tangles}") from None
    assert order


def test_only_the_wiring_joins_responses_and_workers() -> None:
    """The backend imports neither layer above it; only wiring.py imports both the responses and the workers."""
    graph = import_graph()
    workers = {name for name in graph if name.startswith(f"{PACKAGE}.workers")}
    above_backend = {f"{PACKAGE}.responses", f"{PACKAGE}.wiring", f"{PACKAGE}.server", f"{PACKAGE}.protocol", *workers}
    for name, imported in graph.items():
        if name.startswith(f"{PACKAGE}.backend"):
            assert not imported & above_backend, f"{name} imports {sorted(imported & above_backend)}"
    joining = sorted(name for name, imported in graph.items()
                     if f"{PACKAGE}.responses" in imported and imported & workers)
    assert joining == [f"{PACKAGE}.wiring"]
