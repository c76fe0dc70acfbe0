"""sweeps.studies: the phase diagram vs docs/theory.md §10 and its equiangular boundary (§6), collapse
time vs n (§7), cluster count vs beta (§5), and their figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets import sweeps as sw
from mftx_widgets.config import MAX_EXP_ARG
from mftx_widgets.sweeps.studies import THRESHOLD


def test_equiangular_boundary_is_the_ode_time():
    betas = [0.0, 2.0, 5.0]
    ts = sw.equiangular_boundary(betas, n=32, threshold=THRESHOLD)
    for beta, t_star in zip(betas, ts):
        rho = mw.equiangular.solve("SA", beta, 32, 0.0, [0.0, t_star])[-1]
        assert abs(rho - THRESHOLD) < 1e-8
    assert np.all(np.diff(ts) > 0)                       # larger beta, later collapse
    # F15: large-n limit is the logistic curve, time log(3)/2 from rho0 = 0.5 to 0.75 (beta = 1.5 log n)
    n = 10**6
    t = sw.equiangular_boundary([1.5 * np.log(n)], n, 0.75, rho0=0.5)[0]
    assert abs(t - np.log(3) / 2) <= 0.02 * np.log(3) / 2


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_equiangular_boundary_is_the_theory_quadrature(kind):
    """One quadrature of the equiangular ODE (mw.longcontext.time_to_reach at gamma = beta / log n), any beta
    up to config.MAX_EXP_ARG; nothing to integrate when rho0 >= threshold."""
    n, beta_max = 16, MAX_EXP_ARG["float64"]
    betas = [0.0, 1.0, 7.5, beta_max]
    ts = sw.equiangular_boundary(betas, n, 0.99, rho0=0.1, kind=kind)
    want = [mw.longcontext.time_to_reach(0.99, b / math.log(n), n, 0.1, kind) for b in betas]
    np.testing.assert_allclose(ts, want, rtol=1e-13)
    assert np.all(np.isfinite(ts)) and np.all(sw.equiangular_boundary(betas, n, 0.5, rho0=0.6, kind=kind) == 0)
    with pytest.raises(ValueError):
        sw.equiangular_boundary([np.nextafter(beta_max, np.inf)], n)


def test_phase_diagram_boundary_matches_equiangular_d1024():
    """docs/theory.md §10: n = 32 iid tokens in d = 1024 (rho0 ~ 0 +- 1/sqrt(d)) collapse when the ODE says.

    Coarse grid t = 0, 0.5, ..., 9 (dt = 0.25); the time where P(all cosines >= 0.999) crosses 1/2 must be within
    one grid step (0.5) of the SA equiangular time from rho0 = 0; measured: 5.25 / 5.63 / 7.05 vs 5.19 / 5.46 / 6.95.
    """
    betas = [0.0, 2.0, 4.0]
    pd = sw.phase_diagram(betas, np.arange(0.0, 9.01, 0.5), n=32, d=1024, seeds=4, dt=0.25, executor="serial",
                          progress=False)
    assert pd.probability.shape == (19, 3)
    assert np.all(pd.probability[0] == 0) and np.all(pd.probability[-1] == 1)
    theory = sw.equiangular_boundary(betas, 32, THRESHOLD)
    np.testing.assert_allclose(pd.theory(), theory)
    assert np.all(np.abs(pd.crossing_times(0.5) - theory) <= 0.5), (pd.crossing_times(0.5), theory)
    # sharp in d = 1024: every seed is below threshold one grid step before, above it one grid step after
    for j, t_star in enumerate(theory):
        assert pd.probability[pd.t <= t_star - 0.5, j].max() == 0
        assert pd.probability[pd.t >= t_star + 1.0, j].min() == 1


def test_phase_diagram_sharpens_with_d():
    """docs/theory.md §10: as d grows (8, 128, 1024) the boundary sharpens onto the equiangular prediction.

    beta = 1, 8 seeds, t step 0.25. Measured: first-hit times 6.0..7.75 / 5.5..5.75 / 5.5..5.5 and P = 1/2 at
    6.58 / 5.61 / 5.38 against the ODE time 5.27 (rho0 = 0).
    """
    theory = sw.equiangular_boundary([1.0], 32, THRESHOLD)[0]
    errors, spreads = [], []
    for d in (8, 128, 1024):
        pd = sw.phase_diagram([1.0], np.arange(0.0, 12.01, 0.25), n=32, d=d, seeds=8, dt=0.25, executor="serial",
                              progress=False)
        hit = pd.sweep["min_cosine"][0] >= THRESHOLD                      # (seeds, T)
        assert hit[:, -1].all()
        first = pd.t[hit.argmax(axis=1)]
        errors.append(abs(pd.crossing_times(0.5)[0] - theory))
        spreads.append(first.max() - first.min())
    assert errors[0] > errors[1] > errors[2] and errors[2] <= 0.25, errors
    assert spreads[0] > spreads[1] >= spreads[2], spreads


def test_figures_phase_diagram_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from mftx_widgets.views.figures import phase_diagram_plot

    betas = np.array([0.0, 1.0])
    pd = sw.phase_diagram(betas, np.arange(0.0, 2.01, 1.0), n=4, d=8, seeds=2, dt=0.5, executor="serial",
                          progress=False)
    ax = phase_diagram_plot(pd)
    curve = ax.lines[0]
    # the overlay is the equiangular ODE time t*(beta), drawn as (t*, beta) and cut at the diagram's time range
    t_star, beta_line = curve.get_xdata(), curve.get_ydata()
    np.testing.assert_allclose(t_star, sw.equiangular_boundary(beta_line, 4, THRESHOLD))
    assert "n = 4, d = 8" in ax.get_title()
    ax.figure.savefig(tmp_path / "pd.png")
    back = sw.PhaseDiagram.load(_saved(pd, tmp_path))
    np.testing.assert_array_equal(back.probability, pd.probability)
    assert back.threshold == THRESHOLD == 0.999


def test_phase_diagram_is_immutable_and_records_its_threshold(tmp_path):
    pd = sw.phase_diagram([0.0, 1.0], [0.0, 1.0, 2.0], n=4, d=8, seeds=2, dt=0.5, threshold=0.99,
                          executor="serial", progress=False)
    assert pd.sweep.params["threshold"] == 0.99
    for a in (pd.beta, pd.t, pd.probability):
        with pytest.raises(ValueError, match="read-only"):
            a[...] = 0
    other = sw.PhaseDiagram.from_sweep(pd.sweep, threshold=0.5)       # a new diagram over a new result
    assert other.sweep is not pd.sweep and other.sweep.params["threshold"] == 0.5
    assert pd.sweep.params["threshold"] == 0.99 and pd.threshold == 0.99
    other.save(tmp_path / "other.npz")
    assert sw.PhaseDiagram.load(tmp_path / "other.npz").threshold == 0.5
    np.testing.assert_array_equal(other.probability, (pd.sweep["min_cosine"] >= 0.5).mean(axis=1).T)


def _saved(pd, tmp_path):
    path = tmp_path / "pd.npz"
    pd.save(path)
    return path


def test_collapse_time_vs_n_follows_long_context_scaling():
    """docs/theory.md §7: with beta = gamma log n, gamma < 1 collapses in O(1) time, gamma > 1 much later."""
    r = sw.collapse_time_vs_n([8, 16], [0.5, 2.0], d=64, seeds=2, threshold=0.99, t_max=40.0, dt=0.1,
                              executor="serial", progress=False)
    tc = r["collapse_time"]
    assert tc.shape == (2, 2, 2) and np.all(np.abs(r["rho0"]) < 0.2)
    assert np.all(tc[:, 1, :] > tc[:, 0, :])
    assert r.params["function"] == "collapse_time" and r.params["threshold"] == 0.99 and r.params["d"] == 64
    # gamma = 2 > 1/(1 - rho0): the time to move grows with n (ODE: 7.8 at n = 8, 14.2 at n = 16; ratio 1.8)
    assert np.median(tc[1, 1]) > 1.5 * np.median(tc[0, 1])
    import matplotlib

    matplotlib.use("Agg")
    from mftx_widgets.views.figures import collapse_time_plot

    ax = collapse_time_plot(r)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), np.median(tc[:, 0, :], axis=1))
    assert ax.get_xscale() == "log" and len(ax.lines) == 4       # measured + ODE curve for each gamma
    # gamma = 0.5: within 25% of the equiangular ODE from the measured mean initial cosine
    for i, n in enumerate([8, 16]):
        for s in range(2):
            pred = sw.equiangular_boundary([0.5 * np.log(n)], n, 0.99, rho0=max(r["rho0"][i, 0, s], 0.0))[0]
            assert abs(tc[i, 0, s] - pred) <= 0.25 * pred, (n, tc[i, 0, s], pred)


def test_cluster_count_vs_beta_is_the_dominant_mode():
    """docs/theory.md F10 / F11 (circle): near-uniform starts form k*(beta) clusters (beta 1.5, 3, 5, 9 -> 2, 2, 3, 4).

    Here: lattice of n = 200 plus iid angle noise 1e-3 (two seeds), SA, t = 30 (after the linear phase, before
    any merge; measured counts are stable from t = 25 to t = 40).
    """
    betas = [1.5, 3.0, 5.0, 9.0]
    r = sw.cluster_count_vs_beta(betas, n=200, d=2, t=30.0, seeds=2, dt=0.1, executor="serial", progress=False)
    counts = r["cluster_count"][..., -1]
    expected = [mw.circle.dominant_mode(b) for b in betas]
    assert expected == [2, 2, 3, 4]
    np.testing.assert_array_equal(counts, np.repeat(np.array(expected)[:, None], 2, axis=1))
    import matplotlib

    matplotlib.use("Agg")
    from mftx_widgets.views.figures import cluster_count_plot

    ax = cluster_count_plot(r)
    steps = ax.lines[-1]                                 # the theory overlay: k*(beta) of mw.circle
    b, k = steps.get_xdata(), steps.get_ydata()
    assert k[np.argmin(np.abs(b - 5.0))] == 3 and k[np.argmin(np.abs(b - 9.0))] == 4


@pytest.mark.parametrize("call", [
    lambda: sw.equiangular_boundary([1.0], 32, threshold=1.0),
    lambda: sw.equiangular_boundary([-1.0], 32),
    lambda: sw.equiangular_boundary([1.0], 1),
    lambda: sw.phase_diagram([1.0], [0.0, 0.1], threshold=1.5),
    lambda: sw.collapse_time_vs_n([1], [0.5]),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()
