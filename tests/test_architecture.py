"""The package's shape, checked from its source: imports point one way (down the layers), there is no import
cycle, the numerics import no front-end module, and no module outgrows the size a reader can hold.

The layers, bottom to top (README, "Architecture"): config / params / errors; the private kernels; the rest
of the particle solver (dynamics); the reduced theories (theory) and the real model; sweeps; views. A module
may import from its own layer or below, never above. Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import REPO, UI_MODULES, modules_loaded_by

PKG = REPO / "mftx_widgets"
#: (module prefix, rank): the longest matching prefix gives a module's layer.
LAYERS = (
    ("mftx_widgets.config", 0), ("mftx_widgets.params", 0), ("mftx_widgets.errors", 0),
    ("mftx_widgets.dynamics._validate", 1), ("mftx_widgets.dynamics.models", 1),
    ("mftx_widgets.dynamics._kernels", 2),
    ("mftx_widgets.dynamics", 3),
    ("mftx_widgets.theory", 4), ("mftx_widgets.real", 4),
    ("mftx_widgets.sweeps", 5),
    ("mftx_widgets.views", 6), ("mftx_widgets.exercises", 6),
    ("mftx_widgets", 7),
)
#: modules allowed past MAX_LINES: the numba kernels (per-dtype twins and unrolled loops, by design).
MAX_LINES = 400
LONG_OK = ("mftx_widgets.dynamics._kernels.",)


def _name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_package(mod: str) -> bool:
    return MODULES[mod].name == "__init__.py"


def _resolve(mod: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The package modules an import statement in `mod` loads (parent packages not counted)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "mftx_widgets"]
    if node.level:
        base = mod.split(".") if _is_package(mod) else mod.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "mftx_widgets":
        return []
    out = []
    for a in node.names:
        sub = f"{target}.{a.name}"
        out.append(sub if sub in MODULES else target)
    return out


def _graph() -> dict[str, set[str]]:
    g = {}
    for mod, path in MODULES.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(t for t in _resolve(mod, node) if t != mod)
        unknown = edges - set(MODULES)
        assert not unknown, f"{mod} imports {unknown}, which are not modules of the package"
        g[mod] = edges
    return g


def _rank(mod: str) -> int:
    return max((p for p in LAYERS if mod == p[0] or mod.startswith(p[0] + ".")), key=lambda p: len(p[0]))[1]


GRAPH = _graph()


def test_graph_is_built_from_real_imports():
    # the test can fail: known arrows exist (a wrong resolver would find none)
    assert "mftx_widgets.dynamics.models" in GRAPH["mftx_widgets.dynamics.integrate"]
    assert "mftx_widgets.params" in GRAPH["mftx_widgets.dynamics.models"]
    assert any(m.startswith("mftx_widgets.dynamics") for m in GRAPH["mftx_widgets.theory.metastability"])


def test_no_upward_import():
    up = sorted(f"{a} (layer {_rank(a)}) -> {b} (layer {_rank(b)})"
                for a, targets in GRAPH.items() for b in targets if _rank(b) > _rank(a))
    assert not up, "imports that point up the layers:\n" + "\n".join(up)


def test_no_import_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH[m]):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_numerics_name_no_front_end_module():
    """Static: no module below the views imports a front-end package, even inside a function."""
    bad = []
    for mod, path in MODULES.items():
        if _rank(mod) >= 6:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bad += [f"{mod}: {n}" for n in names if n.split(".")[0] in UI_MODULES]
    assert not bad, bad


@pytest.mark.parametrize("statement", [
    "import mftx_widgets",
    "import mftx_widgets.theory, mftx_widgets.sweeps, mftx_widgets.real",
    "import mftx_widgets as mw; mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(8, 3), t_max=0.1)",
])
def test_numerics_load_no_front_end_module(statement):
    """Dynamic: a fresh interpreter that uses only the numerics has no front-end module loaded."""
    assert modules_loaded_by(statement) == []


def test_modules_stay_small():
    long = {m: n for m, p in MODULES.items()
            if (n := len(p.read_text().splitlines())) > MAX_LINES and not m.startswith(LONG_OK)}
    assert not long, f"modules over {MAX_LINES} lines (split them by role): {long}"
