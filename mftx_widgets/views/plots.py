"""Linked time plots (matplotlib through ipympl): energy, mean cosine (+ theory), cluster count, cosine histogram.

TimePlots draws series with a time cursor; TrajectoryPlots records a finished Trajectory in a History and draws
it with a time slider. The numbers come from dynamics (observables, monitor) and theory.equiangular.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w
import numpy as np

from ..dynamics import Trajectory, observables
from ..errors import ParameterError
from ..theory import equiangular
from .history import History


def new_canvas(figsize, dpi):
    """A matplotlib Figure on its own ipympl canvas (no toolbar, header or footer); the pyplot backend is kept."""
    import matplotlib

    prev = matplotlib.rcParams._get_backend_or_none()
    from ipympl.backend_nbagg import Canvas, FigureManager  # importing it switches pyplot's backend to ipympl
    from matplotlib.figure import Figure

    if prev is not None and matplotlib.rcParams._get_backend_or_none() != prev:
        matplotlib.use(prev)            # keep the user's backend: later static figures stay images

    fig = Figure(figsize=figsize, dpi=dpi)
    canvas = Canvas(fig)
    FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    canvas.capture_scroll = False
    return fig, canvas


class TimePlots:
    """Four linked panels with a time cursor: E_beta(t), mean cosine(t) (+ theory), clusters(t), cosine histogram.

    .canvas is the ipympl widget; on_time(callback) is called with t when a time panel is clicked.
    """

    #: the cluster panel switches to a log scale above this many clusters.
    LOG_CLUSTERS = 30

    def __init__(self, lecturer: bool = False, figsize: tuple[float, float] | None = None) -> None:
        import matplotlib

        self.lecturer = bool(lecturer)
        size = 14 if lecturer else 9
        self._fontsize = size
        with matplotlib.rc_context({"font.size": size, "axes.titlesize": size, "axes.labelsize": size}):
            self.figure, self.canvas = new_canvas(figsize or ((9.6, 6.4) if lecturer else (7.2, 4.8)), 80)
            axs = self.figure.subplots(2, 2)
            self.ax_energy, self.ax_cos, self.ax_clusters, self.ax_hist = axs.ravel()
            lw = 3 if lecturer else 1.6
            c = ("#0072B2", "#D55E00", "#009E73", "#CC79A7") if lecturer else ("C0", "C1", "C2", "C4")
            (self.l_energy,) = self.ax_energy.plot([], [], color=c[0], lw=lw)
            (self.l_cos,) = self.ax_cos.plot([], [], color=c[1], lw=lw, label="simulation")
            (self.l_theory,) = self.ax_cos.plot([], [], "k--", lw=lw * 0.8, label="equiangular ODE")
            (self.l_clusters,) = self.ax_clusters.plot([], [], color=c[2], lw=lw, drawstyle="steps-post")
            self.ax_energy.set_title("energy $E_\\beta$ (never decreases)")
            self.ax_cos.set_title("mean cosine similarity")
            self.ax_clusters.set_title("number of clusters")
            self.ax_hist.set_title("pairwise cosines")
            self.ax_cos.set_ylim(-0.05, 1.05)
            self.ax_hist.set_xlim(-1, 1)
            for ax in (self.ax_energy, self.ax_cos, self.ax_clusters):
                ax.set_xlabel("t")
            self.ax_hist.set_xlabel("<x_i, x_j>")
            self.cursors = [ax.axvline(0.0, color="0.3", lw=1.0, ls=":") for ax in self.time_axes]
            self.warn_text = self.ax_energy.text(0.02, 0.95, "", transform=self.ax_energy.transAxes, va="top",
                                                 color="#D55E00", fontsize=size, fontweight="bold")
            self._stairs = None
            self.figure.tight_layout()
        self._callbacks: list[Callable[[float], None]] = []
        self.canvas.mpl_connect("button_press_event", self._on_click)
        self.draws = 0

    @property
    def time_axes(self):
        return (self.ax_energy, self.ax_cos, self.ax_clusters)

    def on_time(self, callback: Callable[[float], None]) -> None:
        """Call callback(t) when a time panel is clicked at abscissa t."""
        self._callbacks.append(callback)

    def _on_click(self, event) -> None:
        if event.inaxes in self.time_axes and event.xdata is not None:
            for cb in self._callbacks:
                cb(float(event.xdata))

    def set_series(self, t, energy, mean_cosine, clusters, theory: np.ndarray | None = None,
                   theory_t: np.ndarray | None = None, warning: str | None = None) -> None:
        """Replace the time series (1-D arrays of equal length)."""
        t = np.asarray(t, dtype=float)
        self.l_energy.set_data(t, energy)
        self.l_cos.set_data(t, mean_cosine)
        self.l_clusters.set_data(t, clusters)
        if theory is not None:
            self.l_theory.set_data(theory_t if theory_t is not None else t, theory)
        else:
            self.l_theory.set_data([], [])
        if theory is not None:
            self.ax_cos.legend(loc="lower right", fontsize="small")
        elif self.ax_cos.get_legend() is not None:
            self.ax_cos.get_legend().remove()
        self.warn_text.set_text("" if not warning else "energy decreased:\nlower dt")
        tmax = float(t[-1]) if t.size and t[-1] > 0 else 1.0
        for ax, y in ((self.ax_energy, energy), (self.ax_clusters, clusters)):
            ax.set_xlim(0, tmax)
            y = np.asarray(y, dtype=float)
            y = y[np.isfinite(y)]
            # clusters above LOG_CLUSTERS: log scale (decided per series: a new run may need the linear one back)
            log = ax is self.ax_clusters and y.size > 0 and y.max() > self.LOG_CLUSTERS
            if ax.get_yscale() != ("log" if log else "linear"):
                ax.set_yscale("log" if log else "linear")
            if log:
                ax.set_ylim(0.8, max(float(y.max()) * 1.3, 2.0))
            elif y.size:
                lo, hi = float(y.min()), float(y.max())
                pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1.0)
                ax.set_ylim(lo - pad, hi + pad)
        self.ax_cos.set_xlim(0, tmax)

    def show(self, history, t: float, x, theory: np.ndarray | None = None) -> None:
        """Draw a History's series (theory: rho at history.t, or None), the cursor at t and the cosines of x."""
        h = history
        self.set_energy_title(h.check_energy)
        self.set_series(h.t, h.energy, h.mean_cosine, h.clusters, theory, h.t, warning=h.warning)
        self.set_time(t)
        self.set_histogram(x)
        self.draw()

    def set_energy_title(self, monotone: bool) -> None:
        """The energy panel says "never decreases" only for the models whose flow never decreases it."""
        self.ax_energy.set_title("energy $E_\\beta$" + (" (never decreases)" if monotone else ""))

    def set_histogram(self, x, bins: int = 40, max_tokens: int = 500) -> None:
        """Histogram of the pairwise cosines of x (n, d); above max_tokens, of a fixed random subset of tokens
        (an unbiased estimate of the pair distribution at O(max_tokens^2) cost)."""
        x = np.asarray(x)
        n = x.shape[0]
        if n > max_tokens:
            idx = np.sort(np.random.default_rng(0).choice(n, max_tokens, replace=False))
            x = x[idx]
            self.ax_hist.set_title(f"pairwise cosines ({max_tokens} random tokens)", fontsize=self._fontsize)
        else:
            self.ax_hist.set_title("pairwise cosines", fontsize=self._fontsize)
        counts, edges = observables.cosine_histogram(x, bins=bins)
        frac = counts / max(counts.sum(), 1)
        if self._stairs is not None:
            self._stairs.remove()
        self._stairs = self.ax_hist.stairs(frac, edges, fill=True, color="#888888" if not self.lecturer else "#0072B2")
        self.ax_hist.set_ylim(0, max(float(frac.max()) * 1.1, 1e-3))

    def set_time(self, t: float) -> None:
        """Move the cursor of every time panel to t."""
        for c in self.cursors:
            c.set_xdata([t, t])

    def draw(self) -> None:
        """Send the figure to the front end."""
        self.draws += 1
        self.canvas.draw_idle()

    def close(self) -> None:
        self.canvas.close()


