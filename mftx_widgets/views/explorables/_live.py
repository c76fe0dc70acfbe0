"""The shared frame of the lesson 03-05 explorables: a live Simulation in a Player, drawn by a SphereView, a
lesson-specific readout figure (ipympl canvas) and text, and at most four controls (the view's Play is one).

A subclass defines `controls()` (widgets whose value changes rebuild the run), `make_sim()`, `start()` (reset
its series), `record_state(sim)` (record the readout numbers of the current state; cheap) and `draw_readout()`.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ...dynamics import Simulation
from ...errors import ParameterError
from ..player import Player
from ..plots import new_canvas
from ..sphere import SphereView


class LiveExplorable(w.VBox):
    """One phenomenon, live: the tokens (left), the readout plot and numbers (right), controls on top."""

    #: figure size of the readout canvas (inches) and the 3D view (pixels)
    figsize: tuple[float, float] = (5.0, 3.8)
    view_size: tuple[int, int] = (360, 360)
    point_size: float | None = None

    def __init__(self) -> None:
        self._controls = self.controls()
        if len(self._controls) > 3:
            raise ParameterError("an explorable has at most four controls: three plus the view's Play")
        self.figure, self.canvas = new_canvas(self.figsize, 80)
        self.text = w.HTML(layout=w.Layout(margin="4px 0 0 8px"))
        self.player = Player(self.make_sim(), record=False, plot_interval=0.25)
        self.view = SphereView(self.player, color="#0072B2", show_mean=False, size=self.view_size,
                               point_size=self.point_size)
        self.view.play_button.add_class("mftx-play")     # the class the browser tests click, as in the Explorer
        self.player.draw = self._draw
        self.player.plot = self._plot
        self.player.on_error = self._stopped
        for c in self._controls:
            c.observe(self._rebuild, names="value")
        super().__init__(children=[w.HBox(self._controls), w.HBox([self.view, w.VBox([self.canvas, self.text])])])
        self.start()
        self._draw()
        self._plot()

    # -- for subclasses -----------------------------------------------------------------------------------------
    def controls(self) -> list[w.Widget]:
        raise NotImplementedError

    def make_sim(self) -> Simulation:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def record_state(self, sim: Simulation) -> None:
        raise NotImplementedError

    def draw_readout(self) -> None:
        raise NotImplementedError

    # -- the frame ----------------------------------------------------------------------------------------------
    @property
    def sim(self) -> Simulation:
        """The live run."""
        return self.player.sim

    @property
    def x(self) -> np.ndarray:
        """The current state (n, d)."""
        return np.asarray(self.player.sim.x)

    def step(self, k: int = 1) -> None:
        """Advance k frames' worth of steps (what Play does per frame) and redraw: for code and tests."""
        self.player.step(k * self.player.frame_steps)

    def play(self) -> None:
        self.view.play()

    def pause(self) -> None:
        self.view.pause()

    def _rebuild(self, _change=None) -> None:
        self.player.load(self.make_sim())
        self.view.set_source(self.player)
        self.start()
        self._draw()
        self._plot()

    def _draw(self) -> None:
        self.view.update()
        self.record_state(self.player.sim)

    def _plot(self) -> None:
        self.draw_readout()
        self.canvas.draw_idle()

    def _stopped(self, exc: Exception) -> None:
        self.view.pause()
        self.text.value = f"<span style='color:#b00'><b>stopped:</b> {exc}</span>"

    def close(self) -> None:
        """Stop the live task and close every widget."""
        if "player" in self.__dict__:
            self.player.close()
        for name in ("view", "canvas", "text"):
            if name in self.__dict__:
                self.__dict__[name].close()
        for c in self.__dict__.get("_controls", []):
            c.close()
        super().close()
