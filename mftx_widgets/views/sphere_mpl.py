"""The matplotlib scene of a SphereView (renderer="matplotlib"): the same points, sphere outline, mean arrow,
marker and trails drawn by matplotlib on an ipympl canvas (3D axes for d >= 3, rotatable with the mouse; 2D for
d = 2). The fallback where the pythreejs front end is absent (Colab, VS Code without the extension, ...): ipympl
sends PNG frames, so it works wherever ipympl does. Slower than WebGL: for a few hundred tokens at ~10-20 fps."""

from __future__ import annotations

import numpy as np

from .plots import new_canvas
from .sphere_three import sphere_wire

#: matplotlib marker size (points^2) per pythreejs point size (pixels): s = (0.75 px)^2 at 80 dpi.
_PX_TO_PT = 0.75


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


class MplScene:
    """The drawing of a SphereView on an ipympl canvas; `widget` is the canvas."""

    name = "matplotlib"

    def __init__(self, width: int, height: int, lecturer: bool, show_sphere: bool, show_axes: bool,
                 show_mean: bool, trails: int) -> None:
        self.figure, self.widget = new_canvas((width / 80, height / 80), 80)
        self.widget.add_class("mftx-sphere-canvas")
        self.widget.add_class("mftx-sphere-mpl")
        self.lecturer, self.show_sphere, self.show_axes = lecturer, show_sphere, show_axes
        self.show_mean, self.trails = show_mean, trails
        self._pos = np.zeros((1, 3), np.float32)
        self._col = np.zeros((1, 3), np.float32)
        self._size = 6.0
        self._trail_shape: tuple = (2, 3)
        self.d = 0
        self.set_dimension(3)

    # -- axes per dimension ---------------------------------------------------------------------------
    def set_dimension(self, d: int) -> None:
        d3 = d >= 3
        if self.d and (self.d >= 3) == d3:
            self.d = d
            return
        self.d = d
        self.figure.clear()
        if d3:
            from mpl_toolkits.mplot3d.art3d import Line3DCollection

            ax = self.figure.add_axes((0, 0, 1, 1), projection="3d")
            ax.set(xlim=(-0.9, 0.9), ylim=(-0.9, 0.9), zlim=(-0.9, 0.9))
            ax.set_box_aspect((1, 1, 1))
            ax.view_init(elev=20, azim=35)
            lines = Line3DCollection
        else:
            from matplotlib.collections import LineCollection

            ax = self.figure.add_axes((0.02, 0.02, 0.96, 0.96))
            ax.set(xlim=(-1.15, 1.15), ylim=(-1.15, 1.15), aspect="equal")
            lines = LineCollection
        ax.set_axis_off()                 # no panes, grid or ticks: the same calm scene as the pythreejs one
        self.ax = ax
        k = 3 if d3 else 2
        for i, c in enumerate(("#ff0000", "#00ff00", "#0000ff")[:k]):      # coordinate axes like THREE.AxesHelper
            tip = np.zeros(k)
            tip[i] = 1.25
            (line,) = ax.plot(*np.stack([np.zeros(k), tip]).T, color=c, lw=1)
            line.set_visible(self.show_axes)
        wire = sphere_wire(3 if d3 else 2).reshape(-1, 2, 3)[..., :k]
        self.wire = lines(wire, colors="#444444" if self.lecturer else "#9aa5b1", linewidths=0.6, alpha=0.6)
        self.wire.set_visible(self.show_sphere)
        ax.add_collection(self.wire)
        self.trail_lines = lines(np.zeros((1, 2, k)), linewidths=1.0, alpha=0.5)
        self.trail_lines.set_visible(self.trails > 0)
        ax.add_collection(self.trail_lines)
        fg = "#000000" if self.lecturer else "#666666"
        zero = [[0.0]] * k
        (self.mean_line,) = ax.plot(*zero, color=fg, lw=2)
        self.mean_line.set_visible(self.show_mean)
        self.points = ax.scatter(*zero, s=self._size ** 2 * _PX_TO_PT ** 2, depthshade=False) if d3 else \
            ax.scatter(*zero, s=self._size ** 2 * _PX_TO_PT ** 2)
        self.marker = ax.scatter(*zero, s=(16 * _PX_TO_PT) ** 2, color="#D55E00", zorder=5)
        self.marker.set_visible(False)
        self._draw_points()

    # -- buffers ----------------------------------------------------------------------------------------
    @property
    def positions(self) -> np.ndarray:
        return self._pos

    @property
    def colours(self) -> np.ndarray:
        return self._col

    @property
    def trail_shape(self) -> tuple:
        return self._trail_shape

    def _draw_points(self) -> None:
        p = self._pos
        if self.d >= 3:
            self.points._offsets3d = (p[:, 0], p[:, 1], p[:, 2])
        else:
            self.points.set_offsets(p[:, :2])
        self.points.set_facecolor(self._col)
        self.points.set_edgecolor("none")
        self.points.set_sizes([self._size ** 2 * _PX_TO_PT ** 2])

    def set_points(self, pos: np.ndarray, col: np.ndarray) -> None:
        self._pos, self._col = _f32(pos), _f32(col)
        self._draw_points()

    def set_marker(self, p: np.ndarray | None) -> None:
        if p is not None:
            if self.d >= 3:
                self.marker._offsets3d = ([p[0]], [p[1]], [p[2]])
            else:
                self.marker.set_offsets([p[:2]])
        self.marker.set_visible(p is not None)

    def set_mean(self, mp: np.ndarray) -> None:
        self.mean_line.set_data([0, mp[0]], [0, mp[1]])
        if self.d >= 3:
            self.mean_line.set_3d_properties([0, mp[2]])

    def set_trails(self, segs: np.ndarray, cols: np.ndarray) -> None:
        self._trail_shape = segs.shape
        k = 3 if self.d >= 3 else 2
        self.trail_lines.set_segments(segs.reshape(-1, 2, 3)[..., :k])
        self.trail_lines.set_color(cols[::2])

    # -- look ---------------------------------------------------------------------------------------------
    @property
    def point_size(self) -> float:
        return self._size

    def set_point_size(self, size: float) -> None:
        self._size = float(size)
        self.points.set_sizes([self._size ** 2 * _PX_TO_PT ** 2])

    def set_lecturer(self, on: bool) -> None:
        self.lecturer = on
        self.wire.set_color("#444444" if on else "#9aa5b1")

    def render(self) -> None:
        """Ask the front end for a new frame (ipympl draws at most one frame per request)."""
        self.widget.draw_idle()

    def close(self) -> None:
        self.widget.close()          # the Figure is not pyplot's: nothing else holds it
