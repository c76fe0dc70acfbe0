"""The energy monitor: E_beta never decreases along the gradient flow, so a decrease flags a too-large dt."""

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.config import ENERGY_RTOL
from mftx_widgets.dynamics.monitor import EnergyMonitor, energy_applies
from mftx_widgets.errors import InaccurateWarning


def test_applies_only_to_the_gradient_flow():
    assert energy_applies(mw.Attention(beta=2.0)) and energy_applies(mw.Attention(beta=2.0, kind="USA"))
    for model in (mw.Attention(beta=2.0, Q=np.diag([1.0, 2.0, 3.0])), mw.Attention(beta=2.0, norm="pre"),
                  mw.Attention(beta=2.0, noise=0.1)):
        assert not energy_applies(model)
        mon = EnergyMonitor(model, 0.1)
        assert not mon.active and np.isnan(mon.energy(0.0, mw.initial.uniform(5, 3)))


def test_flags_a_decrease_beyond_rtol_and_only_then():
    model = mw.Attention(beta=3.0, kind="USA")
    # USA, beta = 3: rates up to 2 e^3 ~ 40, so dt = 0.3 overshoots and E_beta drops; dt = 0.02 is below 2 / 40
    # fixed RK4 steps (the default adaptive solver would not overshoot; the run's own check flags it too)
    with pytest.warns(InaccurateWarning, match="too large"):
        bad = mw.simulate(model, mw.initial.uniform(30, 3, seed=1), t_max=6.0, dt=0.3, method="rk4")
    good = mw.simulate(model, mw.initial.uniform(30, 3, seed=1), t_max=6.0, dt=0.02, method="rk4")
    assert bad.status == "inaccurate" and good.status == "finished"
    mon = EnergyMonitor(model, 0.3)
    e = [mon.energy(t, x) for t, x in zip(bad.t, bad.x)]
    assert mon.decreases >= 1 and "lower dt" in mon.warning and "dt = 0.3" in mon.warning
    assert mon.decreases == int(np.sum(-np.diff(e) > ENERGY_RTOL * np.abs(e[:-1])))
    ok = EnergyMonitor(model, 0.02)
    e = [ok.energy(t, x) for t, x in zip(good.t, good.x)]
    assert ok.warning is None and ok.decreases == 0 and np.all(np.diff(e) >= 0)
    ok.rewind(e[-1] * 2)                     # continuing from a state of higher energy: the next one is a drop
    ok.energy(6.0, good.x[-1])
    assert ok.decreases == 1 and ok.warning is not None
    ok.clear()
    assert ok.warning is None and ok.decreases == 0 and ok.last is None
