"""Export a trajectory to GIF / MP4 (offscreen matplotlib rendering, no browser) or a standalone HTML page.

    mw.export.to_gif(traj, "run.gif", fps=20, size=(480, 480), every=2)
    mw.export.to_mp4(traj, "run.mp4")
    mw.export.to_html(mw.SphereView(traj), "run.html")   # rotatable 3D with no kernel

Every frame carries the parameters and the seed of the run in its title (reproducibility visible).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..dynamics import Trajectory, observables
from ._common import MAX_CLUSTER_COLOUR_N, TAB10, check_projection, label_colours, pca_basis, project3
from ._common import user_colours as _user_colours


def _check(traj, fps, size, every) -> tuple[float, tuple[int, int], int]:
    if not isinstance(traj, Trajectory):
        raise ValueError(f"traj must be an mftx_widgets Trajectory, got {type(traj).__name__}")
    fps = float(fps)
    if not 0 < fps <= 100:
        raise ValueError(f"fps must be in (0, 100], got {fps}")
    try:
        width, height = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height) in pixels, got {size!r}") from None
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ValueError(f"size must be between 16 and 4096 pixels on each side, got {size!r}")
    every = int(every)
    if every < 1:
        raise ValueError(f"every must be an integer >= 1, got {every}")
    return fps, (width, height), every


def title_of(traj: Trajectory, t: float | None = None) -> str:
    """One line with the model, n, d, dt, seed (and t)."""
    m = traj.model
    extra = "" if m.norm == "post" else f" {m.norm}-LN"
    extra += "" if m.noise == 0 else f" noise={m.noise:g}"
    s = f"{m.kind}{extra}  beta={m.beta:g}  n={traj.n}  d={traj.d}  dt={traj.dt:g}  seed={traj.seed}"
    return s if t is None else f"{s}  t={t:.2f}"


def frames(traj: Trajectory, size: tuple[int, int] = (480, 480), every: int = 1, color=None,
           projection: str = "pca", elev: float = 20.0, azim: float = -60.0) -> Iterator[np.ndarray]:
    """Yield RGB frames (height, width, 3) uint8 of frames 0, every, 2 every, ... (and the last one).

    d = 2: the unit circle; d = 3: the sphere; d > 3: a 3D projection (uncentred PCA of the whole run, or the
    first three coordinates). Colour by cluster unless `color` is given.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _, (width, height), every = _check(traj, 1.0, size, every)
    projection = check_projection(projection)
    dirs = traj.directions
    basis = None
    if traj.d > 3 and projection == "pca":
        basis = pca_basis(dirs[:: max(1, len(traj) // 20)].reshape(-1, traj.d))
    dpi = 80
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    three = traj.d >= 3
    small = max(6.0, min(width, height) / 60)
    if three:
        ax = fig.add_axes((0.0, 0.0, 1.0, 0.92), projection="3d")
        u, v = np.mgrid[0:2 * np.pi:40j, 0:np.pi:20j]
        ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.8", linewidth=0.4)
        ax.set_xlim(-1, 1), ax.set_ylim(-1, 1), ax.set_zlim(-1, 1)
        ax.set_box_aspect((1, 1, 1), zoom=1.35)
        ax.view_init(elev=elev, azim=azim)
        ax.set_axis_off()
    else:
        ax = fig.add_axes((0.05, 0.02, 0.9, 0.88))
        th = np.linspace(0, 2 * np.pi, 200)
        ax.plot(np.cos(th), np.sin(th), color="0.75", lw=1)
        ax.set_xlim(-1.1, 1.1), ax.set_ylim(-1.1, 1.1)
        ax.set_aspect("equal")
        ax.set_axis_off()
    title = fig.suptitle("", fontsize=max(6.0, width / 60), y=0.98)
    scat = None
    idx = list(range(0, len(traj), every))
    if idx[-1] != len(traj) - 1:
        idx.append(len(traj) - 1)
    for i in idx:
        x = dirs[i]
        pos = project3(x, projection, basis)
        if color is not None:
            col = _user_colours(color, traj.n)
        elif traj.n <= MAX_CLUSTER_COLOUR_N:
            col = label_colours(observables.clusters(x), TAB10)
        else:
            col = label_colours(np.zeros(traj.n, dtype=int), TAB10)
        if scat is not None:
            scat.remove()
        if three:
            scat = ax.scatter(pos[:, 0], pos[:, 1], pos[:, 2], c=col, s=small * 2, depthshade=False)
        else:
            scat = ax.scatter(pos[:, 0], pos[:, 1], c=col, s=small * 2, zorder=3)
        title.set_text(title_of(traj, float(traj.t[i])))
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        yield np.ascontiguousarray(rgba[..., :3])


def to_gif(traj: Trajectory, path, fps: float = 20, size: tuple[int, int] = (480, 480), every: int = 1,
           **kw) -> Path:
    """Write an animated GIF (looping) of the trajectory; returns the path. kw: see frames()."""
    import imageio.v3 as iio

    fps, size, every = _check(traj, fps, size, every)
    imgs = list(frames(traj, size=size, every=every, **kw))
    path = Path(path)
    iio.imwrite(path, np.stack(imgs), extension=".gif", duration=1000.0 / fps, loop=0)
    return path


def to_mp4(traj: Trajectory, path, fps: float = 20, size: tuple[int, int] = (480, 480), every: int = 1,
           **kw) -> Path:
    """Write an H.264 MP4 (yuv420p, plays everywhere) of the trajectory; width and height must be even."""
    import imageio.v2 as iio2

    fps, size, every = _check(traj, fps, size, every)
    if size[0] % 2 or size[1] % 2:
        raise ValueError(f"size must have even width and height for H.264, got {size}")
    path = Path(path)
    writer = iio2.get_writer(path, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
                             macro_block_size=1, quality=7)
    try:
        for img in frames(traj, size=size, every=every, **kw):
            writer.append_data(img)
    finally:
        writer.close()
    return path


def to_html(widget_or_traj, path, title: str | None = None) -> Path:
    """Write a standalone HTML page embedding the widget state (rotatable 3D with no kernel).

    A Trajectory is shown as a SphereView of its last frame. The page loads the widget scripts from the
    public CDN when opened (as any ipywidgets embed does); kernel callbacks (e.g. scrubbing) do not run there.
    """
    import ipywidgets as w
    from ipywidgets.embed import dependency_state, embed_minimal_html

    if isinstance(widget_or_traj, Trajectory):
        from .sphere import SphereView

        view = SphereView(widget_or_traj)
        view.frame(len(widget_or_traj) - 1)
        title = title or title_of(widget_or_traj)
    elif isinstance(widget_or_traj, w.Widget):
        view = widget_or_traj
    else:
        raise ValueError(f"widget_or_traj must be an ipywidgets Widget or a Trajectory, "
                         f"got {type(widget_or_traj).__name__}")
    path = Path(path)
    embed_minimal_html(path, views=[view], title=title or "mftx_widgets", state=dependency_state([view]))
    return path
