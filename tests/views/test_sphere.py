"""SphereView headless: geometry by dimension, colours, any Frames (no model needed), a live Simulation's task."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.views import Explorer, SphereView, TrajectoryPlots


def test_lazy_names_resolve():
    assert mw.Explorer is Explorer and mw.SphereView is SphereView and mw.TrajectoryPlots is TrajectoryPlots
    assert callable(mw.export.to_gif) and callable(mw.export.to_mp4) and callable(mw.export.to_html)
    assert mw.PRESETS is mw.views.PRESETS is mw.params.PRESETS                # presets are the table's


def test_sphere_view_geometry_by_dimension():
    tr2 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(15, 2, seed=1), t_max=0.5, dt=0.1)
    v2 = SphereView(tr2)
    assert v2.positions.shape == (15, 3) and v2.positions.dtype == np.float32
    np.testing.assert_array_equal(v2.positions[:, 2], 0.0)
    np.testing.assert_allclose(np.linalg.norm(v2.positions, axis=1), 1.0, atol=1e-6)
    v2.frame(3)
    assert v2.time_slider.value == 3
    np.testing.assert_allclose(v2.positions[:, :2], tr2.x[3], atol=1e-6)

    tr3 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(15, 3, seed=1), t_max=0.5, dt=0.1)
    v3 = SphereView(tr3, trails=3, show_axes=False)
    v3.frame(5)
    np.testing.assert_allclose(v3.positions, tr3.x[5], atol=1e-6)
    assert v3.axes.visible is False
    assert v3.trail_lines.geometry.attributes["position"].array.shape == (3 * 15 * 2, 3)

    tr5 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(15, 5, seed=1), t_max=0.5, dt=0.1)
    first = SphereView(tr5, projection="first3")
    np.testing.assert_allclose(first.positions, tr5.x[0][:, :3], atol=1e-6)
    pca = SphereView(tr5, projection="pca")
    assert np.all(np.linalg.norm(pca.positions, axis=1) <= 1 + 1e-6)   # uncentred projection stays in the ball
    for v in (v2, v3, first, pca):
        v.close()


def test_sphere_colours_by_cluster_and_by_user():
    x, labels = mw.initial.clusters(2, 40, 3, spread=0.01, seed=0, return_labels=True)
    sim = mw.Simulation(mw.Attention(beta=1.0), x)
    v = SphereView(sim)
    assert len(np.unique(v.colours, axis=0)) == 2            # two clusters -> exactly two colours
    same = v.colours[labels == 0]
    assert np.all(same == same[0])
    red = SphereView(sim, color="red")
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


def test_sphere_view_live_simulation_task_ends_on_close():
    async def scenario():
        sim = mw.Simulation(mw.Attention(beta=2.0), mw.initial.uniform(30, 3, seed=2), dt=0.05)
        view = SphereView(sim)
        view.play(steps_per_frame=2)
        await asyncio.sleep(0.5)
        task = view.loop.task
        assert not task.done() and sim.steps >= 2 and view.play_button.value
        np.testing.assert_allclose(view.positions, sim.x, atol=1e-6)    # the view follows the live state
        view.close()
        await asyncio.sleep(0.1)
        return task.done(), sim.steps % 2

    assert asyncio.run(scenario()) == (True, 0)


def test_sphere_view_draws_frames_without_a_model():
    from mftx_widgets.views._common import TAB10, label_colours

    x, labels = mw.initial.clusters(3, 30, 3, spread=0.3, seed=0, return_labels=True)
    frames = mw.Frames(t=[0.0, 1.0], x=np.stack([x, x[::-1]]), labels=labels, title="layer 0")
    v = SphereView(frames)
    np.testing.assert_array_equal(v.colours, label_colours(labels, TAB10))   # the frames' labels, not clustering
    assert "layer 0" in v.info.value and v.player is None and v.source is frames
    v.frame(1)
    np.testing.assert_allclose(v.positions, x[::-1], atol=1e-6)
    per_frame = mw.Frames(t=[0.0, 1.0], x=np.stack([x, x]), labels=np.stack([labels, np.zeros(30, int)]))
    w2 = SphereView(per_frame)
    w2.frame(1)
    assert len(np.unique(w2.colours, axis=0)) == 1                           # (T, n) labels: frame 1 is one group
    for view in (v, w2):
        view.close()
