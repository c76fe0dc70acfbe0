"""Lesson 03 explorable: tokens that start in one hemisphere collapse to one point; the live readout is the spread
1 - |m|^2 on a log axis and its current decay rate against the exact late rate 2 (SA) / 2 e^beta (USA)
(mw.equiangular.late_rate; docs/theory.md §6; docs/derivations/lesson03.md).

Controls: model (SA / USA), beta, seed (hemisphere start, n = 64, d = 3) and Play.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ...dynamics import Simulation
from ...dynamics.initial import hemisphere
from ...dynamics.models import Attention
from ...theory import equiangular
from ._live import LiveExplorable

N, D = 64, 3
FIT_WINDOW = (1e-12, 1e-3)   #: spreads used for the current rate (the exponential tail, above round-off)


def spread(x) -> float:
    """1 - |m|^2 with m the mean token of x (n, d)."""
    m = np.asarray(x, dtype=float).mean(axis=0)
    return float(1.0 - m @ m)


class CollapseRate(LiveExplorable):
    """Hemisphere start; watch 1 - |m|^2 fall and its rate settle on the late rate."""

    def __init__(self, kind: str = "SA", beta: float = 1.0, seed: int = 0) -> None:
        self._init = (kind, float(beta), int(seed))
        super().__init__()

    def controls(self) -> list[w.Widget]:
        kind, beta, seed = self._init
        self.kind = w.ToggleButtons(options=["SA", "USA"], value=kind, description="model")
        self.beta = w.FloatSlider(value=beta, min=0.0, max=4.0, step=0.25, description="β", continuous_update=False)
        self.seed = w.IntSlider(value=seed, min=0, max=50, description="seed", continuous_update=False)
        return [self.kind, self.beta, self.seed]

    @property
    def late_rate(self) -> float:
        """The exact late rate -d/dt log(1 - |m|^2): 2 (SA), 2 e^beta (USA)."""
        return equiangular.late_rate(self.kind.value, self.beta.value)

    def make_sim(self) -> Simulation:
        x0 = hemisphere(N, D, seed=self.seed.value)
        return Simulation(Attention(beta=self.beta.value, kind=self.kind.value), x0, dt=0.02)

    def start(self) -> None:
        self.times: list[float] = []
        self.spreads: list[float] = []
        # about 1.5 / rate time units per second: the tail is reached in ~10 s of animation
        self.player.speed = max(0.05, 1.5 / self.late_rate)

    def record_state(self, sim: Simulation) -> None:
        if self.times and sim.t <= self.times[-1]:
            return
        self.times.append(float(sim.t))
        self.spreads.append(spread(sim.x))

    @property
    def current_rate(self) -> float | None:
        """-d/dt log(1 - |m|^2) fitted over the recorded states in FIT_WINDOW (None until there are two)."""
        t, s = np.asarray(self.times), np.asarray(self.spreads)
        sel = (s > FIT_WINDOW[0]) & (s < FIT_WINDOW[1])
        if sel.sum() < 2:
            return None
        return float(-np.polyfit(t[sel], np.log(s[sel]), 1)[0])

    def draw_readout(self) -> None:
        fig = self.figure
        fig.clear()
        ax = fig.subplots()
        t, s = np.asarray(self.times), np.maximum(np.asarray(self.spreads), 1e-16)
        ax.semilogy(t, s, "C0-", lw=2, label="simulation")
        rate = self.late_rate
        t_end = max(t[-1], 30.0 / rate)           # the tail reaches 1e-12 by about 30 / rate
        if s.size:
            tt = np.linspace(0, t_end, 50)
            ax.semilogy(tt, s[-1] * np.exp(-rate * (tt - t[-1])), "k--", lw=1,
                        label=f"slope of the late rate {rate:.3g}")
        ax.axhspan(*FIT_WINDOW, color="0.9", zorder=0)
        ax.set(xlabel="t", ylabel="1 − |m|²", ylim=(1e-15, 2), xlim=(0, t_end),
               title="spread of the tokens (grey band: fitted)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        cur = self.current_rate
        shown = "—" if cur is None else f"{cur:.3f}"
        self.text.value = (f"t = {self.times[-1]:.2f} &nbsp; current rate <b>{shown}</b> &nbsp; late rate "
                           f"({self.kind.value}) <b>{rate:.3f}</b>")
