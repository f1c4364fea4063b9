"""House rules of the package's layering: no import cycle among module-level imports, and
the pure leaves (landing parsers, the face library) never import upward."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Bottom-of-the-graph declarations any layer may use.
FOUNDATION = {"ingest.feeds", "ingest.schedule", "ingest.errors", "ingest.config"}
LEAVES = ("ingest.landing", "ingest.face")


def _modules() -> dict[str, tuple[set[str], set[str]]]:
    """module -> (ingest modules imported at module level, imported inside functions)."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for path in (ROOT / "ingest").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        top: set[str] = set()
        lazy: set[str] = set()

        def visit(node: ast.AST, in_function: bool, top: set[str], lazy: set[str]) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and getattr(child.test, "id", "") == "TYPE_CHECKING":
                    continue  # annotations only
                names: list[str] = []
                if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                    names = [f"{child.module}.{a.name}" for a in child.names] + [child.module]
                elif isinstance(child, ast.Import):
                    names = [a.name for a in child.names]
                (lazy if in_function else top).update(n for n in names if n.startswith("ingest"))
                nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                visit(child, nested, top, lazy)

        visit(ast.parse(path.read_text()), False, top, lazy)
        out[name] = (top, lazy)
    return out


def _resolve(name: str, known: set[str]) -> str | None:
    while name:
        if name in known and name != "ingest":
            return name
        name = name.rpartition(".")[0]
    return None


def test_no_import_cycle_at_module_level() -> None:
    mods = _modules()
    known = set(mods)
    graph = {
        m: {r for n in top if (r := _resolve(n, known)) and r != m} for m, (top, _) in mods.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def dfs(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                dfs(nxt, stack)
        stack.pop()
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m, [])
    # THEN no module imports (through others) itself at import time
    assert cycles == []


def test_leaves_never_import_upward() -> None:
    mods = _modules()
    known = set(mods)
    upward = {}
    for m, (top, lazy) in mods.items():
        leaf = next((p for p in LEAVES if m == p or m.startswith(p + ".")), None)
        if leaf is None:
            continue
        targets = {r for n in top | lazy if (r := _resolve(n, known))}
        bad = {t for t in targets if not t.startswith(leaf) and t not in FOUNDATION}
        if bad:
            upward[m] = sorted(bad)
    # THEN landing/ and face/ depend only on themselves and the foundation declarations
    assert upward == {}
