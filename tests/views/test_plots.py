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
