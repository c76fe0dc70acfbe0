"""Pure numpy pieces of the encoder: LayerNorm, GELU, softmax, pooling, row normalisation, input checks."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta."""
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def gelu(x: np.ndarray) -> np.ndarray:
    # exact (erf) GELU, BERT's "gelu": x * Phi(x)
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def softmax(s: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (shifted by the row maximum, so no overflow)."""
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def check_sentences(sentences) -> list[str]:
    """A sentence or a list of sentences -> a non-empty list of strings (ValueError otherwise)."""
    batch = [sentences] if isinstance(sentences, str) else list(sentences) if sentences is not None else []
    if not batch or not all(isinstance(s, str) for s in batch):
        raise ParameterError("sentences must be a non-empty string or a non-empty list of strings")
    return batch


def check_tokens(name: str, h, d: int) -> np.ndarray:
    """h as a finite float (T, d) array with T >= 1 (ValueError naming `name` otherwise)."""
    arr = np.asarray(h)
    if arr.ndim != 2 or arr.shape[1] != d or arr.shape[0] < 1:
        raise ParameterError(f"{name} must have shape (T, {d}) with T >= 1, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must be a finite float array")
    return arr


def mean_pool(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean over real tokens: hidden (B, T, d), mask (B, T) -> (B, d) (sentence-transformers' mean pooling)."""
    hidden = np.asarray(hidden, dtype=np.float64)
    m = np.asarray(attention_mask, dtype=np.float64)
    if hidden.ndim != 3 or m.shape != hidden.shape[:2]:
        raise ParameterError(f"hidden must be (B, T, d) and attention_mask (B, T), got {hidden.shape}, {m.shape}")
    return (hidden * m[..., None]).sum(axis=1) / np.maximum(m.sum(axis=1, keepdims=True), 1e-9)


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows (last axis) scaled to unit norm: tokens projected onto the sphere S^{d-1}. Any leading shape."""
    x = np.asarray(x, dtype=np.float64)
    nrm = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.any(nrm == 0) or not np.all(np.isfinite(nrm)):
        raise ParameterError("x must have finite, nonzero rows to be normalized")
    return x / nrm
