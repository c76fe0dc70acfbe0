"""What an Explorer shows, as data: an Attention, an initial-condition spec (initial.Start) or a given x0, the
time step and the speed. Changes go through model.replace / start.replace, so the parameter table validates
every value once; no widgets here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..dynamics import Attention, Simulation
from ..dynamics.initial import Start
from ..errors import ParameterError
from ..params import PARAMS, PRESETS


def shown(*groups: str) -> tuple[str, ...]:
    """The parameters of these groups that have a control (hint other than "none"), in table order."""
    return tuple(k for k, p in PARAMS.items() if p.group in groups and p.control != "none")


MODEL, START = shown("model"), shown("start")
#: every parameter an Explorer shows and set_params accepts.
SHOWN = MODEL + START + ("dt", "speed")
#: the init value that means "the x0 array given to the Explorer".
CUSTOM = "custom"


@dataclass(frozen=True, eq=False)
class Setup:
    """model, start (the spec; its n and d describe x0 when x0 is given), dt, speed, x0 (None or (n, d))."""

    model: Attention
    start: Start
    dt: float
    speed: float
    x0: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(cls, values: dict, model: Attention | None = None, x0=None,
              preset: str | None = None) -> tuple[Setup, list[str]]:
        """A Setup from {name: value} (names of SHOWN), over the model's values, over the preset's, over the
        "default" preset; and the notes on values it had to adjust (equiangular start: d >= n, clusters: k <= n)."""
        if preset is not None and preset not in PRESETS:
            raise ParameterError(f"preset must be one of {list(PRESETS)}, got {preset!r}")
        if model is not None and not isinstance(model, Attention):
            raise ParameterError(f"model must be an mftx_widgets.Attention, got {type(model).__name__}")
        base = dict(PRESETS["default"].values) | dict(PRESETS[preset].values if preset else {})
        if model is not None:
            base |= {k: getattr(model, k) for k in MODEL} | ({"d": model.dimension} if model.dimension else {})
        values = base | dict(values)
        unknown = sorted(set(values) - set(SHOWN))
        if unknown:
            raise ParameterError(f"unknown parameter {unknown[0]!r}; allowed: {sorted(SHOWN)}")
        model = model or Attention()
        fixed = model.dimension
        if x0 is not None:
            x0 = np.array(x0, dtype=float)
            if x0.ndim != 2 or x0.shape[0] < 2 or x0.shape[1] < 2:
                raise ParameterError(f"x0 must be an (n, d) array with n >= 2 and d >= 2, got shape {x0.shape}")
            values.update(n=x0.shape[0], d=x0.shape[1])
        if values.get("init") == CUSTOM:
            if x0 is None:
                raise ParameterError(f"init {CUSTOM!r} needs the x0 array given to the Explorer")
            del values["init"]
        notes = _fit_start(values, fixed) if x0 is None else []
        if fixed is not None and "d" in values and PARAMS["d"].check(values["d"]) != fixed:
            raise ParameterError(f"d is fixed to {fixed} by the model's Q, K, V matrices")
        start = Start(**{k: values[k] for k in START if k in values})
        model = model.replace(**{k: values[k] for k in MODEL if k in values})
        return cls(model, start, PARAMS["dt"].check(values.get("dt", PARAMS["dt"].default)),
                   PARAMS["speed"].check(values.get("speed", PARAMS["speed"].default)), x0), notes

    def values(self) -> dict:
        """{name: value} of every SHOWN parameter (init is "custom" while the given x0 is used)."""
        out = {k: getattr(self.model, k) for k in MODEL} | {k: getattr(self.start, k) for k in START}
        if self.x0 is not None:
            out["init"] = CUSTOM
        return out | {"dt": self.dt, "speed": self.speed}

    def replace(self, **changes) -> tuple[Setup, list[str]]:
        """A Setup with some values changed, and notes (see build). Changing n, d or init drops a given x0."""
        values = self.values() | changes
        x0 = self.x0
        if x0 is not None and (changes.get("init", CUSTOM) != CUSTOM or values["n"] != x0.shape[0]
                               or values["d"] != x0.shape[1]):
            x0 = None
            if values["init"] == CUSTOM:
                values["init"] = self.start.init
        return self.build(values, self.model, x0)

    def restarts(self, other: Setup) -> bool:
        """True when the run must restart from t = 0 to go from `other` to self (anything but speed changed)."""
        return not (self.model == other.model and self.start == other.start and self.dt == other.dt
                    and self.x0 is other.x0)

    def tokens(self) -> np.ndarray:
        """The start (n, d): the given x0 or start.make()."""
        return self.start.make() if self.x0 is None else self.x0

    def simulation(self) -> Simulation:
        return Simulation(self.model, self.tokens(), dt=self.dt, seed=self.start.seed)

    def code(self, steps: int = 0, t: float = 0.0) -> str:
        """Python that recreates the model, the start and the state after `steps` steps (time t)."""
        lines = ["import mftx_widgets as mw"]
        if not self.model.identity:
            lines.append("import numpy as np")
            for name in "QKV":
                m = getattr(self.model, name)
                lines.append(f"{name} = " + ("None" if m is None else f"np.array({m.tolist()!r})"))
        lines.append(f"model = {self.model.code()}")
        x0 = "...  # the (n, d) array given to the Explorer" if self.x0 is not None else self.start.code()
        lines.append(f"x0 = {x0}")
        lines.append(f"sim = mw.Simulation(model, x0, dt={self.dt!r}, seed={self.start.seed!r})")
        if steps:
            lines.append(f"sim.step({steps})  # t = {t:.6g}")
        lines.append(f"view = mw.SphereView(sim)  # or mw.Explorer(model, x0, dt={self.dt!r}, "
                     f"seed={self.start.seed!r})")
        return "\n".join(lines)


def _fit_start(values: dict, fixed_d: int | None = None) -> list[str]:
    """Adjust n, d, rho0, k in place so the start exists; the notes say what changed. fixed_d: the d the model's
    Q, K, V fix (the equiangular start then lowers n to it instead of raising d)."""
    p = {k: PARAMS[k].check(values.get(k, PARAMS[k].default)) for k in START}
    notes = []
    if p["init"] == "equiangular":
        n = min(p["n"], PARAMS["d"].span[1] if fixed_d is None else fixed_d)
        d = max(p["d"], n) if fixed_d is None else fixed_d
        changed = ([f"n = {n}"] if n != p["n"] else []) + ([f"d = {d}"] if d != p["d"] else [])
        values.update(n=n, d=d)
        if n > 1:
            values["rho0"] = max(p["rho0"], -1.0 / (n - 1) + 1e-6)
        if changed:
            fixed = f" (d is fixed to {fixed_d} by the model's Q, K, V)" if fixed_d is not None else ""
            notes.append(f"equiangular start needs d >= n: using {', '.join(changed)}{fixed}")
    if p["init"] == "clusters" and p["k"] > p["n"]:
        values["k"] = p["n"]
        notes.append(f"the clusters start needs k <= n: using k = {p['n']}")
    return notes
