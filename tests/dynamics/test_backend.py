"""The numba switch (dynamics/_kernels/backend.py) and the numpy paths used without numba (numpy_paths.py).

The numpy paths are tested against the plain oracles in every mode (dynamics/reference.py for attention, a
breadth-first search over the full adjacency matrix for single linkage), with the tolerances of test_kernels.py
(float64: 1e-12 S; float32 states are computed in float64 here, so the same bound holds). A fresh interpreter with
MFTX_NUMBA=0 must not import any numba module and must print the one-line notice exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import REPO, modules_loaded_by

import mftx_widgets as mw
from mftx_widgets.dynamics import reference
from mftx_widgets.dynamics._kernels import backend, numpy_paths

#: float64 tolerance relative to the velocity scale (1 for SA with V = I; the USA scale is computed below).
TOL = 1e-12

RUN = ("import numpy as np, mftx_widgets as mw; x = mw.initial.uniform(300, 3, seed=0); "
       "m = mw.Attention(beta=3.0); mw.velocity(m, x); mw.velocity(m, x); mw.dynamics.observables.clusters(x); "
       "mw.simulate(m, x, t_max=0.2)")


def _unit(rng, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_numpy_mode_imports_no_numba_module() -> None:
    assert modules_loaded_by(RUN, watch=("numba", "llvmlite"), env={"MFTX_NUMBA": "0"}) == []


def test_numpy_mode_notice_is_one_line_once() -> None:
    out = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, cwd=REPO, timeout=300,
                         env={**os.environ, "MFTX_NUMBA": "0"})
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if "numpy path" in ln]
    assert len(lines) == 1 and "MFTX_NUMBA=0" in lines[0], out.stderr


@pytest.mark.numba
def test_numba_mode_is_the_default_when_numba_imports() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MFTX_NUMBA"}
    code = "from mftx_widgets.dynamics._kernels import backend; print(backend.NUMBA)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300, env=env)
    assert out.stdout.strip().splitlines()[-1] == "True", out.stderr
    assert "numpy path" not in out.stderr


@pytest.mark.parametrize("kind", ["SA", "USA"])
@pytest.mark.parametrize("general", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numpy_attention_matches_oracle_across_blocks(monkeypatch, kind: str, general: bool, dtype: str) -> None:
    """Blocks of 7 rows (n = 50: a ragged last block), d = 4, general Q, K, V or identity, projected and not."""
    monkeypatch.setattr(numpy_paths, "BLOCK_ELEMENTS", 7 * 50)
    rng = np.random.default_rng(5)
    n, d, beta = 50, 4, 6.0
    Q, K, V = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3)) if general else (None, None, None)
    model = mw.Attention(beta=beta, kind=kind, Q=Q, K=K, V=V, dtype=dtype) if general else \
        mw.Attention(beta=beta, kind=kind, dtype=dtype)
    x = _unit(rng, n, d).astype(dtype)
    x64 = x.astype(np.float64)
    ref_a = reference.attention_output(x64, beta, kind, Q, K, V)
    ref_v = reference.velocity(x64, beta, kind, Q, K, V)
    scale = np.abs(ref_a).max() if (kind == "USA" or general) else 1.0
    tol = (TOL if dtype == "float64" else 2 * np.finfo(np.float32).eps) * scale
    for project, ref in ((False, ref_a), (True, ref_v)):
        got = numpy_paths.attention_into(model, x, np.empty_like(x), project)
        assert got.dtype == np.dtype(dtype)
        assert np.abs(got - ref).max() <= tol, (project, np.abs(got - ref).max() / scale)


def _bfs_roots(u: np.ndarray, tol: float) -> np.ndarray:
    """Oracle: components of the full adjacency 1 - <u_i, u_j> <= tol by breadth-first search; smallest index."""
    adj = (1.0 - u @ u.T) <= tol
    roots = np.full(len(u), -1)
    for i in range(len(u)):
        if roots[i] < 0:
            todo = [i]
            roots[i] = i
            while todo:
                for j in np.flatnonzero(adj[todo.pop()] & (roots < 0)):
                    roots[j] = i
                    todo.append(j)
    return roots


@pytest.mark.parametrize("n,d,tol", [(1, 3, 0.1), (200, 3, 0.02), (300, 2, 1e-3), (250, 5, 0.1)])
def test_numpy_single_linkage_matches_bfs(monkeypatch, n: int, d: int, tol: float) -> None:
    monkeypatch.setattr(numpy_paths, "BLOCK_ELEMENTS", 13 * n)       # several blocks, the last one ragged
    rng = np.random.default_rng(n)
    u = _unit(rng, n, d)
    want = _bfs_roots(u, tol)
    assert n == 1 or 1 < len(set(want)) < n                         # a non-trivial partition
    np.testing.assert_array_equal(numpy_paths.link_roots(u, tol), want)


@pytest.mark.numba
def test_numba_and_numpy_single_linkage_agree() -> None:
    from mftx_widgets.dynamics._kernels import links

    x = mw.initial.clusters(6, 600, 3, spread=0.05, seed=2)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    for tol in (1e-3, 1e-2, 5e-2):
        np.testing.assert_array_equal(links._link(u, tol), numpy_paths.link_roots(u, tol))


def test_backend_flag_matches_environment() -> None:
    assert backend.NUMBA is (os.environ.get("MFTX_NUMBA", "").strip() != "0" and backend.REASON == "")


def test_numba_not_importable_falls_back_with_the_reason() -> None:
    """numba absent (a None entry in sys.modules makes `import numba` raise ImportError): the numpy path runs,
    says why, and matches the oracle."""
    code = ("import sys; sys.modules['numba'] = None\n"
            "import numpy as np, mftx_widgets as mw\n"
            "from mftx_widgets.dynamics import reference\n"
            "from mftx_widgets.dynamics._kernels import backend\n"
            "x = mw.initial.uniform(200, 3, seed=1)\n"
            "err = np.abs(mw.velocity(mw.Attention(beta=2.0), x) - reference.velocity(x, 2.0)).max()\n"
            "print(backend.NUMBA, err)\n")
    env = {k: v for k, v in os.environ.items() if k != "MFTX_NUMBA"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    flag, err = out.stdout.split()
    assert flag == "False" and float(err) <= TOL
    assert "numba is not importable" in out.stderr and "numpy path" in out.stderr
