"""Every velocity kernel (d = 3 stream, small-d chunks, BLAS tiles, serial and parallel, float64 and float32)
against the plain numpy oracle mftx_widgets.dynamics.reference (docs/theory.md section 2).

Tolerances, relative to the velocity scale S = max_i sum_j A_ij |V x_j| (the size of attn_i before any
cancellation; |velocity_i| <= |attn_i| <= S; S = 1 for SA with V = I):
* float64: 1e-12 * S. The scores beta <x_i, x_j> carry a rounding error of about beta * 1e-16 in every
  implementation, so for beta = 1000 the bound is 1e-12 * max(1, beta / 200) * S (the same conditioning
  as the oracle itself).
* float32: FLOAT32_TOL = 2e-5 * S against the float64 oracle evaluated on the same float32-rounded input: 10x
  the largest error measured over this grid (1.8e-6 S: d = 128, beta = 10, iid tokens; 1.7e-6 S at beta = 1000
  for clustered tokens; measured once with the serial kernels, n up to 1000, beta <= 1000).
The grid uses iid tokens and, for beta > 0, one cluster of angular spread 2 / sqrt(beta): at high d and beta iid
tokens give weights that underflow (velocity 0 in kernel and oracle alike), so the clustered set asserts that
the oracle's velocity is far from 0 before comparing.
USA is tested where the model allows it (beta * |Q| |K| <= config.MAX_EXP_ARG: 700 in float64, 80 in float32).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.config import BLAS_MIN_D, MAX_EXP_ARG, NEIGHBOR_MIN_BETA, NEIGHBOR_MIN_N, NEIGHBOR_TAIL
from mftx_widgets.dynamics import field, reference
from mftx_widgets.dynamics._kernels import dispatch, neighbors, policy

NS = (1, 2, 7, 64, 1000)
DS = (2, 3, 16, 128)
BETAS = (0.0, 1.0, 10.0, 100.0, 1000.0)
USA_MAX = MAX_EXP_ARG


#: float32 kernel error bound relative to S: 10x the largest measured (module docstring).
FLOAT32_TOL = 2e-5


def _tol(dtype: str, beta: float) -> float:
    if dtype == "float64":
        return 1e-12 * max(1.0, beta / 200.0)
    return FLOAT32_TOL


def _points(rng, n: int, d: int, dtype: str) -> np.ndarray:
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(dtype)


def _scale(x: np.ndarray, beta: float, kind: str, Q, K, V) -> float:
    """S = max_i sum_j A_ij |V x_j| from the dense oracle weights (float64)."""
    d = x.shape[1]
    eye = np.eye(d)
    s = beta * (x @ (eye if Q is None else Q).T) @ (x @ (eye if K is None else K).T).T
    m = s.max(axis=1, keepdims=True)
    w = np.exp(s - m)
    w = w / w.sum(axis=1, keepdims=True) if kind == "SA" else w * np.exp(m) / x.shape[0]
    return float((w @ np.linalg.norm(x @ (eye if V is None else V).T, axis=1)).max())


def _clustered_nd(n: int, d: int, beta: float, dtype: str, seed: int = 0) -> np.ndarray:
    """One cluster of angular spread 2 / sqrt(beta): weights exp(beta (<x_i, x_j> - 1)) of order e^-2, not 0."""
    return mw.initial.clusters(1, n, d, spread=min(1.0, 2.0 / np.sqrt(beta)), seed=seed, dtype=dtype)


def _check(model: mw.Attention, x: np.ndarray, parallel: bool | None, Q=None, K=None, V=None,
           nontrivial: bool = False) -> None:
    """Kernel attn and velocity vs the oracle on the same (rounded) input, in the model's dtype. nontrivial: the
    oracle's velocity must be >= 1e-4 S somewhere (else the comparison would be zeros against zeros)."""
    x64 = x.astype(np.float64)
    ref_a = reference.attention_output(x64, model.beta, model.kind, Q, K, V)
    ref_v = ref_a - (np.sum(ref_a * x64, axis=1, keepdims=True) / np.sum(x64 * x64, axis=1, keepdims=True)) * x64
    # SA with V = I and unit rows: S = 1 (a convex combination of unit vectors)
    scale = 1.0 if (model.kind == "SA" and V is None) else _scale(x64, model.beta, model.kind, Q, K, V)
    xs = np.ascontiguousarray(x, dtype=model.dtype)
    got_a = dispatch.attention_into(model, xs, np.empty_like(xs), project=False, parallel=parallel)
    got_v = dispatch.attention_into(model, xs, np.empty_like(xs), project=True, parallel=parallel)
    assert got_a.dtype == np.dtype(model.dtype) and got_v.dtype == np.dtype(model.dtype)
    tol = _tol(model.dtype, model.beta) * scale
    if nontrivial:
        assert np.abs(ref_v).max() >= 1e-4 * scale, (model, x.shape, "the oracle's velocity is ~0")
    ea = np.abs(got_a - ref_a).max()
    ev = np.abs(got_v - ref_v).max()
    assert ea <= tol and ev <= tol, (model, x.shape, parallel, ea / scale, ev / scale)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("d", DS)
