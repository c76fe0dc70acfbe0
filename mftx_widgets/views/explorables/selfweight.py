"""Lesson 07's explorable: does long-context attention freeze iid tokens? Self-weight against gamma.

n iid uniform tokens on S^{d-1} under SA at beta = gamma log n. A token stays put when its weight on itself,
a_i = e^beta / sum_j e^{beta <x_i, x_j>}, is close to 1. The readout shows the live mean self-weight next to the
iid prediction at t = 0 (docs/theory.md §10; derivation in docs/derivations/lesson07.md):

    a ~ 1 / (1 + (n - 1) e^{-beta} E e^{beta <x, y>}),   E e^{beta <x, y>} = Gamma(d/2) (2/beta)^{d/2-1} I_{d/2-1}(beta)

for x, y independent uniform on S^{d-1}. Four controls: gamma, n, d (default 64), play.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from scipy.special import gammaln, ive

from ...dynamics import Attention, Simulation, initial
from ...errors import ParameterError
from ..player import Player
from ..sphere import SphereView


def mgf_log_minus_beta(beta: float, d: int) -> float:
    """log(E e^{beta <x,y>}) - beta for x, y iid uniform on S^{d-1} (overflow-safe via the scaled Bessel ive)."""
    if not beta > 0:
        raise ParameterError(f"beta must be > 0, got {beta}")
    if int(d) < 2:
        raise ParameterError(f"d must be an integer >= 2, got {d}")
    nu = d / 2.0 - 1.0
    return float(gammaln(d / 2.0) + nu * np.log(2.0 / beta) + np.log(ive(nu, beta)))


def predicted_self_weight(gamma: float, n: int, d: int) -> float:
    """Mean SA self-weight of n iid uniform tokens in S^{d-1} at beta = gamma log n (mean-field prediction)."""
    if not gamma > 0:
        raise ParameterError(f"gamma must be > 0, got {gamma}")
    if int(n) < 2:
        raise ParameterError(f"n must be an integer >= 2, got {n}")
    beta = gamma * np.log(n)
    return float(1.0 / (1.0 + (n - 1) * np.exp(mgf_log_minus_beta(beta, d))))


def self_weights(x: np.ndarray, beta: float) -> np.ndarray:
    """SA self-weights a_i = e^{beta} / sum_j e^{beta <x_i, x_j>} (n,) of unit tokens x (n, d), overflow-safe."""
    x = np.asarray(x, dtype=float)
    g = x @ x.T
    e = np.exp(beta * (g - g.max(axis=1, keepdims=True)))
    return np.diag(e) / e.sum(axis=1)


class SelfWeight(w.VBox):
    """Live SA run at beta = gamma log n from iid tokens in d dimensions, with the self-weight readout.

    Controls: gamma (0.25..3), n (50..1000), d (3..128), play. `readout` (HTML) shows the live mean self-weight,
    the prediction, the mean cosine and the mean angle each token has moved since t = 0.
    """

    def __init__(self, gamma: float = 1.5, n: int = 400, d: int = 64, seed: int = 0, dt: float = 0.1) -> None:
        self.seed, self.dt = int(seed), float(dt)
        self.gamma = w.FloatSlider(value=gamma, min=0.25, max=3.0, step=0.05, description="gamma",
                                   continuous_update=False)
        self.n = w.IntSlider(value=n, min=50, max=1000, step=50, description="n", continuous_update=False)
        self.d = w.IntSlider(value=d, min=3, max=128, step=1, description="d", continuous_update=False)
        self.play_button = w.ToggleButton(value=False, description="Play", icon="play")
        self.readout = w.HTML()
        self.player = Player(self._new_sim(), record=False, speed=1.0)
        self.view = SphereView(self.player, projection="pca", color="#1f77b4", show_mean=False, play_button=False)
        self.player.draw = self._draw
        self.player.on_error = lambda exc: self.play_button.set_trait("value", False)
        for s in (self.gamma, self.n, self.d):
            s.observe(self._restart, names="value")
        self.play_button.observe(lambda ch: self.player.play() if ch["new"] else self.player.pause(), names="value")
        super().__init__(children=[w.HBox([self.gamma, self.n, self.d, self.play_button]),
                                   w.HBox([self.view, self.readout])])
        self._draw()

    @property
    def beta(self) -> float:
        return float(self.gamma.value * np.log(self.n.value))

    def _new_sim(self) -> Simulation:
        self.x0 = initial.uniform(n=self.n.value, d=self.d.value, seed=self.seed)
        return Simulation(Attention(beta=self.beta, kind="SA"), self.x0, dt=self.dt, method="rk4")

    def _restart(self, _=None) -> None:
        self.player.load(self._new_sim(), speed=1.0)
        self.view.set_source(self.player)
        self._draw()

    def stats(self) -> dict:
        """The readout's numbers for the current state."""
        x = np.asarray(self.player.sim.x, dtype=float)
        n = x.shape[0]
        cos = np.clip(np.sum(x * self.x0, axis=1), -1.0, 1.0)
        return {"t": float(self.player.sim.t), "beta": self.beta,
                "self_weight": float(self_weights(x, self.beta).mean()),
                "predicted": predicted_self_weight(self.gamma.value, n, self.d.value),
                "mean_cosine": float((np.sum(x.sum(axis=0) ** 2) - n) / (n * (n - 1))),
                "moved_deg": float(np.degrees(np.arccos(cos)).mean())}

    def _draw(self) -> None:
        self.view.update()
        s = self.stats()
        self.readout.value = (
            f"<b>t = {s['t']:.1f}</b>, beta = gamma log n = {s['beta']:.2f}<br>"
            f"mean self-weight (live): <b>{s['self_weight']:.3f}</b><br>"
            f"prediction for iid tokens: <b>{s['predicted']:.3f}</b><br>"
            f"mean cosine: {s['mean_cosine']:.3f}<br>mean angle moved: {s['moved_deg']:.1f}°")

    def close(self) -> None:
        """Stop the task and close the widgets."""
        self.player.close()
        self.view.close()
        super().close()
