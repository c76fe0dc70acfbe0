"""The pythreejs scene of a SphereView (renderer="threejs"): round point sprites, the sphere outline, axes, the
mean arrow, the highlight marker and trails, in a WebGL canvas with orbit controls."""

from __future__ import annotations

import numpy as np
import pythreejs as p3

#: pixels of the round sprite texture (a white disc with an alpha edge; three.js r97 PointsMaterial has no round
#: points of its own: a `map` with alphaTest cuts each square point to a disc).
SPRITE_PX = 64


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def disc_sprite(px: int = SPRITE_PX) -> np.ndarray:
    """(px, px, 4) uint8 RGBA: white, alpha 255 inside the inscribed disc, a one-pixel soft edge, 0 outside."""
    c = (np.arange(px) + 0.5) / px * 2 - 1
    r = np.hypot(*np.meshgrid(c, c))
    alpha = np.clip((1 - r) * px / 2, 0, 1)
    rgba = np.full((px, px, 4), 255, np.uint8)
    rgba[..., 3] = np.round(alpha * 255).astype(np.uint8)
    return rgba


def _circle(m: int = 96, axis: int = 2) -> np.ndarray:
    """Segments (2m, 3) of the unit circle orthogonal to coordinate `axis`."""
    th = np.linspace(0, 2 * np.pi, m + 1)
    pts = np.zeros((m + 1, 3))
    a, b = [i for i in range(3) if i != axis]
    pts[:, a], pts[:, b] = np.cos(th), np.sin(th)
    return np.repeat(pts, 2, axis=0)[1:-1]


def sphere_wire(d: int) -> np.ndarray:
    """Line segments (2k, 3) outlining the unit circle (d = 2) or sphere (3 great circles + 4 latitudes)."""
    if d == 2:
        return _f32(_circle(128))
    segs = [_circle(96, ax) for ax in range(3)]
    for z in (-0.75, -0.4, 0.4, 0.75):
        c = _circle(64) * np.sqrt(1 - z * z)
        c[:, 2] = z
        segs.append(c)
    return _f32(np.concatenate(segs))


def _attr(a) -> p3.BufferAttribute:
    return p3.BufferAttribute(array=_f32(a))


