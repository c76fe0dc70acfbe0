"""Equiangular reduction (docs/theory.md §6): rho(t) (and r(t) for Pre-/Peri-/Mix-LN) for every variant.

If all pairwise inner products equal rho and all radii are equal, this persists, and

    drho/dt = 2 s b (1 - rho)(1 + (n - 1) rho)

with b the off-diagonal attention weight and s the variant's speed factor. We integrate
u = log(1 - rho) (du/dt = -2 s b (1 + (n-1) rho)), which keeps full relative precision of 1 - rho
down to 1e-300, so late-time rates are exact.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ..config import MAX_EXP_ARG
from ..dynamics import _validate as v
from ..dynamics.field import check_model
from ..errors import ParameterError, SimulationError
from ..params import PARAMS

VARIANTS = {
    "sa": "SA", "post": "SA", "post-ln": "SA", "usa": "USA",
    "pre": "pre", "pre-ln": "pre", "peri": "peri", "peri-ln": "peri",
    "mix": "mix", "mix-ln": "mix", "ngpt": "ngpt",
}
#: variants with a radius ODE (residual stream leaves the sphere)
WITH_RADIUS = ("pre", "peri", "mix")


def _check_weights_args(beta, n, rho, kind):
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    n = v.integer("n", n, low=1)
    rho = v.array("rho", rho)
    if np.any(np.abs(rho) > 1.0):
        raise ParameterError("rho must lie in [-1, 1] (an inner product of unit vectors)")
    return beta, n, rho, kind


def weights(beta: float, n: int, rho, kind: str = "SA"):
    """Diagonal and off-diagonal attention weights (a, b) at inner product rho (overflow-safe).

    SA: a = e^beta / Z, b = e^{beta rho} / Z, Z = e^beta + (n-1) e^{beta rho}.
    USA: a = e^beta / n, b = e^{beta rho} / n. beta >= 0 (USA <= 700), n >= 1, rho in [-1, 1].
    """
    return _weights(*_check_weights_args(beta, n, rho, kind))


def _weights(beta, n, rho, kind):
    rho = np.asarray(rho, dtype=float)
    if kind == "USA":
        return np.exp(beta) / n + 0 * rho, np.exp(beta * rho) / n
    g = np.exp(-beta * (1.0 - rho))             # b / a, never overflows
    b = g / (1.0 + (n - 1) * g)
    a = 1.0 / (1.0 + (n - 1) * g)
    return a, b


def attention_stats(beta: float, n: int, rho, kind: str = "SA"):
    """(a, b, c, q): c = <x_i, attn_i> = a + (n-1) b rho, q = |attn_i| (docs/theory.md §6)."""
    return _attention_stats(*_check_weights_args(beta, n, rho, kind))


def _attention_stats(beta, n, rho, kind):
    a, b = _weights(beta, n, rho, kind)
    c = a + (n - 1) * b * rho
    q2 = a * a + 2 * a * b * (n - 1) * rho + b * b * (n - 1) * (1 + (n - 2) * rho)
    return a, b, c, np.sqrt(np.maximum(q2, 0.0))


def _rhs(variant, beta, n, kind, alpha, switch):
    def f(t, y):
        u = y[0]
        one_minus = np.exp(u)
        rho = 1.0 - one_minus
        a, b, c, q = _attention_stats(beta, n, rho, kind)
        var = variant
        if var == "mix":
            var = "SA" if t < switch else "pre"
        r = y[1] if len(y) > 1 else 1.0
        if var in ("SA", "USA"):
            s, dr = 1.0, 0.0
        elif var == "ngpt":
            s, dr = alpha / q, 0.0
        elif var == "pre":
            s, dr = 1.0 / r, c
        else:  # peri
            s, dr = 1.0 / (r * q), c / q
        du = -2.0 * s * b * (1.0 + (n - 1) * rho)
        if variant == "mix" and t < switch:
            dr = 0.0
        return [du, dr] if len(y) > 1 else [du]
    return f


def solve(variant: str, beta: float, n: int, rho0: float, t, alpha: float = 1.0, kind: str | None = None,
          mix_switch: float = 1.0, r0: float = 1.0, return_radius: bool = False, rtol: float = 1e-12):
    """rho(t) of the equiangular reduction at the times t (1-D, increasing, >= 0).

    Parameters
    ----------
    variant : "SA" (= Post-LN) | "USA" | "pre" | "peri" | "mix" | "ngpt"
    beta : float >= 0;  n : int >= 1;  rho0 : float in (-1/(n-1), 1)
    alpha : nGPT step;  kind : attention weights of the LN variants, "SA" (default) or "USA"
    mix_switch : Mix-LN switch time (Post-LN before, Pre-LN after, r = 1 at the switch)
    return_radius : also return r(t) (ones for the on-sphere variants)

    Returns rho (T,) [and r (T,)].
    """
    u, r = _integrate(variant, beta, n, rho0, t, alpha, kind, mix_switch, r0, rtol)
    rho = -np.expm1(u)
    if return_radius:
        return rho, (np.ones_like(rho) if r is None else r)
    return rho


def one_minus_rho(variant: str, beta: float, n: int, rho0: float, t, alpha: float = 1.0, kind: str | None = None,
                  mix_switch: float = 1.0, r0: float = 1.0, rtol: float = 1e-12) -> np.ndarray:
    """1 - rho(t) with full relative precision (same arguments as solve): exp(u), u = log(1 - rho) integrated."""
    return np.exp(_integrate(variant, beta, n, rho0, t, alpha, kind, mix_switch, r0, rtol)[0])


def _integrate(variant, beta, n, rho0, t, alpha, kind, mix_switch, r0, rtol):
    """Validate, then integrate (u = log(1 - rho), r) at the times t: returns u (T,), r (T,) or None."""
    variant = v.choice("variant", variant, VARIANTS)
    beta = v.real("beta", beta, low=0.0, high=MAX_EXP_ARG["float64"])
    n = v.integer("n", n, low=1)
    low = -1.0 / (n - 1) if n > 1 else -1.0
    rho0 = v.real("rho0", rho0, low=low, high=1.0, low_open=True, high_open=True)
    alpha = v.real("alpha", alpha, low=0.0, low_open=True)
    mix_switch = v.real("mix_switch", mix_switch, low=0.0)
    r0 = v.real("r0", r0, low=0.0, low_open=True)
    if kind is None:
        kind = "USA" if variant == "USA" else "SA"
    kind = PARAMS["kind"].check(kind)
    rtol = v.real("rtol", rtol, low=1e-14, high=1e-2)
    ts = np.atleast_1d(v.array("t", t, finite=False))
    if ts.ndim != 1 or not np.all(np.isfinite(ts)) or np.any(ts < 0) or np.any(np.diff(ts) < 0):
        raise ParameterError("t must be a finite, non-decreasing 1-D array of times >= 0")
    radius = variant in WITH_RADIUS
    y0 = [np.log1p(-rho0)] + ([r0] if radius else [])
    f = _rhs(variant, beta, n, kind, alpha, mix_switch)
    t_end = float(ts[-1]) if ts.size else 0.0
    if t_end == 0.0:
        sol_y = np.tile(np.array(y0)[:, None], (1, ts.size))
    else:
        # the u-equation has bounded rate (2 e^beta for USA): an implicit method handles the stiff USA case
        method = "Radau" if kind == "USA" and beta > 3 else "DOP853"
        pieces = [(0.0, t_end)]
        if variant == "mix" and 0.0 < mix_switch < t_end:
            pieces = [(0.0, mix_switch), (mix_switch, t_end)]
        sol_y = np.empty((len(y0), ts.size))
        y = np.array(y0, dtype=float)
        for lo, hi in pieces:
            with np.errstate(over="ignore", invalid="ignore"):
                try:
                    res = solve_ivp(f, (lo, hi), y, method=method, rtol=rtol, atol=1e-14, dense_output=True)
                    ok = res.success and np.all(np.isfinite(res.y))
                except ValueError:             # scipy: "array must not contain infs or NaNs"
                    ok = False
            if not ok:
                fast = "the USA rate 2 e^beta" if kind == "USA" else "the collapse rate"
                raise SimulationError(
                    f"the equiangular ODE ({variant}, beta = {beta:g}, n = {n}) could not be integrated to t = {hi:g}: "
                    f"{fast} changes by orders of magnitude along the way; lower beta, use a shorter t, or kind='SA'")
            sel = (ts >= lo) & (ts <= hi)
            if sel.any():                       # a piece may hold none of the requested times
                sol_y[:, sel] = res.sol(ts[sel])
            y = res.y[:, -1]
    return sol_y[0], (sol_y[1] if radius else None)


def late_rate(variant: str, beta: float = 1.0, alpha: float = 1.0) -> float:
    """Exact late-time rate -d/dt log(1 - rho) as rho -> 1: 2 (SA/Post-LN), 2 e^beta (USA), 2 alpha (nGPT).

    Pre-, Peri- and Mix-LN decay polynomially (1 - rho ~ C t^-2); for those this raises ValueError.
    """
    variant = v.choice("variant", variant, VARIANTS)
    beta = v.real("beta", beta, low=0.0, high=MAX_EXP_ARG["float64"])
    alpha = v.real("alpha", alpha, low=0.0, low_open=True)
    if variant == "SA":
        return 2.0
    if variant == "USA":
        return 2.0 * float(np.exp(beta))
    if variant == "ngpt":
        return 2.0 * alpha
    raise ParameterError(f"variant {variant!r} collapses polynomially (1 - rho ~ t^-2): no exponential rate")


def sa_rhs(rho, beta: float, n: int):
    """The SA right-hand side written out: 2 e^{beta rho}(1 - rho)((n-1) rho + 1) / (e^beta + (n-1) e^{beta rho})."""
    beta, n, rho, _ = _check_weights_args(beta, n, rho, "SA")
    a, b = _weights(beta, n, rho, "SA")
    return 2.0 * b * (1.0 - rho) * ((n - 1) * rho + 1.0)


def logistic(rho0: float, t) -> np.ndarray:
    """Large-n SA limit: rho(t) = rho0 e^{2t} / (1 - rho0 + rho0 e^{2t})."""
    rho0 = v.real("rho0", rho0, low=0.0, high=1.0, high_open=True)
    tt = v.array("t", t)
    if rho0 == 0.0:
        return np.zeros_like(tt)
    with np.errstate(over="ignore", under="ignore"):
        return rho0 / (rho0 + (1.0 - rho0) * np.exp(-2.0 * tt))     # = rho0 e^2t / (1 - rho0 + rho0 e^2t)


def start(n: int, rho0: float, d: int | None = None, seed: int | None = None, dtype: str = "float64") -> np.ndarray:
    """The matching exactly-equiangular particle start (n, d) (see initial.equiangular)."""
    from ..dynamics.initial import equiangular

    return equiangular(n, rho0, d=d, seed=seed, dtype=dtype)


def detect_rho0(x, tol: float = 1e-9) -> float | None:
    """The common inner product rho0 of the directions of x (n, d) if every pair has it (spread <= tol) and
    -1/(n-1) < rho0 < 1, else None (also for n < 3, where any configuration is equiangular)."""
    tol = v.real("tol", tol, low=0.0)
    u = v.points("x", x, unit=False, dtype_name="float64")
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    n = u.shape[0]
    if n < 3:
        return None
    off = (u @ u.T)[~np.eye(n, dtype=bool)]
    if off.max() - off.min() > tol:
        return None
    rho0 = float(off.mean())
    return rho0 if -1.0 / (n - 1) < rho0 < 1.0 else None


def curve_for(model, x0, t) -> np.ndarray | None:
    """rho(t) (T,) of the equiangular reduction for a particle run of `model` (an Attention) from x0 (n, d) at
    the times t (T,), or None when it does not apply: x0 not equiangular, Q, K, V not the identity, or noise."""
    check_model(model)
    if not model.identity or model.noise > 0:
        return None
    rho0 = detect_rho0(x0)
    if rho0 is None:
        return None
    variant = model.kind if model.norm == "post" else model.norm
    return solve(variant, model.beta, np.asarray(x0).shape[0], rho0, np.asarray(t, dtype=float),
                 alpha=model.alpha, kind=model.kind, mix_switch=model.mix_switch)
