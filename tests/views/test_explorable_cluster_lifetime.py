"""Lesson 05 explorable, headless: the estimate against the closed-form antipodal rate, the measured exit time
against the independent event-located exit of mw.metastability.polygon_exit_time, the controls, the task."""

from __future__ import annotations

import asyncio
import math

import numpy as np
from helpers import run_async

from mftx_widgets import metastability
from mftx_widgets.views.explorables.cluster_lifetime import ClusterLifetime


def test_estimate_is_the_closed_form_for_two_clusters():
    e = ClusterLifetime(k=2, beta=4.0, log10_delta=-3.0)
    lam = 2.0 / (math.exp(8.0) + 1.0)                           # docs/theory.md §8, antipodal pair
    assert abs(e.estimate / ((math.log(1e3) - 1.0) / lam) - 1) < 1e-9
    e.close()


def test_measured_exit_matches_the_event_located_exit():
    e = ClusterLifetime(k=3, beta=6.0, log10_delta=-3.0, seed=0)
    gaps = np.diff(np.sort(np.mod(np.arctan2(e.x[:, 1], e.x[:, 0]), 2 * np.pi)))
    assert abs(e.min_gaps[0] - gaps.min()) < 1e-9
    while e.exit_time is None and e.sim.t < 3 * e.estimate:
        e.step(5)
    ref = metastability.polygon_exit_time(1e-3, 3, 6.0, seed=0)
    # the live readout samples every frame (5 frames of T/300): it sees the exit at most 5 T/300 late
    assert ref <= e.exit_time + 1e-6 and e.exit_time - ref <= 5 * e.estimate / 300 + 1e-6
    assert "measured exit" in e.text.value
    e.close()


def test_controls_rebuild_the_run():
    e = ClusterLifetime(k=3)
    e.k.value = 5
    assert e.x.shape == (5, 2) and e.sim.t == 0.0 and e.exit_time is None
    e.beta.value = 8.0
    assert e.sim.model.beta == 8.0
    t_small = e.estimate
    e.log10_delta.value = -6.0
    assert e.estimate > t_small                                 # smaller perturbation, longer plateau
    e.close()


def test_live_task_ends_on_close():
    async def scenario():
        e = ClusterLifetime()
        e.play()
        await asyncio.sleep(0.5)
        task = e.player.loop.task
        running = not task.done() and e.sim.t > 0
        e.close()
        await asyncio.sleep(0.1)
        return running, task.done()

    assert run_async(scenario()) == (True, True)

