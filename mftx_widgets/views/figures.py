"""Static matplotlib figures: tokens on the sphere or the circle, and sweep results, every axis labelled.

    mw.figures.sphere(traj)                       # last frame on the unit sphere, coloured by cluster
    mw.figures.circle(x)                          # (n, 2) tokens on the unit circle
    mw.figures.snapshot(x)                        # circle for d = 2, sphere otherwise
    mw.figures.snapshots(traj, times=(0, 3, 15))  # a row of frames, one panel each
    mw.figures.phase_diagram_plot(pd)             # sweep results with their theory curves

Token drawings take an (n, d) array or any Frames (a Trajectory, real.layer_trajectory, metastable_run) and
return the matplotlib Axes; mw.export draws its GIF / MP4 frames with the same functions. Titles carry the
parameters of the frames (title_of). The numerics (mftx_widgets.dynamics) never import this module.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..dynamics import Frames, Trajectory, observables
from ..errors import ParameterError
from ..sweeps import PhaseDiagram, SweepResult, equiangular_boundary
from ..theory import circle as circle_theory
from ._common import MAX_CLUSTER_COLOUR_N, TAB10, check_projection, label_colours, pca_basis, project3, user_colours

__all__ = ["sphere", "circle", "snapshot", "snapshots", "title_of", "run_basis", "phase_diagram_plot",
           "cluster_count_plot", "collapse_time_plot"]

#: wireframe of the unit sphere: (longitudes, latitudes) lines
WIRE = (24, 12)


def title_of(frames: Frames, t: float | None = None) -> str:
    """One line with what made the frames (model, beta, n, d, dt, seed; or frames.title and frames.params) and t."""
    if isinstance(frames, Trajectory):
        m = frames.model
        extra = "" if m.norm == "post" else f" {m.norm}-LN"
        extra += "" if m.noise == 0 else f" noise={m.noise:g}"
        s = f"{m.kind}{extra}  beta={m.beta:g}  n={frames.n}  d={frames.d}  dt={frames.dt:g}  seed={frames.seed}"
    else:
        kv = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in frames.params.items()]
        s = "  ".join([frames.title] * bool(frames.title) + kv + [f"n={frames.n}", f"d={frames.d}"])
    return s if t is None else f"{s}  t={t:.2f}"


def run_basis(frames: Frames, samples: int = 20) -> np.ndarray:
    """(d, 3) uncentred PCA axes of the token directions of ~`samples` frames of the run (one view for all)."""
    x = frames.x[:: max(1, len(frames) // samples)].reshape(-1, frames.d)
    return pca_basis(x / np.linalg.norm(x, axis=1, keepdims=True))


def _pick(x, frame: int) -> tuple[np.ndarray, np.ndarray | None, float | None]:
    """Unit rows (n, d), labels (n,) or None, and t (or None) of frame `frame` of a Frames, or of an (n, d) array."""
    if isinstance(x, Frames):
        if not -len(x) <= frame < len(x):
            raise ParameterError(f"frame must be in [{-len(x)}, {len(x) - 1}], got {frame}")
        arr, labels, t = x.x[frame], x.labels_at(frame % len(x)), float(x.t[frame])
    else:
        arr, labels, t = np.asarray(x, dtype=float), None, None
        if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 2 or not np.all(np.isfinite(arr)):
            raise ParameterError(f"x must be a Frames or a finite (n, d) array with d >= 2, got shape {arr.shape}")
    norm = np.linalg.norm(arr, axis=1, keepdims=True)
    if np.any(norm == 0):
        raise ParameterError("x must have nonzero rows (tokens are drawn as directions)")
    return arr / norm, labels, t


def _colours(x: np.ndarray, color, labels, palette) -> np.ndarray:
    """(n, 3) RGB: `color` if given, else by labels, else by cluster (one colour above MAX_CLUSTER_COLOUR_N)."""
    if color is not None:
        return user_colours(color, len(x))
    if labels is None:
        labels = observables.clusters(x) if len(x) <= MAX_CLUSTER_COLOUR_N else np.zeros(len(x), dtype=int)
    return label_colours(labels, palette)


def _axes(ax, three: bool = False, figsize: tuple[float, float] = (6.0, 4.0)):
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize, layout="constrained")
        return fig.add_subplot(projection="3d" if three else None)
    if three and getattr(ax, "name", "") != "3d":
        raise ParameterError("ax must be a 3D Axes (add_subplot(projection='3d')) for figures.sphere")
    return ax


def _default_title(x, t: float | None, title: str | None) -> str:
    if title is not None:
        return title
    if t is None:
        return ""
    return f"{x.title}  t = {t:.3g}" if x.title else f"t = {t:.3g}"


def sphere(x, ax=None, *, frame: int = -1, color=None, labels=None, projection: str = "pca",
           basis: np.ndarray | None = None, onto_sphere: bool = False, title: str | None = None, axis: bool = True,
           size: float = 8.0, elev: float = 20.0, azim: float = -60.0, palette=TAB10):
    """Tokens on the unit sphere: a 3D scatter on a wireframe. Returns the (3D) Axes.

    x : (n, d) tokens (rows are drawn as directions) or a Frames / Trajectory (its frame `frame`, default last).
    d = 2 lies in the z = 0 plane; d = 3 as is; d > 3 projected: `basis` (d, 3) if given, else `projection`
    "pca" (uncentred PCA of the whole run for Frames, of x for an array) or "first3". onto_sphere: rescale the
    projected points to unit length. color : None (by `labels`, the frames' labels, or the clusters), a colour
    name, (n,) values (viridis) or (n, 3) RGB. axis : labelled axes (x1.. or PC 1..); False: the sphere alone.
    """
    u, lab, t = _pick(x, frame)
    ax = _axes(ax, three=True, figsize=(4.0, 4.0))
    projection = check_projection(projection)
    if basis is None and u.shape[1] > 3 and projection == "pca" and isinstance(x, Frames):
        basis = run_basis(x)
    if basis is not None:
        basis = np.asarray(basis, dtype=float)
        if basis.shape != (u.shape[1], 3):
            raise ParameterError(f"basis must have shape (d, 3) = ({u.shape[1]}, 3), got {basis.shape}")
        projection = "pca"
    p = project3(u, projection, basis).astype(float)
    if onto_sphere:
        p /= np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    col = _colours(u, color, lab if labels is None else labels, palette)
    lon, lat = np.mgrid[0:2 * np.pi:complex(WIRE[0]), 0:np.pi:complex(WIRE[1])]
    ax.plot_wireframe(np.cos(lon) * np.sin(lat), np.sin(lon) * np.sin(lat), np.cos(lat), color="0.85", lw=0.4)
    ax.scatter(p[:, 0], p[:, 1], p[:, 2], c=col, s=size, depthshade=False)
    ax.set(xlim=(-1, 1), ylim=(-1, 1), zlim=(-1, 1))
    ax.set_box_aspect((1, 1, 1), zoom=1.0 if axis else 1.35)
    ax.view_init(elev=elev, azim=azim)
    if axis:
        names = ("PC 1", "PC 2", "PC 3") if u.shape[1] > 3 and projection == "pca" else ("x1", "x2", "x3")
        ax.set_xlabel(names[0], fontsize=8, labelpad=-8)
        ax.set_ylabel(names[1], fontsize=8, labelpad=-8)
        ax.set_zlabel(names[2], fontsize=8, labelpad=-8)
        for a in (ax.xaxis, ax.yaxis, ax.zaxis):
            a.set_ticks([-1, 0, 1])
            a.set_pane_color((1, 1, 1, 0))
            a.set_tick_params(labelsize=7, pad=-3)
        ax.grid(False)
    else:
        ax.set_axis_off()
    ax.set_title(_default_title(x, t, title), fontsize=10)
    return ax


def circle(x, ax=None, *, frame: int = -1, color=None, labels=None, title: str | None = None, axis: bool = True,
           size: float = 10.0, palette=TAB10):
    """Tokens (n, 2) (or frame `frame` of a d = 2 Frames) on the unit circle; returns the Axes. See sphere()."""
    u, lab, t = _pick(x, frame)
    if u.shape[1] != 2:
        raise ParameterError(f"x must have d = 2 for figures.circle, got d = {u.shape[1]} (use figures.sphere)")
    ax = _axes(ax, figsize=(3.6, 3.6))
    s = np.linspace(0.0, 2.0 * np.pi, 200)
    ax.plot(np.cos(s), np.sin(s), color="0.8", lw=1)
    ax.scatter(u[:, 0], u[:, 1], c=_colours(u, color, lab if labels is None else labels, palette), s=size, zorder=3)
    ax.set(xlim=(-1.15, 1.15), ylim=(-1.15, 1.15), aspect="equal")
    if axis:
        ax.set(xticks=[-1, 0, 1], yticks=[-1, 0, 1], xlabel="x1", ylabel="x2")
    else:
        ax.set_axis_off()
    ax.set_title(_default_title(x, t, title), fontsize=10)
    return ax


def snapshot(x, ax=None, **kw):
    """circle() for d = 2 tokens, sphere() otherwise; the same keywords (sphere-only ones need d != 2)."""
    d = x.d if isinstance(x, Frames) else np.shape(x)[-1]
    return (circle if d == 2 else sphere)(x, ax, **kw)


def snapshots(frames: Frames, times: Sequence[float] | None = None, *, count: int = 3, axes=None,
              panel_title: str = "t = {t:.3g}", suptitle: str | None = None, size: tuple[float, float] | None = None,
              **kw):
    """One panel per time (the nearest saved frame; default `count` frames evenly spaced); returns the Figure.

    axes : a sequence of Axes to draw in (3D for d > 2), else a new row of panels of `size` inches.
    panel_title : format string with t; suptitle : default title_of(frames) (not drawn when axes are given).
    kw : passed to sphere() / circle(); d > 3 shares one PCA basis of the whole run over the panels.
    """
    if not isinstance(frames, Frames):
        raise ParameterError(f"frames must be a Frames or Trajectory, got {type(frames).__name__}")
    if times is None:
        if int(count) < 1:
            raise ParameterError(f"count must be an integer >= 1, got {count}")
        idx = np.unique(np.linspace(0, len(frames) - 1, int(count)).round().astype(int))
    else:
        idx = [int(np.argmin(np.abs(frames.t - float(s)))) for s in np.atleast_1d(times)]
    three = frames.d > 2
    if axes is None:
        import matplotlib.pyplot as plt

        w, h = size or (3.6 * len(idx), 3.6)
        fig = plt.figure(figsize=(w, h), layout="constrained")
        axes = [fig.add_subplot(1, len(idx), j + 1, projection="3d" if three else None) for j in range(len(idx))]
        fig.suptitle(title_of(frames) if suptitle is None else suptitle, fontsize=10)
    axes = list(np.ravel(axes))
    if len(axes) != len(idx):
        raise ParameterError(f"axes must hold one Axes per time ({len(idx)}), got {len(axes)}")
    if three and frames.d > 3 and kw.get("basis") is None and kw.get("projection", "pca") == "pca":
        kw["basis"] = run_basis(frames)
    for ax, i in zip(axes, idx):
        snapshot(frames, ax, frame=i, title=panel_title.format(t=float(frames.t[i])), **kw)
    return axes[0].figure


# ---- sweep results ------------------------------------------------------------------------------------------------

def phase_diagram_plot(result: PhaseDiagram, ax=None, theory: bool = True, rho0: float = 0.0, level: float = 0.5,
                       cmap: str = "Blues", colorbar: bool = True):
    """Probability that all pairwise cosines are >= threshold over (t, beta), with the equiangular curve.

    Parameters
    ----------
    result : PhaseDiagram (from sweep.phase_diagram), the SweepResult it wraps, or that result's xarray Dataset
        (SweepResult.to_xarray(), or one read back from its netCDF / zarr file)
    theory : draw the SA equiangular prediction t*(beta) (rho0 = 0 by default)
    level : also mark the measured crossing time of this probability (None: do not)

    Returns the matplotlib Axes (t horizontal, beta vertical, as in [R] arXiv 2512.01868); the mesh is
    ax.collections[0] (for a shared colour bar).
    """
    if hasattr(result, "data_vars") and hasattr(result, "attrs"):        # an xarray Dataset (duck-typed)
        result = SweepResult.from_xarray(result)
    if isinstance(result, SweepResult):
        result = PhaseDiagram.from_sweep(result)
    if not isinstance(result, PhaseDiagram):
        raise ParameterError(f"result must be a PhaseDiagram, its SweepResult or that result's xarray Dataset, "
                             f"got {type(result).__name__}")
    ax = _axes(ax)
    t, beta, p = result.t, result.beta, result.probability
    mesh = ax.pcolormesh(t, beta, p.T, shading="nearest", vmin=0.0, vmax=1.0, cmap=cmap)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=f"P(all cosines >= {result.threshold:g})")
    if theory:
        fine = np.linspace(beta.min(), beta.max(), 200) if beta.size > 1 else beta
        ts = equiangular_boundary(fine, result.n, result.threshold, rho0=rho0)
        keep = ts <= t.max() * 1.05
        ax.plot(ts[keep], fine[keep], color="C3", lw=2, label=f"equiangular ODE, rho0 = {rho0:g}")
    if level is not None:
        ax.plot(result.crossing_times(level), beta, "o", color="C1", ms=4, label=f"P = {level:g} (sweep)")
    ax.set_xlim(t.min(), t.max())
    ax.set_xlabel("t")
    ax.set_ylabel("beta")
    seeds = len(result.sweep.seeds)
    ax.set_title(f"SA, n = {result.n}, d = {result.d}, {seeds} seeds")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def _failed_note(result: SweepResult) -> str:
    """", k failed runs left out" when some runs of the sweep failed (their observables are NaN)."""
    k = int(np.count_nonzero(result.status == "failed"))
    return f", {k} failed run{'s' * (k != 1)} left out" if k else ""


def cluster_count_plot(result: SweepResult, ax=None, theory: bool = True):
    """Cluster count vs beta (mean and range over seeds) of sweep.cluster_count_vs_beta, with k*(beta) for d = 2."""
    if "cluster_count" not in result.data or "beta" not in result.axes:
        raise ParameterError("result must be a sweep over 'beta' recording 'cluster_count'")
    ax = _axes(ax)
    beta = np.asarray(result.axes["beta"], dtype=float)
    c = result["cluster_count"][..., -1]  # (B, S) at the last time; NaN for a failed run (left out)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # a beta whose every run failed: no marker
        mean, lo, hi = np.nanmean(c, axis=1), np.nanmin(c, axis=1), np.nanmax(c, axis=1)
    ax.errorbar(beta, mean, yerr=[mean - lo, hi - mean], fmt="o", capsize=3,
                label=f"particles ({c.shape[1]} seeds{_failed_note(result)})")
    if theory and int(result.params.get("d", 0)) == 2:
        fine = np.linspace(max(beta.min(), 0.1), beta.max(), 300)
        ax.step(fine, [circle_theory.dominant_mode(b) for b in fine], where="mid", color="C3",
                label="dominant mode k*(beta)")
    ax.set_xlabel("beta")
    ax.set_ylabel("clusters")
    ax.set_title(f"n = {result.params.get('n')}, d = {result.params.get('d')}, t = {result.t[-1]:g}")
    ax.legend(fontsize="small")
    return ax


def collapse_time_plot(result: SweepResult, ax=None, theory: bool = True):
    """Collapse time vs n for each gamma (beta = gamma log n) of sweep.collapse_time_vs_n, with the ODE times."""
    if "collapse_time" not in result.data or list(result.axes) != ["n", "gamma"]:
        raise ParameterError("result must come from sweep.collapse_time_vs_n")
    ax = _axes(ax)
    ns = np.asarray(result.axes["n"])
    thr = float(result.params["threshold"])
    for j, g in enumerate(result.axes["gamma"]):
        tc = result["collapse_time"][:, j, :]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # failed runs are NaN and left out
            med, rho0 = np.nanmedian(tc, axis=1), np.nanmean(result["rho0"][:, j, :], axis=1)
        ax.plot(ns, med, "o-", color=f"C{j}", label=f"gamma = {g:g} (median{_failed_note(result)})")
        if theory:
            ok = np.isfinite(rho0)
            ts = [equiangular_boundary([g * np.log(n)], int(n), thr, rho0=max(r, 0.0))[0]
                  for n, r in zip(ns[ok], rho0[ok])]
            ax.plot(ns[ok], ts, "--", color=f"C{j}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel(f"time to all cosines >= {thr:g}")
    ax.set_title(f"beta = gamma log n, d = {result.params.get('d')} (dashed: equiangular ODE)")
    ax.legend(fontsize="small")
    return ax
