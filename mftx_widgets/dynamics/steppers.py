"""Time steppers as small classes, each with its order: Euler (1), RK4 (4), SSP-RK3 (3), Euler-Maruyama (strong 1/2),
and the embedded pairs Dormand-Prince 5(4) and Bogacki-Shampine 3(2) (an error estimate with every step).

A stepper advances dx/dt = f(x, t) by one step of size h, in place, on any floating array x:

    stepper.step(f, x, t, h)        # x <- x(t + h)

The right-hand side is called as f(y, s, out) and returns dx/dt at (y, s): either `out` filled in place (the
particle solver's velocity kernels; then a step allocates nothing) or a new array (copied into `out`). The
work buffers are made on the first step and reused while x keeps its shape and dtype. `k1`, when given, is
f(x, t) already evaluated by the caller (a solver that picks h from the first stage, e.g. a CFL condition).

An embedded pair also has `trial(f, x, t, h, k1)`: the step's result and its local error estimate in work buffers,
x untouched (the adaptive driver, dynamics/adaptive.py, accepts or rejects it).

STEPPERS maps the `method` names of the parameter table (mftx_widgets.params, row "method") to the classes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ParameterError

#: right-hand side f(y, s, out) -> dx/dt (out filled in place, or a new array).
RHS = Callable[[np.ndarray, float, np.ndarray], np.ndarray]


class Stepper:
    """Base class: `order` is the convergence order of the global error, `stages` the f evaluations per step."""

    order: float = 0
    stages: int = 0
    nbuf: int = 0
    #: largest h * rate on the negative real axis for which the step is stable (linear stability; advice only).
    stability: float = 0.0

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
    stability = 2.0

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
    stability = 2.78

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
    stability = 2.51

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
    stability = 2.0

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


class EmbeddedRK(Stepper):
    """An explicit Runge-Kutta pair given by its Butcher tableau (C, A, B) and error weights E (s + 1 of them: the
    last multiplies f(x_new), first-same-as-last). `order` is the order of the propagated solution (local
    extrapolation), `error_order` that of the embedded one the error estimate h sum_i E_i k_i belongs to.
    Work: s + 1 stage buffers, x_new, err, one temporary; no allocation after the first step."""

    C: tuple = ()
    A: tuple = ()
    B: tuple = ()
    E: tuple = ()
    error_order: int = 0

    @property
    def nbuf(self) -> int:  # type: ignore[override]
        return self.stages + 5

    def trial(self, f: RHS, x: np.ndarray, t: float, h: float,
              k1: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One trial step from (x, t) of size h, x untouched.

        Returns (x_new, err, k_last): views of work buffers valid until the next call. err is the local error
        estimate (x_new minus the embedded solution), k_last = f(x_new, t + h) (the next step's k1 if accepted).
        """
        b = self._work(x)
        s = self.stages
        K, xnew, err, tmp, scratch = b[:s + 1], b[s + 1], b[s + 2], b[s + 3], b[s + 4]
        hh = x.dtype.type(h)

        def combine(out: np.ndarray, start: np.ndarray | None, weights) -> np.ndarray:
            # out <- start + h sum_j w_j K_j (start None: 0), through `scratch`: no temporaries
            if start is None:
                out.fill(0)
            else:
                np.copyto(out, start)
            for j, w in enumerate(weights):
                if w:
                    np.multiply(K[j], hh * x.dtype.type(w), out=scratch)
                    out += scratch
            return out

        self._first(f, x, t, k1, K[0])
        for i in range(1, s):
            self._eval(f, combine(tmp, x, self.A[i]), t + self.C[i] * h, K[i])
        combine(xnew, x, self.B)
        self._eval(f, xnew, t + h, K[s])
        combine(err, None, self.E)
        return xnew, err, K[s]

    def step(self, f: RHS, x: np.ndarray, t: float, h: float, k1: np.ndarray | None = None) -> np.ndarray:
        """Advance x (in place) by the propagated solution of one step (fixed-step use; no error control)."""
        xnew, _, _ = self.trial(f, x, t, h, k1)
        np.copyto(x, xnew)
        return x


class DOPRI5(EmbeddedRK):
    """Dormand-Prince 5(4) (the pair of scipy's RK45 and MATLAB's ode45): 6 stages plus f(x_new), reused as the
    next k1 (FSAL). Order 5, error estimate of order 4; stable for h * rate <= 3.3 on the negative real axis."""

    order = 5
    error_order = 4
    stages = 6
    stability = 3.3
    C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0)
    A = ((),
         (1 / 5,),
         (3 / 40, 9 / 40),
         (44 / 45, -56 / 15, 32 / 9),
         (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
         (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656))
    B = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84)
    E = (-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40)


class BS3(EmbeddedRK):
    """Bogacki-Shampine 3(2) (scipy's RK23): 3 stages plus f(x_new) (FSAL). Order 3, error estimate of order 2;
    stable for h * rate <= 2.5 on the negative real axis. Cheaper per step; for loose tolerances."""

    order = 3
    error_order = 2
    stages = 3
    stability = 2.5
    C = (0.0, 1 / 2, 3 / 4)
    A = ((), (1 / 2,), (0.0, 3 / 4))
    B = (2 / 9, 1 / 3, 4 / 9)
    E = (5 / 72, -1 / 12, -1 / 9, 1 / 8)


#: the `method` names of the parameter table -> stepper classes.
STEPPERS: dict[str, type[Stepper]] = {"dopri5": DOPRI5, "bs3": BS3, "rk4": RK4, "euler": Euler,
                                      "em": EulerMaruyama}
#: the methods that control their error (the others take fixed steps of dt).
ADAPTIVE = ("dopri5", "bs3")


def fixed_steps(stepper: Stepper, f: RHS, x0, dt: float, steps: int,
                save_every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """`steps` steps of size dt from x0 at t = 0, saving x0, every save_every-th state and the last.

    x0: a floating array (copied). Returns t (T,) and x (T, *x0.shape).
    """
    x = np.array(x0)
    if not np.issubdtype(x.dtype, np.inexact):
        raise ParameterError(f"x0 must be a floating array, got dtype {x.dtype}")
    ts, out = [0.0], [x.copy()]
    for s in range(1, steps + 1):
        stepper.step(f, x, (s - 1) * dt, dt)
        if s % save_every == 0 or s == steps:
            ts.append(s * dt)
            out.append(x.copy())
    return np.asarray(ts), np.stack(out)
