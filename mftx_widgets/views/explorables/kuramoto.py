"""Lesson 2's explorable: noisy tokens on the circle and their order parameter (docs/theory.md §4, F17).

One phenomenon (the synchronisation pitchfork at kappa = 2), four controls (kappa = 1/noise, n, beta, play),
one readout: r = |m| now, its time average since the last change, and the stationary prediction
r = I_1(kappa r) / I_0(kappa r) (a statement about beta = 0 and n -> infinity). Left panel: the tokens on the
circle and the arrow m = (1/n) sum_j x_j; right panel: r(t) against the prediction. Played by views.player.Player.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from matplotlib.patches import Circle

from ...dynamics import Attention, Simulation, initial
from ...errors import ParameterError
from ...theory import circle
from ..player import Player
from ..plots import new_canvas


class KuramotoExplorable(w.VBox):
    """Noisy attention on the circle, dX_i = P_{X_i} attn_i dt + sqrt(2/kappa) dW_i (Euler-Maruyama, step dt).

    n : tokens (iid uniform start from seed); kappa : inverse noise (> 0); beta : inverse temperature (>= 0);
    speed : simulated time per second of animation. .r_history: (t, r) arrays since the last reset;
    .r_average: time average of r since the last change of a control; .prediction: r_inf(kappa) at beta = 0.
    """

    def __init__(self, n: int = 300, kappa: float = 4.0, beta: float = 0.0, seed: int = 0, dt: float = 0.05,
                 speed: float = 4.0, window: float = 40.0) -> None:
        self.seed, self.dt, self.window = int(seed), float(dt), float(window)
        self.kappa_slider = w.FloatSlider(value=kappa, min=0.5, max=10.0, step=0.1, description="κ = 1/noise",
                                          continuous_update=False)
        self.n_slider = w.IntSlider(value=n, min=20, max=2000, step=10, description="tokens n",
                                    continuous_update=False)
        self.beta_slider = w.FloatSlider(value=beta, min=0.0, max=6.0, step=0.1, description="β",
                                         continuous_update=False)
        self.play_button = w.ToggleButton(value=False, description="Play", icon="play")
        self.readout = w.HTML()
        self.figure, self.canvas = new_canvas((8.4, 3.4), 80)
        self.ax_circle, self.ax_r = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        self._setup_axes()
        self.player = Player(self._new_sim(initial.uniform(n, 2, seed=self.seed)), speed=speed, record=False)
        self.player.draw = self._record
        self.player.plot = self._redraw
        self.player.status = self._update_readout
        self._restart_series()
        self.kappa_slider.observe(self._on_model, "value")
        self.beta_slider.observe(self._on_model, "value")
        self.n_slider.observe(self._on_n, "value")
        self.play_button.observe(self._on_play, "value")
        super().__init__(children=[w.HBox([self.play_button, self.kappa_slider]),
                                   w.HBox([self.n_slider, self.beta_slider]), self.canvas, self.readout])
        self._redraw()
        self._update_readout()

    # -- state ------------------------------------------------------------------------------------------
    @property
    def sim(self) -> Simulation:
        return self.player.sim

    @property
    def kappa(self) -> float:
        return float(self.kappa_slider.value)

    @property
    def beta(self) -> float:
        return float(self.beta_slider.value)

    @property
    def r(self) -> float:
        """The order parameter |(1/n) sum_j x_j| of the current state."""
        return float(np.linalg.norm(self.sim.x.mean(axis=0)))

    @property
    def prediction(self) -> float:
        """Stationary r at beta = 0 and n -> infinity: the root of r = I_1(kappa r)/I_0(kappa r) (0 for kappa <= 2)."""
        return circle.stationary_order_parameter(self.kappa)

    @property
    def r_history(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._t), np.asarray(self._r)

    @property
    def r_average(self) -> float:
        """Time average of r over the recorded states since the last change (the first quarter dropped as burn-in)."""
        r = np.asarray(self._r[self._since:])
        return float(r[len(r) // 4:].mean())

    def _new_sim(self, x0) -> Simulation:
        if self.kappa <= 0:
            raise ParameterError(f"kappa must be > 0, got {self.kappa}")
        model = Attention(beta=self.beta, kind="SA", noise=1.0 / self.kappa)
        return Simulation(model, x0, dt=self.dt, seed=self.seed)

    def _restart_series(self) -> None:
        self._t, self._r, self._since = [self.sim.t], [self.r], 0

    # -- controls ---------------------------------------------------------------------------------------
    def _on_model(self, _change=None) -> None:
        """kappa or beta moved: continue from the current tokens with the new model (time keeps running)."""
        s = self.sim
        sim = Simulation(Attention(beta=self.beta, kind="SA", noise=1.0 / self.kappa), s.x, dt=self.dt,
                         seed=self.seed, t0=s.t)
        self.player.load(sim, self.player.speed)
        self._since = len(self._r) - 1
        self.player.render(force_plots=True)

    def _on_n(self, _change=None) -> None:
        """n moved: a new iid uniform start, a new r(t) series."""
        self.player.load(self._new_sim(initial.uniform(int(self.n_slider.value), 2, seed=self.seed)),
                         self.player.speed)
        self._restart_series()
        self.player.render(force_plots=True)

    def _on_play(self, change) -> None:
        if change["new"]:
            self.play_button.description, self.play_button.icon = "Pause", "pause"
            self.player.play()
        else:
            self.play_button.description, self.play_button.icon = "Play", "play"
            self.player.pause()

    def step(self, k: int = 1) -> None:
        """Advance k solver steps of dt, recording r after each, and redraw (frames without the clock)."""
        if isinstance(k, bool) or not float(k).is_integer() or k < 0:
            raise ParameterError(f"k must be an integer >= 0, got {k!r}")
        for _ in range(int(k)):
            if not self.player.advance(1):
                break
            self._record()
        self.player.render(force_plots=True)

    def close(self) -> None:
        """Stop the frame task and release the canvas and the controls."""
        self.player.close()
        self.canvas.close()
        for c in (self.kappa_slider, self.n_slider, self.beta_slider, self.play_button, self.readout):
            c.close()
        super().close()

    # -- drawing ----------------------------------------------------------------------------------------
    def _setup_axes(self) -> None:
        a = self.ax_circle
        a.set_aspect("equal")
        a.set(xlim=(-1.25, 1.25), ylim=(-1.25, 1.25), xlabel="$x_1$", ylabel="$x_2$")
        a.add_patch(Circle((0, 0), 1.0, fill=False, color="0.7", lw=1))
        (self.l_tokens,) = a.plot([], [], "o", ms=4, color="C0", alpha=0.6)
        (self.l_arrow,) = a.plot([0, 0], [0, 0], "-", color="C3", lw=3, label="$m$, length $r$")
        a.legend(loc="lower right", fontsize=8)
        b = self.ax_r
        (self.l_r,) = b.plot([], [], "C0-", lw=1.5, label="simulation $r(t)$")
        (self.l_pred,) = b.plot([], [], "k--", lw=1.5, label=r"$r=I_1(\kappa r)/I_0(\kappa r)$ ($\beta=0$)")
        b.set(xlabel="t", ylabel="order parameter r", ylim=(0, 1.02))
        b.legend(loc="lower right", fontsize=8)
        self.figure.tight_layout()

    def _record(self) -> None:
        t = self.sim.t
        if t > self._t[-1]:
            self._t.append(t)
            self._r.append(self.r)

    def _redraw(self) -> None:
        x = self.sim.x
        m = x.mean(axis=0)
        self.l_tokens.set_data(x[:, 0], x[:, 1])
        self.l_arrow.set_data([0, m[0]], [0, m[1]])
        t, r = self.r_history
        self.l_r.set_data(t, r)
        lo, hi = max(0.0, t[-1] - self.window), max(t[-1], t[0] + 1.0)
        lo = min(lo, hi - 1.0)
        self.ax_r.set_xlim(lo, hi)
        self.l_pred.set_data([lo, hi], [self.prediction] * 2)
        self.ax_circle.set_title(f"t = {self.sim.t:.1f}", fontsize=9)
        self.canvas.draw_idle()

    def _update_readout(self) -> None:
        note = "" if self.beta == 0 else " (the prediction is for β = 0)"
        self.readout.value = (f"<b>r = |m| = {self.r:.3f}</b> &nbsp; time average since the last change: "
                              f"{self.r_average:.3f} &nbsp; prediction r∞(κ = {self.kappa:g}) = {self.prediction:.3f}"
                              f"{note} &nbsp; finite-n scale 1/√n = {1 / np.sqrt(self.sim.n):.3f}")


def kuramoto(n: int = 300, kappa: float = 4.0, beta: float = 0.0, seed: int = 0, **kw) -> KuramotoExplorable:
    """The lesson 2 explorable (see KuramotoExplorable)."""
    return KuramotoExplorable(n=n, kappa=kappa, beta=beta, seed=seed, **kw)
