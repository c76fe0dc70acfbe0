"""The widget fuzz: no sequence of control changes a user can make leaves a lesson widget broken.

Walks the widget tree of a real Explorer (and of SphereView and TrajectoryPlots), and in random order sets
the values the controls themselves offer (a slider position within min / max on its step, an option of a
menu, a tab, a toggle; through ``set_state``, as the front end does: menus report their index), clicks the
buttons (Play, Step, Reset, Copy code) and lets the asyncio loop run a few frames. After every action it
checks:

* nothing raised, no callback logged an exception (ipywidgets logs the exceptions of click handlers), no
  Python warning (numpy, matplotlib) was issued, the frame loop holds no error;
* no message in red for a value a control offered, unless the combination is truly invalid and the message
  names it (ALLOWED_ERRORS; a solver that stops with a SimulationError must say which parameter to change);
* the state on screen is finite (sphere positions and colours, plot data, the live state on the sphere);
* it matches the controls (Explorer.params == the widgets; the model's beta, kind, norm, noise; the live
  run's n, d, dt; the sphere's n and d; the attention slider's range; Play shows what a click does).

Fixed seeds and a fixed budget (SEEDS x ACTIONS); about 60 s here. A failing case prints its action log.
More seeds: MFTX_FUZZ_SEEDS=0,1,2,3,4,5 pytest tests/views/test_fuzz.py.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import time
import warnings
from types import SimpleNamespace

import ipywidgets as w
import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.views import Explorer, SphereView, TrajectoryPlots

SEEDS = tuple(int(s) for s in os.environ.get("MFTX_FUZZ_SEEDS", "0,1,2,3,4").split(","))
ACTIONS = int(os.environ.get("MFTX_FUZZ_ACTIONS", "40"))
#: red messages that are allowed: (pattern, why). A combination no run can have, named in the message.
ALLOWED_ERRORS: tuple[tuple[str, str], ...] = (
    (r"^stopped: .*non-finite with dt = \S+: lower dt \(.*dt below \S+ is needed",
     "a fixed step the solver cannot take (USA at large beta: rate ~ e^beta); it stops, names the dt it needs"),
    (r"(?i)\bUSA\b.*\bbeta\b.*\b(kind|dt)\b",
     "USA at a beta where no practical dt exists, refused with the reason and the alternative"),
)
#: seconds the event loop runs after Play and after each action while playing (a few frames at 20 fps)
FRAMES_WAIT = 0.12
#: an action (its handlers and the frames it triggers) must not block the kernel for longer than this
MAX_ACTION_SECONDS = 10.0


# ------------------------------------------------------------------------------------------ the widget tree
def walk(root: w.Widget) -> list[w.Widget]:
    """Every ipywidget reachable through children (Box, Tab), depth first; 3D scene objects are not walked."""
    out, todo, seen = [], [root], set()
    while todo:
        wd = todo.pop()
        if id(wd) in seen or not isinstance(wd, w.Widget):
            continue
        seen.add(id(wd))
        out.append(wd)
        todo.extend(reversed(list(getattr(wd, "children", ()) or ())))
    return out


def _shown(wd: w.Widget, parents: dict[int, w.Widget]) -> bool:
    """Enabled and visible (not display: none, nor inside a hidden box): a user can reach it."""
    if getattr(wd, "disabled", False):
        return False
    node = wd
    while node is not None:
        if getattr(getattr(node, "layout", None), "display", None) == "none":
            return False
        node = parents.get(id(node))
    return True


def controls(root: w.Widget) -> list[w.Widget]:
    """The widgets a user can act on now."""
    parents = {}
    for wd in walk(root):
        for ch in getattr(wd, "children", ()) or ():
            parents[id(ch)] = wd
    kinds = (w.IntSlider, w.FloatSlider, w.FloatLogSlider, w.Dropdown, w.ToggleButtons, w.ToggleButton,
             w.BoundedIntText, w.Checkbox, w.Tab, w.Button, w.Play)
    return [wd for wd in walk(root) if isinstance(wd, kinds) and _shown(wd, parents)]


def _int_value(rng: np.random.Generator, lo: int, hi: int, step: int = 1) -> int:
    """An offered integer: an end (40 %) or log-uniform inside (large values are rarer: bounded cost)."""
    u = rng.random()
    if u < 0.2 or hi <= lo:
        return lo
    if u < 0.4:
        return lo + (hi - lo) // step * step
    v = math.exp(rng.uniform(math.log(lo + 1), math.log(hi + 1))) - 1
    return int(lo + round((min(max(v, lo), hi) - lo) / step) * step)


def offered(wd: w.Widget, rng: np.random.Generator) -> tuple[str, object] | None:
    """(description, state) of a random change the control offers, as the front end would send it."""
    if isinstance(wd, (w.Dropdown, w.ToggleButtons)):
        return "index", int(rng.integers(len(wd.options)))
    if isinstance(wd, w.Tab):
        return "selected_index", int(rng.integers(len(wd.children)))
    if isinstance(wd, (w.ToggleButton, w.Checkbox)):
        return "value", not wd.value
    if isinstance(wd, w.FloatLogSlider):
        k = int(rng.integers(round((wd.max - wd.min) / wd.step) + 1))
        return "value", float(wd.base ** (wd.min + k * wd.step))
    if isinstance(wd, w.FloatSlider):
        k = int(rng.integers(round((wd.max - wd.min) / wd.step) + 1))
        return "value", float(min(wd.min + k * wd.step, wd.max))
    if isinstance(wd, (w.IntSlider, w.BoundedIntText, w.Play)):
        return "value", _int_value(rng, int(wd.min), int(wd.max), int(getattr(wd, "step", 1) or 1))
    return None


def jslinked(wd: w.Widget, key: str) -> list[tuple[w.Widget, str]]:
    """The (widget, attribute) pairs jslinked to wd.key (w.jslink: synced in the browser, not in the kernel)."""
    from ipywidgets.widgets.widget import _instances

    out = []
    for link in list(_instances.values()):
        if isinstance(link, w.widgets.widget_link.Link):
            (a, ka), (b, kb) = link.source, link.target
            if a is wd and ka == key:
                out.append((b, kb))
            elif b is wd and kb == key:
                out.append((a, ka))
    return out


def name_of(wd: w.Widget) -> str:
    label = getattr(wd, "description", "") or ""
    cls = [c for c in getattr(wd, "_dom_classes", ()) if c.startswith("mftx-")]
    return f"{type(wd).__name__}({label or ','.join(cls) or '?'})"


class LogCatcher(logging.Handler):
    """Collects WARNING+ records (ipywidgets logs a click handler's exception, with exc_info, as a warning)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def caught():
    h = LogCatcher()
    root = logging.getLogger()
    root.addHandler(h)
    yield h
    root.removeHandler(h)


class Fuzz:
    """Random actions on one widget tree; check(...) after each; .log is the action list (printed on failure)."""

    def __init__(self, root: w.Widget, seed: int, caught: LogCatcher, check, extra=None) -> None:
        self.root, self.rng, self.caught, self.check = root, np.random.default_rng(seed), caught, check
        self.extra = extra            # extra(rng) -> description: an action that is no widget (a plot click)
        self.log: list[str] = [f"seed {seed}"]

    def fail(self, what: str) -> None:
        pytest.fail(f"{what}\nactions:\n  " + "\n  ".join(self.log[-25:]), pytrace=False)

    async def act(self) -> None:
        with warnings.catch_warnings(record=True) as caught_warnings:
            warnings.simplefilter("always")
            await self._act()
        quiet = (DeprecationWarning, PendingDeprecationWarning)      # ipympl / traitlets API notices
        bad = [m for m in caught_warnings if not issubclass(m.category, quiet)]
        if bad:
            self.fail(f"a warning: {bad[0].category.__name__}: {bad[0].message} ({bad[0].filename}:{bad[0].lineno})")

    async def _act(self) -> None:
        targets = controls(self.root)
        k = int(self.rng.integers(len(targets) + (self.extra is not None)))
        t0 = time.perf_counter()
        wd = targets[k] if k < len(targets) else None
        if wd is None:
            self.log.append(self.extra(self.rng))
        elif isinstance(wd, w.Button):
            self.log.append(f"click {name_of(wd)}")
            wd.click()
        else:
            change = offered(wd, self.rng)
            if change is None:
                return
            key, val = change
            self.log.append(f"{name_of(wd)}.{key} = {val!r}")
            try:
                wd.set_state({key: val})
                for other, attr in jslinked(wd, key):      # the front end updates jslinked widgets, which report
                    other.set_state({attr: getattr(wd, key)})
            except Exception as exc:  # noqa: BLE001 - the fuzz reports it with the action log
                self.fail(f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(FRAMES_WAIT)
        dt = time.perf_counter() - t0
        if dt > MAX_ACTION_SECONDS:
            self.fail(f"the last action blocked the kernel for {dt:.1f} s")
        errors = [r for r in self.caught.records if r.levelno >= logging.WARNING]
        if errors:
            r = errors[0]
            self.fail(f"a callback logged: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info else ""))
        problem = self.check()
        if problem:
            self.fail(problem)

    async def run(self, actions: int) -> None:
        for _ in range(actions):
            await self.act()


def click_plot(plots, t_max: float, rng: np.random.Generator) -> str:
    """A click on a random time panel of TimePlots at a random time in [0, t_max] (what ipympl reports)."""
    ax = plots.time_axes[int(rng.integers(3))]
    t = float(rng.uniform(0.0, max(t_max, 1e-3)))
    plots._on_click(SimpleNamespace(inaxes=ax, xdata=t))
    return f"click plot {ax.get_title()!r} at t = {t:.3g}"


# ------------------------------------------------------------------------------------------ the checks
def _finite_view(sphere: SphereView) -> str | None:
    pos, col = sphere.positions, sphere.colours
    if not np.all(np.isfinite(pos)) or np.abs(pos).max() > 1 + 1e-5:
        return f"sphere positions not finite or off the unit ball: {pos[:3]}"
    if not np.all(np.isfinite(col)) or col.min() < 0 or col.max() > 1:
        return "sphere colours not finite or outside [0, 1]"
    if pos.shape != col.shape:
        return f"sphere buffers of different sizes: {pos.shape} vs {col.shape}"
    return None


def _red(message: str) -> str | None:
    """The text of a red (error) message, without tags; None if the message is not an error."""
    if "#b00" not in message:
        return None
    return re.sub(r"<[^>]+>", "", message)


def allowed(text: str) -> bool:
    return any(re.search(p, text) for p, _ in ALLOWED_ERRORS)


def watch_errors(player) -> list[Exception]:
    """Wrap the player's error hook: every solver error it reports is kept (a later message may hide it)."""
    seen: list[Exception] = []
    hook = player.on_error

    def on_error(exc: Exception) -> None:
        seen.append(exc)
        hook(exc)

    player.on_error = on_error
    return seen


def solver_problems(seen: list[Exception]) -> str | None:
    for exc in seen:
        if not allowed(f"stopped: {exc}"):
            return f"the solver stopped: {type(exc).__name__}: {exc}"
    return None


def explorer_problems(ex: Explorer, seen: list[Exception]) -> str | None:
    """Everything that must hold after any action on an Explorer (None: all good)."""
    c, sim, m = ex.controls, ex.sim, ex.model
    if ex.loop.error is not None:
        return f"the frame loop died: {ex.loop.error!r}"
    problem = solver_problems(seen)
    if problem:
        return problem
    msg = _red(c.message.value)
    if msg is not None and not msg.startswith("warning:"):
        if not allowed(msg):
            return f"error shown for values the controls offered: {msg}"
    params = ex.params
    for name, widget in c.fields.items():
        if params[name] != widget.value:
            return f"control {name} shows {widget.value!r} but the Explorer runs {params[name]!r}"
    want = {"beta": m.beta, "kind": m.kind, "norm": m.norm, "noise": m.noise, "n": sim.n, "d": sim.d,
            "dt": sim.dt, "speed": ex.player.speed}
    for name, val in want.items():
        if val != c.fields[name].value:
            return f"control {name} = {c.fields[name].value!r} but the run has {val!r}"
    if sim.model != m or ex.history.model != m:
        return "the simulation or history runs another model than the Explorer's"
    if not np.all(np.isfinite(sim.x)):
        return "the live state is not finite"
    problem = _finite_view(ex.sphere)
    if problem:
        return problem
    if ex.sphere.n != sim.n or ex.sphere.d != sim.d:
        return f"sphere draws n = {ex.sphere.n}, d = {ex.sphere.d}; the run has n = {sim.n}, d = {sim.d}"
    u = sim.x / np.linalg.norm(sim.x, axis=1, keepdims=True)
    if sim.d <= 3:
        drawn = np.zeros((sim.n, 3), np.float32)
        drawn[:, :sim.d] = u
        if ex.playing is False and not np.allclose(ex.sphere.positions, drawn, atol=1e-5):
            return "the sphere does not show the paused state"
    if ex.attention.token.max != sim.n - 1 or not 0 <= ex.attention.token.value < sim.n:
        return f"attention token slider [0, {ex.attention.token.max}] for n = {sim.n}"
    if ex.attention.on.value and ex.sphere.color is not None and np.shape(ex.sphere.color) != (sim.n,):
        return "the attention colours have the wrong length"
    for line in (ex.plots.l_energy, ex.plots.l_cos, ex.plots.l_clusters):
        x, y = (np.asarray(a, dtype=float) for a in line.get_data())
        if x.shape != y.shape or not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
            return f"plot series {line.get_color()} not finite or mismatched"
    if sim.d > 3 and ex.sphere.projection == "pca" and ex.sphere._basis is not None and not ex.playing:
        if not np.allclose(ex.sphere.positions, u @ ex.sphere._basis, atol=1e-5):
            return "the sphere does not show the paused state (PCA projection)"
    if f"t = {sim.t:.2f}</b>" not in c.status.value:
        return f"the status line {c.status.value!r} is not at t = {sim.t:.2f}"
    ht = ex.history.t
    if ht.size and (np.any(np.diff(ht) < 0) or ht[-1] > sim.t + 1e-9):
        return f"the history runs past the run or backwards: t = {ht[-3:]} vs {sim.t}"
    if c.code_output.value:
        try:
            compile(c.code_output.value, "<copy code>", "exec")
        except SyntaxError as exc:
            return f"the copied code does not parse: {exc}"
    want_label = "Pause" if ex.playing else "Play"
    if c.play_button.description != want_label:
        return f"the Play button says {c.play_button.description!r} while playing = {ex.playing}"
    return None


# ------------------------------------------------------------------------------------------ the fuzzes
def explorer_for(seed: int) -> Explorer:
    """Seed % 5 picks the Explorer, as the lessons make them: the defaults (n = 24); Q, K, V given (d fixed: its
    slider disabled); an x0 array given (init "custom" until n, d or init change); a preset; a Pre-LN model."""
    case = seed % 5
    if case == 0:
        return Explorer(n=24)
    if case == 1:
        rng = np.random.default_rng(seed)
        q, k, v = (np.eye(4) + 0.3 * rng.standard_normal((4, 4)) for _ in range(3))
        return Explorer(mw.Attention(beta=2.0, Q=q, K=k, V=v), n=16)
    if case == 2:
        return Explorer(x0=mw.initial.uniform(12, 3, seed=seed))
    if case == 3:
        return Explorer(preset="metastable clusters")
    return Explorer(model=mw.Attention(beta=4.0, norm="pre"), n=50, d=3, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_explorer_fuzz(seed, caught):
    async def scenario():
        ex = explorer_for(seed)
        seen = watch_errors(ex.player)
        try:
            fz = Fuzz(ex, seed, caught, lambda: explorer_problems(ex, seen),
                      extra=lambda rng: click_plot(ex.plots, ex.sim.t, rng))
            problem = explorer_problems(ex, seen)
            assert problem is None, problem
            await fz.run(ACTIONS)
        finally:
            ex.close()
            await asyncio.sleep(0.05)
        assert ex.loop.task is None or ex.loop.task.done()

    asyncio.run(scenario())


def test_sphere_frames_and_trajectory_plots_fuzz(caught):
    tr = mw.simulate(mw.Attention(beta=3.0), mw.initial.uniform(30, 5, seed=1), t_max=2.0, dt=0.1)
    eq = mw.simulate(mw.Attention(beta=2.0), mw.initial.equiangular(6, 0.2), t_max=2.0, dt=0.05)

    async def scenario():
        sv, tp = SphereView(tr, projection="pca", trails=3), TrajectoryPlots(eq)   # tp: with the theory overlay
        box = w.VBox([sv, tp])

        def check() -> str | None:
            if sv.time_slider.value != sv.time_play.value:
                return "the time slider and the play widget disagree"
            i = sv.time_slider.value
            u = tr.directions[i]
            if not np.allclose(np.linalg.norm(sv.positions, axis=1), np.linalg.norm(u @ sv._basis, axis=1),
                               atol=1e-5):
                return f"the sphere does not show frame {i}"
            if tp.label.value != f"t = {eq.t[tp.slider.value]:.2f}":
                return "the trajectory plots show another time than their slider"
            return _finite_view(sv)

        try:
            await Fuzz(box, 3, caught, check, extra=lambda rng: click_plot(tp.plots, float(eq.t[-1]), rng)).run(30)
        finally:
            sv.close()
            tp.close()

    asyncio.run(scenario())


def test_sphere_live_fuzz(caught):
    """A SphereView over a live Simulation: its Play toggle, in random order with the other controls."""
    sim = mw.Simulation(mw.Attention(beta=2.0), mw.initial.uniform(40, 3, seed=2), dt=0.05)

    async def scenario():
        sv = SphereView(sim)
        seen = watch_errors(sv.player)

        def check() -> str | None:
            if sv.player.loop.error is not None:
                return f"the frame loop died: {sv.player.loop.error!r}"
            if solver_problems(seen):
                return solver_problems(seen)
            if sv.play_button.value != sv.player.playing:
                return "the Play toggle disagrees with the player"
            return _finite_view(sv)

        try:
            await Fuzz(sv, 4, caught, check).run(20)
        finally:
            sv.close()
            await asyncio.sleep(0.05)

    asyncio.run(scenario())
