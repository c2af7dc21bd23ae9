"""Imports inside `limkit.grade` point one way: no module imports a module that imports it back.

Read from the source with `ast`, so every import counts: top-level, inside functions, and under
`if TYPE_CHECKING:` (a type-only cycle is still a cycle for a reader and for mypy).
"""

from __future__ import annotations

import ast
from pathlib import Path

import limkit.grade

PACKAGE = "limkit.grade"
ROOT = Path(limkit.grade.__file__).parent


def _module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


def _imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The package modules a module's source imports (`from limkit.grade import _sympy` names a module)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in known:
                found.add(node.module)
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    found.add(f"{node.module}.{alias.name}")
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    paths = sorted(root.glob("*.py"))
    known = {_module_name(path) for path in paths}
    graph = {}
    for path in paths:
        name = _module_name(path)
        graph[name] = _imported(ast.parse(path.read_text(encoding="utf-8")), known) - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, each as the path from a module back to itself (depth-first, small graphs)."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                if frozenset(path) not in seen:
                    seen.add(frozenset(path))
                    found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return found


def test_the_package_has_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 15 and "limkit.grade._match" in graph["limkit.grade._engine"]
    # The package's lazy `__getattr__` loads submodules by name, never through an import statement; a
    # submodule that imports `limkit.grade` itself would close a cycle through its TYPE_CHECKING imports.
    assert cycles(graph) == []


def test_the_cycle_finder_sees_a_two_module_cycle(tmp_path: Path) -> None:
    (tmp_path / "_a.py").write_text("from limkit.grade._b import thing\n", encoding="utf-8")
    (tmp_path / "_b.py").write_text("def f():\n    from limkit.grade import _a\n", encoding="utf-8")
    (tmp_path / "_c.py").write_text("from limkit.grade._a import x\n", encoding="utf-8")
    assert cycles(import_graph(tmp_path)) == [["limkit.grade._a", "limkit.grade._b", "limkit.grade._a"]]
