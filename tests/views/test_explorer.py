"""The Explorer headless: controls change the model and the start, buffers resize, the frame task ends on close,
bounded memory, the energy warning, copy-code, time travel, presets, validation, lecturer mode, attention."""

from __future__ import annotations

import asyncio
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import live_widget_count

import mftx_widgets as mw
from mftx_widgets.dynamics.observables import attention_weights
from mftx_widgets.views import PRESETS, Explorer


def run_frames(ex: Explorer, frames: int) -> None:
    """Drive the player's frame function as the loop would (speed = fps * dt: exactly one solver step per frame)."""
    ex.set_params(speed=ex.fps * ex.sim.dt)
    ex.player.playing = True
    for _ in range(frames):
        ex.player.frame()
    ex.player.playing = False


def test_controls_change_traits(explorer):
    ex = explorer(n=20, d=3)
    c = ex.controls
    c.play_button.click()
    assert ex.playing and c.play_button.description == "Pause"
    c.play_button.click()
    assert not ex.playing and c.play_button.description == "Play"
    c.step_button.click()
    assert ex.steps_total == ex.frame_steps and ex.sim.t == pytest.approx(ex.frame_steps * ex.sim.dt)
    c.beta.value = 2.5
    assert ex.model.beta == 2.5 and ex.sim.t == 0.0             # a parameter change restarts cleanly
    c.kind.value = "USA"
    assert ex.model.kind == "USA"
    c.norm.value = "pre"
    assert ex.model.norm == "pre"
    c.noise.value = 0.1
    assert ex.model.noise == pytest.approx(0.1) and ex.sim.method == "em"
    c.dt.value = 0.02
    assert ex.sim.dt == pytest.approx(0.02)
    c.seed.value = 7
    np.testing.assert_array_equal(ex.sim.x, mw.initial.uniform(20, 3, seed=7))
    c.init.value = "hemisphere"
    assert np.all(ex.sim.x[:, 0] > 0)
    ex.step(5)
    c.reset_button.click()
    assert ex.sim.t == 0.0 and ex.steps_total == 0
    c.preset.value = "Kuramoto sync"
    for key, val in PRESETS["Kuramoto sync"].values.items():
        assert ex.params[key] == pytest.approx(val) if isinstance(val, float) else ex.params[key] == val
    assert ex.model.beta == 0.0 and ex.sim.d == 2
    assert c.beta.value == 0.0 and c.d.value == 2               # the controls follow
    c.code_button.click()
    assert "mw.Attention(beta=0.0" in c.code_output.value and c.code_output.layout.display is None


def test_buffers_resize_together(explorer):
    ex = explorer(n=20, trails=4)
    ex.step(2)
    ex.set_params(n=37)
    pts = ex.sphere.points.geometry.attributes
    assert pts["position"].array.shape == (37, 3) and pts["color"].array.shape == (37, 3)
    ex.step(3)
    tr = ex.sphere.trail_lines.geometry.attributes
    assert tr["position"].array.shape == (4 * 37 * 2, 3) and tr["color"].array.shape == (4 * 37 * 2, 3)
    ex.controls.n.value = 9
    assert ex.sim.n == 9 and ex.sphere.positions.shape == (9, 3) and ex.sphere.colours.shape == (9, 3)
    ex.controls.d.value = 2
    assert ex.sim.d == 2
    np.testing.assert_array_equal(ex.sphere.positions[:, 2], 0.0)
    ex.set_params(init="equiangular", n=8, rho0=0.4)
    assert ex.sim.d >= 8 and ex.sphere.positions.shape == (8, 3)


