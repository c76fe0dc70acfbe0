"""The circle d = 2 (theory/circle.py; docs/theory.md sections 4, 5, 8, 10): growth rates, dominant modes,
crossovers, Bessel couplings, the lattice rate, the phase ODE against particles (F6), Kuramoto, noisy Kuramoto
(F17, the particle SDE at beta = 0 through mw.Simulation's Euler-Maruyama). Facts F6, F7, F9, F10, F11, F17."""

import numpy as np
import pytest
from scipy import special

import mftx_widgets as mw
from mftx_widgets.theory import meanfield as mf

circle = mw.circle
N_NOISY = 2000
DT_NOISY = 0.1      # EM bias at dt = 0.1 measured below 0.01 in r (kappa = 4); the F17 tolerance is 0.03


# -- F7: Fourier identity of the coupling ------------------------------------------------------------------------

@pytest.mark.parametrize("beta", [0.0, 1e-6, 0.5, 1.0, 3.0, 5.0, 10.0])
def test_F7_fourier_identity_of_coupling(beta):
    phi = np.linspace(-np.pi, np.pi, 2001)
    K = circle.coupling_harmonics(beta, 80)
    series = np.sin(np.outer(phi, np.arange(1, 81))) @ K
    exact = np.exp(beta * np.cos(phi)) * np.sin(phi)                     # h(phi), docs/theory.md section 4
    assert np.abs(series - exact).max() <= 1e-10
    assert np.allclose(circle.coupling(phi, beta), exact, rtol=0, atol=1e-14 * np.exp(beta))


def test_coupling_harmonics_closed_form_and_beta0_limit():
    k = np.arange(1, 11)
    for beta in (0.3, 2.0, 7.0):
        assert np.allclose(circle.coupling_harmonics(beta, 10), 2 * k * special.iv(k, beta) / beta, rtol=1e-13)
    k0 = circle.coupling_harmonics(0.0, 5)
    assert k0.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]                      # beta = 0: classical Kuramoto sin(phi)
    assert np.allclose(circle.coupling_harmonics(1e-8, 3), [1.0, 0.0, 0.0], atol=1e-8)


# -- section 5: growth rates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("beta", [0.3, 1.0, 5.0, 12.0, 40.0])
def test_growth_rates_circle_closed_form(beta):
    k = np.arange(1, 21)
    usa = k ** 2 * special.iv(k, beta) / beta
    assert np.allclose(circle.growth_rates(beta, "USA", 20), usa, rtol=1e-12, atol=0)
    assert np.allclose(circle.growth_rates(beta, "SA", 20), usa / special.iv(0, beta), rtol=1e-12, atol=0)


@pytest.mark.parametrize("d", [3, 4, 7])
def test_growth_rates_sphere_closed_form(d):
    ell = np.arange(1, 11)
    nu = d / 2 - 1
    for beta in (0.5, 4.0, 15.0):
        usa = ell * (ell + d - 2) * special.gamma(d / 2) * (2 / beta) ** nu * special.iv(ell + nu, beta) / beta
        sa = ell * (ell + d - 2) * special.iv(ell + nu, beta) / (beta * special.iv(nu, beta))
        assert np.allclose(circle.growth_rates(beta, "USA", 10, d=d), usa, rtol=1e-12, atol=0)
        assert np.allclose(circle.growth_rates(beta, "SA", 10, d=d), sa, rtol=1e-12, atol=0)


def test_growth_rates_high_dimension_against_mpmath():
    # I_{511}(10) underflows in float64: the series fallback is used. Expected values from mpmath.besseli (50 digits).
    sa = [0.9989283669823523, 0.019489474704390868, 0.00028463033025736027]
    usa = [1.0489121651227493, 0.02046467773364257, 0.00029887249760635276]
    assert np.allclose(circle.growth_rates(10.0, "SA", 3, d=1024), sa, rtol=1e-10, atol=0)
    assert np.allclose(circle.growth_rates(10.0, "USA", 3, d=1024), usa, rtol=1e-10, atol=0)


@pytest.mark.parametrize("d", [2, 3, 1024])
@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_growth_rates_beta0_limit_no_nan(d, kind):
    # beta -> 0: lambda_1 -> (d - 1)/d (1/2 on the circle), lambda_l -> 0 for l >= 2
    limit = np.zeros(20)
    limit[0] = (d - 1) / d
    assert np.array_equal(circle.growth_rates(0.0, kind, 20, d=d), limit)
    for beta in (1e-300, 1e-12, 1e-6):
        lam = circle.growth_rates(beta, kind, 20, d=d)
        assert np.all(np.isfinite(lam)) and np.all(lam >= 0)
        assert np.allclose(lam, limit, rtol=0, atol=10 * beta + 1e-14)


