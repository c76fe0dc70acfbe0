"""Explorer: the composed app. A Setup (model, start, dt, speed) played by one Player, drawn by a SphereView,
TimePlots and an AttentionView, changed through Controls generated from the parameter table."""

from __future__ import annotations

import uuid

import ipywidgets as w

from ..dynamics import Attention, observables
from ..errors import ParameterError
from ..params import PRESETS
from ..theory import equiangular
from .attention import AttentionView
from .controls import KEYS_JS, LECTURER_CSS, Controls
from .player import Player
from .plots import TimePlots
from .setup import Setup
from .sphere import SphereView

#: the Step button takes at most this many seconds of solver steps (by the measured cost per step).
STEP_SECONDS = 1.0


class Explorer(w.VBox):
    """The interactive app: a live SphereView, linked TimePlots and Controls over one Simulation.

    Parameters
    ----------
    model : Attention or None (beta, kind, norm, noise and Q, K, V are taken from it; None: the defaults).
    x0 : (n, d) array or None: the initial tokens; None: drawn by the start spec (init, n, d, seed, k, rho0).
    preset : a name in params.PRESETS ("default", "Kuramoto sync", "metastable clusters", ...) or None.
    dt, init, n, d, seed, **params : any parameter of the panel (beta, kind, norm, noise, k, rho0, speed), in
        the ranges of params.PARAMS; they override the preset and the model. The equiangular start needs
        d >= n (d is raised to n, n at most the largest d).
    lecturer : large fonts and points, colour-blind-safe palette.  fps : frames per second (15-30).
    trails, projection, renderer : see SphereView ("auto" | "threejs" | "matplotlib").
    plot_interval : seconds between plot redraws while playing.

    Keyboard (after clicking the app): space = play / pause, right arrow = step.
    """

    def __init__(self, model: Attention | None = None, x0=None, preset: str | None = None, dt: float | None = None,
                 init: str | None = None, n: int | None = None, d: int | None = None, seed: int | None = None,
                 lecturer: bool = False, fps: float = 20.0, trails: int = 0, projection: str = "pca",
                 plot_interval: float = 0.5, renderer: str = "auto", **params) -> None:
        given = {"dt": dt, "init": init, "n": n, "d": d, "seed": seed}
        self.setup, notes = Setup.build({k: v for k, v in given.items() if v is not None} | params, model, x0, preset)
        self.fps, self.lecturer = float(fps), bool(lecturer)
        self.player = p = Player(self.setup.simulation(), fps=fps, speed=self.setup.speed,
                                 plot_interval=plot_interval)
        self.attention = AttentionView(self.sim.n, lecturer=lecturer)
        self.controls = Controls(lecturer=lecturer, attention=self.attention)
        self.sphere = SphereView(p, projection=projection, trails=trails, lecturer=lecturer, play_button=False,
                                 renderer=renderer)
        self.plots = TimePlots(lecturer=lecturer)
        p.draw, p.plot, p.status, p.labels = self._draw, self._plot, self._status, self.sphere.drawn_labels
        p.on_error = lambda exc: (self.pause(), self.controls.error(exc, "stopped"))
        self._wire()
        self._restarting = False
        self._uid = "mftx-explorer-" + uuid.uuid4().hex[:10]
        self._style = w.HTML(LECTURER_CSS, layout=w.Layout(height="0px", margin="0"))
        self._top = w.HBox([self.sphere, self.controls])
        super().__init__(children=self._children())
        self._new_run(notes)
        for cls in ("mftx-explorer", self._uid) + (("mftx-lecturer",) if self.lecturer else ()):
            self.add_class(cls)

    # -- state ------------------------------------------------------------------------------------------
    model = property(lambda self: self.setup.model, doc="The current model (an Attention).")
    sim = property(lambda self: self.player.sim, doc="The live Simulation.")
    history = property(lambda self: self.player.history, doc="Observables and snapshots of the run.")
    loop = property(lambda self: self.player.loop, doc="The frame loop (one asyncio task while playing).")
    playing = property(lambda self: self.player.playing)
    steps_total = property(lambda self: self.player.steps, doc="Solver steps since t = 0.")
    frame_steps = property(lambda self: self.player.frame_steps, doc="Steps of one frame (the Step button).")
    params = property(lambda self: self.setup.values(), doc="A copy of the current parameters {name: value}.")

    # -- actions ------------------------------------------------------------------------------------------
    def play(self) -> None:
        """Start the frame loop (an asyncio task on the kernel's event loop)."""
        self.player.play()
        self.controls.show_playing(True)

    def pause(self) -> None:
        """Stop the frame loop (the task ends)."""
        self.player.pause()
        self.controls.show_playing(False)
        self.player.refresh(force=True)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self, k: int = 1) -> None:
        """Advance k solver steps and redraw everything."""
        self.player.step(k)

    def step_frame(self) -> None:
        """The Step button: one frame of steps (frame_steps), but at most STEP_SECONDS of solver time by the
        player's measured cost per step (as the frame budget caps a frame while playing); a note says so."""
        k = self.frame_steps
        if k > 1 and self.player.budget.cost is None:     # measure one step first
            before = self.player.steps
            self.step(1)
            if self.player.steps == before:                # the solver stopped (the message says why)
                return
            k -= 1
        cost = self.player.budget.cost
        fit = k if cost is None else max(1, int(STEP_SECONDS / max(cost, 1e-9)))
        if fit < k:
            self.controls.message.value = (f"<i>Step took {fit} of the {k} steps of a frame ({cost:.2g} s each); "
                                           f"lower the speed for smaller frames</i>")
        self.step(min(k, fit))

    def reset(self) -> None:
        """Back to t = 0 with the same start (the noise restarts from the seed)."""
        self.controls.message.value = ""
        self.player.reset()

    def goto(self, t: float) -> None:
        """Move the time to t (a click on a plot): pause and return to the last saved state at or before t."""
        if self.player.goto(t):
            self.pause()

    def set_params(self, **params) -> None:
        """Change parameters (see Explorer); any change but speed restarts the run at t = 0 (buffers resize)."""
        new, notes = self.setup.replace(**params)
        old, self.setup = self.setup, new
        if new.restarts(old):
            self.player.load(new.simulation(), new.speed)
            self._new_run(notes)
        else:
            self.player.speed = new.speed
            self._show_values()

    def apply_preset(self, name: str) -> None:
        """Load a named preset (params.PRESETS) and restart."""
        if name not in PRESETS:
            raise ParameterError(f"preset must be one of {list(PRESETS)}, got {name!r}")
        values, note = dict(PRESETS[name].values), ""
        fixed = self.model.dimension
        if fixed is not None and values.get("d", fixed) != fixed:     # Q, K, V fix d: the preset runs in it
            del values["d"]
            note = f" (d stays {fixed}: fixed by the model's Q, K, V)"
        self.controls.message.value = ""
        self.set_params(**values)
        notes = self.controls.message.value            # what the restart had to adjust
        self.controls.message.value = f"<i>{PRESETS[name].description}{note}</i>" + (f"; {notes}" if notes else "")

    def code(self) -> str:
        """Python that recreates the current model, start and state (t = steps * dt)."""
        return self.setup.code(self.player.steps, self.sim.t)

    def close(self) -> None:
        """Stop the loop and close every widget of the app (also a half-built one)."""
        for name in ("player", "sphere", "plots", "attention", "controls"):
            if name in self.__dict__:
                self.__dict__[name].close()
        super().close()

    # -- wiring -------------------------------------------------------------------------------------------
    def _wire(self) -> None:
        c = self.controls
        c.link(self.set_params, lambda: self.params)
        c.play_button.on_click(lambda _: self.toggle())
        c.step_button.on_click(lambda _: self.step_frame())
        c.reset_button.on_click(lambda _: self.reset())
        c.code_button.on_click(lambda _: c.show_code(self.code()))
        c.lecturer.observe(lambda ch: self._set_lecturer(ch["new"]), names="value")
        c.preset.observe(lambda ch: self._on_preset(ch["new"]), names="value")
        self.attention.on.observe(lambda _: self._on_attention(), names="value")
        self.attention.token.observe(lambda _: self._on_attention(), names="value")
        self.plots.on_time(self.goto)

    def _new_run(self, notes: list[str]) -> None:
        """After a restart: resize the views, detect an equiangular start (theory overlay), draw everything."""
        self._restarting = True            # the token slider's observer must not draw the old sphere
        try:
            self.attention.resize(self.sim.n)
        finally:
            self._restarting = False
        self.attention.paint(self.sphere, self.model, self.sim.x)      # colours for the new tokens
        self.sphere.set_source(self.player)
        x0 = self.sim.x
        self._theory_x0 = x0.copy() if equiangular.detect_rho0(x0) is not None else None
        self.controls.message.value = "; ".join(notes)
        self._show_values()
        self.player.render(force_plots=True)

    def _show_values(self) -> None:
        fixed = ("d",) if self.model.dimension is not None or self.setup.x0 is not None else ()
        self.controls.show(self.params, fixed)

    def _on_attention(self) -> None:
        """Colour the particles by the selected token's attention row (or back to clusters)."""
        if self._restarting:
            return
        self.attention.paint(self.sphere, self.model, self.sim.x)
        self.player.render(force_plots=True, record=False)

    def _on_preset(self, name: str) -> None:
        try:
            name in PRESETS and self.apply_preset(name)
        except ValueError as exc:
            self.controls.error(exc)

    def _set_lecturer(self, on: bool) -> None:
        self.lecturer = bool(on)
        self.sphere.set_lecturer(on)
        old, self.plots = self.plots, TimePlots(lecturer=on)
        self.plots.on_time(self.goto)
        self.children = self._children()
        (self.add_class if on else self.remove_class)("mftx-lecturer")
        old.close()
        self.player.refresh(force=True)

    def _children(self) -> list:
        return [self._style, self._top, self.plots.canvas, self.controls.code_output]

    # -- the player's hooks (one frame: draw, record, plot when due, status) ---------------------------------
    def _draw(self) -> None:
        self.attention.paint(self.sphere, self.model, self.sim.x)
        self.sphere.cluster_every = self.player.obs_every
        self.sphere.update()

    def _plot(self) -> None:
        t = self.history.t
        theory = None
        if self._theory_x0 is not None and t.size > 1 and t[0] == 0:
            theory = equiangular.curve_for(self.model, self._theory_x0, t)
        self.plots.show(self.history, self.sim.t, self.sim.x, theory)
        if self.attention.on.value:
            self.attention.draw_matrix(self.model, self.sim.x, observables.clusters(self.sim.x))

    def _status(self) -> None:
        self.controls.show_status(self.sim.t, self.steps_total, self.player.budget.cost, self.history.warning)

    def _ipython_display_(self) -> None:
        from IPython.display import Javascript, display

        display(self._repr_mimebundle_(), raw=True)
        display(Javascript(KEYS_JS % self._uid))
