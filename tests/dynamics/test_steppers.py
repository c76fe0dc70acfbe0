"""The steppers (mftx_widgets.dynamics.steppers): each one's empirical order equals its `order` attribute (log-log
slope of the error over dt = 2^-k), on a smooth ODE, on an SDE (Euler-Maruyama, strong order) and through Simulation
on the sphere; steps are in place and reuse their buffers."""

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.dynamics.steppers import BS3, DOPRI5, RK4, SSPRK3, STEPPERS, Euler, EulerMaruyama, fixed_steps


def _rhs(y, t, out):
    """dy/dt = -y + sin(t) y^2 (smooth, non-autonomous, nonlinear), written in place."""
    np.multiply(y, y, out=out)
    out *= np.sin(t)
    out -= y
    return out


def _slope(dts, errs) -> float:
    return float(np.polyfit(np.log(dts), np.log(errs), 1)[0])


@pytest.mark.parametrize("cls,ks", [(Euler, (6, 7, 8, 9)), (RK4, (3, 4, 5, 6)), (SSPRK3, (4, 5, 6, 7)),
                                    (EulerMaruyama, (6, 7, 8, 9))])
def test_order_on_a_smooth_ode_matches_the_order_attribute(cls, ks):
    y0 = np.array([0.3, -0.5, 0.9])
    _, ref = fixed_steps(RK4(), _rhs, y0, 2.0**-12, 2**12)
    dts = [2.0**-k for k in ks]
    errs = [np.abs(fixed_steps(cls(), _rhs, y0, h, round(1 / h))[1][-1] - ref[-1]).max() for h in dts]
    # Euler-Maruyama without noise is Euler: order 1 on an ODE (its `order` is the strong order with noise)
    expected = 1 if cls is EulerMaruyama else cls.order
    assert _slope(dts, errs) == pytest.approx(expected, abs=0.25)


def test_euler_maruyama_strong_order_one_half():
    """Geometric Brownian motion dX = a X dt + b X dW, X(1) = X0 exp((a - b^2/2) + b W(1)) on the same Brownian
    paths (the coarse increments are sums of fine ones): E|X_N - X(1)| ~ dt^(1/2)."""
    a, b, paths, fine = 0.5, 1.0, 4000, 2**10
    dw = np.random.default_rng(0).standard_normal((fine, paths)) * np.sqrt(1.0 / fine)
    exact = np.exp(a - b * b / 2 + b * dw.sum(axis=0))

    class Increments:                       # an rng that replays the coarse Brownian increments as N(0, 1) draws
        def __init__(self, m):
            self.xi = iter(dw.reshape(m, fine // m, paths).sum(axis=1) / np.sqrt(1.0 / m))

        def standard_normal(self, shape):
            return next(self.xi)

    dts, errs = [], []
    for m in (2**4, 2**5, 2**6, 2**7, 2**8):
        h = 1.0 / m
        stepper, x = EulerMaruyama(Increments(m)), np.ones(paths)
        for s in range(m):
            stepper.step(lambda y, t, out: np.multiply(y, a, out=out), x, s * h, h,
                         g=lambda x0, t, h, xi: b * x0 * np.sqrt(h) * xi)
        dts.append(h)
        errs.append(np.abs(x - exact).mean())
    assert _slope(dts, errs) == pytest.approx(EulerMaruyama.order, abs=0.15)


def test_rk4_is_fourth_order_and_euler_first_order_through_simulation():
    """Simulation (stepper + retraction to the sphere) keeps each stepper's order."""
    x0 = mw.initial.uniform(12, 3, seed=4)
    model = mw.Attention(beta=2.0)
    ref = mw.simulate(model, x0, t_max=1.0, dt=2**-10, method="rk4").x[-1]
    for method in ("rk4", "euler"):
        dts = [2**-k for k in (3, 4, 5, 6)] if method == "rk4" else [2**-k for k in (5, 6, 7, 8)]
        errs = [np.abs(mw.simulate(model, x0, t_max=1.0, dt=h, method=method).x[-1] - ref).max() for h in dts]
        assert _slope(dts, errs) == pytest.approx(STEPPERS[method].order, abs=0.25)


def test_steps_are_in_place_and_reuse_buffers():
    x = np.array([0.3, -0.5, 0.9])
    for stepper in (Euler(), RK4(), SSPRK3(), EulerMaruyama(), DOPRI5(), BS3()):
        y = x.copy()
        assert stepper.step(_rhs, y, 0.0, 0.1) is y and not np.array_equal(y, x)
        bufs = [id(b) for b in stepper._bufs]
        stepper.step(_rhs, y, 0.1, 0.1)
        assert [id(b) for b in stepper._bufs] == bufs
    # an allocating right-hand side f(y, t, out) -> new array gives the same step as the in-place one
    y1, y2 = x.copy(), x.copy()
    RK4().step(_rhs, y1, 0.2, 0.1)
    RK4().step(lambda y, t, out: -y + np.sin(t) * y * y, y2, 0.2, 0.1)
    assert np.abs(y1 - y2).max() <= 1e-15


def test_simulation_uses_the_registry():
    x0 = mw.initial.uniform(5, 3, seed=1)
    assert type(mw.Simulation(mw.Attention(), x0).stepper) is DOPRI5          # the default: error-controlled
    assert type(mw.Simulation(mw.Attention(), x0, method="rk4").stepper) is RK4
    assert type(mw.Simulation(mw.Attention(), x0, method="euler").stepper) is Euler
    sim = mw.Simulation(mw.Attention(noise=0.1), x0, method="Euler-Maruyama")
    assert sim.method == "em" and type(sim.stepper) is EulerMaruyama and sim.stepper.rng is sim.rng
    with pytest.raises(ValueError, match="floating"):
        fixed_steps(RK4(), _rhs, np.arange(3), 0.1, 1)
