"""Immutable results: Frames (what a view draws) and Trajectory (a finished run: Frames plus how it was made)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..errors import ParameterError
from .models import Attention


def read_only(a, dtype=None) -> np.ndarray:
    """A read-only copy of a (as dtype, if given): what every immutable result stores."""
    arr = np.array(a, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Frames:
    """A sequence of token configurations a view can draw, with no model behind it.

    t : (T,) times (or layer indices), x : (T, n, d) tokens (unit rows, or the residual stream z for the
    schemes that leave the sphere), labels : None or (n,) / (T, n) int cluster labels, tokens : None or n
    names (e.g. word pieces), title : a caption, params : what made the frames (e.g. {"beta": 4.0}), shown in
    titles and exports. Arrays are copied and read-only.
    """

    t: np.ndarray
    x: np.ndarray
    labels: np.ndarray | None = None
    tokens: tuple | None = None
    title: str = ""
    params: Mapping = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=np.float64)
        x = np.asarray(self.x)
        if x.ndim != 3 or x.shape[0] < 1 or x.shape[1] < 1 or x.shape[2] < 2:
            raise ParameterError(f"x must have shape (T, n, d) with T, n >= 1 and d >= 2, got {x.shape}")
        if t.shape != (x.shape[0],):
            raise ParameterError(f"t must have shape (T,) = ({x.shape[0]},) to match x, got {t.shape}")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(x))):
            raise ParameterError("t and x must be finite (no NaN or inf)")
        object.__setattr__(self, "t", read_only(t))
        object.__setattr__(self, "x", read_only(x))
        if self.labels is not None:
            lab = np.asarray(self.labels)
            if lab.shape not in ((x.shape[1],), x.shape[:2]) or not np.issubdtype(lab.dtype, np.integer):
                raise ParameterError(f"labels must be integers of shape (n,) or (T, n), got {lab.dtype} {lab.shape}")
            object.__setattr__(self, "labels", read_only(lab))
        if self.tokens is not None:
            if len(self.tokens) != x.shape[1]:
                raise ParameterError(f"tokens must hold n = {x.shape[1]} names, got {len(self.tokens)}")
            object.__setattr__(self, "tokens", tuple(str(s) for s in self.tokens))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def n(self) -> int:
        return self.x.shape[1]

    @property
    def d(self) -> int:
        return self.x.shape[2]

    @property
    def directions(self) -> np.ndarray:
        """x / |x| (T, n, d): the token directions (equal to x when the tokens stay on the sphere)."""
        return self.x / np.linalg.norm(self.x, axis=2, keepdims=True)

    def labels_at(self, i: int) -> np.ndarray | None:
        """The (n,) labels of frame i, or None."""
        if self.labels is None:
            return None
        return self.labels if self.labels.ndim == 1 else self.labels[i]

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True, eq=False, kw_only=True)
class Trajectory(Frames):
    """A finished run: Frames (t (T,), x (T, n, d)) plus the model, the settings that made it and what the solver did
    (like scipy's OdeResult and diffrax's Solution; docs/solver.md).

    status : 'finished' | 'inaccurate' (a fixed-step run failed its self-check; message names a dt) | 'failed'
    (stopped early: x ends at the last good state; message says why). nfev : velocity evaluations;
    n_accepted, n_rejected : steps (fixed-step runs reject none); max_error : largest normalised local error
    estimate of an accepted step (adaptive: <= 1; fixed-step: of the checked steps; nan if none was estimated);
    rtol, atol : the tolerances of an adaptive run (None for the fixed-step methods).
    """

    model: Attention
    dt: float
    method: str
    seed: int | None = None
    status: str = "finished"
    message: str = ""
    nfev: int = 0
    n_accepted: int = 0
    n_rejected: int = 0
    max_error: float = float("nan")
    rtol: float | None = None
    atol: float | None = None

    @property
    def success(self) -> bool:
        """True when the run finished and passed its checks (status 'finished')."""
        return self.status == "finished"

    def __post_init__(self) -> None:
        if not self.params:
            object.__setattr__(self, "params", {"beta": self.model.beta, "kind": self.model.kind,
                                                "norm": self.model.norm, "dt": self.dt, "seed": self.seed})
        super().__post_init__()
