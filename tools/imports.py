"""The product's import graph, read from the source with `ast`: its modules, the imports between them, the
cycles and how many floors the imports stack on. `tests/test_layers.py` holds the floors with it;
`python tools/imports.py` prints the counts quoted in notes."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pipelines", "alerts", "ui", "pages")
SCRIPTS = ("app.py", "api.py")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every product module by its dotted name (a package by its own name), with its file."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    for script in SCRIPTS:
        if (root / script).exists():
            found[script[:-3]] = root / script
    return found


def imported_names(path: Path) -> set[str]:
    """Every dotted name a file imports, wherever the import stands (inside functions too): `from a import b`
    gives both `a` and `a.b`, since b may be a module or a name defined in a."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def edges(root: Path = ROOT) -> dict[str, set[str]]:
    """For each product module, the product modules it imports (packages whose `__init__` a module merely
    passes through are not counted; a name imported from a module counts as that module)."""
    found = modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        targets: set[str] = set()
        for imported in imported_names(path):
            if imported in found:
                targets.add(imported)
        # `from a import b` where b is a module: the edge is to a.b, not to the package a.
        for target in list(targets):
            if any(other.startswith(target + ".") for other in targets) and _is_package(found[target]):
                targets.discard(target)
        targets.discard(name)
        graph[name] = targets
    return graph


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan's components of
    more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def floors(graph: dict[str, set[str]]) -> int:
    """How many floors the imports stack on: the modules of the longest chain of imports, a cycle counted as
    one module."""
    component = {m: m for m in graph}
    for group in cycles(graph):
        for member in group:
            component[member] = group[0]
    height: dict[str, int] = {}

    def up(node: str, seen: frozenset[str]) -> int:
        if node in height:
            return height[node]
        below = [component[t] for m in graph if component[m] == node for t in graph[m] if component[t] != node]
        value = 1 + max((up(b, seen | {node}) for b in below if b not in seen), default=0)
        height[node] = value
        return value

    return max((up(component[m], frozenset()) for m in graph), default=0)


def summary(root: Path = ROOT) -> dict[str, int]:
    """The counts a note quotes: modules directly in pipelines/, all product modules, import edges, floors and
    cycles."""
    graph = edges(root)
    top = [p for p in (root / "pipelines").glob("*.py") if p.name != "__init__.py"]
    return {"pipelines_top_level_modules": len(top), "modules": len(graph),
            "import_edges": sum(len(t) for t in graph.values()), "floors": floors(graph),
            "cycles": len(cycles(graph))}


if __name__ == "__main__":
    for key, value in summary().items():
        print(f"{key}: {value}")
    for group in cycles(edges()):
        print("cycle:", " ".join(group))