def test_frame_loop_runs_one_task_and_ends_on_close(explorer):
    async def scenario():
        ex = explorer(n=20, fps=30)
        ex.play()
        ex.play()                                                 # idempotent: still one task
        await asyncio.sleep(0.8)
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        assert tasks == {ex.loop.task}
        assert ex.loop.frames >= 5 and ex.sim.t > 0
        t_running = ex.sim.t
        ex.pause()
        await asyncio.sleep(0.1)
        assert ex.loop.task.done() and ex.sim.t == t_running
        ex.play()
        await asyncio.sleep(0.3)
        task = ex.loop.task
        assert not task.done()
        ex.close()
        await asyncio.sleep(0.1)
        assert task.done() and not ex.playing
        assert asyncio.all_tasks() == {asyncio.current_task()}
        return ex.loop.error

    assert asyncio.run(scenario()) is None


def test_no_widget_or_memory_growth_over_2000_frames(explorer):
    ex = explorer(n=8, d=3, plot_interval=10.0)
    run_frames(ex, 1400)
    n_widgets = live_widget_count()
    tracemalloc.start()
    run_frames(ex, 100)
    base = tracemalloc.take_snapshot()
    run_frames(ex, 500)
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(base, "filename"))
    tracemalloc.stop()
    assert ex.steps_total == 2000
    assert live_widget_count() == n_widgets                        # no widget created per frame
    assert len(ex.history) <= ex.history.max_len and len(ex.history.snapshots) <= ex.history.max_snapshots
    assert grown < 256 * 1024, f"memory grew by {grown} bytes over 500 frames"


def test_live_n2000_keeps_event_loop_responsive(explorer):
    """n = 2000 in d = 3 playing: other coroutines (the kernel's message handlers) still run every frame."""
    async def scenario():
        ex = explorer(n=2000, d=3, fps=20)
        gaps = []

        async def ticker():
            last = asyncio.get_running_loop().time()
            while True:
                await asyncio.sleep(0.01)
                now = asyncio.get_running_loop().time()
                gaps.append(now - last)
                last = now

        tick = asyncio.get_running_loop().create_task(ticker())
        ex.play()
        await asyncio.sleep(3.0)
        ex.pause()
        tick.cancel()
        return ex, gaps

    ex, gaps = asyncio.run(scenario())
    assert ex.loop.frames >= 10 and ex.steps_total >= 10
    # the longest stretch without a turn for other tasks is one frame: well under half a second
    assert max(gaps) < 0.5, f"event loop blocked for {max(gaps):.2f} s"


def test_energy_warning_when_dt_too_large_and_not_otherwise(explorer):
    # USA, beta = 3: the fastest rate is 2 e^3 ~ 40, so dt = 0.3 overshoots and E_beta drops (constructed case)
    bad = explorer(n=30, seed=1, kind="USA", beta=3.0, dt=0.3, plot_interval=60.0)
    # the Explorer's default solver controls its error (dt is then only the frame quantum): play fixed RK4 steps
    bad.player.load(mw.Simulation(bad.model, bad.sim.x.copy(), dt=0.3, method="rk4"))
    run_frames(bad, 20)
    assert bad.history.warning is not None and "lower dt" in bad.history.warning
    assert "lower dt" in bad.controls.message.value
    # the same run with dt = 0.02 (below 2 / 40): E_beta never decreases, no warning
    good = explorer(n=30, seed=1, kind="USA", beta=3.0, dt=0.02, plot_interval=60.0)
    run_frames(good, 300)
    assert good.history.warning is None and good.history.decreases == 0
    assert len(good.history) == 301 and np.all(np.diff(good.history.energy) >= 0)
    sa = explorer(n=30, seed=2, beta=4.0, dt=0.05, plot_interval=60.0)
    run_frames(sa, 200)
    assert sa.history.warning is None and len(sa.history) == 201
    # with Q != I the energy need not increase (docs/theory.md §3): no check at all
    q = np.diag([1.0, 0.5, 2.0])
    gen = explorer(model=mw.Attention(beta=1.0, Q=q), n=10)
    assert gen.history.check_energy is False and gen.params["d"] == 3


