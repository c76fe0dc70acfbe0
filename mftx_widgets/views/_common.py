"""Small helpers shared by the views: palettes, colours, 3D projection of (n, d) states. No dynamics here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from ..errors import ParameterError

#: matplotlib's tab10 (default views).
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
         "#17becf")
#: Okabe-Ito colour-blind-safe palette (lecturer mode), black replaced by a dark grey-blue.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#34495E")
PROJECTIONS = ("first3", "pca")
#: colour by cluster only up to this many clusters (400 iid tokens at t = 0 are ~130 tiny clusters: one colour).
MAX_COLOUR_CLUSTERS = 12
RENDERERS = ("auto", "threejs", "matplotlib")
#: clustering for colours is skipped above this many tokens (single colour), to keep frames cheap.
MAX_CLUSTER_COLOUR_N = 3000


def hex_to_rgb(colours) -> np.ndarray:
    """('#rrggbb', ...) -> (k, 3) float32 in [0, 1]."""
    return np.array([[int(c[i:i + 2], 16) / 255.0 for i in (1, 3, 5)] for c in colours], dtype=np.float32)


def label_colours(labels: np.ndarray, palette=TAB10) -> np.ndarray:
    """(n,) integer labels -> (n, 3) float32 RGB, cycling through the palette."""
    pal = hex_to_rgb(palette)
    return np.ascontiguousarray(pal[np.asarray(labels) % len(pal)], dtype=np.float32)


def user_colours(color, n: int) -> np.ndarray:
    """A colour spec -> (n, 3) float32 RGB.

    color: a matplotlib colour name/hex (one colour), an (n,) array of values (viridis), or an (n, 3) RGB array.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    if isinstance(color, str):
        return np.tile(np.asarray(to_rgb(color), dtype=np.float32), (n, 1))
    arr = np.asarray(color, dtype=float)
    if arr.shape == (n,):
        if not np.all(np.isfinite(arr)):
            raise ParameterError("color values must be finite")
        span = arr.max() - arr.min()
        u = (arr - arr.min()) / span if span > 0 else np.zeros(n)
        return np.ascontiguousarray(colormaps["viridis"](u)[:, :3], dtype=np.float32)
    if arr.shape == (n, 3) and np.all((arr >= 0) & (arr <= 1)):
        return np.ascontiguousarray(arr, dtype=np.float32)
    raise ParameterError(f"color must be None, a colour name, an (n,) = ({n},) array of values or an (n, 3) RGB array "
                     f"in [0, 1], got shape {arr.shape}")


def pca_basis(x: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """Top-3 right singular vectors (d, 3) of the uncentred points x (m, d); signs aligned with `previous`.

    Uncentred, so projections of unit vectors stay in the unit ball.
    """
    _, _, vt = np.linalg.svd(np.asarray(x, dtype=float), full_matrices=False)
    basis = vt[:3].T.copy()
    if basis.shape[1] < 3:
        basis = np.pad(basis, ((0, 0), (0, 3 - basis.shape[1])))
    if previous is not None and previous.shape == basis.shape:
        signs = np.sign(np.sum(basis * previous, axis=0))
        signs[signs == 0] = 1.0
        basis *= signs
    return basis


def project3(x: np.ndarray, projection: str = "first3", basis: np.ndarray | None = None) -> np.ndarray:
    """(n, d) -> (n, 3) float32 for drawing: d = 2 lies in the z = 0 plane; d = 3 as is; d > 3 projected."""
    x = np.asarray(x)
    n, d = x.shape
    out = np.zeros((n, 3), dtype=np.float32)
    if d <= 3:
        out[:, :d] = x
    elif projection == "pca":
        if basis is None:
            basis = pca_basis(x)
        out[:] = x @ basis
    else:
        out[:] = x[:, :3]
    return out


def check_projection(projection: str) -> str:
    if projection not in PROJECTIONS:
        raise ParameterError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
    return projection


def threejs_frontend_installed() -> bool:
    """True when the jupyter-threejs JupyterLab / Notebook 7 extension is on jupyter's labextension path (the
    front end that draws pythreejs widgets is installed beside the kernel's Jupyter)."""
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return False
    return any((Path(p) / "jupyter-threejs").is_dir() for p in jupyter_path("labextensions"))


def in_colab() -> bool:
    """True inside Google Colab (its kernel has imported google.colab)."""
    return "google.colab" in sys.modules


def resolve_renderer(renderer: str = "auto") -> str:
    """"threejs" or "matplotlib" for a SphereView's `renderer` argument.

    "auto": the environment variable MFTX_RENDERER (threejs | matplotlib) when set; in Colab "matplotlib" (its
    widget manager loads third-party widgets, but pythreejs sends positions as binary buffers, its known gap there;
    ipympl's PNG frames work) after enabling Colab's custom widget manager (ipympl needs it); elsewhere "threejs"
    when the jupyter-threejs front-end extension is installed, else "matplotlib" (never an empty box).
    """
    if renderer not in RENDERERS:
        raise ParameterError(f"renderer must be one of {list(RENDERERS)}, got {renderer!r}")
    if renderer != "auto":
        return renderer
    env = os.environ.get("MFTX_RENDERER", "").strip().lower()
    if env:
        if env not in RENDERERS[1:]:
            raise ParameterError(f"MFTX_RENDERER must be one of {list(RENDERERS[1:])}, got {env!r}")
        return env
    if in_colab():
        try:
            from google.colab import output
            output.enable_custom_widget_manager()
        except Exception:  # noqa: BLE001 - an older Colab: ipympl may still draw
            pass
        return "matplotlib"
    return "threejs" if threejs_frontend_installed() else "matplotlib"