class TrajectoryPlots(w.VBox):
    """Linked plots of a finished Trajectory with a time slider; clicking a panel moves the time.

    Parameters
    ----------
    traj : Trajectory
    theory : overlay the equiangular ODE on the mean cosine when the start is equiangular
        (docs/theory.md, the equiangular reduction).
    lecturer : large fonts and lines, colour-blind-safe colours.
    max_points : observables are evaluated at most at this many (evenly spaced) frames.
    """

    def __init__(self, traj: Trajectory, theory: bool = True, lecturer: bool = False, max_points: int = 300) -> None:
        if not isinstance(traj, Trajectory):
            raise ParameterError(f"traj must be an mftx_widgets Trajectory, got {type(traj).__name__}")
        if max_points < 2:
            raise ParameterError(f"max_points must be >= 2, got {max_points}")
        self.traj = traj
        idx = np.unique(np.linspace(0, len(traj) - 1, min(len(traj), max_points)).round().astype(int))
        hist = History(traj.model, traj.dt, max_len=len(idx) + 2, max_snapshots=2)
        for i in idx:
            hist.append(float(traj.t[i]), traj.x[i])
        self.history = hist
        self.energy_warning = hist.warning
        self.monotone = hist.check_energy
        self.theory = equiangular.curve_for(traj.model, traj.x[0], traj.t) if theory else None
        self.plots = TimePlots(lecturer=lecturer)
        self.figure = self.plots.figure
        self.plots.set_energy_title(hist.check_energy)
        self.plots.set_series(hist.t, hist.energy, hist.mean_cosine, hist.clusters, self.theory, traj.t,
                              warning=hist.warning)
        self.slider = w.IntSlider(value=0, min=0, max=len(traj) - 1, description="frame", continuous_update=False)
        self.label = w.HTML()
        self.slider.observe(lambda ch: self._show(ch["new"]), names="value")
        self.plots.on_time(self.set_time)
        super().__init__(children=[self.plots.canvas, w.HBox([self.slider, self.label])])
        self._show(0)

    @property
    def time(self) -> float:
        return float(self.traj.t[self.slider.value])

    def set_time(self, t: float) -> None:
        """Move to the frame nearest to time t."""
        self.slider.value = int(np.argmin(np.abs(self.traj.t - float(t))))

    def link(self, view) -> None:
        """Keep a SphereView of the same trajectory on the same frame."""
        w.jslink((self.slider, "value"), (view.time_slider, "value"))

    def _show(self, i: int) -> None:
        t = float(self.traj.t[i])
        self.plots.set_time(t)
        self.plots.set_histogram(self.traj.x[i])
        self.label.value = f"t = {t:.2f}"
        self.plots.draw()

    def close(self) -> None:
        self.plots.close()
        super().close()