@pytest.mark.parametrize("kw", [
    {"init": "hemisphere", "kind": "USA", "beta": 2.5, "seed": 3, "dt": 0.02},
    {"init": "clusters", "k": 4, "seed": 5, "noise": 0.05},
    {"init": "polygon", "d": 2, "beta": 5.0},
    {"init": "equiangular", "n": 6, "rho0": 0.2, "norm": "peri"},
])
def test_copy_code_recreates_model_and_state(explorer, kw):
    kw = {"n": 25, **kw}
    ex = explorer(**kw)
    ex.step(7)
    ns: dict = {}
    exec(ex.code(), ns)
    assert ns["model"] == ex.model
    assert ns["sim"].t == pytest.approx(ex.sim.t)
    np.testing.assert_allclose(ns["sim"].x, ex.sim.x, rtol=0, atol=1e-12)
    ns["view"].close()


def test_click_on_plot_moves_explorer_time(explorer):
    ex = explorer(n=15, dt=0.05)
    run_frames(ex, 40)
    ex.plots._on_click(SimpleNamespace(inaxes=ex.plots.ax_energy, xdata=1.0))
    assert not ex.playing
    assert 0.5 <= ex.sim.t <= 1.0 + 1e-9
    assert ex.history.t.max() <= ex.sim.t + 1e-12
    t0 = ex.sim.t
    ex.step(2)
    assert ex.sim.t == pytest.approx(t0 + 0.1)


def test_presets_build_and_run(explorer):
    for name, preset in PRESETS.items():
        ex = explorer(preset=name, n=None)
        assert ex.params["n"] == preset.values["n"] and ex.model.beta == pytest.approx(preset.values["beta"])
        ex.step(1)
        assert ex.sim.t > 0
        ex.close()


def test_validation_messages(explorer):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):      # the table's range and words
        Explorer(n=0)
    with pytest.raises(ValueError, match="preset"):
        Explorer(preset="nope")
    ex = explorer(n=10)
    with pytest.raises(ValueError, match="beta must be a real number >= 0"):
        ex.set_params(beta=-1.0)
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.set_params(temperature=1.0)
    with pytest.raises(ValueError, match="kind"):
        ex.set_params(kind="linear")
    with pytest.raises(ValueError, match="k must be"):
        ex.step(-1)


def test_attention_row_colours_the_particles(explorer):
    ex = explorer(n=25, beta=3.0, seed=4)
    ex.attention.on.value = True
    ex.attention.token.value = 7
    row = attention_weights(ex.model, ex.sim.x, np.array([7]))[0]
    np.testing.assert_allclose(ex.attention.row, row, atol=1e-12)
    # the particles are coloured by that row: the most attended token gets the top of the colour map
    assert np.argmax(row) == np.argmax(ex.sphere.colours[:, 1])           # viridis: green grows with the value
    assert ex.sphere.marker.visible
    np.testing.assert_allclose(ex.sphere.marker.geometry.attributes["position"].array[0], ex.sim.x[7], atol=1e-6)
    ex.set_params(n=12)                                                    # resize keeps everything consistent
    assert ex.attention.token.max == 11 and ex.sphere.colours.shape == (12, 3)
    ex.attention.on.value = False
    assert ex.sphere.color is None and not ex.sphere.marker.visible


def test_lecturer_mode(explorer):
    from mftx_widgets.views._common import OKABE_ITO, hex_to_rgb

    ex = explorer(n=20, init="clusters", k=3)
    small = ex.sphere.points.material.size
    ex.controls.lecturer.value = True
    assert ex.lecturer and ex.plots.lecturer and ex.sphere.points.material.size > small
    palette = {tuple(c) for c in hex_to_rgb(OKABE_ITO)}
    assert {tuple(c) for c in ex.sphere.colours} <= palette                 # colour-blind-safe palette
    assert ex.plots.canvas in ex.children                                    # the new figure is shown
    assert "mftx-lecturer" in ex._dom_classes and "font-size: 20px" in ex._style.value   # large control text
    ex.controls.lecturer.value = False
    assert "mftx-lecturer" not in ex._dom_classes and ex.sphere.points.material.size == small


