"""Static matplotlib figures of sweep results (THEORY.md section 10), each with its theory curve and parameters.

Not imported by mftx_widgets.dynamics (the numerics stay free of matplotlib).
"""

from __future__ import annotations

import numpy as np

from ..sweeps import PhaseDiagram, SweepResult, equiangular_boundary
from ..theory import circle

__all__ = ["phase_diagram_plot", "cluster_count_plot", "collapse_time_plot"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    return ax


def phase_diagram_plot(result: PhaseDiagram, ax=None, theory: bool = True, rho0: float = 0.0, level: float = 0.5,
                       cmap: str = "Blues", colorbar: bool = True):
    """Probability that all pairwise cosines are >= threshold over (t, beta), with the equiangular curve.

    Parameters
    ----------
    result : PhaseDiagram (from sweep.phase_diagram) or the SweepResult it wraps
    theory : draw the SA equiangular prediction t*(beta) (THEORY.md section 6, rho0 = 0 by default)
    level : also mark the measured crossing time of this probability (None: do not)

    Returns the matplotlib Axes (t horizontal, beta vertical, as in [R] / [GLPR]).
    """
    if isinstance(result, SweepResult):
        result = PhaseDiagram.from_sweep(result)
    if not isinstance(result, PhaseDiagram):
        raise ValueError(f"result must be a PhaseDiagram or its SweepResult, got {type(result).__name__}")
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


def cluster_count_plot(result: SweepResult, ax=None, theory: bool = True):
    """Cluster count vs beta (mean and range over seeds) of sweep.cluster_count_vs_beta, with k*(beta) for d = 2."""
    if "cluster_count" not in result.data or "beta" not in result.axes:
        raise ValueError("result must be a sweep over 'beta' recording 'cluster_count'")
    ax = _axes(ax)
    beta = np.asarray(result.axes["beta"], dtype=float)
    c = result["cluster_count"][..., -1]  # (B, S) at the last time
    ax.errorbar(beta, c.mean(axis=1), yerr=[c.mean(axis=1) - c.min(axis=1), c.max(axis=1) - c.mean(axis=1)],
                fmt="o", capsize=3, label=f"particles ({c.shape[1]} seeds)")
    if theory and int(result.params.get("d", 0)) == 2:
        fine = np.linspace(max(beta.min(), 0.1), beta.max(), 300)
        ax.step(fine, [circle.dominant_mode(b) for b in fine], where="mid", color="C3",
                label="dominant mode k*(beta)")
    ax.set_xlabel("beta")
    ax.set_ylabel("clusters")
    ax.set_title(f"n = {result.params.get('n')}, d = {result.params.get('d')}, t = {result.t[-1]:g}")
    ax.legend(fontsize="small")
    return ax


def collapse_time_plot(result: SweepResult, ax=None, theory: bool = True):
    """Collapse time vs n for each gamma (beta = gamma log n) of sweep.collapse_time_vs_n, with the ODE times."""
    if "collapse_time" not in result.data or list(result.axes) != ["n", "gamma"]:
        raise ValueError("result must come from sweep.collapse_time_vs_n")
    ax = _axes(ax)
    ns = np.asarray(result.axes["n"])
    thr = float(result.params["threshold"])
    for j, g in enumerate(result.axes["gamma"]):
        tc = result["collapse_time"][:, j, :]
        ax.plot(ns, np.median(tc, axis=1), "o-", color=f"C{j}", label=f"gamma = {g:g} (median)")
        if theory:
            rho0 = result["rho0"][:, j, :].mean(axis=1)
            ts = [equiangular_boundary([g * np.log(n)], int(n), thr, rho0=max(r, 0.0))[0] for n, r in zip(ns, rho0)]
            ax.plot(ns, ts, "--", color=f"C{j}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel(f"time to all cosines >= {thr:g}")
    ax.set_title(f"beta = gamma log n, d = {result.params.get('d')} (dashed: equiangular ODE)")
    ax.legend(fontsize="small")
    return ax
