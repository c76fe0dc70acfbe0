"""The velocity field of the normalization schemes (dynamics/field.py) in particle runs: F3 for Pre-, Peri-, Mix-LN,
nGPT (and USA) against the equiangular ODE, and Post-LN exponential vs Pre-LN polynomial collapse."""

import numpy as np
import pytest

import mftx_widgets as mw

N, D, BETA, RHO0, T, DT = 10, 12, 2.0, 0.5, 3.0, 1e-2


def equiangular_stats(z):
    """(mean off-diagonal cosine, its spread, mean radius, radius spread) of a state z (n, d)."""
    r = np.linalg.norm(z, axis=1)
    u = z / r[:, None]
    g = u @ u.T
    off = g[~np.eye(len(z), dtype=bool)]
    return off.mean(), off.max() - off.min(), r.mean(), r.max() - r.min()


def one_minus_cos(z):
    """Mean 1 - <u_i, u_j> over pairs, computed as |u_i - u_j|^2 / 2 (full relative precision near 1)."""
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    dist2 = ((u[:, None, :] - u[None, :, :]) ** 2).sum(-1) / 2.0
    return dist2[~np.eye(len(z), dtype=bool)].mean()


# -- F3: particles started exactly equiangular stay equiangular and follow the ODE ------------------------------------

@pytest.mark.parametrize("norm,variant,kind", [
    ("pre", "pre", "SA"), ("peri", "peri", "SA"), ("ngpt", "ngpt", "SA"),
    ("pre", "pre", "USA"), ("peri", "peri", "USA"), ("ngpt", "ngpt", "USA"), ("post", "USA", "USA"),
])
def test_F3_particles_match_equiangular_ode(norm, variant, kind):
    x0 = mw.initial.equiangular(N, RHO0, d=D, seed=3)
    model = mw.Attention(beta=BETA, kind=kind, norm=norm, alpha=1.5)
    traj = mw.simulate(model, x0, T, dt=DT, save_every=25)
    rho, r = mw.equiangular.solve(variant, BETA, N, RHO0, traj.t, alpha=1.5, kind=kind, return_radius=True)
    s = np.array([equiangular_stats(z) for z in traj.x])
    assert np.abs(s[:, 0] - rho).max() <= 1e-6
    assert np.abs(s[:, 2] - r).max() <= 1e-6
    assert s[:, 1].max() <= 1e-9 and s[:, 3].max() <= 1e-9        # stays equiangular, equal radii
    assert rho[-1] > 0.9                                            # and it actually moved


@pytest.mark.parametrize("kind", ["SA", "USA"])
@pytest.mark.parametrize("switch", [1.0, 1.005])
def test_F3_mix_ln_piecewise_particles_match_ode(kind, switch):
    """Mix-LN = Post-LN until the switch, then Pre-LN from the same state (r = 1 at the switch)."""
    x0 = mw.initial.equiangular(N, RHO0, d=D, seed=3)
    first = mw.Simulation(mw.Attention(beta=BETA, kind=kind, norm="post"), x0, dt=DT).advance_to(switch)
    second = mw.Simulation(mw.Attention(beta=BETA, kind=kind, norm="pre"), first.x.copy(), dt=DT)
    second.advance_to(T - switch)
    rho, r = mw.equiangular.solve("mix", BETA, N, RHO0, [0.0, switch, T], kind=kind, mix_switch=switch,
                                  return_radius=True)
    s = equiangular_stats(second.x)
    assert abs(s[0] - rho[-1]) <= 1e-6 and abs(s[2] - r[-1]) <= 1e-6
    assert r[1] == pytest.approx(1.0, abs=1e-9) and r[-1] > 1.5     # radius frozen before, grows after


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_F3_mix_ln_single_simulation_matches_ode(kind):
    x0 = mw.initial.equiangular(N, RHO0, d=D, seed=3)
    sim = mw.Simulation(mw.Attention(beta=BETA, kind=kind, norm="mix", mix_switch=1.0), x0, dt=DT).advance_to(T)
    rho, r = mw.equiangular.solve("mix", BETA, N, RHO0, [0.0, 1.0, T], kind=kind, mix_switch=1.0,
                                  return_radius=True)
    s = equiangular_stats(sim.x)
    assert abs(s[0] - rho[-1]) <= 1e-6 and abs(s[2] - r[-1]) <= 1e-6