def test_explorer_equiangular_start_overlays_theory(explorer):
    # docs/theory.md F2 through the explorer: SA, n = d = 10, beta = 2, rho0 = 0.5, RK4 dt = 0.01 up to T = 3
    ex = explorer(init="equiangular", n=10, d=10, rho0=0.5, beta=2.0, dt=0.01, plot_interval=60.0)
    run_frames(ex, 300)
    assert ex.sim.t == pytest.approx(3.0)
    ex.player.render(force_plots=True)   # records t = 3 even when a loaded machine made obs_every > 1
    theory = ex.plots.l_theory.get_ydata()
    assert len(theory) == len(ex.history) and theory[-1] == pytest.approx(0.99731, abs=1e-5)
    np.testing.assert_allclose(ex.history.mean_cosine, theory, atol=1e-6)


def test_restart_with_the_attention_token_beyond_the_new_n(explorer):
    """Found by the widget fuzz: the token slider clamped during a restart drew the new state on the old sphere."""
    ex = explorer(n=20, d=3)
    ex.attention.token.value = 19
    ex.controls.preset.value = "Kuramoto sync"                 # n = 64, d = 2: no clamp, a new d
    ex.attention.token.value = 63
    ex.set_params(n=6, d=5)                                      # clamps the token and changes d at once
    assert ex.attention.token.value == 5
    assert ex.sphere.d == 5 and ex.sphere.positions.shape == (6, 3) and np.all(np.isfinite(ex.sphere.positions))


def test_fixed_d_model_takes_presets_and_equiangular_starts(explorer):
    """Found by the widget fuzz: with Q, K, V fixing d = 4, a preset with another d or the equiangular start at
    n > 4 showed "d is fixed" errors for menu entries the controls offered."""
    rng = np.random.default_rng(0)
    q = np.eye(4) + 0.1 * rng.standard_normal((4, 4))
    ex = explorer(model=mw.Attention(beta=2.0, Q=q), n=16)
    ex.controls.preset.value = "long context"                  # d = 3 in the preset
    assert ex.sim.d == 4 and ex.sim.n == PRESETS["long context"].values["n"] and ex.model.Q is not None
    assert "d stays 4" in ex.controls.message.value and "#b00" not in ex.controls.message.value
    ex.controls.init.value = "equiangular"
    assert ex.sim.n == 4 and ex.sim.d == 4 and ex.params["init"] == "equiangular"
    assert "using n = 4" in ex.controls.message.value and "#b00" not in ex.controls.message.value
    rho = mw.observables.mean_cosine(ex.sim.x)
    assert rho == pytest.approx(ex.params["rho0"], abs=1e-12)


def test_step_button_takes_at_most_step_seconds_of_steps(explorer):
    """Found by the widget fuzz: n = 2000, dt = 0.0035, speed 3 made one Step click 42 solver steps (7 s here);
    speed 20 at dt = 0.001 would be 1000. The click is capped by the measured cost per step."""
    from mftx_widgets.views.explorer import STEP_SECONDS

    ex = explorer(n=20, dt=0.001, speed=20.0)
    assert ex.frame_steps == 1000
    ex.player.budget.cost = STEP_SECONDS / 10                  # as if one step had been measured at 0.1 s
    ex.controls.step_button.click()
    assert ex.steps_total == 10 and ex.sim.t == pytest.approx(10 * 0.001)
    assert "Step took 10 of the 1000 steps" in ex.controls.message.value
    ex.set_params(beta=2.0)
    ex.player.budget.cost = STEP_SECONDS * 2                     # slower than the cap: still one step per click
    ex.controls.step_button.click()
    assert ex.steps_total == 1
