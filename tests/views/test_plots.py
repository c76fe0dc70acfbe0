"""TrajectoryPlots / TimePlots headless: the equiangular theory overlay and a click that moves the time."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.views import TrajectoryPlots


def test_trajectory_plots_theory_overlay_and_click():
    # docs/theory.md F2: equiangular SA, n = d = 10, beta = 2, rho0 = 0.5: rho(3) = 0.99731, particles match to 1e-6
    x0 = mw.initial.equiangular(10, 0.5)
    tr = mw.simulate(mw.Attention(beta=2.0), x0, t_max=3.0, dt=0.01, save_every=10)
    p = TrajectoryPlots(tr)
    assert p.theory is not None
    assert p.theory[-1] == pytest.approx(0.99731, abs=1e-5)
    np.testing.assert_allclose(p.history.mean_cosine, np.interp(p.history.t, tr.t, p.theory), atol=1e-6)
    np.testing.assert_array_equal(p.plots.l_theory.get_ydata(), p.theory)
    assert p.energy_warning is None
    p.plots._on_click(SimpleNamespace(inaxes=p.plots.ax_cos, xdata=1.0))   # a click on a time panel at t = 1
    assert p.time == pytest.approx(1.0)
    assert p.plots.cursors[0].get_xdata()[0] == pytest.approx(1.0)
    p.close()
    uni = TrajectoryPlots(mw.simulate(mw.Attention(beta=2.0), mw.initial.uniform(10, 3), t_max=0.5))
    assert uni.theory is None                                   # no theory curve for a non-equiangular start
    uni.close()


def test_cluster_panel_scale_follows_each_series():
    """Log scale above TimePlots.LOG_CLUSTERS clusters, linear again for a new run with few; an empty series is
    no error (found by the widget fuzz: the log scale stuck after a large run and crashed on an empty one)."""
    import warnings

    from mftx_widgets.views.plots import TimePlots

    p = TimePlots()
    t = np.linspace(0.0, 1.0, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                              # no "non-positive ylim on a log axis"
        p.set_series(t, np.ones(5), np.zeros(5), np.array([400.0, 200, 90, 40, 31]))
        assert p.ax_clusters.get_yscale() == "log" and p.ax_clusters.get_ylim() == pytest.approx((0.8, 520.0))
        p.set_series([], [], [], [])
        assert p.ax_clusters.get_yscale() == "linear"
        p.set_series(t, np.ones(5), np.zeros(5), np.array([3.0, 3, 2, 1, 1]))
        assert p.ax_clusters.get_yscale() == "linear" and p.ax_clusters.get_ylim() == pytest.approx((0.9, 3.1))
    p.close()


def test_energy_panel_for_models_whose_energy_may_fall():
    """E_beta is drawn for every model; "never decreases" is said only where the flow never decreases it."""
    noisy = TrajectoryPlots(mw.simulate(mw.Attention(beta=2.0, noise=0.2), mw.initial.uniform(10, 3, seed=1),
                                        t_max=0.5, seed=3))
    x = noisy.traj.x
    np.testing.assert_allclose(noisy.history.energy[[0, -1]], [mw.observables.energy(x[0], 2.0),
                                                               mw.observables.energy(x[-1], 2.0)], rtol=1e-12)
    assert noisy.plots.ax_energy.get_title() == "energy $E_\\beta$" and noisy.energy_warning is None
    noisy.close()
    plain = TrajectoryPlots(mw.simulate(mw.Attention(beta=2.0), mw.initial.uniform(10, 3, seed=1), t_max=0.5))
    assert plain.plots.ax_energy.get_title() == "energy $E_\\beta$ (never decreases)"
    plain.close()
