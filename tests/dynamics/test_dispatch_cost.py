"""The dispatcher's cost model (dynamics/_kernels/dispatch.py: path_costs, cheapest_mode, pick_mode) and the
moment paths seen through the public API: velocity(), Simulation and simulate() pick them with no call-site change
and agree with the dense oracle (reference) or with the same run with the moment paths switched off.

Tolerances: 1e-10 per row relative to the row's velocity scale (as test_fourier.py); trajectories of a few RK4
steps: 1e-9 (the per-step difference, 1e-12, is not amplified much over 5 steps at these beta).
"""

from __future__ import annotations

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets import config as cfg
from mftx_widgets.dynamics import reference

pytest.importorskip("numba", reason="numba is not installed: the numpy backend has no moment kernels")
from mftx_widgets.dynamics._kernels import dispatch, fourier, harmonics  # noqa: E402

#: the moment kernels and the cost model choosing them: numba only (the numpy backend runs the dense sum).
pytestmark = pytest.mark.numba

Mode = dispatch.Mode


def _unit(rng, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def spy(monkeypatch):
    """Counts the calls of the two moment kernels made through the dispatcher."""
    calls = {"fourier": 0, "harmonic": 0}

    def wrap(name, fn):
        def inner(*a, **k):
            calls[name] += 1
            return fn(*a, **k)
        return inner

    monkeypatch.setattr(dispatch, "fourier_attention_into", wrap("fourier", fourier.fourier_attention_into))
    monkeypatch.setattr(dispatch, "harmonic_attention_into", wrap("harmonic", harmonics.harmonic_attention_into))
    return calls


def test_cost_model_formulas() -> None:
    """path_costs reproduces the documented formulas from the config constants for rows on the sphere (radial
    order 0; one core: parallel off below PARALLEL_MIN_N)."""
    n, beta = 1000, 4.0
    model = mw.Attention(beta=beta)
    k = fourier.fourier_order(beta)
    ll = harmonics.harmonic_degree(beta)
    c2 = dispatch.path_costs(model, n, 2)
    c3 = dispatch.path_costs(model, n, 3)
    assert c2[Mode.CHUNK] == pytest.approx(cfg.COST_DENSE[(2, "float64")] * n * n)
    assert c2[Mode.FOURIER] == pytest.approx(cfg.COST_FIXED + cfg.COST_FOURIER * (n + cfg.COST_N0) * (k + 1))
    assert c3[Mode.SELF3] == pytest.approx(cfg.COST_DENSE[(3, "float64")] * n * n)
    assert c3[Mode.HARMONIC] == pytest.approx(cfg.COST_FIXED + cfg.COST_HARMONIC * (n + cfg.COST_N0)
                                              * (ll + 1) * (ll + 2) / 2)
    assert set(dispatch.path_costs(model, n, 3, moments=False)) == {Mode.SELF3}


def test_pick_mode_by_cost() -> None:
    """Small n: dense; large n at moderate beta: the moment path; beta above HARMONIC_MAX_BETA, general Q or d = 4:
    never a moment path; large n and beta on S^2: cells (the existing rule)."""
    for beta in (0.5, 4.0, 10.0, cfg.HARMONIC_MAX_BETA):
        model = mw.Attention(beta=beta)
        assert dispatch.pick_mode(model, 8, 2) is Mode.CHUNK
        assert dispatch.pick_mode(model, 8, 3) is Mode.SELF3
        assert dispatch.pick_mode(model, 10 ** 5, 2) is Mode.FOURIER
        assert dispatch.pick_mode(model, 10 ** 5, 3) is Mode.HARMONIC
    above = mw.Attention(beta=2 * cfg.HARMONIC_MAX_BETA)
    assert dispatch.pick_mode(above, 10 ** 3, 2) is Mode.CHUNK
    assert dispatch.pick_mode(above, 10 ** 3, 3) is Mode.SELF3
    assert dispatch.pick_mode(mw.Attention(beta=max(cfg.NEIGHBOR_MIN_BETA, above.beta)), cfg.NEIGHBOR_MIN_N, 3) \
        is Mode.CELLS
    assert dispatch.pick_mode(mw.Attention(beta=4.0, Q=2 * np.eye(3)), 10 ** 5, 3) is not Mode.HARMONIC
    assert dispatch.pick_mode(mw.Attention(beta=4.0), 10 ** 5, 4) is Mode.CHUNK
    # the choice: dense, cells where cheaper, a moment path where COST_MARGIN times cheaper than that
    for d in (2, 3):
        for n in (10, 300, 1000, 3000, 10 ** 5):
            for beta in (1.0, 10.0, 30.0, 60.0):
                costs = dispatch.path_costs(mw.Attention(beta=beta), n, d)
                base = min(c for mode, c in costs.items() if mode not in (Mode.FOURIER, Mode.HARMONIC))
                mom = [c for mode, c in costs.items() if mode in (Mode.FOURIER, Mode.HARMONIC)]
                want = mom[0] if mom and mom[0] * cfg.COST_MARGIN <= base else base
                assert costs[dispatch.pick_mode(mw.Attention(beta=beta), n, d)] == want


@pytest.mark.parametrize("d,n,beta", [(2, 1500, 5.0), (3, 2500, 4.0)])
@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_velocity_uses_moments_and_matches_oracle(spy, d: int, n: int, beta: float, kind: str) -> None:
    """mw.velocity (Post-LN) and the other norms through the policy: the moment kernel runs and every row is within
    1e-10 of the dense oracle (its velocity scale)."""
    rng = np.random.default_rng(12)
    x = _unit(rng, n, d)
    x[: n // 3] = x[0]                          # a coincident third (clustered start)
    model = mw.Attention(beta=beta, kind=kind)
    got = mw.velocity(model, x)
    assert spy["fourier" if d == 2 else "harmonic"] == 1
    scale = 1.0 if kind == "SA" else np.exp(beta * (x @ x.T)).sum(axis=1)[:, None] / n
    assert np.abs((got - reference.velocity(x, beta, kind)) / scale).max() <= 1e-10
    for norm in ("pre", "peri", "ngpt"):
        m = model.replace(norm=norm)
        a = reference.attention_output(x, beta, kind)
        want = {"pre": a, "peri": a / np.linalg.norm(a, axis=1, keepdims=True),
                "ngpt": reference.velocity(x, beta, kind) / np.linalg.norm(a, axis=1, keepdims=True)}[norm]
        got = mw.velocity(m, x if norm == "ngpt" else 2.0 * x)     # residual stream z = 2 x: same directions
        ref_scale = scale if norm == "pre" else 1.0 / np.linalg.norm(a, axis=1, keepdims=True) * scale
        assert np.abs((got - want) / ref_scale).max() <= 1e-10, norm


def test_rows_off_the_sphere_stay_exact_and_cost_more(spy) -> None:
    """Rows off the sphere (a Runge-Kutta stage): the policy measures the spread, still takes the moment path where
    it is cheaper (its cost grows with the radial order P) and matches the oracle at exactly these rows."""
    rng = np.random.default_rng(13)
    x = _unit(rng, 3000, 3) * np.sqrt(1.0 + 6e-4 * rng.uniform(-1.0, 1.0, (3000, 1)))
    model = mw.Attention(beta=5.0)
    spread = dispatch.spread_of(x)
    on = dispatch.path_costs(model, 3000, 3)[Mode.HARMONIC]
    off = dispatch.path_costs(model, 3000, 3, spread=spread)[Mode.HARMONIC]
    radial = harmonics.harmonic_plan(5.0, spread)[1]
    assert radial >= 2 and off > on
    got = dispatch.attention_into(model, x, np.empty_like(x), True)
    assert spy["harmonic"] == (1 if off < dispatch.path_costs(model, 3000, 3)[Mode.SELF3] else 0)
    assert np.abs(got - reference.velocity(x, 5.0)).max() <= 1e-10
    far = _unit(rng, 3000, 3) * 1.5                   # far off the sphere: no radial plan, the dense kernel
    assert dispatch.pick_mode(model, 3000, 3, spread=dispatch.spread_of(far)) is Mode.SELF3


def test_forced_parallel_keeps_the_dense_kernels(spy) -> None:
    x = _unit(np.random.default_rng(14), 3000, 3)
    model = mw.Attention(beta=4.0)
    for par in (False, True):
        got = dispatch.attention_into(model, x, np.empty_like(x), True, parallel=par)
        assert np.abs(got - reference.velocity(x, 4.0)).max() <= 1e-12
    assert spy["harmonic"] == 0


@pytest.mark.parametrize("d,n", [(2, 1200), (3, 4000)])
def test_simulate_and_simulation_use_moments_without_call_site_change(spy, monkeypatch, d: int, n: int) -> None:
    """simulate() and Simulation.step with the policy (moment path) vs the same runs with the moment paths off
    (HARMONIC_MAX_BETA < 0): RK4 trajectories agree to 1e-9."""
    x0 = _unit(np.random.default_rng(15), n, d)
    model = mw.Attention(beta=4.0)
    traj = mw.simulate(model, x0, t_max=0.25, dt=0.05, method="rk4")
    sim = mw.Simulation(model, x0, dt=0.05, method="rk4").step(5)
    assert spy["fourier" if d == 2 else "harmonic"] >= 2 * 5 * 4
    monkeypatch.setattr(cfg, "HARMONIC_MAX_BETA", -1.0)
    calls = dict(spy)
    dense = mw.simulate(model, x0, t_max=0.25, dt=0.05, method="rk4")
    assert spy == calls
    assert np.abs(traj.x - dense.x).max() <= 1e-9
    assert np.abs(sim.x - dense.x[-1]).max() <= 1e-9
