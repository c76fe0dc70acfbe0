"""The Player and its parts headless: the step budget, the frame loop, pacing by speed, plot throttling,
time travel."""

from __future__ import annotations

import pytest

from mftx_widgets.views import StepBudget


def test_step_budget_fits_frame():
    b = StepBudget(fps=20, fill=0.5)
    assert b.steps(10) == 1                       # no estimate yet: one step
    b.record(4, 0.04)                             # 10 ms per step, budget 25 ms per frame
    assert b.steps(10) == 2 and b.steps(1) == 1 and b.steps(0) == 0
    b.record(1, 1.0)                              # a very slow step: still at least one per frame
    assert b.steps(10) == 1
    with pytest.raises(ValueError, match="fps"):
        StepBudget(fps=0)
