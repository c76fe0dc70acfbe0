"""The one parameter table: every tunable number or name of the model, the start, the run and the view.

Each row says the name, type, default, allowed values, unit, a one-line doc and a control hint. The model's
validation (`Attention`), the initial-condition spec (`initial.Start`), the sweep spec (`RunSpec`), the presets
and the Explorer's slider panel are all generated from this table, so a range is written once.

    >>> PARAMS["beta"].check(4)          # 4.0; PARAMS["beta"].check(-1) raises ValueError naming beta
    >>> check({"kind": "usa", "n": 10})  # {"kind": "USA", "n": 10}

A `Preset` is a named partial assignment of the table, checked when it is defined.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .config import DEFAULT_DT
from .errors import ParameterError

#: groups of the table: who reads a parameter.
GROUPS = ("model", "start", "run", "view")
#: control hints the view layer understands.
CONTROLS = ("slider", "logslider", "intslider", "int", "toggle", "dropdown", "none")


@dataclass(frozen=True)
class Param:
    """One row of the table.

    kind is float, int or str; `low`/`high` bound numbers (`low_open`/`high_open` make a bound strict);
    `choices` lists the names a str may take, `aliases` maps other spellings (lower case) to them; `span`
    is the range a slider offers (inside the allowed range; a value set from code outside it widens the
    slider); `control` is the hint the view layer builds a control from.
    """

    name: str
    kind: type
    default: object
    doc: str
    group: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple | None = None
    aliases: Mapping = field(default_factory=dict)
    optional: bool = False
    control: str = "slider"
    span: tuple | None = None
    step: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        assert self.group in GROUPS and self.control in CONTROLS, self
        if self.span is None and self.kind in (int, float) and self.low is not None and self.high is not None:
            object.__setattr__(self, "span", (self.low, self.high))

    @property
    def allowed(self) -> str:
        """The allowed values, in words (used in every error message)."""
        if self.choices is not None:
            return f"one of {list(self.choices)}" + (" or None" if self.optional else "")
        lo = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        what = "an integer" if self.kind is int else "a real number"
        return " and ".join(filter(None, [f"{what} {lo}".strip(), hi])) + (" or None" if self.optional else "")

    def check(self, value, name: str | None = None):
        """The value in canonical form, or ValueError naming the parameter and what is allowed."""
        name = name or self.name
        if value is None and self.optional:
            return None
        if self.kind is str:
            return self._check_choice(value, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or isinstance(value, complex):
            raise ParameterError(f"{name} must be {self.allowed}, got {value!r}")
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                if not (math.isfinite(value) and float(value).is_integer()):
                    raise ParameterError(f"{name} must be {self.allowed}, got {value!r}")
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ParameterError(f"{name} must be finite ({self.allowed}), got {value!r}")
        lo, hi = self.low, self.high
        if (lo is not None and (value < lo or (self.low_open and value == lo))) or (
                hi is not None and (value > hi or (self.high_open and value == hi))):
            raise ParameterError(f"{name} must be {self.allowed}, got {value!r}")
        return value

    def _check_choice(self, value, name: str) -> str:
        if self.name == "dtype":
            try:
                value = np.dtype(value).name
            except TypeError:
                pass
        if isinstance(value, str):
            key = value.strip()
            if key in self.choices:
                return key
            canon = self.aliases.get(key.lower())
            if canon is not None:
                return canon
        raise ParameterError(f"unknown {name} {value!r}; allowed: {list(self.choices)}")


def _table(*rows: Param) -> Mapping[str, Param]:
    return MappingProxyType({p.name: p for p in rows})


_NORM_ALIASES = {a: c for c in ("post", "pre", "peri", "mix") for a in (c, f"{c}-ln", f"{c}ln")} | {"ngpt": "ngpt"}

#: the table (read-only): name -> Param.
PARAMS: Mapping[str, Param] = _table(
    # -- the model (Attention) -------------------------------------------------------------------------------
    Param("beta", float, 1.0, "inverse temperature of the attention softmax", "model", "1", low=0.0,
          span=(0.0, 30.0), step=0.1, label="β (beta)"),
    Param("kind", str, "SA", "softmax-normalised (SA) or unnormalised 1/n (USA) attention", "model",
          choices=("SA", "USA"), aliases={"sa": "SA", "usa": "USA"}, control="toggle", label="model"),
    Param("norm", str, "post", "normalization scheme: Post-LN (on the sphere), Pre-, Peri-, Mix-LN, nGPT",
          "model", choices=("post", "pre", "peri", "mix", "ngpt"), aliases=_NORM_ALIASES, control="dropdown"),
    Param("alpha", float, 1.0, "nGPT step size (speed factor)", "model", "1", low=0.0, low_open=True,
          span=(0.1, 5.0), step=0.1, control="none"),
    Param("mix_switch", float, 1.0, "Mix-LN: time at which Post-LN switches to Pre-LN", "model", "time",
          low=0.0, span=(0.0, 10.0), step=0.1, control="none"),
    Param("noise", float, 0.0, "temperature 1/kappa of the noise dX = drift dt + sqrt(2 noise) dW", "model",
          "1/kappa", low=0.0, span=(0.0, 1.0), step=0.01),
    Param("dtype", str, "float64", "floating type of the state and the kernels", "model",
          choices=("float64", "float32"), control="none"),
    # -- the start (initial.Start) ---------------------------------------------------------------------------
    Param("init", str, "uniform", "initial configuration of the tokens", "start",
          choices=("uniform", "hemisphere", "equiangular", "polygon", "clusters"), aliases={"circle": "polygon"},
          control="dropdown", label="start"),
    Param("n", int, 200, "number of tokens", "start", "tokens", low=1, span=(2, 10000), control="intslider",
          label="n tokens"),
    Param("d", int, 3, "dimension of the token space (tokens live on S^{d-1})", "start", low=2, span=(2, 64),
          control="intslider"),
    Param("seed", int, 0, "seed of the start and of the noise", "start", low=0, high=2**63 - 1,
          span=(0, 2**31 - 1), control="int"),
    Param("k", int, 3, "number of clusters of the 'clusters' start", "start", low=1, span=(1, 12),
          control="intslider", label="k clusters"),
    Param("rho0", float, 0.3, "pairwise inner product of the 'equiangular' start (needs -1/(n-1) < rho0)",
          "start", low=-1.0, high=1.0, low_open=True, high_open=True, span=(-0.05, 0.95), step=0.05, label="ρ0"),
    Param("spread", float, 0.15, "angular spread of each group of the 'clusters' start", "start", "rad",
          low=0.0, span=(0.0, 1.0), control="none"),
    Param("delta", float, 1e-2, "iid angle perturbation U(-delta, delta) of the 'polygon' start", "start", "rad",
          low=0.0, span=(0.0, 0.5), control="none"),
    # -- the run (Simulation) --------------------------------------------------------------------------------
    Param("dt", float, DEFAULT_DT, "time step of the solver", "run", "time", low=0.0, low_open=True,
          span=(1e-3, 1.0), control="logslider"),
    Param("method", str, None, "time stepper (None: adaptive Dormand-Prince 5(4), or Euler-Maruyama when "
          "noise > 0)", "run", choices=("dopri5", "bs3", "rk4", "euler", "em"),
          aliases={"euler-maruyama": "em", "rk45": "dopri5", "rk23": "bs3"}, optional=True, control="none"),
    # -- the view (Explorer) ---------------------------------------------------------------------------------
    Param("speed", float, 1.0, "simulated time per second of animation", "view", "time/s", low=0.0,
          low_open=True, span=(0.05, 20.0), control="logslider"),
)


def names(group: str) -> tuple[str, ...]:
    """The parameter names of one group, in table order."""
    if group not in GROUPS:
        raise ParameterError(f"group must be one of {list(GROUPS)}, got {group!r}")
    return tuple(k for k, p in PARAMS.items() if p.group == group)


def defaults(*groups: str) -> dict:
    """{name: default} of the given groups (all groups if none given)."""
    groups = groups or GROUPS
    return {k: p.default for k, p in PARAMS.items() if p.group in groups}


def check(values: Mapping, allowed: tuple[str, ...] | None = None) -> dict:
    """Validate a partial assignment: {name: canonical value}; ValueError for an unknown name or a bad value."""
    allowed = tuple(PARAMS) if allowed is None else allowed
    out = {}
    for key, val in values.items():
        if key not in allowed:
            raise ParameterError(f"unknown parameter {key!r}; allowed: {sorted(allowed)}")
        out[key] = PARAMS[key].check(val)
    return out


@dataclass(frozen=True)
class Preset:
    """A named partial assignment of the table, and the phenomenon it shows."""

    name: str
    description: str
    values: Mapping

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(check(self.values)))


#: the Explorer's presets, one per phenomenon of the lessons ("default" is what a bare Explorer() shows).
PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in (
    Preset("default", "SA at beta = 4 from 200 iid tokens on S^2: clusters form, then merge.",
           {"beta": 4.0, "kind": "SA", "norm": "post", "noise": 0.0, "n": 200, "d": 3, "init": "uniform",
            "dt": 0.05, "speed": 1.0}),
    Preset("Kuramoto sync", "beta = 0 on the circle: identical Kuramoto oscillators synchronise "
           "(docs/theory.md, the circle).", {"beta": 0.0, "kind": "SA", "d": 2, "n": 64, "init": "uniform",
                                              "dt": 0.1, "speed": 2.0, "noise": 0.0, "norm": "post"}),
    Preset("metastable clusters", "beta = 9 on the circle: about k*(9) = 4 clusters form and stay for a long "
           "time before merging (docs/theory.md, metastability).",
           {"beta": 9.0, "kind": "SA", "d": 2, "n": 300, "init": "uniform", "dt": 0.05, "speed": 3.0,
            "noise": 0.0, "norm": "post"}),
    Preset("fast collapse", "USA from a hemisphere: one cluster, 1 - |m|^2 decays at rate 2 e^beta "
           "(docs/theory.md, collapse rates).", {"beta": 1.0, "kind": "USA", "d": 3, "n": 200,
                                                 "init": "hemisphere", "dt": 0.02, "speed": 0.5, "noise": 0.0,
                                                 "norm": "post"}),
    Preset("long context", "beta = 1.5 log n with n = 400 iid tokens in d = 64: each token's weight on itself is "
           "about 0.91, so tokens stay frozen (in d = 3 the same gamma does not freeze them: lesson 07, "
           "docs/theory.md, long context).", {"beta": round(1.5 * math.log(400), 3), "kind": "SA", "d": 64,
                                              "n": 400, "init": "uniform", "dt": 0.1, "speed": 2.0,
                                              "noise": 0.0, "norm": "post"}),
)})
