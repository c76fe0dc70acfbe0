"""Polygon instability (F14), exit times, energy staircase, pairing phase (F18): docs/theory.md sections 8, 10."""

import math

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.theory import metastability as ms

BETAS = [0.25, 0.5, 1.0, 2.0, 3.5, 5.0, 7.5, 10.0]


@pytest.mark.parametrize("kind", ["SA", "USA"])
@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_F14_polygon_rate_equals_jacobian_top_eigenvalue(k, kind):
    for beta in BETAS:
        lam = ms.polygon_rate(k, beta, kind)
        assert lam > 0
        assert ms.jacobian_top_eigenvalue(k, beta, kind) == pytest.approx(lam, rel=1e-6)


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_F14_closed_forms(kind):
    sa = kind == "SA"
    for beta in BETAS:
        two = 2.0 / (math.exp(2 * beta) + 1.0) if sa else math.exp(-beta)
        tri = (math.exp(-beta / 2) * (1.5 + 2.25 * beta) / (math.exp(beta) + 2 * math.exp(-beta / 2)) if sa
               else math.exp(-beta / 2) * (0.5 + 0.75 * beta))
        for k, val in ((2, two), (3, tri)):
            assert ms.polygon_rate(k, beta, kind) == pytest.approx(val, rel=1e-12)
            assert ms.polygon_rate_closed_form(k, beta, kind) == pytest.approx(val, rel=1e-12)
        square = beta / math.cosh(beta / 2) ** 2 if sa else beta
        lam4 = ms.polygon_rate(4, beta, kind)
        assert ms.polygon_rate_closed_form(4, beta, kind) == pytest.approx(lam4, rel=1e-12)
        if beta >= ms.OMEGA:          # the theory's square formula is the m = 2 mode, the top one for beta >= W(1)
            assert square == pytest.approx(lam4, rel=1e-12)
        else:                         # below W(1) the m = 1 mode is faster
            assert lam4 > square * 1.05


def test_sa_polygon_rates_decay_like_exp_minus_beta_gap():
    """SA: lambda_max(k, beta) ~ e^{-beta (1 - cos(2 pi / k))} times a polynomial in beta (section 8)."""
    for k in (3, 4, 5, 6):
        b1, b2 = 20.0, 40.0
        slope = (math.log(ms.polygon_rate(k, b2)) - math.log(ms.polygon_rate(k, b1))) / (b2 - b1)
        assert slope == pytest.approx(-(1 - math.cos(2 * math.pi / k)), abs=0.1)


def test_exit_time_scales_like_log_inverse_delta_over_rate():
    k, beta = 3, 3.0
    lam = ms.polygon_rate(k, beta)
    t5, t9 = (ms.polygon_exit_time(d, k, beta, seed=0) for d in (1e-5, 1e-9))
    assert (t9 - t5) * lam == pytest.approx(math.log(1e4), rel=1e-4)   # linear phase: pure e^{lambda t} growth
    for mode in (None, 1):
        c = math.log(1e7) - ms.polygon_exit_time(1e-7, k, beta, mode=mode) * lam
        assert 0.0 <= c <= 2.0                                           # C ~ 1 (measured 0.28 and 1.19)
    assert ms.exit_time_estimate(1e-7, k, beta) == pytest.approx((math.log(1e7) - 1.0) / lam, rel=1e-14)


