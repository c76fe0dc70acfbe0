"""The model spec: one frozen dataclass read by the solvers, the sliders and the presets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..config import MAX_EXP_ARG
from ..errors import ParameterError
from ..params import PARAMS, names
from . import _validate as v

#: the model's scalar fields, validated by the parameter table (params.PARAMS, group "model").
FIELDS = names("model")
KINDS = PARAMS["kind"].choices
NORMS = PARAMS["norm"].choices
#: schemes whose state stays on the unit sphere (the others keep a residual stream z in R^d).
ON_SPHERE = ("post", "ngpt")


@dataclass(frozen=True, eq=False)
class Attention:
    """Self-attention dynamics of n tokens (docs/theory.md §2 and 6).

    Parameters
    ----------
    beta : float >= 0
        Inverse temperature.
    kind : "SA" | "USA"
        Softmax-normalised or unnormalised (1/n) attention.
    Q, K, V : (d, d) arrays or None
        Query, key, value matrices (None = identity).
    norm : "post" | "pre" | "peri" | "mix" | "ngpt"
        Normalization scheme (docs/theory.md §6 table). "post" is the default sphere dynamics.
    alpha : float > 0
        nGPT step size (speed factor).
    mix_switch : float >= 0
        Mix-LN: time at which Post-LN switches to Pre-LN.
    noise : float >= 0
        Temperature 1/kappa of the SDE dX = drift dt + sqrt(2 * noise) dW on the sphere (0: deterministic).
    dtype : "float64" | "float32"
        Floating type of the state and the kernels.
    """

    beta: float = PARAMS["beta"].default
    kind: str = PARAMS["kind"].default
    Q: np.ndarray | None = field(default=None, repr=False)
    K: np.ndarray | None = field(default=None, repr=False)
    V: np.ndarray | None = field(default=None, repr=False)
    norm: str = PARAMS["norm"].default
    alpha: float = PARAMS["alpha"].default
    mix_switch: float = PARAMS["mix_switch"].default
    noise: float = PARAMS["noise"].default
    dtype: str = PARAMS["dtype"].default

    def __post_init__(self) -> None:
        s = object.__setattr__
        for name in FIELDS:
            s(self, name, PARAMS[name].check(getattr(self, name)))
        mats = {k: v.matrix(k, getattr(self, k)) for k in "QKV"}     # copies: the caller's arrays stay writable
        sizes = {m.shape[0] for m in mats.values() if m is not None}
        if len(sizes) > 1:
            raise ParameterError(f"Q, K, V must all be (d, d) with the same d, got sizes {sorted(sizes)}")
        for k, m in mats.items():
            s(self, k, None if m is None or np.array_equal(m, np.eye(m.shape[0])) else m)
            if getattr(self, k) is not None:
                getattr(self, k).setflags(write=False)
        # largest score beta * <Q x, K y> over unit x, y: exp() of it must be representable for USA
        limit = MAX_EXP_ARG[self.dtype]
        if self.kind == "USA" and self.max_score > limit:
            raise ParameterError(
                f"beta = {self.beta:g} is too large for USA in {self.dtype}: the weights exp(beta <Qx, Ky>) "
                f"overflow; need beta * |Q| |K| <= {limit:g} (use kind='SA', which is stable at any beta)"
            )
        self._check_range()

    def _check_range(self) -> None:
        """Every score beta <Q x, K y>, every query beta Q x and value V x (and USA's e^score V x) must stay
        representable in self.dtype with a margin of 100 (the kernels add n terms relative to the largest)."""
        big = float(np.finfo(self.dtype).max) / 100.0
        nq, nk, nv = (_norm2(getattr(self, k)) for k in "QKV")
        for what, value, fix in (("beta * |Q|", self.beta * nq, "beta or Q"), ("|K|", nk, "K"), ("|V|", nv, "V"),
                                 ("beta * |Q| |K|", self.beta * nq * nk, "beta, Q or K")):
            if not value <= big:
                raise ParameterError(f"{what} = {value:.3g} overflows {self.dtype}: lower {fix} so that {what} "
                                     f"<= {big:.3g}")
        if self.kind == "USA" and nv > 0 and not self.max_score + np.log(nv) <= np.log(big):
            raise ParameterError(f"USA output e^(beta |Q| |K|) |V| = e^{self.max_score + np.log(nv):.4g} overflows "
                                 f"{self.dtype}: lower beta or V (beta |Q| |K| + log |V| <= {np.log(big):.4g}), "
                                 "or use kind='SA'")

    @property
    def max_score(self) -> float:
        """Upper bound of beta * <Q x, K y> over unit vectors x, y."""
        return self.beta * _norm2(self.Q) * _norm2(self.K)

    @property
    def identity(self) -> bool:
        """True when Q = K = V = I (the gradient-flow case of docs/theory.md §3)."""
        return self.Q is None and self.K is None and self.V is None

    @property
    def on_sphere(self) -> bool:
        """True when the state is unit vectors (Post-LN, nGPT); False for a residual stream z in R^d."""
        return self.norm in ON_SPHERE

    @property
    def dimension(self) -> int | None:
        """d fixed by Q, K or V, or None."""
        for m in (self.Q, self.K, self.V):
            if m is not None:
                return m.shape[0]
        return None

    def replace(self, **changes) -> Attention:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def code(self) -> str:
        """Python that recreates this model (matrices shown as a note if present)."""
        parts = [f"beta={self.beta!r}", f"kind={self.kind!r}"]
        for k in FIELDS[2:]:
            val = getattr(self, k)
            if val != PARAMS[k].default:
                parts.append(f"{k}={val!r}")
        if not self.identity:
            parts.append("Q=Q, K=K, V=V")
        return f"mw.Attention({', '.join(parts)})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Attention):
            return NotImplemented
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if a is None or b is None or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


def _norm2(m: np.ndarray | None) -> float:
    """Spectral norm |m| (1 for None = identity), computed on m / max|m_ij| so that it cannot overflow."""
    if m is None:
        return 1.0
    s = float(np.abs(m).max())
    return 0.0 if s == 0.0 else s * float(np.linalg.norm(m / s, 2))
