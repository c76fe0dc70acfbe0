"""SphereView: tokens as points on the unit sphere (pythreejs), for any Frames (a finished run, a real model's
layers) or a live Simulation played by a Player."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import pythreejs as p3

from ..dynamics import Frames, Simulation, observables
from ..errors import ParameterError
from ._common import MAX_CLUSTER_COLOUR_N, OKABE_ITO, TAB10, check_projection, label_colours, pca_basis, project3
from ._common import user_colours as _user_colours
from .player import Player


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def _circle(m: int = 96, axis: int = 2) -> np.ndarray:
    """Segments (2m, 3) of the unit circle orthogonal to coordinate `axis`."""
    th = np.linspace(0, 2 * np.pi, m + 1)
    pts = np.zeros((m + 1, 3))
    a, b = [i for i in range(3) if i != axis]
    pts[:, a], pts[:, b] = np.cos(th), np.sin(th)
    return np.repeat(pts, 2, axis=0)[1:-1]


def _sphere_wire(d: int) -> np.ndarray:
    """Line segments outlining the unit circle (d = 2) or sphere (3 great circles + 4 latitudes)."""
    if d == 2:
        return _f32(_circle(128))
    segs = [_circle(96, ax) for ax in range(3)]
    for z in (-0.75, -0.4, 0.4, 0.75):
        c = _circle(64) * np.sqrt(1 - z * z)
        c[:, 2] = z
        segs.append(c)
    return _f32(np.concatenate(segs))


class SphereView(w.VBox):
    """Tokens as points on S^{d-1}: d = 2 a circle, d = 3 the sphere, d > 3 a 3D projection.

    Parameters
    ----------
    source : Frames, e.g. a Trajectory (a time slider scrubs it; no model needed), a Simulation (live: play()
        steps it in a Player of its own, or call update() after stepping it), or a Player (the owner drives it).
    color : None (the Frames' labels, else colour by cluster, config.CLUSTER_TOL), a colour name, (n,) values
        or (n, 3) RGB.
    trails : number of past frames drawn as a trail behind each token (0 = none).
    projection : "first3" | "pca" (uncentred PCA; used when d > 3).
    show_sphere, show_axes : draw the unit sphere outline / the coordinate axes.
    lecturer : larger points and fonts, high contrast, colour-blind-safe palette.
    point_size : points in pixels (default 6, lecturer 10).
    size : (width, height) of the 3D view in pixels.
    show_mean : draw the mean vector m (order parameter) as an arrow from the centre.
    play_button : for a Simulation source, show a Play toggle that steps it live (play() / pause() in code).
    """

    def __init__(self, source, color=None, trails: int = 0, projection: str = "first3", show_sphere: bool = True,
                 show_axes: bool = True, lecturer: bool = False, point_size: float | None = None,
                 size: tuple[int, int] | None = None, show_mean: bool = True, play_button: bool = True) -> None:
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

        # --- scene -------------------------------------------------------------------------------
        fg = "#000000" if lecturer else "#666666"
        bg = "#ffffff"
        self.points = p3.Points(
            geometry=p3.BufferGeometry(attributes={
                "position": p3.BufferAttribute(array=np.zeros((1, 3), np.float32)),
                "color": p3.BufferAttribute(array=np.zeros((1, 3), np.float32)),
            }),
            material=p3.PointsMaterial(size=6.0, sizeAttenuation=False, vertexColors="VertexColors"),
        )
        self.wire = p3.LineSegments(
            geometry=p3.BufferGeometry(attributes={"position": p3.BufferAttribute(array=_sphere_wire(3))}),
            material=p3.LineBasicMaterial(color="#9aa5b1" if not lecturer else "#444444", transparent=True,
                                          opacity=0.6),
            visible=show_sphere,
        )
        self.axes = p3.AxesHelper(size=1.25, visible=show_axes)
        self.mean_line = p3.LineSegments(
            geometry=p3.BufferGeometry(attributes={"position": p3.BufferAttribute(array=np.zeros((2, 3), np.float32))}),
            material=p3.LineBasicMaterial(color=fg, linewidth=3), visible=show_mean,
        )
        self.mean_tip = p3.Points(
            geometry=p3.BufferGeometry(attributes={"position": p3.BufferAttribute(array=np.zeros((1, 3), np.float32))}),
            material=p3.PointsMaterial(size=12.0, sizeAttenuation=False, color=fg), visible=show_mean,
        )
        self.trail_lines = p3.LineSegments(
            geometry=p3.BufferGeometry(attributes={
                "position": p3.BufferAttribute(array=np.zeros((2, 3), np.float32)),
                "color": p3.BufferAttribute(array=np.zeros((2, 3), np.float32)),
            }),
            material=p3.LineBasicMaterial(vertexColors="VertexColors", transparent=True, opacity=0.5),
            visible=trails > 0,
        )
        self.marker = p3.Points(
            geometry=p3.BufferGeometry(attributes={"position": p3.BufferAttribute(array=np.zeros((1, 3), np.float32))}),
            material=p3.PointsMaterial(size=16.0, sizeAttenuation=False, color="#D55E00"), visible=False,
        )
        self.highlight: int | None = None
        self.camera = p3.PerspectiveCamera(position=[2.2, 1.6, 2.6], up=[0, 0, 1], fov=40, aspect=width / height)
        self.scene = p3.Scene(
            children=[self.points, self.marker, self.wire, self.axes, self.mean_line, self.mean_tip, self.trail_lines,
                      self.camera, p3.AmbientLight(intensity=0.8),
                      p3.HemisphereLight(color="#ffffff", groundColor="#888888", intensity=0.4)],
            background=bg,
        )
        self.controls = p3.OrbitControls(controlling=self.camera)
        self.renderer = p3.Renderer(camera=self.camera, scene=self.scene, controls=[self.controls],
                                    width=width, height=height, antialias=True)
        self.renderer.add_class("mftx-sphere-canvas")
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
        return int(self.points.geometry.attributes["position"].array.shape[0])

    @property
    def positions(self) -> np.ndarray:
        """The (n, 3) float32 buffer sent to the browser."""
        return self.points.geometry.attributes["position"].array

    @property
    def colours(self) -> np.ndarray:
        """The (n, 3) float32 colour buffer sent to the browser."""
        return self.points.geometry.attributes["color"].array

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
        self.wire.material.color = "#444444" if on else "#9aa5b1"
        self._apply_point_size()
        self.update()

    def close(self) -> None:
        """Stop any live task; close the view and its 3D objects (frees the WebGL context in the browser)."""
        if self.__dict__.get("player") is not None and self._own_player:
            self.player.close()
        for name in ("renderer", "scene", "controls", "camera", "points", "marker", "wire", "axes", "mean_line",
                     "mean_tip", "trail_lines"):
            part = self.__dict__.get(name)
            if part is not None:
                part.close()
        super().close()

    # -- drawing ------------------------------------------------------------------------------------
    def _apply_point_size(self) -> None:
        n = max(self._n, 1)
        base = self._point_size or ((10.0 if self.lecturer else 6.0) * (0.6 if n > 1000 else 1.0))
        self.points.material.size = float(base)

    def _set_dimension(self, d: int) -> None:
        self.d = d
        self.wire.geometry.attributes["position"].array = _sphere_wire(d)
        if d == 2:
            self.camera.position = [0.0, 0.0, 3.6]
            self.camera.up = [0.0, 1.0, 0.0]
        else:
            self.camera.position = [2.2, 1.6, 2.6]
            self.camera.up = [0.0, 0.0, 1.0]

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
        attrs = self.points.geometry.attributes
        if n != self._n:
            # n changed: replace position and colour attributes together (pythreejs resize rule)
            self._n = n
            self._history.clear()
            _replace_geometry(self.points, position=pos, color=col)
            self._apply_point_size()
        else:
            # a NEW contiguous float32 array per frame (in-place edits do not sync)
            attrs["position"].array = pos
            attrs["color"].array = col
        if self.highlight is not None and 0 <= self.highlight < n:
            self.marker.geometry.attributes["position"].array = _f32(pos[self.highlight][None, :])
            self.marker.visible = True
        else:
            self.marker.visible = False
        m = u.mean(axis=0)
        mp = project3(m[None, :], self.projection, self._basis)[0]
        if self.show_mean:
            self.mean_line.geometry.attributes["position"].array = _f32([[0, 0, 0], mp])
            self.mean_tip.geometry.attributes["position"].array = _f32([mp])
        if self.trails > 0:
            self._draw_trails(pos, col)
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
        segs = _f32(np.stack([a, b], axis=2).reshape(-1, 3))
        cols = _f32(np.broadcast_to(col[None, :, None, :], (a.shape[0], a.shape[1], 2, 3)).reshape(-1, 3))
        attrs = self.trail_lines.geometry.attributes
        if attrs["position"].array.shape != segs.shape:
            _replace_geometry(self.trail_lines, position=segs, color=cols)
        else:
            attrs["position"].array = segs
            attrs["color"].array = cols


def _replace_geometry(owner, **arrays: np.ndarray) -> None:
    """Give `owner` (Points, LineSegments) a new BufferGeometry with these attribute arrays (a new size).

    The whole geometry is replaced (front ends do not pick up resized attributes of an existing geometry);
    position and colour change together. The old geometry and attributes are closed.
    """
    old = owner.geometry
    owner.geometry = p3.BufferGeometry(attributes={k: p3.BufferAttribute(array=a) for k, a in arrays.items()})
    for attr in old.attributes.values():
        attr.close()
    old.close()