def test_identity_kernels_match_oracle_serial(d: int, dtype: str) -> None:
    rng = np.random.default_rng(d)
    for n in NS:
        x = _points(rng, n, d, dtype)
        for beta in BETAS:
            _check(mw.Attention(beta=beta, kind="SA", dtype=dtype), x, False)
            if beta <= USA_MAX[dtype]:
                _check(mw.Attention(beta=beta, kind="USA", dtype=dtype), x, False)
            if beta > 0 and n >= 7:     # (two random tokens may land farther apart than the spread)
                xc = _clustered_nd(n, d, beta, dtype, seed=n)
                _check(mw.Attention(beta=beta, kind="SA", dtype=dtype), xc, False, nontrivial=True)
                if beta <= USA_MAX[dtype]:
                    _check(mw.Attention(beta=beta, kind="USA", dtype=dtype), xc, False, nontrivial=True)


# parallel drivers are prange wrappers around the same row kernels tested serially above; to keep the cold-cache
# compile time within budget every kernel is tested threaded in float64 and the d = 3 kernel also in float32.
PARALLEL_CASES = [(d, "float64") for d in DS] + [(3, "float32")]


@pytest.mark.parametrize("d,dtype", PARALLEL_CASES)
def test_identity_kernels_match_oracle_parallel(d: int, dtype: str) -> None:
    rng = np.random.default_rng(100 + d)
    for n in (1, 7, 300):
        x = _points(rng, n, d, dtype)
        for beta in (1.0, 100.0):
            _check(mw.Attention(beta=beta, kind="SA", dtype=dtype), x, True)
            if n >= 7:
                _check(mw.Attention(beta=beta, kind="SA", dtype=dtype), _clustered_nd(n, d, beta, dtype), True,
                       nontrivial=True)
        _check(mw.Attention(beta=10.0, kind="USA", dtype=dtype), x, True)


@pytest.mark.parametrize("d,dtype,parallel", [(d, dt, False) for d in (2, 3, 16) for dt in ("float64", "float32")]
                         + [(d, "float64", True) for d in (2, 3, 16)])
def test_general_qkv_match_oracle(d: int, dtype: str, parallel: bool) -> None:
    """General Q, K, V (chunk kernel for d < BLAS_MIN_D, tiles above): the row maximum is found, not assumed."""
    rng = np.random.default_rng(7 * d)
    Q = rng.standard_normal((d, d)) / np.sqrt(d)
    K = rng.standard_normal((d, d)) / np.sqrt(d)
    V = rng.standard_normal((d, d)) / np.sqrt(d)
    for n in (1, 7, 64, 1000) if not parallel else (7, 300):
        x = _points(rng, n, d, dtype)
        for beta in (0.0, 1.0, 10.0, 100.0):
            m = mw.Attention(beta=beta, kind="SA", Q=Q, K=K, V=V, dtype=dtype)
            _check(m, x, parallel, Q, K, V)
            mu = mw.Attention(beta=beta, kind="SA", Q=Q, dtype=dtype)
            _check(mu, x, parallel, Q, None, None)
            if m.max_score <= USA_MAX[dtype]:
                _check(m.replace(kind="USA"), x, parallel, Q, K, V)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("d", DS)