# -- Post-LN exponential vs Pre-LN polynomial, in particles -----------------------------------------------------------

def test_post_ln_exponential_vs_pre_ln_polynomial_particles():
    n, beta = 6, 1.0
    x0 = mw.initial.equiangular(n, RHO0)
    runs = {}
    for norm in ("post", "pre"):
        traj = mw.simulate(mw.Attention(beta=beta, norm=norm), x0, 16.0, dt=0.02, save_every=50)
        runs[norm] = (traj.t, np.array([one_minus_cos(z) for z in traj.x]))
    t, post = runs["post"]
    _, pre = runs["pre"]
    late = t >= 8.0
    post_rate = -np.polyfit(t[late], np.log(post[late]), 1)[0]
    pre_rate = -np.polyfit(t[late], np.log(pre[late]), 1)[0]
    pre_power = np.polyfit(np.log(t[late]), np.log(pre[late]), 1)[0]
    assert post_rate == pytest.approx(2.0, rel=1e-2)               # 1 - rho ~ C e^{-2t}
    assert pre_rate < 0.25                                          # not exponential ...
    assert -2.2 <= pre_power <= -1.7                                # ... but ~ t^-2 (-> -2 as t grows, F4)
    assert pre[-1] / post[-1] > 1e10
    # both agree with their ODEs (Post-LN compared where one_minus_rho keeps full precision)
    ode_pre = mw.equiangular.one_minus_rho("pre", beta, n, RHO0, t)
    assert np.abs(pre / ode_pre - 1.0).max() <= 1e-6
    ode_post = mw.equiangular.one_minus_rho("SA", beta, n, RHO0, t)
    ok = ode_post > 1e-8
    assert ok.sum() >= 5 and np.abs(post[ok] / ode_post[ok] - 1.0).max() <= 1e-6


# -- a vanishing attention output: nGPT and Peri-LN divide by |attn| -------------------------------------------------

def _zero_attention_cases():
    pair = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])          # beta = 0: attn = mean = 0 exactly
    four = np.concatenate([mw.initial.uniform(2, 3, seed=4), -mw.initial.uniform(2, 3, seed=4)])
    x = mw.initial.uniform(7, 3, seed=1)
    return [(mw.Attention(beta=0.0), pair), (mw.Attention(beta=0.0), four),
            (mw.Attention(beta=2.0, V=np.zeros((3, 3))), x),
            (mw.Attention(beta=2.0, kind="USA", V=np.zeros((3, 3))), x)]


@pytest.mark.parametrize("norm", ["peri", "ngpt", "post", "pre", "mix"])
def test_vanishing_attention_gives_zero_velocity_not_nan(norm: str) -> None:
    """Where attn_i = 0 the direction attn / |attn| is undefined: the layer adds nothing, velocity 0 (field.py).
    The other schemes are 0 there anyway (P_x 0 = 0, attn = 0)."""
    for model, x in _zero_attention_cases():
        model = model.replace(norm=norm)
        v = mw.velocity(model, x)
        assert np.all(np.isfinite(v)), (norm, model)
        assert np.abs(v).max() <= 1e-15, (norm, model, v)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tiny_attention_keeps_its_direction(dtype: str) -> None:
    """V = 1e-30 I (float32: squares underflow) or 1e-300 I: Peri-LN attn / |attn| and nGPT are the V = I values."""
    x = mw.initial.uniform(9, 3, seed=2, dtype=dtype)
    tiny = 1e-30 if dtype == "float32" else 1e-300
    for norm in ("peri", "ngpt"):
        ref = mw.velocity(mw.Attention(beta=3.0, norm=norm, dtype=dtype), x)
        got = mw.velocity(mw.Attention(beta=3.0, norm=norm, dtype=dtype, V=tiny * np.eye(3)), x)
        assert np.abs(got - ref).max() <= (1e-6 if dtype == "float32" else 1e-14), norm


@pytest.mark.parametrize("norm", ["peri", "ngpt"])
def test_simulate_through_vanishing_attention_is_finite(norm: str) -> None:
    """An antipodal pair at beta = 0 is a fixed point of every scheme: simulate keeps it, no SimulationError."""
    x0 = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    traj = mw.simulate(mw.Attention(beta=0.0, norm=norm), x0, t_max=1.0, dt=0.1)
    assert np.all(np.isfinite(traj.x)) and np.abs(traj.x[-1] - x0).max() <= 1e-15