def test_sa_top_rate_tends_to_2_over_e_from_below():
    gaps = []
    for beta in (20.0, 200.0, 2000.0, 1e4):
        top = circle.growth_rates(beta, "SA", int(3 * np.sqrt(2 * beta)) + 10).max()
        gaps.append(2 / np.e - top)
    assert all(g > 0 for g in gaps)                                       # from below
    assert all(a > b for a, b in zip(gaps, gaps[1:]))                     # monotonically closer
    assert gaps[-1] < 1e-4


# -- F10, crossovers ------------------------------------------------------------------------------------------------

def test_F10_dominant_modes():
    assert [circle.dominant_mode(b) for b in (1, 2, 5, 8, 12, 20)] == [1, 2, 3, 4, 5, 6]
    assert [circle.dominant_mode(b, d=3) for b in (5, 12)] == [3, 4]
    assert [circle.predicted_cluster_count(b) for b in (1.5, 3, 5, 9)] == [2, 2, 3, 4]
    for beta in (0.0, 1.5, 4.0, 9.0, 30.0, 100.0):                        # same argmax for SA and USA
        assert np.argmax(circle.growth_rates(beta, "USA", 40)) + 1 == circle.dominant_mode(beta)
    assert abs(circle.dominant_mode(800.0) - np.sqrt(2 * 800.0)) <= 1.0  # k* ~ sqrt(2 beta)


def test_crossovers_values():
    theory = [1.044457, 3.165434, 6.211298, 10.228483, 15.236277, 21.240452]
    b = circle.crossovers(6)
    assert np.allclose(b, theory, rtol=0, atol=1e-5)
    for k, bk in enumerate(b, start=1):
        assert circle.dominant_mode(bk - 1e-4) == k and circle.dominant_mode(bk + 1e-4) == k + 1
        lam = circle.growth_rates(bk, "SA", k + 1)
        assert abs(lam[k - 1] - lam[k]) <= 1e-12


# -- lattice rate (section 5) and k-gon closed forms (section 8) ------------------------------------------------------

def test_lattice_rate_converges_to_continuum():
    for kind in ("SA", "USA"):
        cont = circle.growth_rates(5.0, kind, 3)
        errs = [np.abs(circle.lattice_rate(n, np.arange(1, 4), 5.0, kind) - cont).max() for n in (6, 9, 12, 18)]
        assert all(a > b for a, b in zip(errs[:-1], errs[1:]))             # (exponential) convergence in n
        assert np.abs(circle.lattice_rate(64, np.arange(1, 4), 5.0, kind) - cont).max() <= 1e-12 * cont.max()
        assert np.allclose(circle.lattice_rate(1000, np.arange(1, 7), 12.0, kind),
                           circle.growth_rates(12.0, kind, 6), rtol=1e-12)


@pytest.mark.parametrize("beta", [1.0, 2.0, 6.0])
def test_polygon_rates_closed_forms(beta):
    # section 8 closed forms of lambda_max(k, beta) = max_m lambda_m^(k). For the square they are the rate of the
    # alternating mode m = 2, which is the largest only for beta >~ 0.568 (at beta = 0.5, m = 1 is faster).
    def top(k, kind):
        return circle.lattice_rate(k, np.arange(1, k), beta, kind).max()
    e = np.exp
    assert top(2, "SA") == pytest.approx(2 / (e(2 * beta) + 1), rel=1e-12)
    assert top(2, "USA") == pytest.approx(e(-beta), rel=1e-12)
    assert top(3, "SA") == pytest.approx(e(-beta / 2) * (1.5 + 2.25 * beta) / (e(beta) + 2 * e(-beta / 2)), rel=1e-12)
    assert top(3, "USA") == pytest.approx(e(-beta / 2) * (0.5 + 0.75 * beta), rel=1e-12)
    assert top(4, "SA") == pytest.approx(beta / np.cosh(beta / 2) ** 2, rel=1e-12)
    assert top(4, "USA") == pytest.approx(beta, rel=1e-12)
    assert circle.lattice_rate(4, 2, 0.5, "USA") == pytest.approx(0.5, rel=1e-12)
    assert isinstance(circle.lattice_rate(4, 1, beta), float)


# -- stationary order parameter, Kuramoto ---------------------------------------------------------------------------

