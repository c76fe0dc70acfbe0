"""mw.figures: token drawings (sphere, circle, snapshots) for arrays and any Frames, drawn on an Agg canvas.

Pixels are counted on the rendered canvas (a drawing that silently shows nothing fails), and every axis must
carry a label. The sweep plots (phase_diagram_plot, ...) are checked against their sweeps in tests/sweeps.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

import mftx_widgets as mw
from mftx_widgets.views import figures
from mftx_widgets.views._common import TAB10


def _canvas(three: bool = True, size: float = 3.0):
    fig = Figure(figsize=(size, size), dpi=80)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(projection="3d" if three else None)


def _pixels_near(fig, colour: str, tol: int = 40) -> int:
    """Number of pixels within tol (per channel, 0..255) of the colour."""
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    target = np.array(to_rgb(colour)) * 255
    return int(np.all(np.abs(rgb - target) <= tol, axis=-1).sum())


def _cap(n: int, d: int, seed: int = 0) -> np.ndarray:
    """n tokens in a small cap around e_1 (one cluster)."""
    x = np.zeros((n, d))
    x[:, 0] = 1.0
    x[:, 1:] = 0.02 * np.random.default_rng(seed).standard_normal((n, d - 1))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_sphere_draws_tokens_in_cluster_colour_with_labelled_axes():
    fig, ax = _canvas()
    assert figures.sphere(_cap(30, 3), ax) is ax
    assert _pixels_near(fig, TAB10[0], tol=30) > 10                 # one cluster: label 0, the first colour
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()) == ("x1", "x2", "x3")
    fig2, ax2 = _canvas()
    figures.sphere(_cap(30, 3), ax2, color="red", axis=False)
    assert _pixels_near(fig2, TAB10[0], tol=30) == 0 and _pixels_near(fig2, "red", tol=30) > 10
    assert not ax2.axison


def test_sphere_of_frames_projects_d_above_3_with_the_run_basis():
    tr = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(20, 6, seed=1), t_max=0.3, dt=0.1)
    fig, ax = _canvas()
    figures.sphere(tr, ax, frame=0)
    assert (ax.get_xlabel(), ax.get_zlabel()) == ("PC 1", "PC 3") and ax.get_title() == "t = 0"
    pos = np.column_stack(ax.collections[-1]._offsets3d)
    u = tr.x[0] / np.linalg.norm(tr.x[0], axis=1, keepdims=True)
    np.testing.assert_allclose(pos, u @ figures.run_basis(tr), atol=1e-6)
    fig, ax = _canvas()
    figures.sphere(tr, ax, projection="first3", onto_sphere=True)
    pos = np.column_stack(ax.collections[-1]._offsets3d)
    np.testing.assert_allclose(np.linalg.norm(pos, axis=1), 1.0, atol=1e-6)
    assert ax.get_xlabel() == "x1"
    with pytest.raises(mw.ParameterError, match="basis"):
        figures.sphere(tr, _canvas()[1], basis=np.eye(3))
    with pytest.raises(mw.ParameterError, match="frame"):
        figures.sphere(tr, _canvas()[1], frame=len(tr))
    with pytest.raises(mw.ParameterError, match="3D"):
        figures.sphere(tr, _canvas(three=False)[1])


def test_circle_colours_by_the_frames_labels():
    theta = np.repeat([0.0, 2.0, 4.0], 5)
    x = mw.initial.from_angles(theta)
    frames = mw.Frames(t=[0.0, 1.0], x=np.stack([x, x]), labels=np.repeat([0, 1, 2], 5), title="three groups")
    fig, ax = _canvas(three=False)
    figures.circle(frames, ax)
    face = ax.collections[-1].get_facecolors()[:, :3]
    np.testing.assert_allclose(face, [to_rgb(TAB10[k]) for k in np.repeat([0, 1, 2], 5)], atol=1e-6)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2") and ax.get_title() == "three groups  t = 1"
    assert _pixels_near(fig, TAB10[2], tol=30) > 10
    with pytest.raises(mw.ParameterError, match="d = 2"):
        figures.circle(_cap(5, 3), ax)
    with pytest.raises(mw.ParameterError, match="nonzero"):
        figures.circle(np.zeros((3, 2)), ax)


def test_snapshot_picks_circle_or_sphere_and_snapshots_picks_nearest_times():
    assert figures.snapshot(_cap(8, 2), _canvas(three=False)[1]).name == "rectilinear"
    assert figures.snapshot(_cap(8, 5), _canvas()[1]).name == "3d"
    run = mw.metastability.metastable_run(np.linspace(0, 6, 12), beta=3.0, t_max=10.0, num=10)
    fig = Figure(figsize=(6, 2))
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, 2, j + 1) for j in range(2)]
    assert figures.snapshots(run, times=(0.0, 9.0), axes=axes, panel_title="at {t:.0f}") is fig
    assert [a.get_title() for a in axes] == ["at 0", "at 10"]
    with pytest.raises(mw.ParameterError, match="one Axes per time"):
        figures.snapshots(run, times=(0.0, 1.0, 2.0), axes=axes)
    with pytest.raises(mw.ParameterError, match="Frames"):
        figures.snapshots(np.zeros((2, 3, 2)))
    with pytest.raises(mw.ParameterError, match="count"):
        figures.snapshots(run, count=0)


def test_phase_diagram_plot_labels_its_axes_and_exposes_the_mesh():
    pd = mw.phase_diagram([0.0, 1.0], [0.0, 1.0, 2.0], n=4, d=8, seeds=2, dt=0.5, executor="serial", progress=False)
    fig, ax = _canvas(three=False)
    assert figures.phase_diagram_plot(pd, ax=ax, colorbar=False) is ax
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t", "beta") and len(fig.axes) == 1    # no colour bar
    np.testing.assert_array_equal(ax.collections[0].get_array().reshape(2, 3), pd.probability.T)
    with pytest.raises(mw.ParameterError, match="PhaseDiagram"):
        figures.phase_diagram_plot("nope", ax=ax)


def test_title_of_any_frames():
    tr = mw.simulate(mw.Attention(beta=4.0, norm="pre"), mw.initial.uniform(5, 3, seed=0), t_max=0.1, dt=0.1, seed=7)
    assert figures.title_of(tr) == "SA pre-LN  beta=4  n=5  d=3  dt=0.1  seed=7"
    run = mw.metastability.metastable_run(np.linspace(0, 6, 4), beta=2.5, t_max=1.0, num=3)
    assert figures.title_of(run, 1.0) == "phase ODE  beta=2.5  kind=SA  method=phase-DOP853  n=4  d=2  t=1.00"
    assert figures.title_of(mw.Frames(t=[0.0], x=_cap(3, 2)[None])) == "n=3  d=2"
    assert mw.export.title_of is figures.title_of


def test_sweep_plots_leave_failed_runs_out():
    """A failed run (NaN, status "failed") is left out of the mean and range, and the legend says so."""
    cc = np.array([[[2.0], [np.nan], [4.0]], [[1.0], [1.0], [1.0]]])     # (beta, seed, t)
    status = np.array([["ok", "failed", "ok"], ["ok", "ok", "ok"]])
    res = mw.sweeps.SweepResult(axes={"beta": [1.0, 2.0]}, seeds=np.arange(3), data={"cluster_count": cc},
                                t=np.array([5.0]), params={"n": 8, "d": 3}, status=status)
    fig, ax = _canvas(three=False)
    figures.cluster_count_plot(res, ax=ax, theory=False)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3.0, 1.0])          # mean over seeds 0 and 2
    assert "1 failed run left out" in ax.get_legend().get_texts()[0].get_text()
