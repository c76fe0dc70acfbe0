"""Lesson 06's explorable: every normalization scheme is the same attention flow at its own speed.

In the survey's normalized-attention equation (Rigollet 2512.01868; Karagodin-Ge-Polyanskiy-Rigollet
2510.22026) a token's direction moves as theta_i' = s_i^{-1} P_{theta_i} A_i, with s_i = 1 (Post-LN),
s_i = r_i = |z_i| (Pre-LN), s_i = r_i |A_i| (Peri-LN) and s_i = |A_i| / alpha (nGPT); Mix-LN is Post-LN, then
Pre-LN. The live readout shows the speed factor 1/s measured on the particles (mean over tokens) next to the
equiangular ODE's value at the same time (docs/theory.md §6). Controls: scheme, beta, n (= d), play.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ...dynamics import Attention, Simulation, attention_output
from ...theory import equiangular
from ..player import Player
from ..sphere import SphereView

SCHEMES = {"Post-LN": "post", "Pre-LN": "pre", "Peri-LN": "peri", "Mix-LN": "mix", "nGPT": "ngpt"}
#: equiangular variant of each norm
VARIANT = {"post": "SA", "pre": "pre", "peri": "peri", "mix": "mix", "ngpt": "ngpt"}


def measured_speed(model: Attention, z: np.ndarray, t: float) -> np.ndarray:
    """Speed factors 1/s_i (n,) of the live state z (n, d) (residual stream; unit rows for Post-LN / nGPT)."""
    z = np.asarray(z, dtype=float)
    r = np.linalg.norm(z, axis=1)
    norm = model.norm
    if norm == "mix":
        norm = "post" if t < model.mix_switch else "pre"
    if norm == "post":
        return np.ones(len(z))
    if norm == "pre":
        return 1.0 / r
    q = np.linalg.norm(attention_output(model, z / r[:, None]), axis=1)
    if norm == "peri":
        return 1.0 / (r * q)
    return model.alpha / q                                       # nGPT


def predicted_speed(norm: str, beta: float, n: int, rho0: float, t: float, alpha: float = 1.0,
                    mix_switch: float = 1.0) -> tuple[float, float]:
    """(1/s, rho) of the equiangular ODE at time t for the scheme `norm` (start r = 1, cosine rho0)."""
    variant = VARIANT[norm]
    rho, r = equiangular.solve(variant, beta, n, rho0, [0.0, float(t)], alpha=alpha, mix_switch=mix_switch,
                               return_radius=True)
    rho, r = float(rho[-1]), float(r[-1])
    q = float(equiangular.attention_stats(beta, n, rho)[3])
    if norm == "mix":
        norm = "post" if t < mix_switch else "pre"
    speed = {"post": 1.0, "pre": 1.0 / r, "peri": 1.0 / (r * q), "ngpt": alpha / q}[norm]
    return speed, rho


class SpeedFactors(w.VBox):
    """n equiangular tokens (d = n, cosine rho0) under one normalization scheme, with the speed readout.

    Controls: scheme (Post/Pre/Peri/Mix-LN, nGPT), beta (0.5..6), n (3..40), play. `readout` (HTML) shows t,
    the measured 1/s, the ODE's 1/s, and 1 - rho measured and predicted.
    """

    def __init__(self, scheme: str = "Pre-LN", beta: float = 2.0, n: int = 10, rho0: float = 0.5,
                 dt: float = 0.05) -> None:
        self.rho0, self.dt = float(rho0), float(dt)
        self.scheme = w.Dropdown(options=list(SCHEMES), value=scheme, description="scheme")
        self.beta = w.FloatSlider(value=beta, min=0.5, max=6.0, step=0.25, description="beta",
                                  continuous_update=False)
        self.n = w.IntSlider(value=n, min=3, max=40, description="n = d", continuous_update=False)
        self.play_button = w.ToggleButton(value=False, description="Play", icon="play")
        self.readout = w.HTML()
        self.player = Player(self._new_sim(), record=False, speed=1.0)
        self.view = SphereView(self.player, projection="pca", color="#1f77b4", show_mean=False, play_button=False)
        self.player.draw = self._draw
        self.player.on_error = lambda exc: self.play_button.set_trait("value", False)
        for c in (self.scheme, self.beta, self.n):
            c.observe(self._restart, names="value")
        self.play_button.observe(lambda ch: self.player.play() if ch["new"] else self.player.pause(), names="value")
        super().__init__(children=[w.HBox([self.scheme, self.beta, self.n, self.play_button]),
                                   w.HBox([self.view, self.readout])])
        self._draw()

    @property
    def model(self) -> Attention:
        return self.player.sim.model

    def _new_sim(self) -> Simulation:
        model = Attention(beta=self.beta.value, norm=SCHEMES[self.scheme.value], mix_switch=1.0)
        x0 = equiangular.start(self.n.value, self.rho0)
        return Simulation(model, x0, dt=self.dt, method="rk4")

    def _restart(self, _=None) -> None:
        self.player.load(self._new_sim(), speed=1.0)
        self.view.set_source(self.player)
        self._draw()

    def stats(self) -> dict:
        """The readout's numbers for the current state."""
        sim = self.player.sim
        m, t = sim.model, float(sim.t)
        u = np.asarray(sim.directions, dtype=float)
        n = u.shape[0]
        rho = float((np.sum(u.sum(axis=0) ** 2) - n) / (n * (n - 1)))
        speed_ode, rho_ode = predicted_speed(m.norm, m.beta, n, self.rho0, t, alpha=m.alpha,
                                             mix_switch=m.mix_switch)
        return {"t": t, "speed": float(measured_speed(m, sim.x, t).mean()), "speed_ode": speed_ode,
                "one_minus_rho": 1.0 - rho, "one_minus_rho_ode": 1.0 - rho_ode}

    def _draw(self) -> None:
        self.view.update()
        s = self.stats()
        self.readout.value = (
            f"<b>{self.scheme.value}</b>, t = {s['t']:.2f}<br>"
            f"speed factor 1/s (particles): <b>{s['speed']:.4f}</b><br>"
            f"speed factor 1/s (equiangular ODE): <b>{s['speed_ode']:.4f}</b><br>"
            f"1 - rho: {s['one_minus_rho']:.3e} (ODE {s['one_minus_rho_ode']:.3e})")

    def close(self) -> None:
        """Stop the task and close the widgets."""
        self.player.close()
        self.view.close()
        super().close()
