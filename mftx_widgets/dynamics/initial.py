"""Initial token configurations: (n, d) float arrays with unit rows, reproducible from a seed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

import numpy as np

from ..errors import ParameterError
from ..params import PARAMS
from . import _validate as v


def _nd(n, d, min_d: int = 2) -> tuple[int, int]:
    return v.integer("n", n, low=1), v.integer("d", d, low=min_d)


def _unit(x: np.ndarray, dtype: str) -> np.ndarray:
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x, dtype=v.dtype(dtype))


def uniform(n: int, d: int, seed: int | None = 0, dtype: str = "float64") -> np.ndarray:
    """n iid uniform points on S^{d-1} (normalised Gaussians), shape (n, d)."""
    n, d = _nd(n, d)
    g = np.random.default_rng(v.seed(seed)).standard_normal((n, d))
    return _unit(g, dtype)


def hemisphere(n: int, d: int, seed: int | None = 0, axis=None, dtype: str = "float64") -> np.ndarray:
    """n iid uniform points on the open hemisphere {<x, axis> > 0} (axis default e_1), shape (n, d)."""
    n, d = _nd(n, d)
    g = np.random.default_rng(v.seed(seed)).standard_normal((n, d))
    e = np.zeros(d)
    e[0] = 1.0
    if axis is not None:
        e = v.array("axis", axis)
        if e.shape != (d,) or np.linalg.norm(e) == 0:
            raise ParameterError(f"axis must be a nonzero finite vector of length d = {d}")
        e = e / np.linalg.norm(e)
    proj = g @ e
    g -= 2.0 * np.minimum(proj, 0.0)[:, None] * e      # reflect the lower half
    proj = np.abs(proj)
    tiny = proj < 1e-12
    g[tiny] += 1e-6 * e                                   # stay strictly inside the open hemisphere
    return _unit(g, dtype)


def equiangular(n: int, rho0: float, d: int | None = None, seed: int | None = None,
                dtype: str = "float64") -> np.ndarray:
    """n unit vectors with all pairwise inner products exactly rho0, shape (n, d), d >= n (default d = n).

    Rows of the Cholesky factor of (1 - rho0) I + rho0 11^T, rotated by a random orthogonal matrix if seed
    is given. Needs -1/(n-1) < rho0 < 1 (docs/theory.md §6).
    """
    n = v.integer("n", n, low=1)
    low = -1.0 / (n - 1) if n > 1 else -1.0
    rho0 = v.real("rho0", rho0, low=low, high=1.0, low_open=True, high_open=True)
    d = max(n, 2) if d is None else v.integer("d", d, low=2)
    if d < n:
        raise ParameterError(f"d must be >= n = {n} for an exactly equiangular start, got d = {d}")
    gram = (1.0 - rho0) * np.eye(n) + rho0 * np.ones((n, n))
    low_tri = np.linalg.cholesky(gram)
    x = np.zeros((n, d))
    x[:, :n] = low_tri
    if seed is not None:
        q, r = np.linalg.qr(np.random.default_rng(v.seed(seed)).standard_normal((d, d)))
        x = x @ (q * np.sign(np.diag(r))).T
    return _unit(x, dtype)


def polygon(n: int, delta: float = 0.0, mode: int | None = None, seed: int | None = 0, d: int = 2,
            phase: float = 0.0, dtype: str = "float64") -> np.ndarray:
    """n tokens at the vertices of a regular n-gon in the (x1, x2) plane, shape (n, d).

    theta_j = phase + 2 pi j / n + perturbation: delta * cos(mode * theta_j) if mode is given (deterministic),
    else delta * U(-1, 1) iid from seed. delta = 0 gives the exact polygon.
    """
    n, d = _nd(n, d)
    delta = v.real("delta", delta, low=0.0)
    phase = v.real("phase", phase)
    theta = phase + 2.0 * np.pi * np.arange(n) / n
    if delta > 0:
        if mode is not None:
            mode = v.integer("mode", mode, low=0)
            theta = theta + delta * np.cos(mode * theta)
        else:
            theta = theta + delta * np.random.default_rng(v.seed(seed)).uniform(-1.0, 1.0, n)
    return from_angles(theta, d=d, dtype=dtype)


def circle_lattice(n: int, amplitudes: dict | None = None, d: int = 2, dtype: str = "float64") -> np.ndarray:
    """Near-uniform lattice on the circle: theta_j = 2 pi j / n + sum_k a_k cos(k theta_j), shape (n, d).

    amplitudes maps a Fourier mode k to its amplitude a_k (docs/theory.md F9, F11).
    """
    n, d = _nd(n, d)
    theta = 2.0 * np.pi * np.arange(n) / n
    pert = np.zeros(n)
    if amplitudes is not None and not isinstance(amplitudes, dict):
        raise ParameterError(f"amplitudes must be a dict {{mode k: amplitude a_k}} or None, got {amplitudes!r}")
    for k, a in (amplitudes or {}).items():
        k = v.integer("mode", k, low=0)
        pert += v.real(f"amplitudes[{k}]", a) * np.cos(k * theta)
    return from_angles(theta + pert, d=d, dtype=dtype)


def clusters(k: int, n: int, d: int, spread: float = 0.05, seed: int | None = 0, centers=None,
             return_labels: bool = False, dtype: str = "float64"):
    """n tokens in k groups around random (or given (k, d)) centres, angular spread ~ spread radians.

    Token i belongs to group i % k. Returns x (n, d), or (x, labels) if return_labels.
    """
    k = v.integer("k", k, low=1)
    n, d = _nd(n, d)
    if k > n:
        raise ParameterError(f"k must be <= n = {n}, got k = {k}")
    spread = v.real("spread", spread, low=0.0)
    rng = np.random.default_rng(v.seed(seed))
    if centers is None:
        c = rng.standard_normal((k, d))
    else:
        c = v.array("centers", centers)
        if c.shape != (k, d) or np.any(np.linalg.norm(c, axis=1) == 0):
            raise ParameterError(f"centers must be a finite (k, d) = ({k}, {d}) array of nonzero rows")
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    labels = np.arange(n) % k
    g = c[labels] + spread * rng.standard_normal((n, d)) / np.sqrt(max(d - 1, 1))
    x = _unit(g, dtype)
    return (x, labels) if return_labels else x


def from_angles(theta, d: int = 2, dtype: str = "float64") -> np.ndarray:
    """Tokens (cos theta_j, sin theta_j, 0, ...) from angles theta (n,), shape (n, d)."""
    th = v.array("theta", theta)
    if th.ndim != 1 or th.size < 1:
        raise ParameterError("theta must be a finite 1-D array of n >= 1 angles")
    d = v.integer("d", d, low=2)
    x = np.zeros((th.size, d))
    x[:, 0], x[:, 1] = np.cos(th), np.sin(th)
    return np.ascontiguousarray(x, dtype=v.dtype(dtype))


@dataclass(frozen=True)
class Start:
    """An initial-condition spec (fields and ranges from params.PARAMS, group "start"); make() draws the tokens.

    init: "uniform" | "hemisphere" | "equiangular" (needs d >= n) | "polygon" (regular n-gon, angles perturbed
    by U(-delta, delta)) | "clusters" (k groups of angular spread `spread`). code() is the Python that draws
    the same array.
    """

    init: str = PARAMS["init"].default
    n: int = PARAMS["n"].default
    d: int = PARAMS["d"].default
    seed: int = PARAMS["seed"].default
    k: int = PARAMS["k"].default
    rho0: float = PARAMS["rho0"].default
    spread: float = PARAMS["spread"].default
    delta: float = PARAMS["delta"].default
    dtype: str = PARAMS["dtype"].default

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, PARAMS[f.name].check(getattr(self, f.name)))
        if self.init == "equiangular":
            if self.d < self.n:
                raise ParameterError(f"the equiangular start needs d >= n (the Gram matrix has rank n); got n = "
                                 f"{self.n}, d = {self.d}: raise d or lower n")
            if self.n > 1 and self.rho0 <= -1.0 / (self.n - 1):
                raise ParameterError(f"rho0 must be > -1/(n-1) = {-1.0 / (self.n - 1):.6g} for the equiangular start, "
                                 f"got {self.rho0!r}")
        if self.init == "clusters" and self.k > self.n:
            raise ParameterError(f"k must be <= n = {self.n} for the clusters start, got k = {self.k}")

    def replace(self, **changes) -> Start:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def make(self, seed=None) -> np.ndarray:
        """The (n, d) tokens; `seed` (an int or a numpy SeedSequence) overrides self.seed."""
        s = self.seed if seed is None else seed
        n, d, dt = self.n, self.d, self.dtype
        if self.init == "uniform":
            return uniform(n, d, seed=s, dtype=dt)
        if self.init == "hemisphere":
            return hemisphere(n, d, seed=s, dtype=dt)
        if self.init == "equiangular":
            return equiangular(n, self.rho0, d=d, seed=s, dtype=dt)
        if self.init == "polygon":
            return polygon(n, delta=self.delta, seed=s, d=d, dtype=dt)
        return clusters(self.k, n, d, spread=self.spread, seed=s, dtype=dt)

    def code(self) -> str:
        """Python (with `import mftx_widgets as mw`) that draws the same tokens."""
        n, d, s = self.n, self.d, self.seed
        dt = "" if self.dtype == "float64" else f", dtype={self.dtype!r}"
        if self.init in ("uniform", "hemisphere"):
            return f"mw.initial.{self.init}(n={n}, d={d}, seed={s}{dt})"
        if self.init == "equiangular":
            return f"mw.initial.equiangular(n={n}, rho0={self.rho0!r}, d={d}, seed={s}{dt})"
        if self.init == "polygon":
            return f"mw.initial.polygon(n={n}, delta={self.delta!r}, seed={s}, d={d}{dt})"
        return f"mw.initial.clusters(k={self.k}, n={n}, d={d}, spread={self.spread!r}, seed={s}{dt})"
