"""The layers import one way and no modules import each other in a circle.

swedish/ ← index/ ← ingest/, search/ ← bench/ ← api/ (web/ speaks only HTTP). Every import
of every module counts, also those inside functions and under TYPE_CHECKING: a circle there
still ties the modules together. Run alone: `pytest tests/api/test_layers.py`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import ROOT

RANK = {"swedish": 0, "index": 1, "ingest": 2, "search": 2, "bench": 3, "api": 4, "web": 5}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Each project module -> the project modules it imports."""
    modules = {_module_name(p): p for package in RANK for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                # `from . import keeper` imports the module keeper, not the package's names
                targets = [m for m in submodules if m in modules] or [base]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
        graph[name] = found
    return graph


def test_imports_run_one_way():
    against = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        for target in targets
        if (a := module.split(".")[0]) != (b := target.split(".")[0]) and RANK[b] >= RANK[a]
    )
    assert against == []


def test_no_import_circles():
    graph = _imports()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert circles == []
