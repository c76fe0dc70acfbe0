"""The velocity field of every normalization scheme (public wrappers over the private kernels).

    post  dx/dt = P_x attn(x)                      (tokens on the sphere)
    ngpt  dx/dt = alpha P_x attn(x) / |attn(x)|    (tokens on the sphere)
    pre   dz/dt = attn(z / |z|)                     (residual stream z)
    peri  dz/dt = attn(z / |z|) / |attn(z / |z|)|
    mix   post for t < model.mix_switch, pre after

Where attn_i = 0 (an antipodal pair at beta = 0, V = 0, or any configuration whose weighted mean vanishes)
the direction attn / |attn| of nGPT and Peri-LN is undefined; the layer then adds nothing and the velocity
of that token is 0 (the value that keeps every scheme finite; no limit exists, the direction depends on how
attn approaches 0). "Vanishes" means |attn_i| <= 16 (d + sqrt(n)) eps max_j |V x_j| (the rounding level of
the sum, relative to the values it adds; computed with SA weights, whose direction USA shares), where the
computed direction would be rounding noise. Tiny V keeps its direction (rows are rescaled before the norm,
so underflow cannot fake a zero).
"""

from __future__ import annotations

import numpy as np

from ..config import NEIGHBOR_TAIL
from ..errors import ParameterError
from . import _validate as v
from ._kernels.dispatch import attention_into
from ._kernels.neighbors import attention_cutoff_into
from .models import Attention


def check_model(model) -> Attention:
    """model, or ParameterError if it is not an Attention."""
    if not isinstance(model, Attention):
        raise ParameterError(f"model must be an mftx_widgets.Attention (e.g. mw.Attention(beta=1.0, kind='SA')), "
                             f"got {type(model).__name__} {model!r:.60}")
    return model


def check_state(model: Attention, x, name: str = "x") -> np.ndarray:
    """Validate a state array for this model: (n, d) finite, unit rows if the scheme lives on the sphere."""
    check_model(model)
    arr = v.points(name, x, unit=model.on_sphere, d=model.dimension, dtype_name=model.dtype)
    return arr


def attention_output(model: Attention, x) -> np.ndarray:
    """attn_i = sum_j A_ij V x_j at directions x (n, d); returns (n, d) in model.dtype."""
    arr = check_state(model, x)
    arr /= np.linalg.norm(arr, axis=1, keepdims=True)
    return attention_into(model, arr, np.empty_like(arr), project=False)


def velocity(model: Attention, x, t: float = 0.0) -> np.ndarray:
    """Velocity dz/dt of the model's dynamics at state x (n, d), time t (Mix-LN switches at model.mix_switch).

    Post-LN: P_x attn;  nGPT: alpha P_x attn / |attn|;  Pre-LN: attn(z / |z|);  Peri-LN: attn / |attn|.
    Deterministic part only (noise is added by the SDE stepper). Returns (n, d) in model.dtype, always finite;
    0 for a token whose attention output vanishes under nGPT / Peri-LN (module docstring).
    """
    t = v.real("t", t)
    arr = check_state(model, x)
    return _velocity(model, arr, t)


def velocity_cutoff(model: Attention, x, tail: float = NEIGHBOR_TAIL) -> np.ndarray:
    """Post-LN velocity P_x attn (n, 3) with the neighbour kernel: pairs of relative weight < e^{-tail} dropped,
    error <= 2 n e^{-tail} S (S the velocity scale; _kernels/neighbors.py).

    model: Q = K = V = I, norm 'post'; x: (n, 3) unit rows; tail > 0 (default 37: relative weights < 1e-16).
    """
    check_model(model)
    tail = v.real("tail", tail, low=0.0, low_open=True)
    if model.norm != "post":
        raise ParameterError(f"velocity_cutoff supports norm='post' only, got norm={model.norm!r}")
    arr = check_state(model, x)
    out = np.empty_like(arr)
    attention_cutoff_into(model, arr, out, project=True, tail=float(tail))
    return out


def _velocity(model: Attention, z: np.ndarray, t: float, out: np.ndarray | None = None) -> np.ndarray:
    """Unchecked velocity of the normalization scheme at state z (written into out if given)."""
    if out is None:
        out = np.empty_like(z)
    norm = model.norm
    if norm == "mix":
        norm = "post" if t < model.mix_switch else "pre"
    if norm == "post":
        return attention_into(model, z, out, project=True)
    x = z / np.linalg.norm(z, axis=1, keepdims=True)
    if norm in ("ngpt", "peri"):
        # USA rows are SA rows times Z_i / n > 0: the direction attn / |attn| is the SA one (no e^beta)
        attention_into(model, x, out, project=False, softmax=True)
        _unit_or_zero(out, _value_scale(model, x))
    else:
        attention_into(model, x, out, project=False)
    if norm == "ngpt":
        out -= np.sum(out * x, axis=1, keepdims=True) * x
        out *= model.alpha
    return out


def _value_scale(model: Attention, x: np.ndarray) -> float:
    """max_j |V x_j|: the size of every SA output row before cancellation (a convex combination of the V x_j)."""
    if model.V is None:
        return float(np.sqrt(np.max(np.einsum("ij,ij->i", x, x))))
    return float(np.max(np.linalg.norm(x @ model.V.T.astype(x.dtype), axis=1)))


def _unit_or_zero(a: np.ndarray, scale: float) -> np.ndarray:
    """Rows a_i / |a_i| in place (scaled by max |a_i| first: no underflow, no overflow); 0 where |a_i| is at the
    rounding level of a sum of n terms of size <= scale, 16 (d + sqrt(n)) eps scale: there the direction is noise."""
    n, d = a.shape
    s = np.max(np.abs(a), axis=1, keepdims=True)
    nz = s > 16.0 * (d + np.sqrt(n)) * np.finfo(a.dtype).eps * scale
    np.divide(a, s, out=a, where=nz)
    np.divide(a, np.linalg.norm(a, axis=1, keepdims=True), out=a, where=nz)
    a[~nz[:, 0]] = 0.0
    return a
