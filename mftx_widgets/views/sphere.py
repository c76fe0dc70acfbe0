"""SphereView: tokens as points on the unit sphere (pythreejs), for any Frames (a finished run, a real model's
layers) or a live Simulation played by a Player."""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ..dynamics import Frames, Simulation, observables
from ..errors import ParameterError
from ._common import (
    MAX_CLUSTER_COLOUR_N,
    MAX_COLOUR_CLUSTERS,
    OKABE_ITO,
    TAB10,
    check_projection,
    label_colours,
    pca_basis,
    project3,
    resolve_renderer,
)
from ._common import user_colours as _user_colours
from .player import Player
from .sphere_mpl import MplScene
from .sphere_three import ThreeScene

#: the drawing back ends by renderer name.
SCENES = {"threejs": ThreeScene, "matplotlib": MplScene}


class SphereView(w.VBox):
    """Tokens as points on S^{d-1}: d = 2 a circle, d = 3 the sphere, d > 3 a 3D projection.

    Parameters
    ----------
    source : Frames, e.g. a Trajectory (a time slider scrubs it; no model needed), a Simulation (live: play()
        steps it in a Player of its own, or call update() after stepping it), or a Player (the owner drives it).
    color : None (the Frames' labels, else colour by cluster, config.CLUSTER_TOL, when there are at most
        MAX_COLOUR_CLUSTERS clusters, else one calm colour), a colour name, (n,) values or (n, 3) RGB.
    trails : number of past frames drawn as a trail behind each token (0 = none).
    projection : "first3" | "pca" (uncentred PCA; used when d > 3).
    show_sphere, show_axes : draw the unit sphere outline / the coordinate axes.
    lecturer : larger points and fonts, high contrast, colour-blind-safe palette.
    point_size : points in pixels (default 6, lecturer 10).
    size : (width, height) of the 3D view in pixels.
    show_mean : draw the mean vector m (order parameter) as an arrow from the centre.
    play_button : for a Simulation source, show a Play toggle that steps it live (play() / pause() in code).
    renderer : "auto" | "threejs" (pythreejs, WebGL) | "matplotlib" (ipympl); "auto" picks threejs where its
        front end is present, else matplotlib (see _common.resolve_renderer; MFTX_RENDERER overrides).
    """

    def __init__(self, source, color=None, trails: int = 0, projection: str = "first3", show_sphere: bool = True,
                 show_axes: bool = True, lecturer: bool = False, point_size: float | None = None,
                 size: tuple[int, int] | None = None, show_mean: bool = True, play_button: bool = True,
                 renderer: str = "auto") -> None:
        if not isinstance(source, (Frames, Simulation, Player)):
            raise ParameterError(f"source must be mftx_widgets Frames (e.g. a Trajectory), a Simulation or a Player, "
                                 f"got {type(source).__name__}")
        trails = int(trails)
        if not 0 <= trails <= 200:
            raise ParameterError(f"trails must be in [0, 200], got {trails}")
        if point_size is not None and not 0 < float(point_size) <= 50:
            raise ParameterError(f"point_size must be in (0, 50] pixels, got {point_size}")
        self.projection = check_projection(projection)
        self.trails = trails
        self.color = color
        self.lecturer = bool(lecturer)
        self.show_mean = bool(show_mean)
        self._point_size = point_size
        self.palette = OKABE_ITO if lecturer else TAB10
        width, height = size or ((560, 560) if lecturer else (420, 420))
        self._basis: np.ndarray | None = None
        self._updates = 0
        self._history: list[np.ndarray] = []
        self.labels: np.ndarray | None = None
        #: cluster labels (colours) are recomputed every cluster_every-th update (the Explorer fits it to its budget)
        self.cluster_every = 1
        self._labels_at = -1

        # --- scene: pythreejs or matplotlib, the same buffers ------------------------------------------
        self.renderer_name = resolve_renderer(renderer)
        self.scene = SCENES[self.renderer_name](width, height, self.lecturer, show_sphere, show_axes, show_mean,
                                                trails)
        #: the canvas widget (a p3.Renderer or an ipympl Canvas)
        self.renderer = self.scene.widget
        for part in ("points", "marker", "wire", "axes", "mean_line", "mean_tip", "trail_lines", "camera"):
            setattr(self, part, getattr(self.scene, part, None))
        self.highlight: int | None = None
        font = "18px" if lecturer else "13px"
        self.info = w.HTML(layout=w.Layout(margin="0 0 0 8px"))
        self.info.style.font_size = font
        self._font = font

        # --- time controls for frames, a player for a live simulation ---------------------------------
        self.frames = source if isinstance(source, Frames) else None
        self.player: Player | None = None
        self._own_player = isinstance(source, Simulation)
        children: list[w.Widget] = [self.renderer, self.info]
        self.time_slider = None
        if self.frames is not None:
            self.time_slider = w.IntSlider(value=0, min=0, max=len(source) - 1, description="frame",
                                           continuous_update=True, layout=w.Layout(width=f"{width}px"))
            self.time_play = w.Play(value=0, min=0, max=len(source) - 1, interval=60, description="play")
            w.jslink((self.time_play, "value"), (self.time_slider, "value"))
            self.time_slider.observe(lambda ch: self.frame(ch["new"]), names="value")
            children.append(w.HBox([self.time_play, self.time_slider]))
            if source.d > 3 and self.projection == "pca":
                sub = source.directions[:: max(1, len(source) // 20)]
                self._basis = pca_basis(sub.reshape(-1, source.d))
        else:
            self.player = Player(source, record=False) if self._own_player else source
            if self._own_player:
                self.player.draw = self.update
                self.player.on_error = self._stopped
            self.play_button = w.ToggleButton(value=False, description="Play", icon="play",
                                              tooltip="step the simulation live")
            self.play_button.add_class("mftx-sphere-play")
            self.play_button.observe(lambda ch: self.play() if ch["new"] else self.pause(), names="value")
            if play_button:
                children.append(self.play_button)
        super().__init__(children=children)
        self.add_class("mftx-sphere")
        self._set_dimension(self.source.d)
        self._n = -1
        if self.frames is not None:
            self.frame(0)
        else:
            self.update()

    # -- public -------------------------------------------------------------------------------------
    @property
    def source(self) -> Frames | Simulation:
        """The Frames shown, or the live Simulation (the player's current one)."""
        return self.frames if self.frames is not None else self.player.sim

    @property
    def loop(self):
        """The player's frame loop (None for Frames)."""
        return None if self.player is None else self.player.loop

    @property
    def n(self) -> int:
        """Number of points currently drawn."""
        return int(self.scene.positions.shape[0])

    @property
    def positions(self) -> np.ndarray:
        """The (n, 3) float32 positions drawn (the buffer sent to the browser)."""
        return self.scene.positions

    @property
    def colours(self) -> np.ndarray:
        """The (n, 3) float32 colours drawn (the buffer sent to the browser)."""
        return self.scene.colours

    @property
    def labels_fresh(self) -> bool:
        """True when the cluster labels were computed for the state drawn last."""
        return self.labels is not None and self._labels_at == self._updates - 1

    def drawn_labels(self) -> np.ndarray | None:
        """The cluster labels (n,) of the state drawn last, if they were computed for it (else None)."""
        fresh = self.labels_fresh and self.color is None and len(self.labels) == self._n
        return self.labels if fresh else None

    def frame(self, i: int) -> None:
        """Show frame i of the Frames (moves the time slider too)."""
        if self.frames is None:
            raise ParameterError("frame(i) needs a Frames source; use update() for a Simulation")
        i = int(i)
        if not 0 <= i < len(self.frames):
            raise ParameterError(f"frame index must be in [0, {len(self.frames) - 1}], got {i}")
        if self.time_slider is not None and self.time_play.value != i:
            self.time_play.value = i        # jslinked in the front end: keep both ends equal in the kernel too
        if self.time_slider is not None and self.time_slider.value != i:
            self.time_slider.value = i      # the observer calls frame(i) again
            return
        self.show(self.frames.x[i], t=float(self.frames.t[i]), labels=self.frames.labels_at(i))

    def update(self) -> None:
        """Redraw from the live Simulation's current state (or the current frame)."""
        if self.frames is not None:
            self.frame(self.time_slider.value)
        else:
            self.show(self.player.sim.x, t=float(self.player.sim.t))

    def set_source(self, source) -> None:
        """Redraw after the live run changed (a new Simulation, or the player loaded one; n and d may change)."""
        if self.player is None or not isinstance(source, (Simulation, Player)):
            raise ParameterError("set_source needs a live view and a Simulation or Player")
        if isinstance(source, Simulation):
            self.player.load(source)
        self._basis = None
        self._history.clear()
        self._set_dimension(self.player.sim.d)
        self.update()

    def play(self, steps_per_frame: int | None = None) -> None:
        """Live source only: step it in the player's task (20 fps, steps_per_frame whole steps per frame)."""
        if self.player is None:
            raise ParameterError("play() needs a Simulation source; Frames are scrubbed with the time slider")
        self.player.play(steps_per_frame)
        if not self.play_button.value:
            self.play_button.value = True

    def pause(self) -> None:
        """Stop the live task (it ends)."""
        if self.player is not None:
            self.player.pause()
            if self.play_button.value:
                self.play_button.value = False

    def _stopped(self, exc: Exception) -> None:
        self.pause()
        self.info.value = f"<span style='color:#b00'><b>stopped:</b> {exc}</span>"

    def set_lecturer(self, on: bool) -> None:
        """Lecturer mode: bigger points and fonts, colour-blind-safe palette, black outlines."""
        self.lecturer = bool(on)
        self.palette = OKABE_ITO if on else TAB10
        self._font = "18px" if on else "13px"
        self.info.style.font_size = self._font
        self.scene.set_lecturer(self.lecturer)
        self._apply_point_size()
        self.update()

    def close(self) -> None:
        """Stop any live task; close the view and its 3D objects (frees the WebGL context in the browser)."""
        if self.__dict__.get("player") is not None and self._own_player:
            self.player.close()
        if self.__dict__.get("scene") is not None:
            self.scene.close()
        super().close()

    # -- drawing ------------------------------------------------------------------------------------
    def _apply_point_size(self) -> None:
        n = max(self._n, 1)
        base = self._point_size or ((10.0 if self.lecturer else 6.0) * (0.6 if n > 1000 else 1.0))
        self.scene.set_point_size(base)

    def _set_dimension(self, d: int) -> None:
        self.d = d
        self.scene.set_dimension(d)

    def _colours(self, x: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        n = x.shape[0]
        if self.color is not None:
            self.labels = None
            return _user_colours(self.color, n)
        if labels is not None:
            self.labels = np.asarray(labels)
            self._labels_at = self._updates
        elif n > MAX_CLUSTER_COLOUR_N:
            self.labels = np.zeros(n, dtype=np.int64)
        elif self.labels is None or len(self.labels) != n or self._updates % self.cluster_every == 0:
            self.labels = observables.clusters(x)
            self._labels_at = self._updates
        if int(self.labels.max(initial=0)) + 1 > MAX_COLOUR_CLUSTERS:      # many small clusters: one calm colour
            return label_colours(np.zeros(n, dtype=np.int64), self.palette)
        return label_colours(self.labels, self.palette)

    def show(self, x, t: float | None = None, labels: np.ndarray | None = None) -> None:
        """Draw the state x (n, d) (directions are used; Pre-LN residual streams are normalised); labels (n,)
        ints colour the tokens (default: clusters of x)."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ParameterError(f"x must be (n, {self.d}), got shape {x.shape}")
        u = x / np.linalg.norm(x, axis=1, keepdims=True)
        n = u.shape[0]
        if self.d > 3 and self.projection == "pca" and (
                self._basis is None or (self.frames is None and self._updates % 30 == 0)):
            self._basis = pca_basis(u, self._basis)
        pos = project3(u, self.projection, self._basis)
        col = self._colours(u, labels)
        self.scene.set_points(pos, col)          # n changed: position and colour are replaced together
        if n != self._n:
            self._n = n
            self._history.clear()
            self._apply_point_size()
        self.scene.set_marker(pos[self.highlight] if self.highlight is not None and 0 <= self.highlight < n else None)
        m = u.mean(axis=0)
        mp = project3(m[None, :], self.projection, self._basis)[0]
        if self.show_mean:
            self.scene.set_mean(mp)
        if self.trails > 0:
            self._draw_trails(pos, col)
        self.scene.render()
        self._updates += 1
        k = "-" if self.labels is None else str(int(self.labels.max()) + 1)
        tt = ("" if self.frames is None or not self.frames.title else f"{self.frames.title} &nbsp; ") + (
            "" if t is None else f"t = {t:.2f} &nbsp; ")
        self.info.value = (f"<span style='font-size:{self._font}'>{tt}n = {n}, d = {self.d} &nbsp; "
                           f"clusters = {k} &nbsp; |m| = {np.linalg.norm(m):.3f}</span>")

    def _draw_trails(self, pos: np.ndarray, col: np.ndarray) -> None:
        self._history.append(pos)
        if len(self._history) > self.trails + 1:
            del self._history[0]
        h = [self._history[0]] * (self.trails + 1 - len(self._history)) + self._history   # pad: zero-length
        a = np.stack(h[:-1])            # (trails, n, 3)
        b = np.stack(h[1:])
        segs = np.ascontiguousarray(np.stack([a, b], axis=2).reshape(-1, 3), dtype=np.float32)
        cols = np.ascontiguousarray(np.broadcast_to(col[None, :, None, :], (a.shape[0], a.shape[1], 2, 3)).reshape(
            -1, 3), dtype=np.float32)
        self.scene.set_trails(segs, cols)