def test_stationary_order_parameter():
    r = circle.stationary_order_parameter(4.0)
    assert r == pytest.approx(0.8315, abs=5e-5)
    for kappa in (2.5, 4.0, 10.0, 50.0):
        r = circle.stationary_order_parameter(kappa)
        assert 0 < r < 1 and abs(r - special.iv(1, kappa * r) / special.iv(0, kappa * r)) <= 1e-12
    assert circle.stationary_order_parameter(1.5) == 0.0 and circle.stationary_order_parameter(2.0) == 0.0
    # pitchfork: r^2 ~ 8 (kappa - 2) / kappa^3 just above kappa = 2
    assert circle.stationary_order_parameter(2.001) == pytest.approx(np.sqrt(8e-3 / 2.001 ** 3), rel=2e-3)


def test_kuramoto_equals_beta0_phase_model_and_synchronises():
    theta0 = np.random.default_rng(3).uniform(-np.pi, np.pi, 7)
    t1, th1 = circle.kuramoto(theta0, 3.0, dt=1e-3, save_every=100)
    t2, th2 = circle.simulate_phases(theta0, 0.0, 3.0, dt=1e-3, kind="SA", save_every=100)
    assert np.allclose(t1, t2) and np.abs(th1 - th2).max() <= 1e-10
    # identical oscillators, open-half-circle start: r -> 1 monotonically (gradient flow of |m|^2/2)
    t, th = circle.kuramoto(np.linspace(-1.0, 1.0, 50), 20.0, dt=0.05)
    r = circle.order_parameter(th)
    assert np.all(np.diff(r) >= -1e-12) and r[-1] > 1 - 1e-9
    # beta = 0 mean field from a wrapped-Cauchy-like sample: r^2 = r0^2 e^t / (1 - r0^2 + r0^2 e^t) for large n
    n, r0 = 4000, 0.2
    u = (np.arange(n) + 0.5) / n
    sample = 2 * np.arctan((1 - r0) / (1 + r0) * np.tan(np.pi * (u - 0.5)))     # wrapped Cauchy quantiles
    t, th = circle.kuramoto(sample, 3.0, dt=0.01, save_every=100)
    assert np.allclose(circle.order_parameter(th), mf.wrapped_cauchy_r(t, r0), atol=1e-3)


# -- F9: linear growth in the particle system -----------------------------------------------------------------------

@pytest.mark.parametrize("kind,beta,k", [("SA", 0.5, 1), ("SA", 5.0, 3), ("SA", 12.0, 5), ("SA", 3.0, 1),
                                         ("USA", 2.0, 2)])
def test_F9_particle_lattice_growth_rate(kind, beta, k):
    n = 1000
    lam = circle.growth_rates(beta, kind, 20)
    T = 8.0 / lam[k - 1]                                                  # lambda_k T = 8 <= 10
    assert (lam.max() - lam[k - 1]) * T <= 15                             # docs/theory.md F9 constraint
    x0 = mw.initial.circle_lattice(n, {k: 1e-7})
    traj = mw.simulate(mw.Attention(beta=beta, kind=kind), x0, t_max=T, dt=0.2 / lam.max(), save_every=10)
    amp = circle.order_parameter(circle.angles(traj.x), k)                 # |mean e^{ik theta}|
    slope = np.polyfit(traj.t, np.log(amp), 1)[0]
    assert slope == pytest.approx(lam[k - 1], rel=1e-4)


# -- F11: cluster count from a near-uniform lattice -------------------------------------------------------------------

@pytest.mark.parametrize("beta,expected", [(1.5, 2), (3.0, 2), (5.0, 3), (9.0, 4)])
def test_F11_cluster_count(beta, expected):
    # modes 1..8 with a_k = 1e-3 / k: every |mean e^{ik theta}| starts at 5e-4 (no mode is favoured)
    x0 = mw.initial.circle_lattice(500, {k: 1e-3 / k for k in range(1, 9)})
    sim = mw.Simulation(mw.Attention(beta=beta, kind="SA"), x0, dt=0.1)
    sim.advance_to(8.0)                                                   # linear phase: mode k* leads
    amps = [circle.order_parameter(circle.angles(sim.x), k) for k in range(1, 13)]
    assert int(np.argmax(amps)) + 1 == expected == circle.predicted_cluster_count(beta)
    sim.advance_to(25.0)                                                  # clusters formed, not yet merged
    assert mw.observables.cluster_count(sim.x) == expected
    th = np.sort(circle.angles(sim.x))
    gaps = np.diff(np.r_[th, th[0] + 2 * np.pi])
    assert int((gaps > 0.3).sum()) == expected                            # circle gap count agrees


# -- F6: particles on the circle follow the phase ODE -----------------------------------------------------------------

