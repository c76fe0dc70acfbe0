"""Lesson 1's exercise checks: right answers (computed independently of the check) pass, wrong ones fail."""

from __future__ import annotations

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.errors import ParameterError
from mftx_widgets.exercises import lesson01 as ex01


def test_energy_rate_check_accepts_the_identity_and_rejects_a_wrong_factor(capsys):
    x = ex01.exercise1_tokens()
    assert x.shape == (64, 3)
    v = mw.dynamics.reference.velocity(x, 1.0, "USA")           # dense numpy reference
    right = (v ** 2).sum(axis=1).mean()                         # (1/n) sum_i |v_i|^2 (docs/theory.md §3, F12)
    assert ex01.check_energy_rate(right) is True
    assert "✓" in capsys.readouterr().out
    assert ex01.check_energy_rate(2 * right) is False           # the 1/2 of E forgotten
    assert ex01.check_energy_rate(right * 64) is False          # the 1/n forgotten
    assert ex01.check_energy_rate(float("nan")) is False
    assert "✗" in capsys.readouterr().out


@pytest.mark.parametrize("beta, seed", [(0.5, 0), (3.0, 2)])
def test_the_finite_difference_reproduces_the_energy_identity(beta, seed):
    # the check's expected value (a central difference of E along the flow, O(h^2)) against the exact identity
    x = mw.initial.uniform(40, 4, seed=seed)
    v = mw.dynamics.reference.velocity(x, beta, "USA")
    assert ex01.energy_rate_fd(x, beta) == pytest.approx((v ** 2).sum(1).mean(), rel=1e-7)


def test_softmax_denominator_check(capsys):
    assert ex01.check_softmax_denominator(200 * np.exp(4.0)) is True          # n e^beta
    assert ex01.check_softmax_denominator(np.exp(4.0)) is False               # the first edition's e^beta
    assert ex01.check_softmax_denominator(200.0) is False
    assert ex01.check_softmax_denominator(1000 * np.exp(2.0), n=1000, beta=2.0) is True
    x = ex01.cluster_tokens(200)
    angles = np.arccos(np.clip(x[:, 0], -1, 1))
    assert angles.max() <= 0.05 + 1e-12 and np.allclose(np.linalg.norm(x, axis=1), 1)
    with pytest.raises(ParameterError, match="radius"):
        ex01.cluster_tokens(10, radius=1.0)
    capsys.readouterr()
