"""Lesson 03 explorable, headless: the measured rate of 1 - |m|^2 against the exact late rates 2 (SA) and
2 e^beta (USA) (docs/theory.md F13), the controls rebuild the run, the live task ends on close."""

from __future__ import annotations

import asyncio
import math

import numpy as np
from helpers import run_async

from mftx_widgets.views.explorables.collapse_rate import CollapseRate


def test_rates_settle_on_the_late_rates():
    e = CollapseRate(kind="SA", beta=1.0, seed=0)
    m = e.x.mean(axis=0)
    assert abs(e.spreads[0] - (1 - m @ m)) < 1e-14
    while e.sim.t < 12.0:
        e.step(20)
    assert abs(e.current_rate - 2.0) <= 0.01                   # F13: SA rate 2 +- 0.01
    e.kind.value = "USA"
    assert e.sim.model.kind == "USA" and e.sim.t == 0.0
    while e.sim.t < 5.0:
        e.step(20)
    assert abs(e.current_rate / (2 * math.e) - 1) <= 0.01     # F13: USA rate 2 e +- 1%
    assert "late rate (USA)" in e.text.value
    e.close()


def test_controls_rebuild_the_run():
    e = CollapseRate()
    x0 = e.x.copy()
    e.beta.value = 2.5
    assert e.sim.model.beta == 2.5
    np.testing.assert_allclose(e.x, x0)
    e.seed.value = 3
    assert not np.allclose(e.x, x0) and np.all(e.x @ e.x.mean(axis=0) > 0)   # a new hemisphere start
    e.close()


def test_live_task_ends_on_close():
    async def scenario():
        e = CollapseRate()
        e.play()
        await asyncio.sleep(0.5)
        task = e.player.loop.task
        running = not task.done() and e.sim.t > 0 and "mftx-play" in e.view.play_button._dom_classes
        e.close()
        await asyncio.sleep(0.1)
        return running, task.done()

    assert run_async(scenario()) == (True, True)