def test_antipodal_and_coincident_points(d: int, dtype: str) -> None:
    """x and -x pairs (weights e^{-2 beta} -> 0 exactly at large beta) and all-coincident tokens (velocity 0)."""
    rng = np.random.default_rng(3)
    y = _points(rng, 5, d, dtype)
    anti = np.concatenate([y, -y]).astype(dtype)
    same = np.repeat(y[:1], 9, axis=0)
    for beta in BETAS:
        for parallel in (False, True) if (dtype == "float64" or d == 3) else (False,):
            for x in (anti, same):
                _check(mw.Attention(beta=beta, kind="SA", dtype=dtype), x, parallel)
                if beta <= USA_MAX[dtype]:
                    _check(mw.Attention(beta=beta, kind="USA", dtype=dtype), x, parallel)
    v = mw.velocity(mw.Attention(beta=1000.0, dtype=dtype), same)
    assert np.abs(v).max() <= 10 * np.finfo(dtype).eps


def test_public_velocity_and_norm_schemes_match_oracle() -> None:
    """The public wrapper: Post-LN = P_x attn, Pre-LN = attn(z/|z|), Peri-LN = attn/|attn| (docs/theory.md sec. 6)."""
    rng = np.random.default_rng(5)
    x = _points(rng, 50, 3, "float64")
    z = x * rng.uniform(0.5, 2.0, (50, 1))
    a = reference.attention_output(x, 4.0)
    assert np.abs(mw.velocity(mw.Attention(beta=4.0), x) - reference.velocity(x, 4.0)).max() <= 1e-12
    assert np.abs(mw.velocity(mw.Attention(beta=4.0, norm="pre"), z) - a).max() <= 1e-12
    peri = a / np.linalg.norm(a, axis=1, keepdims=True)
    assert np.abs(mw.velocity(mw.Attention(beta=4.0, norm="peri"), z) - peri).max() <= 1e-12
    v32 = mw.velocity(mw.Attention(beta=4.0, dtype="float32"), x)
    assert v32.dtype == np.float32


@pytest.mark.numba  # the polynomial exp of exp.py
@pytest.mark.parametrize("dtype,lo,rel,slope", [("float64", -708.0, 4e-16, 3.5e-17), ("float32", -87.0, 2e-7, 2e-8)])
def test_polynomial_exp_accuracy(dtype: str, lo: float, rel: float, slope: float) -> None:
    """The kernels' vectorised exp on [lo + 1, 0]: relative error <= rel + slope |x| (the slope is the rounding
    of ln2 times k; weights are used relative to exp(0) = 1, so it never matters); exactly 0 far below."""
    from mftx_widgets.dynamics._kernels import exp  # imports numba (this test is numba-marked)

    a = np.concatenate([np.linspace(lo + 1.0, 0.0, 200001), [0.0, -1e-300, 1e-7]]).astype(dtype)
    out = np.empty_like(a)
    exp._exp_array(a, out)
    exact = np.exp(a.astype(np.longdouble))
    err = np.abs((out.astype(np.longdouble) - exact) / exact)
    bound = rel + slope * np.abs(a.astype(np.float64))
    assert np.all(err <= bound), float((err / bound).max())
    assert out[-3] == 1.0
    far = np.array([-800.0 if dtype == "float64" else -100.0, -1e4], dtype=dtype)
    exp._exp_array(far, out[:2])
    assert np.all(out[:2] == 0.0)


def test_memory_is_linear_in_n() -> None:
    """n = 30000, d = 3, float32: peak RSS stays far below one n x n float32 array (3.6 GB)."""
    code = (
        "import resource, numpy as np, mftx_widgets as mw\n"
        "x = np.random.default_rng(0).standard_normal((30000, 3)); x /= np.linalg.norm(x, axis=1, keepdims=True)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "v = mw.velocity(mw.Attention(beta=1.0, dtype='float32'), x)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "import json; print(json.dumps([before, after, bool(np.isfinite(v).all())]))\n"
    )
    env = dict(os.environ, MFTX_PARALLEL="0")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    before, after, finite = json.loads(out.strip().splitlines()[-1])
    assert finite
    assert (after - before) * 1024 < 100e6, (before, after)


