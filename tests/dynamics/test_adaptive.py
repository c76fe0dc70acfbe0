"""The error-controlled solver (dynamics/adaptive.py with steppers.DOPRI5 / BS3, the default of simulate): it matches
an independent tight-tolerance reference (scipy's DOP853 at rtol 1e-12 on the numpy reference field of
dynamics/reference.py) to its own rtol on SA, USA, general Q, K, V and every normalization scheme; its counts add
up; it lands exactly on the save times and on the Mix-LN switch; the pair has its stated orders."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import mftx_widgets as mw
from mftx_widgets.dynamics import reference
from mftx_widgets.dynamics.adaptive import DEFAULT_RTOL, error_norm
from mftx_widgets.dynamics.steppers import ADAPTIVE, BS3, DOPRI5, RK4, fixed_steps

#: the adaptive global error must stay within this multiple of rtol (relative to max |x|) on these short runs
GLOBAL_FACTOR = 10.0
REF_RTOL, REF_ATOL = 1e-12, 1e-13


def _field(model: mw.Attention, norm: str):
    """dz/dt of one scheme from the numpy reference attention (not the numba kernels under test)."""
    b, kind, Q, K, V = model.beta, model.kind, model.Q, model.K, model.V

    def f(z):
        if norm == "post":
            return reference.velocity(z, b, kind, Q, K, V)
        x = z / np.linalg.norm(z, axis=1, keepdims=True)
        a = reference.attention_output(x, b, kind, Q, K, V)
        if norm == "ngpt":
            tang = a - np.sum(a * x, axis=1, keepdims=True) * x
            return model.alpha * tang / np.linalg.norm(a, axis=1, keepdims=True)
        if norm == "peri":
            return a / np.linalg.norm(a, axis=1, keepdims=True)
        return a                                   # pre
    return f


def tight_reference(model: mw.Attention, x0: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """x at the times ts (T, n, d) by DOP853 at rtol 1e-12 on the flattened system (the sphere is invariant under
    the ambient Post-LN / nGPT fields; the end states are projected onto it); Mix-LN as two runs split at the switch."""
    n, d = x0.shape
    segs = [(0.0, ts[-1], model.norm)]
    if model.norm == "mix":
        sw = min(model.mix_switch, ts[-1])
        segs = [(0.0, sw, "post"), (sw, ts[-1], "pre")]
    out, y = {}, x0.astype(float).ravel()
    for a, b, norm in segs:
        if b <= a:
            continue
        f = _field(model, norm)
        sel = sorted({t for t in ts if a <= t <= b} | {b})
        sol = solve_ivp(lambda t, y, f=f: f(y.reshape(n, d)).ravel(), (a, b), y, method="DOP853", rtol=REF_RTOL,
                        atol=REF_ATOL, t_eval=sel)
        assert sol.success
        for t, yy in zip(sol.t, sol.y.T):
            out.setdefault(t, yy.reshape(n, d))
        y = sol.y[:, -1]
    xs = np.stack([out[t] for t in ts])
    if model.norm in ("post", "ngpt"):
        xs /= np.linalg.norm(xs, axis=2, keepdims=True)
    return xs


MODELS = {
    "SA": mw.Attention(beta=4.0),
    "USA": mw.Attention(beta=3.0, kind="USA"),
    "QKV": mw.Attention(beta=2.0, Q=np.diag([1.0, 0.7, 1.3]), V=np.diag([1.0, -0.5, 1.0])),
    "pre": mw.Attention(beta=2.0, norm="pre"),
    "peri": mw.Attention(beta=2.0, norm="peri"),
    "ngpt": mw.Attention(beta=2.0, norm="ngpt", alpha=0.7),
    "mix": mw.Attention(beta=2.0, norm="mix", mix_switch=1.3),
}


@pytest.mark.parametrize("rtol", [DEFAULT_RTOL, 1e-8])
@pytest.mark.parametrize("name", list(MODELS))
def test_matches_a_tight_reference_to_its_rtol(name, rtol):
    model, x0 = MODELS[name], mw.initial.uniform(16, 3, seed=5)
    tr = mw.simulate(model, x0, t_max=5.0, dt=0.5, rtol=rtol)
    assert tr.method == "dopri5" and tr.status == "finished" and tr.rtol == rtol and tr.success
    ref = tight_reference(model, x0, tr.t)
    err = np.abs(tr.x - ref).max() / max(1.0, np.abs(ref).max())
    assert err <= GLOBAL_FACTOR * rtol, f"{name}: global error {err:.3g} > {GLOBAL_FACTOR} x rtol"
    assert 0 < tr.max_error <= 1.0                       # every accepted step passed the error test


def test_tighter_rtol_takes_more_steps_as_the_order_predicts():
    """Steps scale like rtol^(-1/5) for an error estimate of order 4 (local error ~ h^5): 1000x tighter is
    10^(3/5) ~ 4x more steps (dt = 5 never clips a step here)."""
    model, x0 = mw.Attention(beta=4.0), mw.initial.uniform(16, 3, seed=5)
    a = mw.simulate(model, x0, t_max=5.0, dt=5.0, rtol=1e-6, atol=1e-12)
    b = mw.simulate(model, x0, t_max=5.0, dt=5.0, rtol=1e-9, atol=1e-15)
    assert b.n_accepted / a.n_accepted == pytest.approx(10 ** 0.6, rel=0.3)


def test_counts_add_up():
    """nfev = f(x0) + one for the initial step + 6 per trial step (FSAL), + 1 after the Mix-LN switch."""
    x0 = mw.initial.uniform(12, 3, seed=2)
    tr = mw.simulate(mw.Attention(beta=3.0, kind="USA"), x0, t_max=4.0, dt=0.25)
    assert tr.n_rejected > 0 and tr.n_accepted >= len(tr.t) - 1
    assert tr.nfev == 2 + DOPRI5.stages * (tr.n_accepted + tr.n_rejected)
    mix = mw.simulate(mw.Attention(beta=2.0, norm="mix", mix_switch=1.3), x0, t_max=4.0, dt=0.25)
    assert mix.nfev == 3 + DOPRI5.stages * (mix.n_accepted + mix.n_rejected)
    fixed = mw.simulate(mw.Attention(beta=3.0), x0, t_max=4.0, dt=0.25, method="rk4")
    assert fixed.rtol is None and fixed.n_rejected == 0 and fixed.n_accepted == 16


def test_save_times_are_exact_and_the_old_grid():
    x0 = mw.initial.uniform(8, 3, seed=0)
    tr = mw.simulate(mw.Attention(beta=1.0), x0, t_max=1.03, dt=0.1, save_every=3)
    # bit for bit: k * save_every * dt, the last whole step (as before) and t_max
    assert list(tr.t) == [0.0, 3 * 0.1, 6 * 0.1, 9 * 0.1, 10 * 0.1, 1.03]
    assert list(mw.simulate(mw.Attention(beta=1.0), x0, t_max=1.03, dt=0.1, save_every=3, method="rk4").t) == \
        list(tr.t)


def test_never_steps_across_the_mix_switch():
    sim = mw.Simulation(mw.Attention(beta=2.0, norm="mix", mix_switch=1.3), mw.initial.uniform(10, 3, seed=1), dt=1.0)
    trials = []
    trial = sim.stepper.trial

    def spy(f, x, t, h, k1=None):
        trials.append((t, h))
        return trial(f, x, t, h, k1)

    sim.stepper.trial = spy
    sim.step(3)
    assert any(t + h == 1.3 for t, h in trials) and any(t == 1.3 for t, h in trials)
    assert not any(t < 1.3 < t + h for t, h in trials)


def test_step_k_equals_k_single_steps_bit_for_bit():
    model, x0 = mw.Attention(beta=3.0, kind="USA"), mw.initial.uniform(10, 3, seed=4)
    a = mw.Simulation(model, x0, dt=0.3).step(7)
    b = mw.Simulation(model, x0, dt=0.3)
    for _ in range(7):
        b.step(1)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.x, mw.simulate(model, x0, t_max=7 * 0.3, dt=0.3).x[-1])


def _rhs(y, t, out):
    np.multiply(y, y, out=out)
    out *= np.sin(t)
    out -= y
    return out


def _slope(dts, errs) -> float:
    return float(np.polyfit(np.log(dts), np.log(errs), 1)[0])


@pytest.mark.parametrize("cls,ks", [(DOPRI5, (3, 4, 5, 6)), (BS3, (4, 5, 6, 7))])
def test_the_pairs_have_their_orders(cls, ks):
    """Fixed steps of the propagated solution converge at `order` (log-log slope within 0.3); the error estimate
    of one step shrinks like h^(error_order + 1)."""
    y0 = np.array([0.3, -0.5, 0.9])
    _, ref = fixed_steps(RK4(), _rhs, y0, 2.0**-12, 2**12)
    dts = [2.0**-k for k in ks]
    errs = [np.abs(fixed_steps(cls(), _rhs, y0, h, round(1 / h))[1][-1] - ref[-1]).max() for h in dts]
    assert _slope(dts, errs) == pytest.approx(cls.order, abs=0.3)
    hs = [0.1, 0.05, 0.025, 0.0125]
    est = [np.abs(cls().trial(_rhs, y0, 0.3, h)[1]).max() for h in hs]
    assert _slope(hs, est) == pytest.approx(cls.error_order + 1, abs=0.3)


def test_error_estimate_is_the_difference_to_the_embedded_solution():
    """err = x_new - x_embedded, with x_embedded from the embedded weights B - E[:s] (and E[s] on f(x_new))."""
    y0 = np.array([0.3, -0.5, 0.9])
    s = DOPRI5()
    x_new, err, k_last = (a.copy() for a in s.trial(_rhs, y0, 0.3, 0.2))
    K = [b.copy() for b in s._bufs[:s.stages + 1]]
    emb = y0 + 0.2 * sum((b - e) * k for b, e, k in zip(list(DOPRI5.B) + [0.0], DOPRI5.E, K))
    np.testing.assert_allclose(x_new - emb, err, rtol=0, atol=1e-15)
    np.testing.assert_allclose(k_last, _rhs(x_new, 0.5, np.empty(3)), rtol=0, atol=1e-15)


def test_error_norm_is_scipys():
    x, x_new, err = np.array([1.0, -2.0]), np.array([1.5, -1.0]), np.array([3e-6, -4e-6])
    scale = 1e-9 + 1e-6 * np.array([1.5, 2.0])
    assert error_norm(err, x, x_new, 1e-6, 1e-9) == pytest.approx(np.sqrt(np.mean((err / scale) ** 2)), rel=1e-14)
    assert error_norm(np.array([np.nan, 0.0]), x, x_new, 1e-6, 1e-9) == np.inf
    assert ADAPTIVE == ("dopri5", "bs3")


def test_bs3_by_name_also_controls_its_error():
    model, x0 = MODELS["SA"], mw.initial.uniform(16, 3, seed=5)
    tr = mw.simulate(model, x0, t_max=3.0, dt=0.5, method="bs3", rtol=1e-6)
    ref = tight_reference(model, x0, tr.t)
    assert tr.method == "bs3" and np.abs(tr.x - ref).max() <= GLOBAL_FACTOR * 1e-6
