"""The renderer fallback: "auto" picks pythreejs only where its front end is, and the matplotlib (ipympl) scene
passes the same headless Explorer tests as the pythreejs one (positions, colours, resize, one frame task that
ends on close, no growth over 2000 frames); round sprites and the colour rule (clusters only when few)."""

from __future__ import annotations

import asyncio
import sys
import tracemalloc
import types

import ipywidgets as w
import numpy as np
import pytest
from helpers import live_widget_count

import mftx_widgets as mw
from mftx_widgets.views import Explorer, SphereView, _common
from mftx_widgets.views._common import MAX_COLOUR_CLUSTERS, TAB10, hex_to_rgb

RENDERERS = ("threejs", "matplotlib")




def run_frames(ex: Explorer, frames: int) -> None:
    """Drive the player's frame function as the loop would (exactly one solver step per frame)."""
    ex.set_params(speed=ex.fps * ex.sim.dt)
    ex.player.playing = True
    for _ in range(frames):
        ex.player.frame()
    ex.player.playing = False


# -- choosing the renderer -----------------------------------------------------------------------------------------
def test_auto_follows_the_front_end(monkeypatch, tmp_path):
    monkeypatch.delenv("MFTX_RENDERER", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with_ext, without = tmp_path / "with", tmp_path / "without"
    (with_ext / "jupyter-threejs").mkdir(parents=True)
    without.mkdir()
    import jupyter_core.paths

    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(without / "/".join(parts))])
    assert _common.resolve_renderer("auto") == "matplotlib"               # no extension: never an empty box
    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(without), str(with_ext)])
    assert _common.resolve_renderer("auto") == "threejs"
    assert _common.resolve_renderer("matplotlib") == "matplotlib"         # explicit wins
    monkeypatch.setenv("MFTX_RENDERER", "matplotlib")
    assert _common.resolve_renderer("auto") == "matplotlib"               # the environment overrides auto
    monkeypatch.setenv("MFTX_RENDERER", "webgpu")
    with pytest.raises(mw.ParameterError, match="MFTX_RENDERER"):
        _common.resolve_renderer("auto")
    with pytest.raises(mw.ParameterError, match="renderer"):
        _common.resolve_renderer("vtk")


def test_auto_in_colab_enables_its_widget_manager(monkeypatch):
    monkeypatch.delenv("MFTX_RENDERER", raising=False)
    calls = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("on"))
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert _common.resolve_renderer("auto") == "matplotlib" and calls == ["on"]
    view = SphereView(mw.Simulation(mw.Attention(beta=1.0), mw.initial.uniform(5, 3, seed=0)))
    assert view.renderer_name == "matplotlib" and type(view.renderer).__name__ == "Canvas"   # the ipympl canvas
    view.close()


def test_sphere_view_refuses_unknown_renderer():
    with pytest.raises(mw.ParameterError, match="renderer"):
        SphereView(mw.Simulation(mw.Attention(beta=1.0), mw.initial.uniform(5, 3, seed=0)), renderer="svg")


