"""Lesson 05 (metastability time scales): the exercise checks, and the independent reference for the lifetime
slopes the lesson prints (used by test_lessons.EXPECTED["05_metastability_time_scales"]).

The lesson fits log T_k (measured exit times of perturbed polygons, DOP853 with an event) against beta; the
reference fits log(1 / lambda_max) of the closed forms (docs/theory.md §8) over the same betas, computed here
from the formulas, not from mw.metastability.
"""

from __future__ import annotations

import math

import numpy as np
from lesson_references import closed_form, slope_ok

from mftx_widgets.exercises import lesson05 as ex05


def test_reference_slopes_approach_one_minus_cos():
    for k in (2, 3, 4):
        far = np.polyfit([80.0, 90.0], [-math.log(closed_form(k, b)) for b in (80.0, 90.0)], 1)[0]
        assert abs(far - (1 - math.cos(2 * math.pi / k))) < 0.02


def test_slope_ok_rejects_the_naive_asymptote_for_the_square():
    assert slope_ok(2, 2.0) and not slope_ok(4, 1.0)        # at beta = 4..12 the square's slope is ~0.86


def test_exercise_checks_accept_the_answer_and_reject_a_wrong_one(capsys):
    assert ex05.check_antipodal_rate(2 / (math.exp(6.0) + 1), beta=3.0)
    assert not ex05.check_antipodal_rate(math.exp(-6.0), beta=3.0)              # USA-like answer: off by 2 e^6/(e^6+1)
    assert ex05.check_lifetime_slope(2.0, k=2) and not ex05.check_lifetime_slope(1.0, k=2)
    assert ex05.check_lifetime_slope(1.5, k=3) and not ex05.check_lifetime_slope(1.0, k=3)
    out = capsys.readouterr().out
    assert "✓" in out and "✗" in out
