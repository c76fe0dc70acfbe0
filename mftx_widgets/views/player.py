"""One frame loop per app: an asyncio task paced at a fixed fps that calls a frame function.

The solver work of a frame is fitted to a fraction of the frame period by StepBudget, so the kernel
stays free between frames for the front end's messages (slider moves, button clicks).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class StepBudget:
    """How many solver steps fit in one frame: a running estimate of the cost of one step.

    Parameters
    ----------
    fps : frames per second of the loop (the frame period is 1 / fps seconds).
    fill : fraction of the frame period given to the solver (the rest: observables, drawing, messages).
    max_steps : upper bound of steps in one frame.
    """

    def __init__(self, fps: float = 20.0, fill: float = 0.5, max_steps: int = 200) -> None:
        if not 1 <= fps <= 60:
            raise ValueError(f"fps must be in [1, 60], got {fps}")
        if not 0 < fill <= 1:
            raise ValueError(f"fill must be in (0, 1], got {fill}")
        self.fps, self.fill, self.max_steps = float(fps), float(fill), int(max_steps)
        self.cost: float | None = None   # seconds per step (exponential moving average)

    @property
    def budget(self) -> float:
        """Seconds of solver time allowed per frame."""
        return self.fill / self.fps

    def steps(self, wanted: int) -> int:
        """Steps to take this frame: `wanted`, capped by the budget, at least 1 (0 if wanted is 0)."""
        if wanted <= 0:
            return 0
        if self.cost is None:
            return 1
        fit = int(self.budget / max(self.cost, 1e-7))
        return max(1, min(wanted, fit, self.max_steps))

    def record(self, steps: int, seconds: float) -> None:
        """Update the cost estimate after `steps` steps took `seconds`."""
        if steps <= 0:
            return
        c = seconds / steps
        self.cost = c if self.cost is None else 0.7 * self.cost + 0.3 * c


class FrameLoop:
    """Call frame() about fps times per second from ONE asyncio task until stop().

    The task sleeps at least min_sleep seconds between frames, so the event loop always gets a turn
    (the kernel handles widget messages there) and the front end is never flooded.
    """

    def __init__(self, frame: Callable[[], object], fps: float = 20.0, min_sleep: float = 0.01) -> None:
        if not 1 <= fps <= 60:
            raise ValueError(f"fps must be in [1, 60], got {fps}")
        self.frame = frame
        self.fps = float(fps)
        self.min_sleep = float(min_sleep)
        self.frames = 0
        self.error: BaseException | None = None
        self._task: asyncio.Task | None = None
        self._running = False

    @property
    def running(self) -> bool:
        """True while the task is scheduled and not finished."""
        return self._task is not None and not self._task.done()

    @property
    def task(self) -> asyncio.Task | None:
        return self._task

    def start(self) -> None:
        """Start the task on the current event loop (the kernel's loop in Jupyter); no-op if running."""
        if self.running:
            self._running = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        self._running = True
        self._task = loop.create_task(self._run())

    def stop(self) -> None:
        """Ask the task to end and cancel its sleep; safe to call many times."""
        self._running = False
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _run(self) -> None:
        period = 1.0 / self.fps
        try:
            while self._running:
                t0 = time.perf_counter()
                try:
                    self.frame()
                except Exception as exc:  # the app decides; the loop must not die silently
                    self.error = exc
                    self._running = False
                    break
                self.frames += 1
                await asyncio.sleep(max(self.min_sleep, period - (time.perf_counter() - t0)))
        except asyncio.CancelledError:
            pass
        finally:
            self._running = False