def _clustered(rng, n: int, k: int, spread: float) -> np.ndarray:
    centers = rng.standard_normal((k, 3))
    x = centers[rng.integers(0, k, n)] / np.linalg.norm(centers, axis=1).max() + spread * rng.standard_normal((n, 3))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_neighbour_kernel_error_bound(dtype: str) -> None:
    """Cell-list kernel vs the dense oracle: |v_cut - v| <= (2 n e^{-tail} + rounding tol) S for uniform and
    clustered tokens, SA and USA, several beta and tails (neighbors.py module docstring)."""
    rng = np.random.default_rng(11)
    n = 1500
    sets = {"uniform": _points(rng, n, 3, "float64"), "clusters": _clustered(rng, n, 4, 0.05)}
    for x in sets.values():
        x = x.astype(dtype)
        x64 = x.astype(np.float64)
        for beta in (50.0, 200.0, 1000.0):
            for kind in ("SA", "USA"):
                if kind == "USA" and beta > USA_MAX[dtype]:
                    continue
                model = mw.Attention(beta=beta, kind=kind, dtype=dtype)
                ref = reference.velocity(x64, beta, kind)
                scale = 1.0 if kind == "SA" else _scale(x64, beta, kind, None, None, None)
                for tail in (10.0, 20.0, NEIGHBOR_TAIL):
                    got = np.empty_like(x)
                    pairs = neighbors.attention_cutoff_into(model, x, got, True, tail=tail)
                    assert 0 < pairs <= n * n
                    tol = (2 * n * np.exp(-tail) + _tol(dtype, beta)) * scale
                    err = np.abs(got - ref).max()
                    assert err <= tol, (beta, kind, tail, err / scale)
                auto = dispatch.attention_into(model, x, np.empty_like(x), True, mode="cells")
                assert np.abs(auto - ref).max() <= (2 * n * np.exp(-NEIGHBOR_TAIL) + _tol(dtype, beta)) * scale


@pytest.mark.numba  # the cell list's pair count
def test_neighbour_kernel_skips_far_pairs_and_validates() -> None:
    """At beta = 1000 uniform tokens visit a small fraction of the n^2 pairs; bad inputs raise ValueError."""
    rng = np.random.default_rng(2)
    x = _points(rng, 3000, 3, "float64")
    pairs = neighbors.attention_cutoff_into(mw.Attention(beta=1000.0), x, np.empty_like(x), True)
    # the kept cap has relative area tail / (2 beta) = 0.0185; the cell boxes add a margin around it
    assert pairs < 0.2 * x.shape[0] ** 2
    assert neighbors.cutoff_radius(200.0) == pytest.approx(np.sqrt(2 * NEIGHBOR_TAIL / 200.0))
    with pytest.raises(ValueError, match="tail"):
        field.velocity_cutoff(mw.Attention(beta=100.0), x, tail=-1.0)
    with pytest.raises(ValueError, match="d = 3"):
        field.velocity_cutoff(mw.Attention(beta=100.0), _points(rng, 10, 4, "float64"))
    v = field.velocity_cutoff(mw.Attention(beta=100.0), x)
    assert np.abs(v - reference.velocity(x, 100.0)).max() <= 2 * 3000 * np.exp(-NEIGHBOR_TAIL) + 1e-12


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_beta_zero_fast_path_matches_oracle(kind, dtype):
    # beta = 0 with Q = K = V = I: every weight is 1/n; the policy path uses attn_i = mean_j x_j (O(n d))
    for n, d in [(1, 3), (2, 2), (7, 5), (300, 3)]:
        x = mw.initial.uniform(n, d, seed=n, dtype=dtype)
        model = mw.Attention(beta=0.0, kind=kind, dtype=dtype)
        got = mw.dynamics.velocity(model, x)
        ref = reference.velocity(x.astype(np.float64), 0.0, kind)
        assert got.dtype == np.dtype(dtype)
        assert np.abs(got - ref).max() <= (1e-14 if dtype == "float64" else 1e-6)
        forced = dispatch.attention_into(model, x, np.empty_like(x), project=True, parallel=False)
        assert np.abs(forced - ref).max() <= (1e-14 if dtype == "float64" else 1e-6)


