"""Lesson 07's exercise checks: the right answer passes, a wrong one fails; the expected values are
independent of the lesson (quadrature, root finding), and agree with the closed forms derived in
docs/derivations/lesson07.md."""

from __future__ import annotations

import math

import pytest
from scipy.special import iv

from mftx_widgets.errors import ParameterError
from mftx_widgets.exercises import lesson07 as ex


def test_mgf_quadrature_matches_bessel_closed_form():
    for beta, d in ((2.0, 3), (9.0, 64), (5.0, 10)):
        nu = d / 2 - 1
        bessel = math.gamma(d / 2) * (2 / beta) ** nu * iv(nu, beta)
        assert ex.mgf_quadrature(beta, d) == pytest.approx(bessel, rel=1e-8)


def test_check_mgf_d3():
    assert ex.check_mgf_d3(5.0, math.sinh(5.0) / 5.0) is True
    assert ex.check_mgf_d3(5.0, math.cosh(5.0)) is False


def test_check_freezing_gamma():
    n, d = 400, 64
    beta = d * (1 - math.sqrt(1 - 2 * math.log(n) / d))          # the quadratic's smaller root
    assert ex.check_freezing_gamma(n, d, beta / math.log(n)) is True
    assert ex.check_freezing_gamma(n, d, 1.5) is False
    with pytest.raises(ParameterError, match="2 log n"):
        ex.freezing_beta(400, 3)


def test_check_d3_half_gamma():
    n = 400
    assert ex.check_d3_half_gamma(n, (n - 1) / (2 * math.log(n))) is True   # large-beta form, within 1%
    assert ex.check_d3_half_gamma(n, 1.5) is False
