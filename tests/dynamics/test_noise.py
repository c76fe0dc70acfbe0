"""Noisy Kuramoto / mean-field XY model (THEORY.md section 10, F17): the particle SDE at beta = 0 on the circle,
dX_i = P_{X_i} m dt + sqrt(2/kappa) dW_i, run through mw.Simulation (Euler-Maruyama, noise = 1/kappa)."""

import numpy as np
import pytest

import mftx_widgets as mw

circle = mw.circle
N = 2000
DT = 0.1            # EM bias at dt = 0.1 measured below 0.01 in r (kappa = 4); the F17 tolerance is 0.03


def test_F17_incoherent_below_kappa_2():
    # start fully synchronised (r = 1): noise must melt the cluster, the uniform state is the only stationary one
    x0 = np.tile([1.0, 0.0], (N, 1))
    r = circle.noisy_kuramoto_order(1.5, n=N, t_burn=30.0, t_avg=10.0, dt=DT, seed=0, x0=x0)
    assert circle.stationary_order_parameter(1.5) == 0.0
    assert r <= 0.1


def test_F17_synchronised_above_kappa_2():
    # start iid uniform (r ~ n^-1/2): the pitchfork branch r = I_1(kappa r)/I_0(kappa r) ~ 0.8315 must be reached
    r_theory = circle.stationary_order_parameter(4.0)
    assert r_theory == pytest.approx(0.8315, abs=5e-5)
    t, r = circle.noisy_kuramoto(4.0, n=N, t_max=35.0, dt=DT, seed=0)
    assert r[0] < 0.1                                                     # really started incoherent
    assert abs(r[t >= 25.0].mean() - 0.8315) <= 0.03


def test_noise_model_is_the_core_sde():
    # the helper drives the core Euler-Maruyama stepper: same seed, same path as mw.Simulation by hand
    x0 = mw.initial.uniform(50, 2, seed=4)
    t, r = circle.noisy_kuramoto(3.0, t_max=1.0, dt=0.1, seed=4, x0=x0)
    sim = mw.Simulation(mw.Attention(beta=0.0, noise=1 / 3.0), x0, dt=0.1, seed=4)
    sim.step(10)
    assert len(t) == 11 and t[-1] == pytest.approx(1.0)
    assert r[-1] == pytest.approx(mw.observables.order_parameter(sim.x), abs=1e-14)
    assert np.abs(np.linalg.norm(sim.x, axis=1) - 1).max() <= 1e-12


@pytest.mark.parametrize("call,name", [
    (lambda: circle.noisy_kuramoto(0.0), "kappa"),
    (lambda: circle.noisy_kuramoto(-2.0), "kappa"),
    (lambda: circle.noisy_kuramoto(2.0, n=0), "n"),
    (lambda: circle.noisy_kuramoto(2.0, dt=0.0), "dt"),
    (lambda: circle.noisy_kuramoto(2.0, x0=np.ones((5, 3)) / np.sqrt(3)), "x0"),
    (lambda: circle.noisy_kuramoto_order(2.0, t_avg=0.0), "t_avg"),
    (lambda: circle.noisy_kuramoto_order(2.0, t_burn=-1.0), "t_burn"),
])
def test_noise_validation(call, name):
    with pytest.raises(ValueError, match=name):
        call()
