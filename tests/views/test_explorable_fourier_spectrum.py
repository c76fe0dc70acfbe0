"""Lesson 04 explorable, headless: the spectrum readout against a direct computation, lambda_k against the Bessel
formula, the controls rebuild the run, the live task ends on close."""

from __future__ import annotations

import asyncio

import numpy as np
from helpers import run_async
from scipy.special import iv

from mftx_widgets.views.explorables.fourier_spectrum import FourierSpectrum, K


def direct_spectrum(x):
    th = np.arctan2(x[:, 1], x[:, 0])
    k = np.arange(1, K + 1)[:, None]
    return np.hypot(np.cos(k * th).mean(axis=1), np.sin(k * th).mean(axis=1))


def test_readout_matches_direct_spectrum_and_bessel_rates():
    e = FourierSpectrum(beta=5.0, n=300, seed=1)
    np.testing.assert_allclose(e.series[0], direct_spectrum(e.x), rtol=1e-12, atol=1e-14)
    e.step(10)
    assert e.times[-1] > 0 and len(e.series) >= 2
    np.testing.assert_allclose(e.series[-1], direct_spectrum(e.x), rtol=1e-12, atol=1e-14)
    k = np.arange(1, K + 1)
    np.testing.assert_allclose(e.rates, k ** 2 * iv(k, 5.0) / (5.0 * iv(0, 5.0)), rtol=1e-10)
    assert e.k_star == 3                                  # docs/theory.md F10: k*(5) = 3
    assert "k* = 3" in e.text.value
    e.close()


def test_controls_rebuild_the_run():
    e = FourierSpectrum(beta=5.0, n=300, seed=1)
    x_before = e.x.copy()
    e.step(5)
    e.beta.value = 9.0
    assert e.sim.model.beta == 9.0 and e.sim.t == 0.0 and e.k_star == 4 and len(e.times) == 1
    e.n.value = 500
    assert e.x.shape == (500, 2)
    e.n.value = 300
    np.testing.assert_allclose(e.x, x_before)             # same seed, same start
    e.seed.value = 2
    assert not np.allclose(e.x, x_before)
    e.close()


def test_early_growth_follows_the_linear_rate():
    """From a tiny single-mode wiggle of the lattice the k = 3 amplitude grows at lambda_3(5) (F9), measured from the
    readout's own series; the reference is the Bessel formula."""
    e = FourierSpectrum(beta=5.0, n=256, seed=0)
    from mftx_widgets.dynamics import Simulation
    from mftx_widgets.dynamics.initial import circle_lattice
    from mftx_widgets.dynamics.models import Attention
    e.player.load(Simulation(Attention(beta=5.0), circle_lattice(256, {3: 1e-6}), dt=0.1))
    e.start()
    e._draw()
    for _ in range(60):
        e.step(1)
    t, c3 = np.asarray(e.times), np.asarray(e.series)[:, 2]
    rate = np.polyfit(t[t > 1], np.log(c3[t > 1]), 1)[0]
    assert abs(rate / (9 * iv(3, 5.0) / (5.0 * iv(0, 5.0))) - 1) < 1e-3
    e.close()


def test_live_task_ends_on_close():
    async def scenario():
        e = FourierSpectrum(beta=5.0, n=200, seed=0)
        e.play()
        await asyncio.sleep(0.6)
        task = e.player.loop.task
        running = not task.done() and e.sim.t > 0 and e.view.play_button.value
        e.close()
        await asyncio.sleep(0.1)
        return running, task.done()

    assert run_async(scenario()) == (True, True)

