"""Lesson 06's exercise checks: the right answer passes, a wrong one fails; the expected values come from
mw.equiangular, and agree with the closed forms derived in docs/derivations/lesson06.md."""

from __future__ import annotations

import math

from mftx_widgets.exercises import lesson06 as ex


def _q(beta: float, n: int, rho: float) -> float:
    """|A_i| for equiangular SA, written out here."""
    z = math.exp(beta) + (n - 1) * math.exp(beta * rho)
    a, b = math.exp(beta) / z, math.exp(beta * rho) / z
    return math.sqrt(a * a + 2 * a * b * (n - 1) * rho + b * b * ((n - 1) + (n - 1) * (n - 2) * rho))


def test_check_attention_norm():
    for beta, n, rho in ((2.0, 10, 0.5), (5.0, 40, 0.1), (0.5, 3, -0.3)):
        assert ex.check_attention_norm(beta, n, rho, _q(beta, n, rho)) is True
    assert ex.check_attention_norm(2.0, 10, 0.5, 1.0) is False


def test_check_ngpt_rate():
    assert ex.check_ngpt_rate(0.5, 1.0) is True
    assert ex.check_ngpt_rate(0.5, 2.0) is False


def test_preln_tail_is_minus_two():
    assert abs(ex.preln_tail_exponent() + 2.0) <= 0.02                # the derived exponent, t in [1e4, 1e5]
    assert ex.check_preln_tail(-2.0) is True
    assert ex.check_preln_tail(-1.0) is False


def test_check_preln_tail_reads_a_nan_placeholder_as_no_answer():
    """The visible exercise cell starts from float("nan"): the check must answer 'not yet', not raise."""
    import math

    from mftx_widgets.exercises import lesson06

    assert lesson06.check_preln_tail(math.nan) is False
    assert lesson06.check_preln_tail(-2.0) is True and lesson06.check_preln_tail(-1.0) is False
