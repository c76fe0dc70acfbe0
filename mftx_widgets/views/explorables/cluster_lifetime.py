"""Lesson 05 explorable: k point clusters at the corners of a regular polygon, slightly perturbed, wait for a time
of order e^{beta (1 - cos(2 pi / k))} and then merge (docs/theory.md §8; docs/derivations/lesson05.md).

Controls: k, beta, log10 delta (the perturbation) and Play. The animation speed is scaled by the estimate
T = (log(1/delta) - 1) / lambda_max(k, beta) (mw.metastability.exit_time_estimate; a heuristic with a fitted
constant, not a theorem), so every plateau takes about 15 s to watch. Readout: the smallest gap between neighbours
over 2 pi / k against t / T, and the measured exit time (first gap < pi / k) against T.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ...dynamics import Simulation
from ...dynamics.initial import from_angles
from ...dynamics.models import Attention
from ...theory import circle, metastability
from ._live import LiveExplorable

SECONDS = 15.0   #: seconds of animation for one estimated lifetime


class ClusterLifetime(LiveExplorable):
    """A delta-perturbed regular k-gon of tokens under SA at beta; the plateau and its end, live."""

    point_size = 14.0

    def __init__(self, k: int = 3, beta: float = 6.0, log10_delta: float = -3.0, seed: int = 0) -> None:
        self._init = (int(k), float(beta), float(log10_delta))
        self._seed = int(seed)
        super().__init__()

    def controls(self) -> list[w.Widget]:
        k, beta, ld = self._init
        self.k = w.IntSlider(value=k, min=2, max=6, description="k", continuous_update=False)
        self.beta = w.FloatSlider(value=beta, min=1.0, max=10.0, step=0.5, description="β", continuous_update=False)
        self.log10_delta = w.FloatSlider(value=ld, min=-6.0, max=-1.0, step=0.5, description="log₁₀ δ",
                                         continuous_update=False)
        return [self.k, self.beta, self.log10_delta]

    @property
    def estimate(self) -> float:
        """(log(1/delta) - 1) / lambda_max(k, beta): the heuristic lifetime (mw.metastability.exit_time_estimate)."""
        return metastability.exit_time_estimate(10.0 ** self.log10_delta.value, self.k.value, self.beta.value)

    def theta0(self) -> np.ndarray:
        """The start: theta_j = 2 pi j / k + delta u_j, u iid U(-1, 1) from the seed, mean removed (as
        mw.metastability.polygon_exit_time)."""
        k = self.k.value
        u = np.random.default_rng(self._seed).uniform(-1.0, 1.0, k)
        return 2.0 * np.pi * np.arange(k) / k + 10.0 ** self.log10_delta.value * (u - u.mean())

    def make_sim(self) -> Simulation:
        est = self.estimate
        return Simulation(Attention(beta=self.beta.value, kind="SA"), from_angles(self.theta0()), dt=est / 300.0)

    def start(self) -> None:
        self.times: list[float] = []
        self.min_gaps: list[float] = []
        self.exit_time: float | None = None
        self.player.speed = self.estimate / SECONDS

    def record_state(self, sim: Simulation) -> None:
        if self.times and sim.t <= self.times[-1]:
            return
        g = float(metastability.gaps(circle.angles(sim.x)).min())
        self.times.append(float(sim.t))
        self.min_gaps.append(g)
        if self.exit_time is None and g < np.pi / self.k.value:
            self.exit_time = float(sim.t)

    def draw_readout(self) -> None:
        fig = self.figure
        fig.clear()
        ax = fig.subplots()
        est, k = self.estimate, self.k.value
        ax.plot(np.asarray(self.times) / est, np.asarray(self.min_gaps) / (2 * np.pi / k), "C0-", lw=2)
        ax.axvline(1.0, color="k", ls="--", lw=1, label="estimate T = (log(1/δ) − 1)/λ_max")
        ax.axhline(0.5, color="0.6", lw=1, label="exit: a gap below π/k")
        ax.set(xlabel="t / T", ylabel="smallest gap / (2π/k)", ylim=(-0.05, 1.1),
               xlim=(0, max(1.5, self.times[-1] / est)),
               title=f"{k} clusters at β = {self.beta.value:g}: T = {est:.3g}")
        ax.legend(fontsize=8, loc="lower left")
        fig.tight_layout()
        meas = "not yet" if self.exit_time is None else f"{self.exit_time:.3g} (= {self.exit_time / est:.2f} T)"
        lam = metastability.polygon_rate(k, self.beta.value)
        self.text.value = (f"t = {self.times[-1]:.3g} &nbsp; λ_max = {lam:.3g}"
                           f" &nbsp; measured exit <b>{meas}</b> &nbsp; estimate T = <b>{est:.3g}</b>")
