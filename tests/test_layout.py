"""The layout: imports between the packages of policyc only go one way (no cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "policyc"


def _unit(module: str) -> str:
    """The package (`policyc.semantics`) or top-level module (`policyc.pipeline`) of a module."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _module_level(tree: ast.AST) -> list[ast.AST]:
    """The statements run when a module is imported: not those inside functions (a lazy
    import, such as `policyc.diff(...)` calling `policyc.api`, is not a load-time cycle)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                todo.append(child)
    return out


def import_graph() -> dict[str, set[str]]:
    """Package -> the packages its modules import when they are loaded."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = _module_of(path)
        unit = _unit(module)
        graph.setdefault(unit, set())
        for node in _module_level(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "policyc":
                    names = [f"policyc.{a.name}" for a in node.names]
            for name in names:
                if name.startswith("policyc.") and _unit(name) != unit:
                    graph[unit].add(_unit(name))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_no_import_cycle_between_packages() -> None:
    graph = import_graph()
    assert "policyc.ir" in graph and "policyc.runtime" in graph
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_runtime_does_not_import_a_backend() -> None:
    assert "policyc.backend" not in import_graph()["policyc.runtime"]
