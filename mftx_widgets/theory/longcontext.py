"""Long context: beta_n = gamma log n (docs/theory.md §7 and 10).

With e^beta = n^gamma the equiangular SA equation of section 6 reads

    drho/dt = 2 rho (1 - rho) / (1 + n^{gamma (1 - rho) - 1}) + O(1/n),

so tokens at cosine rho0 cluster in O(1) time when gamma < gamma_c = 1 / (1 - rho0) and are frozen (time to move
~ n^{gamma (1 - rho0) - 1} / log n) when gamma > gamma_c. One attention layer on an equiangular input is exact at
finite n (section 10): ATT(x_i) = a x_i + b sum_{j != i} x_j, and its output directions are again equiangular.

Notes: [CLPR-LC] Chen, Lin, Polyanskiy, Rigollet, arXiv 2510.05554; [R] Rigollet, arXiv 2512.01868.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad

from ..config import MAX_EXP_ARG
from ..dynamics import _validate as v
from ..dynamics import initial
from ..dynamics.field import attention_output
from ..dynamics.models import Attention
from ..errors import ParameterError
from ..params import PARAMS
from . import equiangular as eq


def _n(n, low: float = 2.0) -> float:
    """n as a float >= low (n up to 1e12 and beyond is allowed; it enters only through formulas)."""
    val = v.real("n", n, low=low)
    return val


def beta_n(gamma: float, n: float) -> float:
    """Inverse temperature of the long-context scaling: beta = gamma log n (gamma >= 0, n >= 1)."""
    gamma = v.real("gamma", gamma, low=0.0)
    n = _n(n, low=1.0)
    return gamma * math.log(n)


def critical_gamma(rho0: float) -> float:
    """gamma_c = 1 / (1 - rho0): the long-context threshold for tokens at cosine rho0 in [-1, 1)."""
    rho0 = v.real("rho0", rho0, low=-1.0, high=1.0, high_open=True)
    return 1.0 / (1.0 - rho0)


def _check_rho(name: str, rho: float, n: float) -> float:
    low = -1.0 / (n - 1.0) if n > 1 else -1.0
    return v.real(name, rho, low=low, high=1.0, low_open=True, high_open=True)


def rhs(rho, gamma: float, n: float, kind: str = "SA"):
    """drho/dt of the equiangular ODE at beta = gamma log n (array-valued in rho; docs/theory.md §6).

    SA: 2 b (1 - rho)(1 + (n-1) rho) with b = g / (1 + (n-1) g), g = n^{-gamma (1 - rho)};
    USA: 2 n^{gamma rho - 1} (1 - rho)(1 + (n-1) rho).
    """
    kind = PARAMS["kind"].check(kind)
    beta = beta_n(gamma, n)
    n = float(n)
    r = v.array("rho", rho)
    if np.any(np.abs(r) > 1.0):
        raise ParameterError("rho must lie in [-1, 1] (a cosine)")
    if kind == "SA":
        g = np.exp(-beta * (1.0 - r))
        b = g / (1.0 + (n - 1.0) * g)
    else:
        b = np.exp(beta * r - math.log(n))
    return 2.0 * b * (1.0 - r) * (1.0 + (n - 1.0) * r)


def time_to_reach(rho_target: float, gamma: float, n: float, rho0: float, kind: str = "SA") -> float:
    """Time for the equiangular cosine to go from rho0 to rho_target at beta = gamma log n.

    Exact quadrature t = int_{rho0}^{rho_target} drho / rhs(rho). For SA, 1/rhs splits as
    e^{beta(1-rho)} / (2 (1-rho)(1+(n-1)rho)) + (n-1) / (2 (1-rho)(1+(n-1)rho)); the second part is integrated in
    closed form ((n-1)/(2n) log((1+(n-1)rho)/(1-rho))), the first by adaptive quadrature with the factor
    e^{beta(1-rho0)} taken out. n may be a float up to ~1e300; beta = gamma log n must be <= config.MAX_EXP_ARG (700).

    Parameters
    ----------
    rho_target : float in [rho0, 1);  gamma : float >= 0;  n : float >= 2;  rho0 : float in (-1/(n-1), 1)
    kind : "SA" | "USA"

    Returns the time (float, time units of docs/theory.md).
    """
    kind = PARAMS["kind"].check(kind)
    n = _n(n)
    beta = beta_n(gamma, n)
    if beta > MAX_EXP_ARG["float64"]:
        raise ParameterError(f"gamma log n must be <= {MAX_EXP_ARG['float64']:g} (exp overflow), got {beta:g}")
    rho0 = _check_rho("rho0", rho0, n)
    rho1 = v.real("rho_target", rho_target, low=rho0, high=1.0, high_open=True)
    if rho1 == rho0:
        return 0.0
    # breakpoints where the integrand changes scale: 1/beta (exponential) and 1/n (the 1 + (n-1) rho factor)
    pts = sorted({p for s in (1.0 / max(beta, 1e-300), 1.0 / n) for p in (rho0 + s * f for f in (1, 4, 16, 64))
                  if rho0 < p < rho1})

    def integrate(f):
        val, _ = quad(f, rho0, rho1, points=pts or None, limit=400, epsabs=0.0, epsrel=1e-12)
        return val

    def den(r):
        return 2.0 * (1.0 - r) * (1.0 + (n - 1.0) * r)

    if kind == "SA":
        # 1/rhs = (e^{beta(1-rho)} + (n-1)) / den(rho)
        head = integrate(lambda r: math.exp(-beta * (r - rho0)) / den(r))
        tail = (n - 1.0) / (2.0 * n) * (math.log1p((n - 1.0) * rho1) - math.log1p((n - 1.0) * rho0)
                                        - math.log1p(-rho1) + math.log1p(-rho0))
        return math.exp(beta * (1.0 - rho0)) * head + tail
    # USA: 1/rhs = n e^{-beta rho} / den(rho)
    head = integrate(lambda r: math.exp(-beta * (r - rho0)) / den(r))
    return n * math.exp(-beta * rho0) * head


def frozen_time_asymptotic(rho_target: float, gamma: float, n: float, rho0: float) -> float:
    """Large-n SA time to move when gamma > gamma_c (derived from section 7 by Laplace's method at rho0):

        t ~ n^{gamma (1 - rho0) - 1} / (2 rho0 (1 - rho0) gamma log n),  relative error O(1 / (gamma log n)).

    Requires 0 < rho0 < rho_target < 1 and gamma > 1 / (1 - rho0).
    """
    rho0 = v.real("rho0", rho0, low=0.0, high=1.0, low_open=True, high_open=True)
    v.real("rho_target", rho_target, low=rho0, high=1.0, low_open=True, high_open=True)
    gamma = v.real("gamma", gamma, low=1.0 / (1.0 - rho0), low_open=True)
    n = _n(n)
    beta = gamma * math.log(n)
    return math.exp(beta * (1.0 - rho0) - math.log(n)) / (2.0 * rho0 * (1.0 - rho0) * beta)


def solve(gamma: float, n: float, rho0: float, t, kind: str = "SA") -> np.ndarray:
    """rho(t) (T,) of the equiangular ODE at beta = gamma log n (mw.equiangular.solve; n an integer here)."""
    n = v.integer("n", n, low=2)
    beta = beta_n(gamma, n)
    return eq.solve("SA" if kind.upper() == "SA" else "USA", beta, n, rho0, t)


# ---- one attention layer at long context (docs/theory.md §10, F16) ------------------------------------------

def one_layer_cosine(rho, gamma: float, n) -> np.ndarray | float:
    """Exact cosine between the output directions of one SA layer on equiangular unit inputs at cosine rho.

    With beta = gamma log n and g = b/a = e^{beta (rho - 1)} (never overflows), dividing by a^2:

        |ATT|^2 / a^2 = 1 + 2 g (n-1) rho + g^2 ((n-1) + (n-1)(n-2) rho),
        1 - cos = (1 - rho)(1 - g)^2 / (|ATT|^2 / a^2)      (since ATT_i - ATT_j = (a - b)(x_i - x_j)),

    which equals the ratio <ATT_i, ATT_j> / |ATT|^2 of section 10 and keeps 1 - cos accurate near 1.
    rho and n broadcast (n real >= 2, up to 1e12 and beyond; rho = 1 is the fixed point); returns a float for
    scalar inputs.
    """
    gamma = v.real("gamma", gamma, low=0.0)
    r = v.array("rho", rho, finite=False)
    nn = v.array("n", n, finite=False)
    if not np.all(np.isfinite(nn)) or np.any(nn < 2):
        raise ParameterError(f"n must be finite and >= 2, got {n!r}")
    if not np.all(np.isfinite(r)) or np.any(r > 1.0) or np.any(r <= -1.0 / (nn - 1.0)):
        raise ParameterError(f"rho must lie in (-1/(n-1), 1], got {rho!r}")
    g = np.exp(gamma * np.log(nn) * (r - 1.0))
    norm2 = 1.0 + 2.0 * g * (nn - 1.0) * r + g * g * ((nn - 1.0) + (nn - 1.0) * (nn - 2.0) * r)
    out = 1.0 - (1.0 - r) * (1.0 - g) ** 2 / norm2
    return float(out) if out.ndim == 0 else out


def one_layer_limit(rho: float, gamma: float) -> float:
    """n -> infinity limit of one_layer_cosine: 1 (gamma < gamma_c), 4 rho / (1 + 3 rho) (gamma = gamma_c), rho.

    gamma_c = 1 / (1 - rho); equality is tested with relative tolerance 1e-12. rho in [0, 1).
    """
    rho = v.real("rho", rho, low=0.0, high=1.0, high_open=True)
    gamma = v.real("gamma", gamma, low=0.0)
    gc = 1.0 / (1.0 - rho)
    if math.isclose(gamma, gc, rel_tol=1e-12):
        return 4.0 * rho / (1.0 + 3.0 * rho)
    return 1.0 if gamma < gc else rho


def repeated_layers(rho: float, gamma: float, n, layers: int) -> np.ndarray:
    """Cosines (layers + 1,) after 0, 1, ..., layers SA layers at beta = gamma log n (outputs stay equiangular)."""
    layers = v.integer("layers", layers, low=0)
    out = [float(v.real("rho", rho))]
    for _ in range(layers):
        out.append(float(one_layer_cosine(out[-1], gamma, n)))
    return np.asarray(out)


def one_layer_particles(rho: float, gamma: float, n: int, d: int | None = None, seed: int | None = None
                        ) -> np.ndarray:
    """Particle check of one_layer_cosine: Gram matrix (n, n) of the output directions ATT(x_i) / |ATT(x_i)|.

    Builds the exactly equiangular start (d >= n, default d = n) with mw.initial.equiangular and applies one SA
    layer with mw.dynamics.attention_output at beta = gamma log n. Cost O(n^2 d): keep n <= 2000.
    """
    n = v.integer("n", n, low=2)
    x = initial.equiangular(n, rho, d=d, seed=seed)
    model = Attention(beta=beta_n(gamma, n), kind="SA")
    out = attention_output(model, x)
    u = out / np.linalg.norm(out, axis=1, keepdims=True)
    return u @ u.T