@pytest.mark.numba  # the policy's choice among the numba kernels (cells, self3, ...)
def test_dispatch_picks_named_modes_and_forced_modes_agree() -> None:
    """pick_mode: beta0 for beta = 0 (identity), cells for d = 3 at large n and beta, else the dense kernel by d;
    every forced mode that applies gives the oracle's velocity."""
    Mode = dispatch.Mode
    ident, general = mw.Attention(beta=1.0), mw.Attention(beta=1.0, Q=2 * np.eye(3))
    assert dispatch.pick_mode(mw.Attention(beta=0.0), 10, 3) is Mode.BETA0
    assert dispatch.pick_mode(mw.Attention(beta=NEIGHBOR_MIN_BETA), NEIGHBOR_MIN_N, 3) is Mode.CELLS
    assert dispatch.pick_mode(mw.Attention(beta=NEIGHBOR_MIN_BETA), NEIGHBOR_MIN_N - 1, 3) is Mode.SELF3
    assert dispatch.pick_mode(ident, 10, 3) is Mode.SELF3
    assert dispatch.pick_mode(general, 10, 3) is Mode.CHUNK
    assert dispatch.pick_mode(ident, 10, 4) is Mode.CHUNK
    assert dispatch.pick_mode(ident, 10, BLAS_MIN_D) is Mode.TILE
    x = _points(np.random.default_rng(3), 200, 3, "float64")
    model = mw.Attention(beta=60.0)
    ref = reference.velocity(x, 60.0)
    for mode in ("self3", "chunk", "tile", "cells"):
        got = dispatch.attention_into(model, x, np.empty_like(x), True, parallel=False, mode=mode)
        assert np.abs(got - ref).max() <= 2 * 200 * np.exp(-NEIGHBOR_TAIL) + _tol("float64", 60.0), mode
    with pytest.raises(ValueError, match="self3"):
        dispatch.attention_into(model, _points(np.random.default_rng(3), 5, 4, "float64"), np.empty((5, 4)), True,
                                mode="self3")


@pytest.mark.numba  # the polynomial exp of exp.py
@pytest.mark.parametrize("dtype,lo,over", [("float64", -708.0, 709.8), ("float32", -87.0, 88.8)])
def test_polynomial_exp_outside_its_range(dtype: str, lo: float, over: float) -> None:
    """NaN stays NaN (a bad score is never a plausible weight), +inf and arguments where exp overflows give inf,
    -inf and arguments <= lo 0; below the overflow it is still exp to the documented accuracy."""
    from mftx_widgets.dynamics._kernels import exp  # imports numba (this test is numba-marked)

    a = np.array([np.nan, np.inf, -np.inf, over, 1e4, lo, lo - 1.0, 50.0, 80.0], dtype=dtype)
    out = np.empty_like(a)
    exp._exp_array(a, out)
    assert np.isnan(out[0])
    assert out[1] == np.inf and out[2] == 0.0 and out[3] == np.inf and out[4] == np.inf
    assert out[5] == 0.0 and out[6] == 0.0
    near = np.array([50.0, 80.0, over - 0.8], dtype=dtype)     # up to 709.0 / 88.0, where |r| <= ln2 / 2 still
    out = np.empty_like(near)
    exp._exp_array(near, out)
    exact = np.exp(near.astype(np.longdouble))
    rel = np.abs((out.astype(np.longdouble) - exact) / exact)
    bound = (4e-16 + 3.5e-17 * 710) if dtype == "float64" else (2e-7 + 2e-8 * 89)
    assert np.all(rel <= bound), rel


def _near_unit(rng, n: int, d: int, beta: float) -> np.ndarray:
    """A cluster of angular spread 2 / sqrt(beta) whose row norms are 1 +- NORM_TOL (accepted by validation)."""
    x = _clustered_nd(n, d, beta, "float64", seed=n + d)
    return x * (1.0 + mw.config.NORM_TOL * rng.uniform(-1.0, 1.0, (n, 1)))


