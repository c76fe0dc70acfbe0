"""Time steppers as small classes, each with its order: Euler (1), RK4 (4), SSP-RK3 (3), Euler-Maruyama (strong 1/2).

A stepper advances dx/dt = f(x, t) by one step of size h, in place, on any floating array x:

    stepper.step(f, x, t, h)        # x <- x(t + h)

The right-hand side is called as f(y, s, out) and returns dx/dt at (y, s): either `out` filled in place (the
particle solver's velocity kernels; then a step allocates nothing) or a new array (copied into `out`). The
work buffers are made on the first step and reused while x keeps its shape and dtype. `k1`, when given, is
f(x, t) already evaluated by the caller (a solver that picks h from the first stage, e.g. a CFL condition).

STEPPERS maps the `method` names of the parameter table (mftx_widgets.params, row "method") to the classes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: right-hand side f(y, s, out) -> dx/dt (out filled in place, or a new array).
RHS = Callable[[np.ndarray, float, np.ndarray], np.ndarray]


class Stepper:
    """Base class: `order` is the convergence order of the global error, `stages` the f evaluations per step."""

    order: float = 0
    stages: int = 0
    nbuf: int = 0

    def __init__(self) -> None:
        self._bufs: tuple[np.ndarray, ...] = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _work(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        b = self._bufs
        if not b or b[0].shape != x.shape or b[0].dtype != x.dtype:
            b = self._bufs = tuple(np.empty_like(x) for _ in range(self.nbuf))
        return b

    @staticmethod
    def _eval(f: RHS, y: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        r = f(y, t, out)
        if r is not out:
            out[...] = r
        return out

    def _first(self, f: RHS, x: np.ndarray, t: float, k1: np.ndarray | None, out: np.ndarray) -> np.ndarray:
        if k1 is None:
            return self._eval(f, x, t, out)
        np.copyto(out, k1)
        return out

    def step(self, f: RHS, x: np.ndarray, t: float, h: float, k1: np.ndarray | None = None) -> np.ndarray:
        """Advance x (in place) from t to t + h; returns x."""
        raise NotImplementedError


class Euler(Stepper):
    """x <- x + h f(x, t). Order 1."""

    order = 1
    stages = 1
    nbuf = 1

    def step(self, f: RHS, x: np.ndarray, t: float, h: float, k1: np.ndarray | None = None) -> np.ndarray:
        (b1,) = self._work(x)
        k = self._first(f, x, t, k1, b1)
        k *= x.dtype.type(h)
        x += k
        return x


class RK4(Stepper):
    """Classical Runge-Kutta: k1 = f(x, t), k2 = f(x + h/2 k1, t + h/2), k3 = f(x + h/2 k2, t + h/2),
    k4 = f(x + h k3, t + h); x <- x + h/6 (k1 + 2 (k2 + k3) + k4). Order 4; five buffers, no allocation."""

    order = 4
    stages = 4
    nbuf = 5

    def step(self, f: RHS, x: np.ndarray, t: float, h: float, k1: np.ndarray | None = None) -> np.ndarray:
        b1, k2, k3, k4, tmp = self._work(x)
        hh = x.dtype.type(h)
        k1 = self._first(f, x, t, k1, b1)
        np.multiply(k1, hh / 2, out=tmp)
        tmp += x
        self._eval(f, tmp, t + h / 2, k2)
        np.multiply(k2, hh / 2, out=tmp)
        tmp += x
        self._eval(f, tmp, t + h / 2, k3)
        np.multiply(k3, hh, out=tmp)
        tmp += x
        self._eval(f, tmp, t + h, k4)
        k2 += k3
        k2 *= 2
        k1 += k2
        k1 += k4
        k1 *= hh / 6
        x += k1
        return x


class SSPRK3(Stepper):
    """Strong-stability-preserving RK3 (Shu-Osher): u1 = x + h f(x), u2 = 3/4 x + 1/4 (u1 + h f(u1)),
    x <- 1/3 x + 2/3 (u2 + h f(u2)). Order 3; keeps the positivity of a first-order upwind scheme."""

    order = 3
    stages = 3
    nbuf = 3

    def step(self, f: RHS, x: np.ndarray, t: float, h: float, k1: np.ndarray | None = None) -> np.ndarray:
        u1, u2, tmp = self._work(x)
        hh = x.dtype.type(h)
        k = self._first(f, x, t, k1, tmp)
        np.multiply(k, hh, out=u1)
        u1 += x
        self._eval(f, u1, t + h, tmp)
        tmp *= hh
        tmp += u1
        tmp *= 0.25
        np.multiply(x, 0.75, out=u2)
        u2 += tmp
        self._eval(f, u2, t + h / 2, tmp)
        tmp *= hh
        tmp += u2
        tmp *= 2.0 / 3.0
        x /= 3.0
        x += tmp
        return x


class EulerMaruyama(Stepper):
    """dx = f(x, t) dt + noise: x <- x + h f(x, t) + g(x0, t, h, xi), xi standard normals of x's shape drawn
    from `rng`, x0 the state at the step's start. g returns the increment (e.g. sigma(x0) sqrt(h) xi).
    Strong order 1/2; without g it is Euler (order 1) and draws nothing."""

    order = 0.5
    stages = 1
    nbuf = 2

    def __init__(self, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.rng = np.random.default_rng() if rng is None else rng

    def __repr__(self) -> str:
        return f"EulerMaruyama(rng={self.rng!r})"

    def step(self, f: RHS, x: np.ndarray, t: float, h: float, k1: np.ndarray | None = None,
             g: Callable[[np.ndarray, float, float, np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        b1, x0 = self._work(x)
        if g is not None:
            np.copyto(x0, x)
        k = self._first(f, x, t, k1, b1)
        k *= x.dtype.type(h)
        x += k
        if g is not None:
            xi = self.rng.standard_normal(x.shape).astype(x.dtype, copy=False)
            x += g(x0, t, h, xi)
        return x


#: the `method` names of the parameter table -> stepper classes.
STEPPERS: dict[str, type[Stepper]] = {"rk4": RK4, "euler": Euler, "em": EulerMaruyama}


def fixed_steps(stepper: Stepper, f: RHS, x0, dt: float, steps: int,
                save_every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """`steps` steps of size dt from x0 at t = 0, saving x0, every save_every-th state and the last.

    x0: a floating array (copied). Returns t (T,) and x (T, *x0.shape).
    """
    x = np.array(x0)
    if not np.issubdtype(x.dtype, np.inexact):
        raise ValueError(f"x0 must be a floating array, got dtype {x.dtype}")
    ts, out = [0.0], [x.copy()]
    for s in range(1, steps + 1):
        stepper.step(f, x, (s - 1) * dt, dt)
        if s % save_every == 0 or s == steps:
            ts.append(s * dt)
            out.append(x.copy())
    return np.asarray(ts), np.stack(out)
