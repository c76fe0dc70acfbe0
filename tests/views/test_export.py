"""Exports: GIF and MP4 files are opened again and their frame count and size checked; HTML embeds the state."""

from __future__ import annotations

import json
import re

import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
import pytest

import mftx_widgets as mw


@pytest.fixture(scope="module")
def traj():
    # 21 saved frames (t = 0, 0.1, ..., 2.0)
    return mw.simulate(mw.Attention(beta=4.0), mw.initial.uniform(40, 3, seed=0), t_max=2.0, dt=0.1)


def test_gif_frame_count_and_size(traj, tmp_path):
    path = mw.export.to_gif(traj, tmp_path / "run.gif", fps=10, size=(160, 128), every=3)
    frames = iio.imread(path, index=None)
    # frames 0, 3, ..., 18 and the last one (20): 8 frames of 128 rows x 160 columns
    assert frames.shape[:3] == (8, 128, 160)
    assert frames[0].std() > 1.0                      # something drawn, not a blank image
    assert not np.array_equal(frames[0], frames[-1])  # the tokens moved


def test_mp4_frame_count_and_size(traj, tmp_path):
    path = mw.export.to_mp4(traj, tmp_path / "run.mp4", fps=10, size=(160, 128), every=2)
    reader = iio2.get_reader(path, format="FFMPEG")
    try:
        assert reader.count_frames() == 11            # frames 0, 2, ..., 20
        assert reader.get_meta_data()["size"] == (160, 128)
        assert reader.get_data(0).shape == (128, 160, 3)
    finally:
        reader.close()


def test_gif_circle_and_projection(tmp_path):
    tr2 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(12, 2), t_max=0.3, dt=0.1)
    assert iio.imread(mw.export.to_gif(tr2, tmp_path / "c.gif", size=(96, 96)), index=None).shape[:3] == (4, 96, 96)
    tr6 = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(12, 6), t_max=0.2, dt=0.1)
    assert iio.imread(mw.export.to_gif(tr6, tmp_path / "p.gif", size=(96, 80)), index=None).shape[:3] == (3, 80, 96)


def test_any_frames_export_with_their_params_in_the_title(tmp_path):
    """Frames with no model behind them (a phase-ODE run, layers of a real model) export like a Trajectory."""
    run = mw.metastability.metastable_run(np.linspace(0.0, 6.0, 12), beta=3.0, t_max=10.0, num=4)
    assert not isinstance(run, mw.Trajectory)
    assert mw.export.title_of(run).startswith("phase ODE  beta=3  kind=SA")
    assert iio.imread(mw.export.to_gif(run, tmp_path / "r.gif", size=(64, 64)), index=None).shape[:3] == (5, 64, 64)
    layers = mw.Frames(t=np.arange(3.0), x=mw.initial.uniform(9, 7, seed=0)[None].repeat(3, axis=0),
                       labels=np.arange(9) % 2, title="layers")
    imgs = list(mw.export.frames(layers, size=(64, 48)))
    assert len(imgs) == 3 and imgs[0].shape == (48, 64, 3) and imgs[0].std() > 1.0


def test_html_embeds_widget_state(traj, tmp_path):
    path = mw.export.to_html(traj, tmp_path / "run.html")
    text = path.read_text()
    state = json.loads(re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>',
                                 text, re.S).group(1))
    models = state["state"]
    names = {m["model_name"] for m in models.values()}
    assert {"RendererModel", "SceneModel", "PointsModel", "BufferAttributeModel", "OrbitControlsModel"} <= names
    view = json.loads(re.search(r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>',
                                text, re.S).group(1))
    assert view["model_id"] in models
    # the token positions travel as a (n, 3) float32 buffer
    shapes = [m["state"]["array"].get("shape") for m in models.values()
              if m["model_name"] == "BufferAttributeModel" and isinstance(m["state"].get("array"), dict)]
    assert [40, 3] in shapes
    assert "beta=4" in text                           # the parameters are in the page title


def test_export_validation(traj, tmp_path):
    with pytest.raises(ValueError, match="even"):
        mw.export.to_mp4(traj, tmp_path / "x.mp4", size=(161, 128))
    with pytest.raises(ValueError, match="every"):
        mw.export.to_gif(traj, tmp_path / "x.gif", every=0)
    with pytest.raises(ValueError, match="fps"):
        mw.export.to_gif(traj, tmp_path / "x.gif", fps=0)
    with pytest.raises(ValueError, match="traj"):
        mw.export.to_gif(np.zeros((2, 3)), tmp_path / "x.gif")
    with pytest.raises(ValueError, match="widget_or_traj"):
        mw.export.to_html("nope", tmp_path / "x.html")
