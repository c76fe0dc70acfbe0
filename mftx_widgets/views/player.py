"""The one frame clock of every live view: Player plays a Simulation at a fixed fps in one asyncio task.

Per frame it takes the solver steps that the speed asks for (simulated time per second of animation) and
that fit a fraction of the frame period (StepBudget), calls the view's draw hook, records observables in a
History (every obs_every-th frame, fitted to the budget), redraws the plots at most every plot_interval
seconds and at most a quarter of the time, and keeps snapshots for time travel (goto(t)). The kernel stays
free between frames for the front end's messages (slider moves, button clicks).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from ..dynamics import Simulation, SimulationError
from ..errors import ParameterError
from ..params import PARAMS
from .history import History


class StepBudget:
    """How many solver steps fit in one frame: a running estimate of the cost of one step.

    fps : frames per second (the frame period is 1 / fps s); fill : fraction of the period given to the
    solver (the rest: observables, drawing, messages); max_steps : at most this many steps per frame;
    min_steps : at least this many (a frame's quantum of steps).
    """

    def __init__(self, fps: float = 20.0, fill: float = 0.5, max_steps: int = 200, min_steps: int = 1) -> None:
        if not 1 <= fps <= 60:
            raise ParameterError(f"fps must be in [1, 60], got {fps}")
        if not 0 < fill <= 1:
            raise ParameterError(f"fill must be in (0, 1], got {fill}")
        self.fps, self.fill, self.max_steps, self.min_steps = float(fps), float(fill), int(max_steps), int(min_steps)
        self.cost: float | None = None   # seconds per step (exponential moving average)

    @property
    def budget(self) -> float:
        """Seconds of solver time allowed per frame."""
        return self.fill / self.fps

    def steps(self, wanted: int) -> int:
        """Steps to take this frame: `wanted`, capped by the budget, at least min_steps (0 if wanted is 0)."""
        if wanted <= 0:
            return 0
        fit = 1 if self.cost is None else int(self.budget / max(self.cost, 1e-7))
        return max(self.min_steps, min(wanted, fit, self.max_steps))

    def record(self, steps: float, seconds: float) -> None:
        """Update the cost estimate after `steps` steps took `seconds`."""
        if steps <= 0:
            return
        c = seconds / steps
        self.cost = c if self.cost is None else 0.7 * self.cost + 0.3 * c


class FrameLoop:
    """Call frame() about fps times per second from ONE asyncio task until stop().

    The task sleeps at least min_sleep seconds between frames, so the event loop always gets a turn (the
    kernel handles widget messages there). An exception in frame() ends the task and is kept in .error.
    """

    def __init__(self, frame: Callable[[], object], fps: float = 20.0, min_sleep: float = 0.01) -> None:
        if not 1 <= fps <= 60:
            raise ParameterError(f"fps must be in [1, 60], got {fps}")
        self.frame, self.fps, self.min_sleep = frame, float(fps), float(min_sleep)
        self.frames = 0
        self.error: BaseException | None = None
        self._task: asyncio.Task | None = None
        self._stopped: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        """True while the task is scheduled, not finished and not asked to stop."""
        return self._task is not None and not self._task.done() and self._task is not self._stopped

    @property
    def task(self) -> asyncio.Task | None:
        return self._task

    def start(self) -> None:
        """Start the task on the current event loop (the kernel's loop in Jupyter); no-op if running."""
        if self.running:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        self._task = loop.create_task(self._run())

    def stop(self) -> None:
        """Cancel the task (it ends at its next sleep); safe to call many times."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            self._stopped = self._task

    async def _run(self) -> None:
        period = 1.0 / self.fps
        try:
            while True:
                t0 = time.perf_counter()
                try:
                    self.frame()
                except Exception as exc:  # the owner decides; the loop must not die silently
                    self.error = exc
                    return
                self.frames += 1
                await asyncio.sleep(max(self.min_sleep, period - (time.perf_counter() - t0)))
        except asyncio.CancelledError:
            pass


def _nothing(*_) -> None:
    return None


class Player:
    """Plays a live Simulation: pacing, step budget, speed, observables, plot throttling, time travel.

    Parameters
    ----------
    sim : the Simulation to play (load() replaces it).
    fps : frames per second (1..60); speed : simulated time per second of animation (None: one step per frame).
    plot_interval : the plot hook runs at most every plot_interval seconds while playing.
    record : keep a History of observables and snapshots (for plots and goto()).

    Hooks (attributes, called with no argument unless said): draw() every frame, before recording; plot()
    throttled; status() after every frame; labels() -> cluster labels of the drawn state or None (spares a
    clustering); on_error(exc) when the solver fails (the player has paused).
    """

    def __init__(self, sim: Simulation, fps: float = 20.0, speed: float | None = None, plot_interval: float = 0.5,
                 record: bool = True) -> None:
        self.fps = float(fps)
        self.budget = StepBudget(fps=self.fps)
        self.loop = FrameLoop(self.frame, fps=self.fps)
        self.plot_interval = float(plot_interval)
        self.record = bool(record)
        self.draw: Callable[[], None] = _nothing
        self.plot: Callable[[], None] = _nothing
        self.status: Callable[[], None] = _nothing
        self.labels: Callable[[], np.ndarray | None] = _nothing
        self.on_error: Callable[[Exception], None] = _nothing
        self.playing = False
        self.frames = 0
        #: observables are recorded every obs_every-th frame (fitted to a quarter of the frame period)
        self.obs_every = 1
        self._obs_cost: float | None = None
        self._substep_cost: float | None = None    # seconds per trial substep of an error-controlled Simulation
        self._short = 0                             # quanta of the last advance left unfinished
        self._plot_cost, self._last_plot = 0.0, -np.inf
        self.load(sim, speed)

    # -- the run ------------------------------------------------------------------------------------------
    def load(self, sim: Simulation, speed: float | None = None) -> None:
        """Play `sim` from its current state (a new run: steps, history and debt restart; playing continues)."""
        self.sim = sim
        self._origin = (sim.x.copy(), sim.t)
        self.speed = self.fps * sim.dt if speed is None else PARAMS["speed"].check(speed)
        self.steps, self._debt = 0, 0.0
        self.history = History(sim.model, sim.dt) if self.record else None
        if self.playing:           # a new task: the old one may be mid-frame of the previous run
            self.loop.stop()
            self.loop.start()

    @property
    def frame_steps(self) -> int:
        """Solver steps of one frame at the current speed (what a Step button advances)."""
        return max(1, int(round(self.speed / (self.fps * self.sim.dt))))

    def play(self, steps_per_frame: int | None = None) -> None:
        """Start the frame task; steps_per_frame k sets speed = k steps per frame and takes them whole."""
        if steps_per_frame is not None:
            if isinstance(steps_per_frame, bool) or int(steps_per_frame) < 1:
                raise ParameterError(f"steps_per_frame must be an integer >= 1, got {steps_per_frame!r}")
            self.speed = int(steps_per_frame) * self.fps * self.sim.dt
            self.budget.min_steps = int(steps_per_frame)
        self.playing = True
        self._debt = 0.0
        self.loop.start()

    def pause(self) -> None:
        """Stop the frame task (it ends)."""
        self.playing = False
        self.loop.stop()

    def close(self) -> None:
        self.pause()

    def step(self, k: int = 1) -> None:
        """Advance k solver steps and redraw everything."""
        if isinstance(k, bool) or not float(k).is_integer() or k < 0:
            raise ParameterError(f"k must be an integer >= 0, got {k!r}")
        self.advance(int(k))
        self.render(force_plots=True)

    def reset(self) -> None:
        """Back to the start of the run (the noise restarts from the seed)."""
        x0, t0 = self._origin
        s = self.sim
        self.sim = Simulation(s.model, x0, dt=s.dt, method=s.method, seed=s.seed, t0=t0, rtol=s.rtol, atol=s.atol)
        self.steps, self._debt = 0, 0.0
        if self.history is not None:
            self.history.clear()
        self.render(force_plots=True)

    def goto(self, t: float) -> bool:
        """Pause and return to the last snapshot at or before time t; False if there is none."""
        snap = None if self.history is None else self.history.snapshot_at(float(t))
        if snap is None:
            return False
        self.pause()
        ts, steps, x = snap
        s = self.sim
        self.sim = Simulation(s.model, x, dt=s.dt, method=s.method, seed=s.seed, t0=ts, rtol=s.rtol, atol=s.atol)
        self.steps = steps
        self.history.truncate(ts)
        self.render(force_plots=True, record=False)
        return True

    # -- one frame ----------------------------------------------------------------------------------------
    def advance(self, k: int, capped: bool = False) -> bool:
        """k steps of dt (timed for the budget); on SimulationError pause, call on_error and return False.

        An error-controlled Simulation (sim.adaptive) takes as many accepted substeps as the error needs; when
        `capped` (a playing frame) at most the substeps that fit the frame's budget: the frame may then end on an
        accepted state short of the target, and the next frame continues towards it (catches up). The view
        never shows a state the solver did not accept. self.steps counts the quanta of dt completed.
        """
        if k <= 0:
            return True
        sim = self.sim
        cap = None
        if capped and sim.adaptive:
            per = self._substep_cost or self.budget.cost     # a quantum's cost bounds a substep's
            cap = max(1, int(self.budget.budget / max(per, 1e-7))) if per else 1
        tried = sim.stats.accepted + sim.stats.rejected
        before, t_before = sim.steps, sim.t
        t0 = time.perf_counter()
        try:
            sim.step(k, budget=cap)
        except SimulationError as exc:
            self.pause()
            self.on_error(exc)
            return False
        seconds = time.perf_counter() - t0
        done = sim.steps - before
        tried = sim.stats.accepted + sim.stats.rejected - tried
        if tried > 0 and sim.adaptive:
            c = seconds / tried
            self._substep_cost = c if self._substep_cost is None else 0.7 * self._substep_cost + 0.3 * c
        progress = done if not sim.adaptive else (sim.t - t_before) / sim.dt     # quanta, fractions included
        if progress > 0:
            self.budget.record(progress, seconds)
        self.steps += done
        self._short = k - done
        return True

    def frame(self) -> None:
        """One animation frame (called by the loop): the steps owed at this speed that fit, then one render."""
        if self.playing:
            self._debt += self.speed / (self.fps * self.sim.dt)
            wanted = int(self._debt + 1e-9)         # below one step per frame: a step every few frames
            k = self.budget.steps(wanted)
            self._debt = max(0.0, self._debt - wanted) if k == wanted else 0.0
            if not self.advance(k, capped=True):
                return
            self._debt += self._short              # quanta the budget cut short are owed to the next frames
        self.render()

    def render(self, force_plots: bool = False, record: bool = True) -> None:
        """Draw; record observables (every obs_every-th frame); plot if due; status."""
        self.frames += 1
        if record and not force_plots and self.frames % self.obs_every:
            record = False
        self.draw()
        if record and self.history is not None:
            t0 = time.perf_counter()
            self.history.append(self.sim.t, self.sim.x, self.steps, labels=self.labels())
            c = time.perf_counter() - t0
            self._obs_cost = c = c if self._obs_cost is None else 0.7 * self._obs_cost + 0.3 * c
            self.obs_every = max(1, int(np.ceil(c / (0.25 / self.fps))))
        self.refresh(force=force_plots)
        self.status()

    def refresh(self, force: bool = False) -> None:
        """Run the plot hook if forced or due: at most every plot_interval s, at most a quarter of the time."""
        now = time.perf_counter()
        if not force and now - self._last_plot < max(self.plot_interval, 4.0 * self._plot_cost):
            return
        self._last_plot = now
        self.plot()
        self._plot_cost = time.perf_counter() - now
