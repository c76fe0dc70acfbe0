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

from ..dynamics import Frames
from ..errors import ParameterError
from . import figures
from ._common import check_projection
from .figures import title_of

__all__ = ["frames", "title_of", "to_gif", "to_html", "to_mp4"]


def _check(traj, fps, size, every) -> tuple[float, tuple[int, int], int]:
    if not isinstance(traj, Frames):
        raise ParameterError(f"traj must be an mftx_widgets Frames or Trajectory, got {type(traj).__name__}")
    fps = float(fps)
    if not 0 < fps <= 100:
        raise ParameterError(f"fps must be in (0, 100], got {fps}")
    try:
        width, height = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ParameterError(f"size must be (width, height) in pixels, got {size!r}") from None
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ParameterError(f"size must be between 16 and 4096 pixels on each side, got {size!r}")
    every = int(every)
    if every < 1:
        raise ParameterError(f"every must be an integer >= 1, got {every}")
    return fps, (width, height), every


def frames(traj: Frames, size: tuple[int, int] = (480, 480), every: int = 1, color=None,
           projection: str = "pca", elev: float = 20.0, azim: float = -60.0) -> Iterator[np.ndarray]:
    """Yield RGB frames (height, width, 3) uint8 of frames 0, every, 2 every, ... (and the last one).

    traj : any Frames (a Trajectory, real.layer_trajectory, metastability.metastable_run). Drawn by
    mw.figures.circle (d = 2) or mw.figures.sphere (d >= 3; d > 3 projected with one PCA basis of the whole run,
    or the first three coordinates), coloured by the frames' labels, by cluster, or by `color`; the title
    carries title_of(traj) and t.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _, (width, height), every = _check(traj, 1.0, size, every)
    projection = check_projection(projection)
    three = traj.d >= 3
    kw = {"color": color, "axis": False, "title": "", "size": 2 * max(6.0, min(width, height) / 60)}
    if three:
        basis = figures.run_basis(traj) if traj.d > 3 and projection == "pca" else None
        kw.update(projection=projection, basis=basis, elev=elev, azim=azim)
    dpi = 80
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    rect = (0.0, 0.0, 1.0, 0.92) if three else (0.05, 0.02, 0.9, 0.88)
    ax = fig.add_axes(rect, projection="3d" if three else None)
    title = fig.suptitle("", fontsize=max(6.0, width / 60), y=0.98)
    idx = list(range(0, len(traj), every))
    if idx[-1] != len(traj) - 1:
        idx.append(len(traj) - 1)
    for i in idx:
        ax.cla()
        (figures.sphere if three else figures.circle)(traj, ax, frame=i, **kw)
        title.set_text(title_of(traj, float(traj.t[i])))
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        yield np.ascontiguousarray(rgba[..., :3])


def to_gif(traj: Frames, path, fps: float = 20, size: tuple[int, int] = (480, 480), every: int = 1,
           **kw) -> Path:
    """Write an animated GIF (looping) of the trajectory; returns the path. kw: see frames()."""
    import imageio.v3 as iio

    fps, size, every = _check(traj, fps, size, every)
    imgs = list(frames(traj, size=size, every=every, **kw))
    path = Path(path)
    iio.imwrite(path, np.stack(imgs), extension=".gif", duration=1000.0 / fps, loop=0)
    return path


def to_mp4(traj: Frames, path, fps: float = 20, size: tuple[int, int] = (480, 480), every: int = 1,
           **kw) -> Path:
    """Write an H.264 MP4 (yuv420p, plays everywhere) of the trajectory; width and height must be even."""
    import imageio.v2 as iio2

    fps, size, every = _check(traj, fps, size, every)
    if size[0] % 2 or size[1] % 2:
        raise ParameterError(f"size must have even width and height for H.264, got {size}")
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

    Frames (e.g. a Trajectory) are shown as a SphereView of the last frame. The page loads the widget scripts from the
    public CDN when opened (as any ipywidgets embed does); kernel callbacks (e.g. scrubbing) do not run there.
    """
    import ipywidgets as w
    from ipywidgets.embed import dependency_state, embed_minimal_html

    if isinstance(widget_or_traj, Frames):
        from .sphere import SphereView

        view = SphereView(widget_or_traj)
        view.frame(len(widget_or_traj) - 1)
        title = title or title_of(widget_or_traj)
    elif isinstance(widget_or_traj, w.Widget):
        view = widget_or_traj
    else:
        raise ParameterError(f"widget_or_traj must be an ipywidgets Widget or a Frames (Trajectory), "
                             f"got {type(widget_or_traj).__name__}")
    path = Path(path)
    embed_minimal_html(path, views=[view], title=title or "mftx_widgets", state=dependency_state([view]))
    return path