@pytest.mark.parametrize("mode,d", [("self3", 3), ("chunk", 3), ("chunk", 5), ("tile", 16), ("cells", 3)])
def test_rows_unit_only_to_tolerance_at_huge_beta(mode: str, d: int) -> None:
    """Rows of norm 1 +- 1e-6 at beta = 1e4 .. 1e9: beta (<x_i, x_j> - |x_i|^2) reaches +2000, which the known
    shift beta |x_i|^2 does not bound; the kernels must take the true row maximum and match the oracle (before
    the fix: exp of positive arguments, a velocity of the wrong sign, or 1/0)."""
    rng = np.random.default_rng(d)
    for beta in (1e4, 1e7, 1e9):
        x = _near_unit(rng, 40, d, beta)
        model = mw.Attention(beta=beta)
        ref = reference.velocity(x, beta)
        assert np.abs(ref).max() > 1e-3 * np.sqrt(1.0 / beta)       # not ~0
        got = dispatch.attention_into(model, x, np.empty_like(x), True, parallel=False, mode=mode)
        assert np.all(np.isfinite(got))
        assert np.abs(got - ref).max() <= _tol("float64", beta) + 1e-9 * np.abs(ref).max(), (mode, beta)
    # the public velocity takes these rows as they are (validation accepts them)
    v = mw.velocity(mw.Attention(beta=1e9), _near_unit(rng, 40, 3, 1e9))
    assert np.all(np.isfinite(v))


@pytest.mark.parametrize("d", [3, 5, 16])
def test_float32_at_huge_beta_is_finite(d: int) -> None:
    """float32 at beta = 1e9: the scores' rounding (~beta * 6e-8 = 60) exceeds any shift guess; the true row
    maximum keeps the softmax denominator >= 1 (before: ZeroDivisionError). SA velocities have |v_i| <= 1."""
    x = mw.initial.uniform(50, d, seed=d, dtype="float32")
    for beta in (1e6, 1e9, 1e30):
        for parallel in (False, True):
            v = dispatch.attention_into(mw.Attention(beta=beta, dtype="float32"), x, np.empty_like(x), True,
                                        parallel=parallel)
            assert np.all(np.isfinite(v)) and np.abs(v).max() <= 1.0 + 1e-5, (beta, parallel)


@pytest.mark.numba  # the thread probe of the numba kernels
def test_thread_probe_decides_from_its_timings(monkeypatch) -> None:
    """use_parallel: False below PARALLEL_MIN_N, with one effective core or one numba thread; otherwise the
    probe's answer, which is True exactly when one call takes >= 1.3x two threaded halves (forced timings)."""
    import types

    import numba

    assert 1 <= policy.effective_cores() <= len(os.sched_getaffinity(0))    # affinity (and cgroup quota) respected
    big = mw.config.PARALLEL_MIN_N
    monkeypatch.delenv("MFTX_PARALLEL", raising=False)
    monkeypatch.setattr(policy, "effective_cores", lambda: 2)
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 2)
    monkeypatch.setattr(policy, "PARALLEL_PROBE", True)

    def forced(serial: float, threaded: float) -> bool:
        ticks = []
        for _ in range(3):                       # the probe reads the clock: serial start/end, threaded start/end
            ticks += [0.0, serial, 0.0, threaded]
        clock = iter(ticks)
        monkeypatch.setattr(policy, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
        monkeypatch.setattr(policy, "_PROBE", {})
        return policy.use_parallel(big)

    assert forced(serial=2.0, threaded=1.0) is True          # 2x: threads pay
    assert forced(serial=1.0, threaded=1.0) is False         # the 2-vCPU-on-one-core case
    assert forced(serial=1.29, threaded=1.0) is False        # below the 1.3x threshold
    assert forced(serial=1.31, threaded=1.0) is True
    monkeypatch.setattr(policy, "_PROBE", {"pay": True})
    assert not policy.use_parallel(big - 1)                   # small n never threads
    monkeypatch.setattr(policy, "effective_cores", lambda: 1)
    assert not policy.use_parallel(10 * big)                  # one effective core
    monkeypatch.setattr(policy, "effective_cores", lambda: 2)
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 1)
    assert not policy.use_parallel(10 * big)                  # one numba thread
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 2)
    for env, want in (("0", False), ("1", True), ("no", False), ("yes", True)):
        monkeypatch.setenv("MFTX_PARALLEL", env)
        monkeypatch.setattr(policy, "_PROBE", {})
        monkeypatch.setattr(policy, "time", types.SimpleNamespace(perf_counter=lambda: 1 / 0))  # env: no timing
        assert policy.use_parallel(big) is want, env