class ThreeScene:
    """The 3D objects of a SphereView; `widget` is the p3.Renderer (a WebGL canvas)."""

    name = "threejs"

    def __init__(self, width: int, height: int, lecturer: bool, show_sphere: bool, show_axes: bool,
                 show_mean: bool, trails: int) -> None:
        fg = "#000000" if lecturer else "#666666"
        self.sprite = p3.DataTexture(data=disc_sprite(), format="RGBAFormat", type="UnsignedByteType",
                                     magFilter="LinearFilter", minFilter="LinearFilter")
        self.points = p3.Points(
            geometry=p3.BufferGeometry(attributes={"position": _attr(np.zeros((1, 3))),
                                                   "color": _attr(np.zeros((1, 3)))}),
            material=p3.PointsMaterial(size=6.0, sizeAttenuation=False, vertexColors="VertexColors",
                                       map=self.sprite, alphaTest=0.5),
        )
        self.wire = p3.LineSegments(
            geometry=p3.BufferGeometry(attributes={"position": _attr(sphere_wire(3))}),
            material=p3.LineBasicMaterial(color="#9aa5b1" if not lecturer else "#444444", transparent=True,
                                          opacity=0.6),
            visible=show_sphere,
        )
        self.axes = p3.AxesHelper(size=1.25, visible=show_axes)
        self.mean_line = p3.LineSegments(
            geometry=p3.BufferGeometry(attributes={"position": _attr(np.zeros((2, 3)))}),
            material=p3.LineBasicMaterial(color=fg, linewidth=3), visible=show_mean,
        )
        self.mean_tip = p3.Points(
            geometry=p3.BufferGeometry(attributes={"position": _attr(np.zeros((1, 3)))}),
            material=p3.PointsMaterial(size=12.0, sizeAttenuation=False, color=fg, map=self.sprite, alphaTest=0.5),
            visible=show_mean,
        )
        self.trail_lines = p3.LineSegments(
            geometry=p3.BufferGeometry(attributes={"position": _attr(np.zeros((2, 3))),
                                                   "color": _attr(np.zeros((2, 3)))}),
            material=p3.LineBasicMaterial(vertexColors="VertexColors", transparent=True, opacity=0.5),
            visible=trails > 0,
        )
        self.marker = p3.Points(
            geometry=p3.BufferGeometry(attributes={"position": _attr(np.zeros((1, 3)))}),
            material=p3.PointsMaterial(size=16.0, sizeAttenuation=False, color="#D55E00", map=self.sprite,
                                       alphaTest=0.5),
            visible=False,
        )
        self.camera = p3.PerspectiveCamera(position=[2.2, 1.6, 2.6], up=[0, 0, 1], fov=40, aspect=width / height)
        self.scene = p3.Scene(
            children=[self.points, self.marker, self.wire, self.axes, self.mean_line, self.mean_tip, self.trail_lines,
                      self.camera, p3.AmbientLight(intensity=0.8),
                      p3.HemisphereLight(color="#ffffff", groundColor="#888888", intensity=0.4)],
            background="#ffffff",
        )
        self.controls = p3.OrbitControls(controlling=self.camera)
        self.widget = p3.Renderer(camera=self.camera, scene=self.scene, controls=[self.controls],
                                  width=width, height=height, antialias=True)
        self.widget.add_class("mftx-sphere-canvas")

    # -- buffers ----------------------------------------------------------------------------------
    @property
    def positions(self) -> np.ndarray:
        return self.points.geometry.attributes["position"].array

    @property
    def colours(self) -> np.ndarray:
        return self.points.geometry.attributes["color"].array

    def set_points(self, pos: np.ndarray, col: np.ndarray) -> None:
        attrs = self.points.geometry.attributes
        if attrs["position"].array.shape != pos.shape:
            replace_geometry(self.points, position=pos, color=col)      # n changed: both together
        else:
            attrs["position"].array = _f32(pos)       # a NEW contiguous float32 array per frame
            attrs["color"].array = _f32(col)

    def set_marker(self, p: np.ndarray | None) -> None:
        if p is not None:
            self.marker.geometry.attributes["position"].array = _f32(p[None, :])
        self.marker.visible = p is not None

    def set_mean(self, mp: np.ndarray) -> None:
        self.mean_line.geometry.attributes["position"].array = _f32([[0, 0, 0], mp])
        self.mean_tip.geometry.attributes["position"].array = _f32([mp])

    def set_trails(self, segs: np.ndarray, cols: np.ndarray) -> None:
        attrs = self.trail_lines.geometry.attributes
        if attrs["position"].array.shape != segs.shape:
            replace_geometry(self.trail_lines, position=segs, color=cols)
        else:
            attrs["position"].array = segs
            attrs["color"].array = cols

    @property
    def trail_shape(self) -> tuple:
        return self.trail_lines.geometry.attributes["position"].array.shape

    # -- look ---------------------------------------------------------------------------------------
    @property
    def point_size(self) -> float:
        return float(self.points.material.size)

    def set_point_size(self, size: float) -> None:
        self.points.material.size = float(size)

    def set_dimension(self, d: int) -> None:
        self.wire.geometry.attributes["position"].array = sphere_wire(d)
        if d == 2:
            self.camera.position, self.camera.up = [0.0, 0.0, 3.6], [0.0, 1.0, 0.0]
        else:
            self.camera.position, self.camera.up = [2.2, 1.6, 2.6], [0.0, 0.0, 1.0]

    def set_lecturer(self, on: bool) -> None:
        self.wire.material.color = "#444444" if on else "#9aa5b1"

    def render(self) -> None:
        """Nothing to do: the front end redraws when a buffer changes."""

    def close(self) -> None:
        for part in (self.widget, self.scene, self.controls, self.camera, self.points, self.marker, self.wire,
                     self.axes, self.mean_line, self.mean_tip, self.trail_lines, self.sprite):
            part.close()


def replace_geometry(owner, **arrays: np.ndarray) -> None:
    """Give `owner` (Points, LineSegments) a new BufferGeometry with these attribute arrays (a new size).

    The whole geometry is replaced (front ends do not pick up resized attributes of an existing geometry);
    position and colour change together. The old geometry and attributes are closed.
    """
    old = owner.geometry
    owner.geometry = p3.BufferGeometry(attributes={k: _attr(a) for k, a in arrays.items()})
    for attr in old.attributes.values():
        attr.close()
    old.close()