def test_energy_staircase_of_a_metastable_run():
    theta0 = ms.cluster_start([0.0, 0.9, 2.1, 3.7], per_cluster=2, spread=0.05, seed=0)
    traj = ms.metastable_run(theta0, beta=10.0, t_max=3e3, t_min=1e-2, num=41)
    t, energy, count = ms.staircase(traj)
    assert np.all(np.diff(count) <= 0)                                   # clusters only merge
    assert set(count.tolist()) >= {4, 3, 2}
    assert np.all(np.diff(energy) >= -1e-12 * energy.max())              # F12: E_beta non-decreasing
    table = ms.plateaus(t, energy, count)
    assert [p["count"] for p in table] == [4, 3, 2]
    three = table[1]
    # a plateau: once the merge has settled (t >= 2 t_start), energy flat to 1e-3 over more than a decade of t,
    # between rises of more than 10 %
    flat = (count == 3) & (t >= 2.0 * three["t_start"])
    assert t[flat].max() / t[flat].min() > 10.0
    assert energy[flat].max() / energy[flat].min() - 1.0 < 1e-3
    assert energy[flat].min() / energy[0] > 1.1 and energy[-1] / energy[flat].max() > 1.1
    # the staircase of a (t, x) pair equals that of the Trajectory
    t2, e2, c2 = ms.staircase((traj.t, traj.x), beta=10.0)
    assert np.array_equal(e2, energy) and np.array_equal(c2, count)


def test_F18_pairing_closest_pair_merges_first_third_stays():
    for gaps in [(0.5, 1.0), (1.0, 0.6)]:
        for per_cluster in (1, 3):
            res = ms.pairing_run(gaps, beta=40.0, per_cluster=per_cluster)
            rest = [gaps[0], gaps[1], 2 * math.pi - sum(gaps)]
            a = int(np.argmin(rest))
            assert res["pair"] == (a, (a + 1) % 3)
            assert res["pair_displacement"] > 0.2                       # each pair token moved ~ half the gap
            assert res["third_displacement"] < 1e-3 * res["pair_displacement"]


def test_pairing_rescaled_velocity_is_the_hardmax_pair_motion():
    """With dt = e^{beta (1 - c)} ds, the SA velocity of the closest pair tends to P_{x_i} x_j and the rest stop.

    Derived bound for three single tokens (closest pair weight w, other weights w3 << w): the rescaled pair velocity
    differs from P_{x_i} x_j by at most w + w3 + w3 / w, the third's is at most (w31 + w30) / w.
    """
    th = np.array([0.0, 0.5, 1.5])
    x = mw.initial.from_angles(th)
    assert ms.closest_pair(x)[:2] == (0, 1)
    for beta in (20.0, 40.0, 80.0):
        f = ms.pairing_time_rescale(x, beta)
        assert f == pytest.approx(math.exp(beta * (1 - math.cos(0.5))), rel=1e-12)
        vel = f * mw.velocity(mw.Attention(beta=beta), x)
        hard = ms.hardmax_velocity(x)
        w = 1.0 / f
        w_far = math.exp(-beta * (1 - math.cos(1.0)))
        w_farthest = math.exp(-beta * (1 - math.cos(1.5)))
        assert np.abs(vel[:2] - hard[:2]).max() <= w + w_farthest + w_farthest / w
        assert np.linalg.norm(vel[2]) <= (w_far + w_farthest) / w
    # hardmax: each token towards its nearest other point; a point cluster's own tokens are skipped
    hard = ms.hardmax_velocity(mw.initial.from_angles(np.array([0.0, 0.0, 0.5, 1.5])))
    assert hard[0] == pytest.approx([0.0, math.sin(0.5)], abs=1e-15)
    assert np.allclose(hard[0], hard[1], atol=0) and np.linalg.norm(hard[3]) == pytest.approx(math.sin(1.0))


def test_validation():
    with pytest.raises(ValueError, match="k"):
        ms.polygon_rate(1, 2.0)
    with pytest.raises(ValueError, match="kind"):
        ms.polygon_rate(3, 2.0, "hard")
    with pytest.raises(ValueError, match="k must be 2, 3 or 4"):
        ms.polygon_rate_closed_form(5, 2.0)
    with pytest.raises(ValueError, match="delta"):
        ms.exit_time_estimate(0.0, 3, 2.0)
    with pytest.raises(ValueError, match="distinct"):
        ms.pairing_time_rescale(mw.initial.from_angles(np.zeros(3)), 10.0)
    with pytest.raises(ValueError, match="cluster_gaps"):
        ms.pairing_run((3.0, 3.5))
