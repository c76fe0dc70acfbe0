"""Lesson 08's explorable: a real model's tokens layer by layer — alignment or anisotropy?

Frames of unit tokens per layer (e.g. mftx_widgets.real.layer_trajectory). The readout at the chosen layer: the
raw mean cosine, which equals (n |mean|^2 - 1)/(n - 1) and so measures only the common part; the centred cosine
(mean token subtracted; about -1/(n - 1) whenever the centred tokens have similar lengths); the share of the squared
norm left in the differences, 1 - |mean|^2 (collapse means -> 0); and their effective dimension (participation
ratio of the centred singular values). Controls: the view's layer slider (and its play), "centred" (draw the
centred directions instead). Derivations: docs/derivations/lesson08.md.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ...dynamics import Frames
from ...errors import ParameterError
from ..sphere import SphereView


def layer_stats(x: np.ndarray) -> dict:
    """Raw / centred mean cosine, share 1 - |mean|^2 and effective dimension of unit tokens x (n, d), n >= 3."""
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    if x.ndim != 2 or n < 3:
        raise ParameterError(f"x must be (n, d) tokens with n >= 3, got shape {x.shape}")
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    m = u.mean(axis=0)
    y = u - m
    yn = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-300)
    s2 = np.linalg.svd(y, compute_uv=False) ** 2
    return {"raw": float((np.sum(u.sum(axis=0) ** 2) - n) / (n * (n - 1))),
            "centred": float((np.sum(yn.sum(axis=0) ** 2) - n) / (n * (n - 1))),
            "share": float(1.0 - m @ m),
            "eff_dim": float(s2.sum() ** 2 / np.sum(s2 ** 2)) if s2.sum() > 0 else 0.0,
            "n": n}


def centred_frames(frames: Frames) -> Frames:
    """The same frames with each layer's mean token subtracted and rows renormalised."""
    x = np.asarray(frames.x, dtype=float)
    u = x / np.linalg.norm(x, axis=2, keepdims=True)
    y = u - u.mean(axis=1, keepdims=True)
    y /= np.maximum(np.linalg.norm(y, axis=2, keepdims=True), 1e-300)
    return Frames(t=frames.t, x=y, tokens=frames.tokens, title=f"{frames.title} (centred)", params=frames.params)


class LayerAnisotropy(w.VBox):
    """A layer-by-layer sphere view (3D PCA) of frames with the alignment-versus-anisotropy readout."""

    def __init__(self, frames: Frames) -> None:
        if not isinstance(frames, Frames) or frames.n < 3:
            raise ParameterError("frames must be mftx_widgets Frames with at least 3 tokens")
        self.frames_raw = frames
        self.frames_centred = centred_frames(frames)
        self.centred = w.ToggleButton(value=False, description="centred", icon="crosshairs",
                                      tooltip="draw the tokens minus the layer's mean token")
        self.readout = w.HTML()
        self.view = self._make_view(frames)
        self.centred.observe(self._switch, names="value")
        super().__init__(children=[self.centred, w.HBox([self.view, self.readout])])
        self._show()

    def _make_view(self, frames: Frames) -> SphereView:
        view = SphereView(frames, projection="pca", color=np.arange(frames.n), show_mean=True)
        view.time_slider.description = "layer"
        view.time_slider.observe(lambda ch: self._show(), names="value")
        return view

    @property
    def layer(self) -> int:
        return int(self.view.time_slider.value)

    def set_layer(self, layer: int) -> None:
        self.view.frame(layer)
        self._show()

    def _switch(self, change) -> None:
        layer = self.layer
        old = self.view
        self.view = self._make_view(self.frames_centred if change["new"] else self.frames_raw)
        self.children[1].children = (self.view, self.readout)
        old.close()
        self.set_layer(layer)

    def stats(self) -> dict:
        """The readout's numbers at the current layer (always of the raw tokens)."""
        return layer_stats(self.frames_raw.x[self.layer])

    def _show(self) -> None:
        s = self.stats()
        self.readout.value = (
            f"<b>layer {self.layer}</b>, n = {s['n']}<br>"
            f"mean cosine (raw): <b>{s['raw']:.3f}</b><br>"
            f"centred cosine: <b>{s['centred']:.3f}</b> (-1/(n-1) = {-1 / (s['n'] - 1):.3f})<br>"
            f"share in the differences 1-|mean|²: <b>{s['share']:.3f}</b><br>"
            f"effective dimension of the differences: {s['eff_dim']:.1f} (at most {s['n'] - 1})")

    def close(self) -> None:
        self.view.close()
        super().close()
