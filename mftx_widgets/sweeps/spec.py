"""What one sweep run is: RunSpec (generated from the parameter table), the observables it records, and the
picklable runners a worker calls with (grid point, SeedSequence)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np

from ..dynamics import _validate as v
from ..dynamics import observables as _obs
from ..dynamics.initial import Start
from ..dynamics.integrate import Simulation
from ..dynamics.models import Attention
from ..errors import ParameterError
from ..params import PARAMS, names

__all__ = ["RunSpec", "OBSERVABLES"]


def _energy(x, model):
    return _obs.energy(x, model.beta)


def _energy_ratio(x, model):
    return _obs.energy_ratio(x, model.beta)


def _call_x(f, x, model):
    return f(x)


#: observables a RunSpec sweep can record by name: f(x (n, d), model) -> scalar (module-level: they pickle).
OBSERVABLES: dict[str, Callable] = {
    "energy": _energy,
    "energy_ratio": _energy_ratio,
    "mean_cosine": functools.partial(_call_x, _obs.mean_cosine),
    "min_cosine": functools.partial(_call_x, _obs.min_cosine),
    "order_parameter": functools.partial(_call_x, _obs.order_parameter),
    "cluster_count": functools.partial(_call_x, _obs.cluster_count),
}

# ---------------------------------------------------------------------------------------------- the fields
#: RunSpec field -> row of params.PARAMS: n, d, the model group, the start group (but its seed: the sweep
#: draws the seeds) and the run group. "initial" is the table's "init" (RunSpec's public name).
_ROWS: Mapping[str, str] = {
    "n": "n", "d": "d",
    **{k: k for k in names("model")},
    **{("initial" if k == "init" else k): k for k in names("start") if k not in ("n", "d", "seed")},
    **{k: k for k in names("run")},
}
#: RunSpec's own defaults where they differ from the table: small sweeps, a near-exact lattice start.
_SPEC_DEFAULTS: Mapping[str, object] = {"n": 32, "delta": 1e-3}
_TYPES = {float: "float", int: "int", str: "str"}


def _layout() -> list[tuple[str, str, object]]:
    """[(field, type, default)]: t, then the rows of _ROWS (gamma, which is no row, right after beta)."""
    out = [("t", "tuple", (0.0,))]
    for name, row in _ROWS.items():
        p = PARAMS[row]
        out.append((name, _TYPES[p.kind] + (" | None" if p.optional else ""), _SPEC_DEFAULTS.get(name, p.default)))
        if name == "beta":
            out.append(("gamma", "float | None", None))
    return out


def _from_table(cls):
    """cls as a frozen dataclass with the fields of _layout()."""
    layout = _layout()
    for name, _, default in layout:
        setattr(cls, name, default)
    cls.__annotations__ = {name: typ for name, typ, _ in layout}
    return dataclass(frozen=True)(cls)


@_from_table
class RunSpec:
    """One simulation per (grid point, seed), observed at the times t.

    The fields are t, gamma and the rows of the parameter table (mftx_widgets.params.PARAMS) a run needs,
    validated by the table: n, d, the model (beta, kind, norm, alpha, mix_switch, noise, dtype), the start
    (initial = the table's init, k, rho0, spread, delta) and the run (dt, method). Defaults are the table's,
    except n = 32 and delta = 1e-3 (`_SPEC_DEFAULTS`). Every field except t can be overridden per grid point
    by a grid axis of the same name. The model is ``Attention(beta, kind, norm=norm, ...)``; if ``gamma`` is
    set (as a field or an axis), beta = gamma * log(n) (long-context scaling, docs/theory.md §7).

    Parameters
    ----------
    t : (T,) increasing times >= 0, each a multiple of dt (the run is stepped exactly onto them)
    n, d : tokens and dimension
    initial : "uniform" (iid on S^{d-1}) | "hemisphere" | "circle" (= "polygon": lattice theta_j = 2 pi j / n
        plus iid uniform(-delta, delta) angle noise in the (x1, x2) plane, a near-uniform start, docs/theory.md
        §5) | "equiangular" (rho0, needs d >= n) | "clusters" (k, spread); see mw.initial.Start
    delta : angle perturbation of the "circle" start (radians)
    dt, method : time step and scheme of mw.Simulation (RK4 by default, Euler-Maruyama with noise)

    Notes
    -----
    Run (point k, seed s) draws its initial tokens from SeedSequence(s, spawn_key=(k, 0)) (e.g.
    ``initial.uniform(n, d, seed=SeedSequence(s, spawn_key=(k, 0)))``) and its noise from spawn_key (k, 1).
    """

    def __post_init__(self) -> None:
        ts = np.atleast_1d(np.asarray(self.t, dtype=float))
        if ts.ndim != 1 or ts.size < 1 or not np.all(np.isfinite(ts)) or np.any(ts < 0) or np.any(np.diff(ts) < 0):
            raise ParameterError("t must be a non-empty, finite, non-decreasing 1-D sequence of times >= 0")
        object.__setattr__(self, "t", tuple(float(s) for s in ts))
        self.resolve({})  # validates the defaults (and t against dt)

    def check_axes(self, axes) -> None:
        """Refuse grid axes that no run could use: names that are no field (or t), beta with gamma."""
        allowed = {f.name for f in fields(self)} - {"t"}
        unknown = set(axes) - allowed
        if unknown:
            raise ParameterError(f"grid axes {sorted(unknown)} are not RunSpec fields; allowed: {sorted(allowed)}")
        if "beta" in axes and ("gamma" in axes or self.gamma is not None):
            raise ParameterError("give either beta or gamma (beta = gamma log n) as a grid axis, not both")

    def resolve(self, point: Mapping) -> dict:
        """The full, validated parameter dict of one run: the fields overridden by the grid point."""
        self.check_axes(point)
        p = {**asdict(self), **point}
        for name, row in _ROWS.items():
            p[name] = PARAMS[row].check(p[name], name=name)
        if p["gamma"] is not None:
            p["gamma"] = v.real("gamma", p["gamma"], low=0.0)
            p["beta"] = p["gamma"] * math.log(p["n"]) if p["n"] > 1 else 0.0
        steps = np.asarray(p["t"]) / p["dt"]
        if np.any(np.abs(steps - np.round(steps)) > 1e-6 * np.maximum(1.0, steps)):
            raise ParameterError(f"t must hold multiples of dt = {p['dt']:g} (the run is stepped exactly onto them)")
        start(p)  # validates the start's cross-field rules (equiangular: d >= n; clusters: k <= n)
        return p


def model(p: Mapping) -> Attention:
    """The Attention of a resolved RunSpec dict (RunSpec.resolve)."""
    return Attention(**{k: p[k] for k in names("model")})


def start(p: Mapping) -> Start:
    """The initial-condition spec of a resolved RunSpec dict; .make(seed=SeedSequence) draws the tokens."""
    return Start(init=p["initial"], **{k: p[k] for k in names("start") if k not in ("init", "seed")},
                 dtype=p["dtype"])


class SpecRunner:
    """Picklable: runs a RunSpec at one point and evaluates the observables at every time of spec.t.

    Returns ({name: (T, ...) array}, status, message): status "ok", or "inaccurate" (with the solver's message)
    when the Simulation reports that its steps were not accurate."""

    def __init__(self, spec: RunSpec, observables: dict) -> None:
        self.spec, self.observables = spec, observables

    def __call__(self, point: dict, seq: np.random.SeedSequence) -> dict:
        p = self.spec.resolve(point)
        init_seq, noise_seq = (np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key + (i,)) for i in (0, 1))
        m = model(p)
        noise_seed = int(noise_seq.generate_state(1)[0])
        sim = Simulation(m, start(p).make(seed=init_seq), dt=p["dt"], method=p["method"], seed=noise_seed)
        out = {name: [] for name in self.observables}
        for s in np.round(np.asarray(p["t"]) / p["dt"]).astype(np.int64):
            sim.step(int(s) - sim.steps)
            x = sim.directions
            for name, f in self.observables.items():
                out[name].append(f(x, m))
        status = getattr(sim, "status", None)  # a Simulation that watches its own accuracy says so
        if status == "inaccurate":
            return ({name: np.asarray(vals) for name, vals in out.items()}, "inaccurate",
                    str(getattr(sim, "message", "") or "the solver reports its steps as inaccurate"))
        return {name: np.asarray(vals) for name, vals in out.items()}, "ok", ""


class FnRunner:
    """Picklable: calls fn(point, seed_sequence) -> mapping and keeps the requested names; returns
    ({name: array}, "ok", "")."""

    def __init__(self, fn: Callable, keep: tuple | None) -> None:
        self.fn, self.keep = fn, keep

    def __call__(self, point: dict, seq: np.random.SeedSequence) -> dict:
        res = self.fn(dict(point), seq)
        if not isinstance(res, Mapping):
            raise ParameterError(f"the sweep function must return a mapping name -> array, got {type(res).__name__}")
        keep = self.keep if self.keep is not None else tuple(res)
        missing = [k for k in keep if k not in res]
        if missing:
            raise ParameterError(f"the sweep function returned no {missing}; it returned {sorted(res)}")
        return {k: np.asarray(res[k]) for k in keep}, "ok", ""


def check_observables(observables, spec: bool) -> dict | tuple | None:
    """RunSpec sweeps: {name: f(x, model)} from names of OBSERVABLES and callables; function sweeps: the names
    to keep (None: all)."""
    if spec:
        if observables is None or isinstance(observables, str):
            observables = [observables] if isinstance(observables, str) else []
        items = observables.items() if isinstance(observables, Mapping) else [(o, o) for o in observables]
        out = {}
        for name, f in items:
            if isinstance(f, str):
                if f not in OBSERVABLES:
                    raise ParameterError(f"unknown observable {f!r}; allowed: {sorted(OBSERVABLES)} or a callable")
                out[name if isinstance(name, str) else f] = OBSERVABLES[f]
            elif callable(f):
                key = name if isinstance(name, str) else getattr(f, "__name__", None)
                if not key or key == "<lambda>":
                    raise ParameterError("name callable observables: pass a dict {name: f(x, model)}")
                out[key] = f
            else:
                raise ParameterError(f"observables must be names or callables, got {f!r}")
        if not out:
            raise ParameterError(f"observables must name at least one of {sorted(OBSERVABLES)} (or a callable)")
        return out
    if observables is None:
        return None
    keep = (observables,) if isinstance(observables, str) else tuple(observables)
    if not keep or not all(isinstance(k, str) for k in keep):
        raise ParameterError("observables must be None (keep everything) or names returned by the function")
    return keep