# -- the same headless tests over both renderers ----------------------------------------------------------------------
@pytest.mark.parametrize("renderer", RENDERERS)
def test_explorer_positions_colours_and_resize(explorer, renderer):
    ex = explorer(n=20, trails=4, renderer=renderer, init="clusters", k=3)
    assert ex.sphere.renderer_name == renderer and ex.sphere.renderer in ex.sphere.children
    ex.step(2)
    np.testing.assert_allclose(ex.sphere.positions, ex.sim.x, atol=1e-6)
    labels = mw.observables.clusters(ex.sim.x)                             # few clusters: coloured by cluster
    assert labels.max() + 1 <= MAX_COLOUR_CLUSTERS
    np.testing.assert_array_equal(ex.sphere.colours, hex_to_rgb(TAB10)[labels % len(TAB10)])
    ex.set_params(n=37)
    assert ex.sphere.positions.shape == (37, 3) and ex.sphere.colours.shape == (37, 3)
    ex.step(3)
    assert ex.sphere.scene.trail_shape == (4 * 37 * 2, 3)
    np.testing.assert_allclose(ex.sphere.positions, ex.sim.x, atol=1e-6)
    ex.controls.d.value = 2
    assert ex.sim.d == 2
    np.testing.assert_array_equal(ex.sphere.positions[:, 2], 0.0)
    np.testing.assert_allclose(ex.sphere.positions[:, :2], ex.sim.x, atol=1e-6)
    small = ex.sphere.scene.point_size
    ex.controls.lecturer.value = True
    assert ex.sphere.scene.point_size > small
    if renderer == "matplotlib":                                           # what matplotlib draws is the state
        np.testing.assert_allclose(ex.sphere.scene.points.get_offsets(), ex.sim.x, atol=1e-6)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_frame_loop_runs_one_task_and_ends_on_close(explorer, renderer):
    async def scenario():
        ex = explorer(n=20, fps=30, renderer=renderer)
        ex.play()
        ex.play()                                                 # idempotent: still one task
        await asyncio.sleep(0.8)
        assert asyncio.all_tasks() - {asyncio.current_task()} == {ex.loop.task}
        assert ex.loop.frames >= 5 and ex.sim.t > 0
        np.testing.assert_allclose(ex.sphere.positions, ex.sim.x, atol=1e-6)
        ex.pause()
        await asyncio.sleep(0.1)
        assert ex.loop.task.done()
        ex.play()
        await asyncio.sleep(0.2)
        task = ex.loop.task
        ex.close()
        await asyncio.sleep(0.1)
        assert task.done() and asyncio.all_tasks() == {asyncio.current_task()}
        return ex.loop.error

    assert asyncio.run(scenario()) is None


@pytest.mark.parametrize("renderer", RENDERERS)
def test_no_widget_or_memory_growth_over_2000_frames(explorer, renderer):
    ex = explorer(n=8, d=3, plot_interval=10.0, renderer=renderer)
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
    assert grown < 256 * 1024, f"memory grew by {grown} bytes over 500 frames"


@pytest.mark.parametrize("renderer", RENDERERS)
def test_close_closes_the_canvas(renderer):
    view = SphereView(mw.Simulation(mw.Attention(beta=1.0), mw.initial.uniform(5, 3, seed=0)), renderer=renderer)
    canvas = view.renderer
    before = live_widget_count()
    view.close()
    assert canvas.comm is None and live_widget_count() < before


# -- the look (issue 15) ----------------------------------------------------------------------------------------------
def test_points_are_round_sprites():
    from mftx_widgets.views.sphere_three import disc_sprite

    view = SphereView(mw.Simulation(mw.Attention(beta=1.0), mw.initial.uniform(5, 3, seed=0)), renderer="threejs")
    mat = view.points.material
    assert mat.map is view.scene.sprite and mat.alphaTest == 0.5
    rgba = disc_sprite(64)
    alpha = rgba[..., 3].astype(float) / 255
    assert alpha[32, 32] == 1.0 and alpha[0, 0] == 0.0 and alpha[0, 32] < 0.5     # a disc: corners cut away
    # the opaque area (alpha >= alphaTest) is the inscribed disc: pi / 4 of the square, to a pixel rim
    assert abs((alpha >= 0.5).mean() - np.pi / 4) < 4 * 64 / 64 ** 2
    view.close()


@pytest.mark.parametrize("renderer", RENDERERS)
def test_many_clusters_get_one_calm_colour(renderer):
    x = mw.initial.uniform(400, 3, seed=0)                    # iid at t = 0: ~100+ tiny clusters
    view = SphereView(mw.Simulation(mw.Attention(beta=1.0), x), renderer=renderer)
    assert int(view.labels.max()) + 1 > MAX_COLOUR_CLUSTERS
    np.testing.assert_array_equal(np.unique(view.colours, axis=0), hex_to_rgb(TAB10[:1]))
    few = mw.initial.clusters(MAX_COLOUR_CLUSTERS, 60, 3, spread=0.001, seed=1)
    view2 = SphereView(mw.Simulation(mw.Attention(beta=1.0), few), renderer=renderer)
    labels = mw.observables.clusters(few)
    assert int(labels.max()) + 1 == MAX_COLOUR_CLUSTERS                   # 12 clusters: still coloured by cluster
    np.testing.assert_array_equal(view2.colours, hex_to_rgb(TAB10)[labels % len(TAB10)])
    for v in (view, view2):
        v.close()
    assert isinstance(view, w.VBox)