@pytest.mark.parametrize("beta,kind", [(0.0, "SA"), (1.0, "SA"), (4.0, "SA"), (2.0, "USA")])
def test_F6_circle_particles_match_phase_ode(beta, kind):
    n = 10
    theta0 = np.random.default_rng(5).uniform(-np.pi, np.pi, n)
    x0 = mw.initial.from_angles(theta0)
    traj = mw.simulate(mw.Attention(beta=beta, kind=kind), x0, t_max=3.0, dt=1e-3, save_every=100)
    t, th = mw.circle.simulate_phases(theta0, beta, 3.0, dt=1e-3, kind=kind, save_every=100)
    assert np.allclose(t, traj.t)
    ang = mw.circle.angles(traj.x)
    diff = np.angle(np.exp(1j * (ang - th)))
    assert np.max(np.abs(diff)) <= 1e-9


# -- F17: noisy Kuramoto ----------------------------------------------------------------------------------------------

def test_F17_incoherent_below_kappa_2():
    # start fully synchronised (r = 1): noise must melt the cluster, the uniform state is the only stationary one
    x0 = np.tile([1.0, 0.0], (N_NOISY, 1))
    r = circle.noisy_kuramoto_order(1.5, n=N_NOISY, t_burn=30.0, t_avg=10.0, dt=DT_NOISY, seed=0, x0=x0)
    assert circle.stationary_order_parameter(1.5) == 0.0
    assert r <= 0.1


def test_F17_synchronised_above_kappa_2():
    # start iid uniform (r ~ n^-1/2): the pitchfork branch r = I_1(kappa r)/I_0(kappa r) ~ 0.8315 must be reached
    r_theory = circle.stationary_order_parameter(4.0)
    assert r_theory == pytest.approx(0.8315, abs=5e-5)
    t, r = circle.noisy_kuramoto(4.0, n=N_NOISY, t_max=35.0, dt=DT_NOISY, seed=0)
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


# -- validation -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,name", [
    (lambda: circle.growth_rates(-1.0), "beta"),
    (lambda: circle.growth_rates(np.nan), "beta"),
    (lambda: circle.growth_rates(800.0, "USA"), "beta"),
    (lambda: circle.growth_rates(1.0, "XYZ"), "kind"),
    (lambda: circle.growth_rates(1.0, kmax=0), "kmax"),
    (lambda: circle.growth_rates(1.0, kmax=2.5), "kmax"),
    (lambda: circle.growth_rates(1.0, d=1), "d"),
    (lambda: circle.dominant_mode(-0.1), "beta"),
    (lambda: circle.crossovers(0), "kmax"),
    (lambda: circle.coupling_harmonics(1.0, kmax=-3), "kmax"),
    (lambda: circle.coupling_harmonics(-2.0), "beta"),
    (lambda: circle.lattice_rate(0, 1, 1.0), "n"),
    (lambda: circle.lattice_rate(10, 1.5, 1.0), "m"),
    (lambda: circle.stationary_order_parameter(0.0), "kappa"),
    (lambda: circle.stationary_order_parameter(-1.0), "kappa"),
    (lambda: circle.kuramoto([0.0, np.nan], 1.0), "theta0"),
    (lambda: circle.kuramoto([0.0, 1.0], 1.0, dt=0.0), "dt"),
    (lambda: circle.order_parameter([0.0, 1.0], k=-1), "k"),
    (lambda: circle.noisy_kuramoto(0.0), "kappa"),
    (lambda: circle.noisy_kuramoto(-2.0), "kappa"),
    (lambda: circle.noisy_kuramoto(2.0, n=0), "n"),
    (lambda: circle.noisy_kuramoto(2.0, dt=0.0), "dt"),
    (lambda: circle.noisy_kuramoto(2.0, x0=np.ones((5, 3)) / np.sqrt(3)), "x0"),
    (lambda: circle.noisy_kuramoto_order(2.0, t_avg=0.0), "t_avg"),
    (lambda: circle.noisy_kuramoto_order(2.0, t_burn=-1.0), "t_burn"),
])
def test_validation_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_dominant_mode_up_to_the_bessel_limit():
    """k*(beta) ~ sqrt(2 beta) (docs/theory.md F10) holds to +-1 up to beta = 1e8 (circle.MAX_BESSEL_BETA); above
    it a ParameterError names beta (it used to blame kmax, which the user never passed)."""
    for beta in (1e4, 1e6, 1e8):
        assert abs(mw.circle.dominant_mode(beta) - np.sqrt(2.0 * beta)) <= 1.0, beta
    with pytest.raises(mw.ParameterError, match="beta"):
        mw.circle.dominant_mode(1e10)
    with pytest.raises(mw.ParameterError, match="beta"):
        mw.circle.growth_rates(1e300)
