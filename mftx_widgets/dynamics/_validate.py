"""Boundary checks: every public function validates here and raises ValueError naming the argument."""

from __future__ import annotations

import numbers

import numpy as np

from ..config import MAX_EXP_ARG, NORM_TOL
from ..errors import ParameterError

DTYPES = ("float64", "float32")


def real(name: str, value, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number in [low, high] (or open ends), returned as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ParameterError(f"{name} must be finite, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        op = ">" if low_open else ">="
        raise ParameterError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and (v > high or (high_open and v == high)):
        op = "<" if high_open else "<="
        raise ParameterError(f"{name} must be {op} {high}, got {value!r}")
    return v


def integer(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """An integer in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise ParameterError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ParameterError(f"{name} must be <= {high}, got {v}")
    return v


def choice(name: str, value, allowed: dict | tuple) -> str:
    """One of the allowed names (case-insensitive); dict maps aliases to canonical names."""
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be a string, one of {sorted(set(allowed))}, got {value!r}")
    key = value.strip().lower() if isinstance(allowed, dict) else value
    if isinstance(allowed, dict):
        if key not in allowed:
            canon = sorted(set(allowed.values()))
            raise ParameterError(f"unknown {name} {value!r}; allowed: {canon}")
        return allowed[key]
    if value not in allowed:
        raise ParameterError(f"unknown {name} {value!r}; allowed: {list(allowed)}")
    return value


def dtype(value) -> str:
    """'float64' or 'float32'."""
    try:
        name = np.dtype(value).name
    except TypeError:
        name = None
    if name not in DTYPES:
        raise ParameterError(f"dtype must be 'float64' or 'float32', got {value!r}")
    return name


def points(name: str, x, *, unit: bool = True, d: int | None = None, dtype_name: str | None = None,
           min_n: int = 1) -> np.ndarray:
    """An (n, d) finite array with n >= min_n, d >= 2; unit rows within NORM_TOL if unit=True.

    Returns a C-contiguous copy in dtype_name (default: float64 unless x is float32).
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ParameterError(f"{name} must be a real array of shape (n, d), got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ParameterError(f"{name} must have shape (n, d), got shape {arr.shape}")
    n, dd = arr.shape
    if n < min_n:
        raise ParameterError(f"{name} must hold n >= {min_n} tokens (rows), got n = {n}")
    if dd < 2:
        raise ParameterError(f"{name} must have dimension d >= 2 (columns), got d = {dd}")
    if d is not None and dd != d:
        raise ParameterError(f"{name} must have d = {d} columns to match, got {dd}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must be finite (no NaN or inf)")
    if dtype_name is None:
        dtype_name = "float32" if arr.dtype == np.float32 else "float64"
    out = np.ascontiguousarray(arr, dtype=dtype_name).copy()
    if unit:
        norms = np.linalg.norm(arr.astype(np.float64), axis=1)
        bad = np.abs(norms - 1.0)
        if bad.max() > NORM_TOL:
            i = int(bad.argmax())
            raise ParameterError(
                f"{name} rows must be unit vectors (abs(|x_i| - 1) <= {NORM_TOL}); row {i} has norm {norms[i]:.8g}. "
                "Normalise with x / np.linalg.norm(x, axis=1, keepdims=True)."
            )
    else:
        norms = np.linalg.norm(arr.astype(np.float64), axis=1)
        if norms.min() == 0.0:
            raise ParameterError(f"{name} rows must be nonzero (a token needs a direction)")
    return out


def matrix(name: str, m, d: int | None = None) -> np.ndarray | None:
    """None or a finite square float64 matrix (a new array)."""
    if m is None:
        return None
    raw = np.asarray(m)
    if raw.dtype == object or raw.dtype == bool or not (np.issubdtype(raw.dtype, np.floating)
                                                        or np.issubdtype(raw.dtype, np.integer)):
        raise ParameterError(f"{name} must be a real (d, d) matrix (float or int; not complex, bool or text), "
                             f"got dtype {raw.dtype}")
    a = np.array(raw, dtype=np.float64)   # always a copy: the caller's array is never frozen or aliased
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ParameterError(f"{name} must be a square (d, d) matrix, got shape {a.shape}")
    if a.shape[0] < 2:
        raise ParameterError(f"{name} must be (d, d) with d >= 2, got shape {a.shape}")
    if d is not None and a.shape[0] != d:
        raise ParameterError(f"{name} has shape {a.shape} but the tokens have d = {d}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be finite")
    return np.ascontiguousarray(a)


def beta(value, kind: str | None = None, dtype: str = "float64") -> float:
    """beta >= 0, and <= config.MAX_EXP_ARG[dtype] for USA (its weights carry e^beta, which must be representable)."""
    if kind == "USA":
        return real("beta", value, low=0.0, high=MAX_EXP_ARG[dtype])
    return real("beta", value, low=0.0)


def seed(value, name: str = "seed"):
    """None, an integer in [0, 2**63 - 1] or a numpy SeedSequence / Generator (passed to default_rng)."""
    if value is None or isinstance(value, (np.random.SeedSequence, np.random.Generator)):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be None or an integer in [0, 2**63 - 1], got {value!r}")
    return integer(name, value, low=0, high=2**63 - 1)


def array(name: str, x, *, ndim: int | None = None, finite: bool = True, min_size: int = 0) -> np.ndarray:
    """A real (float or int) float64 array with ndim dimensions (any if None), finite unless finite=False."""
    raw = np.asarray(x)
    if raw.dtype == object or raw.dtype == bool or not (np.issubdtype(raw.dtype, np.floating)
                                                        or np.issubdtype(raw.dtype, np.integer)):
        raise ParameterError(f"{name} must be a real (float or int) array, got dtype {raw.dtype}")
    if ndim is not None and raw.ndim != ndim:
        raise ParameterError(f"{name} must be a {ndim}-D array, got shape {raw.shape}")
    if raw.size < min_size:
        raise ParameterError(f"{name} must hold at least {min_size} values, got {raw.size}")
    a = raw.astype(np.float64)
    if finite and not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be finite (no NaN or inf)")
    return a


#: largest number of fixed steps a theory solver takes in one call (t_max / dt above it is refused, not hung on).
MAX_STEPS = 10**8


def steps(t_max: float, dt: float) -> int:
    """floor(t_max / dt) fixed steps, or ParameterError if more than MAX_STEPS."""
    k = t_max / dt + 1e-9
    if not k <= MAX_STEPS:
        raise ParameterError(f"t_max / dt = {t_max:g} / {dt:g} = {k:.3g} steps is more than {MAX_STEPS:g}: "
                             "lower t_max or raise dt")
    return int(k)
