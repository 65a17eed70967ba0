"""Imports point one way: no module-level import cycle between the modules issue 10 named, nor anywhere in them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "classifiers", "notifiers")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path, known: set[str], lazy: bool = False) -> set[str]:
    """The project modules a file imports at module level (with `lazy`, inside functions too)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree) if lazy else tree.body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known]
            # `from pkg import submodule` loads the submodule; `from pkg import name` the package
            names = submodules if len(submodules) == len(node.names) else [node.module, *submodules]
        found |= {n for n in names if n in known}
    return found


def graph(lazy: bool = False) -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts]
    known = {module_name(p) for p in files}
    return {module_name(p): top_level_imports(p, known, lazy) - {module_name(p)} for p in files}


def reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        here = todo.pop()
        if here == goal:
            return True
        if here not in seen:
            seen.add(here)
            todo += edges.get(here, ())
    return False


def test_the_two_named_cycles_are_broken():
    edges = graph(lazy=True)  # a lazy import inside a function hides a cycle; it does not break it
    assert not (reaches(edges, "classifiers.companies", "classifiers.countries")
                and reaches(edges, "classifiers.countries", "classifiers.companies"))
    commands = [m for m in edges if m.startswith("monitor.commands")]
    assert not any(reaches(edges, m, "monitor.cli") for m in commands)


def test_no_module_imports_itself_back():
    edges = graph()
    cycles = sorted(m for m in edges for d in edges[m] if d != m and not d.startswith(m + ".") and reaches(edges, d, m)
                    and not m.startswith(d + "."))
    assert not cycles, f"module-level import cycles through: {cycles}"
