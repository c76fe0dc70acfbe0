"""Lesson 04 explorable: the Fourier spectrum of the token density on the circle, live, against the growth rates
lambda_k of the uniform state (docs/theory.md §5; docs/derivations/lesson04.md).

Controls: beta, n, seed (iid uniform start) and Play. Readout: |c_k(t)| = |mean_j e^{i k theta_j}| for
k = 1..K as bars, lambda_k(beta) (mw.circle.growth_rates) on a second axis, and log |c_k(t)| against the linear
prediction |c_k(0)| e^{lambda_k t} for the leading modes.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ...dynamics import Simulation
from ...dynamics.initial import from_angles
from ...dynamics.models import Attention
from ...theory import circle
from ._live import LiveExplorable

K = 10          #: Fourier modes shown
TRACKED = 5     #: modes drawn against time


def spectrum(x, kmax: int = K) -> np.ndarray:
    """|c_k| = |mean_j e^{i k theta_j}|, k = 1..kmax, of tokens x (n, 2) on the circle, shape (kmax,)."""
    th = circle.angles(x)
    k = np.arange(1, kmax + 1)
    return np.abs(np.exp(1j * k[:, None] * th[None, :]).mean(axis=1))


class FourierSpectrum(LiveExplorable):
    """n iid tokens on the circle under SA at beta; watch which Fourier mode of the density wins."""

    def __init__(self, beta: float = 5.0, n: int = 400, seed: int = 0) -> None:
        self._init = (float(beta), int(n), int(seed))
        super().__init__()

    def controls(self) -> list[w.Widget]:
        beta, n, seed = self._init
        self.beta = w.FloatSlider(value=beta, min=0.5, max=16.0, step=0.5, description="β", continuous_update=False)
        self.n = w.IntSlider(value=n, min=50, max=2000, step=50, description="n", continuous_update=False)
        self.seed = w.IntSlider(value=seed, min=0, max=50, description="seed", continuous_update=False)
        return [self.beta, self.n, self.seed]

    def make_sim(self) -> Simulation:
        th = np.random.default_rng(self.seed.value).uniform(-np.pi, np.pi, self.n.value)
        return Simulation(Attention(beta=self.beta.value, kind="SA"), from_angles(th), dt=0.1)

    @property
    def rates(self) -> np.ndarray:
        """lambda_k(beta), k = 1..K (SA, d = 2)."""
        return circle.growth_rates(self.beta.value, "SA", kmax=K)

    @property
    def k_star(self) -> int:
        return circle.dominant_mode(self.beta.value)

    def start(self) -> None:
        self.times: list[float] = []
        self.series: list[np.ndarray] = []
        self.player.speed = 2.0

    def record_state(self, sim: Simulation) -> None:
        if self.times and sim.t <= self.times[-1]:
            return
        self.times.append(float(sim.t))
        self.series.append(spectrum(sim.x))

    @property
    def leading_mode(self) -> int:
        """The mode k with the largest |c_k| now."""
        return int(np.argmax(self.series[-1]) + 1)

    def draw_readout(self) -> None:
        fig = self.figure
        fig.clear()
        ax1, ax3 = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.1]})
        k = np.arange(1, K + 1)
        lam, ks = self.rates, self.k_star
        ax1.bar(k, self.series[-1], color=["#D55E00" if j == ks else "#0072B2" for j in k], alpha=0.8)
        ax1.set(xlabel="mode k", ylabel="|c_k(t)|", ylim=(0, 1), xticks=k)
        ax2 = ax1.twinx()
        ax2.plot(k, lam, "k.-", lw=1)
        ax2.set_ylabel("λ_k(β)")
        ax1.set_title(f"t = {self.times[-1]:.1f}: bars |mean e^(ikθ)|, line λ_k; k* = {ks}", fontsize=9)
        t = np.asarray(self.times)
        s = np.asarray(self.series)
        t_end = max(t[-1], 10.0)
        for j in np.argsort(lam)[::-1][:TRACKED]:
            line, = ax3.semilogy(t, np.maximum(s[:, j], 1e-12), lw=1.5, label=f"k = {j + 1}")
            tt = np.linspace(0, t_end, 50)
            ax3.semilogy(tt, s[0, j] * np.exp(lam[j] * tt), "--", color=line.get_color(), lw=0.8)
        ax3.set(xlabel="t", ylabel="|c_k(t)|", ylim=(1e-3, 1.5), xlim=(0, t_end))
        ax3.legend(fontsize=7, ncol=3, loc="lower right", title="dashed: |c_k(0)| e^(λ_k t)", title_fontsize=7)
        fig.tight_layout()
        self.text.value = (f"t = {self.times[-1]:.1f} &nbsp; leading mode now: <b>k = {self.leading_mode}</b> &nbsp; "
                           f"fastest growing: <b>k* = {ks}</b> (λ = {lam[ks - 1]:.3f})")
