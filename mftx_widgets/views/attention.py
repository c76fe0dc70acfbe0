"""Attention weights of the current state, linked to the particles: a token's row coloured on the sphere and
the whole matrix as a heatmap (tokens sorted by cluster, so clusters show as blocks). The weights come from
dynamics.observables.attention_weights; this module only draws them.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ..dynamics import Attention
from ..dynamics.observables import attention_weights
from .plots import new_canvas


class AttentionView(w.VBox):
    """Pick a token; its attention row colours the particles (viridis), and the matrix is drawn as a heatmap.

    Attributes: token (IntSlider), on (Checkbox), figure (matplotlib, ipympl canvas).
    """

    MAX_HEATMAP_N = 2000

    def __init__(self, n: int, lecturer: bool = False) -> None:
        self.on = w.Checkbox(value=False, description="colour tokens by the attention of token i", indent=False)
        self.token = w.IntSlider(value=0, min=0, max=max(n - 1, 0), description="token i", continuous_update=True)
        self.figure, self.canvas = new_canvas((3.6, 3.4) if not lecturer else (4.6, 4.4), 80)
        self.ax = self.figure.add_axes((0.16, 0.14, 0.7, 0.74))
        self.ax.set_title("attention A (sorted by cluster)", fontsize=9)
        self.ax.set_xlabel("key j", fontsize=8)
        self.ax.set_ylabel("query i", fontsize=8)
        self._image = None
        self._row_line = None
        self.row: np.ndarray | None = None
        super().__init__(children=[self.on, self.token, self.canvas])
        self.add_class("mftx-attention")

    def resize(self, n: int) -> None:
        self.token.max = max(n - 1, 0)
        self.token.value = min(self.token.value, self.token.max)

    def row_values(self, model: Attention, x) -> np.ndarray:
        """The attention row (n,) of the selected token."""
        self.row = attention_weights(model, x, self.token.value)[0]
        return self.row

    def paint(self, sphere, model: Attention, x) -> None:
        """Colour a SphereView's tokens by the selected token's row and mark that token (when on); else give the
        sphere back its cluster colours."""
        on = self.on.value
        sphere.highlight = self.token.value if on else None
        if on:
            sphere.color = self.row_values(model, x)
        elif sphere.color is not None and self.row is not None:
            sphere.color, self.row = None, None

    def draw_matrix(self, model: Attention, x, labels: np.ndarray | None) -> None:
        """Redraw the heatmap of A (n, n) with tokens ordered by cluster label; the selected row is marked."""
        n = np.asarray(x).shape[0]
        if n > self.MAX_HEATMAP_N:
            return
        order = np.argsort(labels, kind="stable") if labels is not None and len(labels) == n else np.arange(n)
        a = attention_weights(model, np.asarray(x)[order])
        if self._image is None or self._image.get_array().shape != a.shape:
            if self._image is not None:
                self._image.remove()
            self._image = self.ax.imshow(a, cmap="viridis", interpolation="nearest", aspect="auto")
        else:
            self._image.set_data(a)
        self._image.set_clim(0.0, float(a.max()))
        pos = int(np.flatnonzero(order == self.token.value)[0])
        if self._row_line is not None:
            self._row_line.remove()
        self._row_line = self.ax.axhline(pos, color="#D55E00", lw=1.2)
        self.canvas.draw_idle()

    def close(self) -> None:
        self.canvas.close()
        super().close()
