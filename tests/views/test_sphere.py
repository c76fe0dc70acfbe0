"""SphereView headless: geometry by dimension, colours, any Frames (no model needed), a live Simulation's task."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.views import Explorer, SphereView, TrajectoryPlots

#: both drawing back ends pass the same headless tests (tests/views/test_renderers.py has the Explorer's).
RENDERERS = ("threejs", "matplotlib")


def test_lazy_names_resolve():
    assert mw.Explorer is Explorer and mw.SphereView is SphereView and mw.TrajectoryPlots is TrajectoryPlots
    assert callable(mw.export.to_gif) and callable(mw.export.to_mp4) and callable(mw.export.to_html)
    assert mw.PRESETS is mw.views.PRESETS is mw.params.PRESETS                # presets are the table's


@pytest.mark.parametrize("renderer", RENDERERS)
def test_sphere_view_geometry_by_dimension(renderer):
    tr2 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(15, 2, seed=1), t_max=0.5, dt=0.1)
    v2 = SphereView(tr2, renderer=renderer)
    assert v2.positions.shape == (15, 3) and v2.positions.dtype == np.float32
    np.testing.assert_array_equal(v2.positions[:, 2], 0.0)
    np.testing.assert_allclose(np.linalg.norm(v2.positions, axis=1), 1.0, atol=1e-6)
    v2.frame(3)
    assert v2.time_slider.value == 3
    np.testing.assert_allclose(v2.positions[:, :2], tr2.x[3], atol=1e-6)

    tr3 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(15, 3, seed=1), t_max=0.5, dt=0.1)
    v3 = SphereView(tr3, trails=3, show_axes=False, renderer=renderer)
    v3.frame(5)
    np.testing.assert_allclose(v3.positions, tr3.x[5], atol=1e-6)
    assert v3.scene.trail_shape == (3 * 15 * 2, 3)
    if renderer == "threejs":
        assert v3.axes.visible is False
        assert v3.trail_lines.geometry.attributes["position"].array.shape == (3 * 15 * 2, 3)
    else:
        assert not any(line.get_visible() for line in v3.scene.ax.lines[:3])    # the coordinate axes
        np.testing.assert_allclose(np.asarray(v3.scene.points._offsets3d).T, tr3.x[5], atol=1e-6)  # what is drawn

    tr5 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(15, 5, seed=1), t_max=0.5, dt=0.1)
    first = SphereView(tr5, projection="first3", renderer=renderer)
    np.testing.assert_allclose(first.positions, tr5.x[0][:, :3], atol=1e-6)
    pca = SphereView(tr5, projection="pca", renderer=renderer)
    assert np.all(np.linalg.norm(pca.positions, axis=1) <= 1 + 1e-6)   # uncentred projection stays in the ball
    for v in (v2, v3, first, pca):
        v.close()


@pytest.mark.parametrize("renderer", RENDERERS)
def test_sphere_colours_by_cluster_and_by_user(renderer):
    x, labels = mw.initial.clusters(2, 40, 3, spread=0.01, seed=0, return_labels=True)
    sim = mw.Simulation(mw.Attention(beta=1.0), x)
    v = SphereView(sim, renderer=renderer)
    assert len(np.unique(v.colours, axis=0)) == 2            # two clusters -> exactly two colours
    same = v.colours[labels == 0]
    assert np.all(same == same[0])
    red = SphereView(sim, color="red", renderer=renderer)
    np.testing.assert_allclose(red.colours, np.tile([1.0, 0.0, 0.0], (40, 1)))
    with pytest.raises(ValueError, match="color"):
        SphereView(sim, color=np.ones(3))
    for bad in ({"projection": "tsne"}, {"trails": -1}, {"point_size": 0}):
        with pytest.raises(ValueError, match=list(bad)[0]):
            SphereView(sim, **bad)
    with pytest.raises(ValueError, match="source"):
        SphereView(np.zeros((3, 3)))
    v.close()
    red.close()


@pytest.mark.parametrize("renderer", RENDERERS)
def test_sphere_view_live_simulation_task_ends_on_close(renderer):
    async def scenario():
        sim = mw.Simulation(mw.Attention(beta=2.0), mw.initial.uniform(30, 3, seed=2), dt=0.05)
        view = SphereView(sim, renderer=renderer)
        view.play(steps_per_frame=2)
        await asyncio.sleep(0.5)
        task = view.loop.task
        assert not task.done() and sim.steps >= 2 and view.play_button.value
        np.testing.assert_allclose(view.positions, sim.x, atol=1e-6)    # the view follows the live state
        view.close()
        await asyncio.sleep(0.1)
        return task.done(), sim.steps % 2

    assert asyncio.run(scenario()) == (True, 0)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_sphere_view_draws_frames_without_a_model(renderer):
    from mftx_widgets.views._common import TAB10, label_colours

    x, labels = mw.initial.clusters(3, 30, 3, spread=0.3, seed=0, return_labels=True)
    frames = mw.Frames(t=[0.0, 1.0], x=np.stack([x, x[::-1]]), labels=labels, title="layer 0")
    v = SphereView(frames, renderer=renderer)
    np.testing.assert_array_equal(v.colours, label_colours(labels, TAB10))   # the frames' labels, not clustering
    assert "layer 0" in v.info.value and v.player is None and v.source is frames
    v.frame(1)
    np.testing.assert_allclose(v.positions, x[::-1], atol=1e-6)
    per_frame = mw.Frames(t=[0.0, 1.0], x=np.stack([x, x]), labels=np.stack([labels, np.zeros(30, int)]))
    w2 = SphereView(per_frame, renderer=renderer)
    w2.frame(1)
    assert len(np.unique(w2.colours, axis=0)) == 1                           # (T, n) labels: frame 1 is one group
    for view in (v, w2):
        view.close()
