"""Parameter sweeps: a grid of model parameters x initial-condition seeds, on any concurrent.futures-style executor.

    res = sweep(RunSpec(t=[0, 1, 2], n=32, d=3), grid={"beta": [1, 4, 9]}, seeds=8,
                observables=["mean_cosine", "cluster_count"])
    res["mean_cosine"].shape            # (3, 8, 3): (beta, seed, t)

Every run (grid point, seed) draws its random numbers from ``np.random.SeedSequence(seed, spawn_key=(k,))``
with k the flat index of the point (over ``seed_axes``), so a result does not depend on the executor, the
batch size or the order in which tasks finish. Runs are grouped in batches (one task each) to amortise the
per-task overhead. Executors: ``"serial"``, ``"process"`` (a local ``ProcessPoolExecutor``, the default when
there is more than one core and more than one batch), any ``concurrent.futures.Executor``, or a
``dask.distributed.Client`` (duck-typed: ``submit`` + ``distributed.as_completed``). There is no scheduler
here: the executor schedules. Start dask clusters under
``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})``: dask's default
trim threshold makes these simulations ~2.5x slower (sweep warns when it sees it).

Phase diagram of THEORY.md section 10 ([R], figure from [GLPR]): ``phase_diagram`` (probability that all
pairwise cosines exceed a threshold at each (t, beta)) and ``equiangular_boundary`` (the SA equiangular
prediction, THEORY.md section 6).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import itertools
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..dynamics import _validate as v
from ..dynamics import initial as _initial
from ..dynamics import observables as _obs
from ..dynamics.integrate import Simulation
from ..dynamics.models import Attention
from ..params import PARAMS

__all__ = [
    "RunSpec", "SweepResult", "sweep", "load", "worker_init", "PhaseDiagram", "phase_diagram",
    "equiangular_boundary", "cluster_count_vs_beta", "collapse_time_vs_n", "OBSERVABLES",
]

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
_MODEL_FIELDS = ("beta", "kind", "norm", "alpha", "mix_switch", "noise", "dtype")
_INITIALS = ("uniform", "hemisphere", "circle")


# ---------------------------------------------------------------------------------------------- run spec
@dataclass(frozen=True)
class RunSpec:
    """One simulation per (grid point, seed), observed at the times t.

    Every field except t can be overridden per grid point by a grid axis of the same name. The model is
    ``Attention(beta, kind, norm=norm, alpha=..., mix_switch=..., noise=..., dtype=...)``; if ``gamma`` is set
    (as a field or an axis), beta = gamma * log(n) (long-context scaling, THEORY.md section 7).

    Parameters
    ----------
    t : (T,) increasing times >= 0, each a multiple of dt (the run is stepped exactly onto them)
    n, d : tokens and dimension
    initial : "uniform" (iid on S^{d-1}) | "hemisphere" | "circle" (lattice theta_j = 2 pi j / n plus iid
        uniform(-delta, delta) angle noise in the (x1, x2) plane: a near-uniform start, THEORY.md section 5)
    delta : angle perturbation of the "circle" start (radians)
    dt, method : time step and scheme of mw.Simulation (RK4 by default, Euler-Maruyama with noise)

    Notes
    -----
    Run (point k, seed s) draws its initial tokens from SeedSequence(s, spawn_key=(k, 0)) (e.g.
    ``initial.uniform(n, d, seed=SeedSequence(s, spawn_key=(k, 0)))``) and its noise from spawn_key (k, 1).
    """

    t: tuple = (0.0,)
    n: int = 32
    d: int = 3
    beta: float = 1.0
    gamma: float | None = None
    kind: str = "SA"
    norm: str = "post"
    alpha: float = 1.0
    mix_switch: float = 1.0
    noise: float = 0.0
    dtype: str = "float64"
    initial: str = "uniform"
    delta: float = 1e-3
    dt: float = 0.05
    method: str | None = None

    def __post_init__(self) -> None:
        ts = np.atleast_1d(np.asarray(self.t, dtype=float))
        if ts.ndim != 1 or ts.size < 1 or not np.all(np.isfinite(ts)) or np.any(ts < 0) or np.any(np.diff(ts) < 0):
            raise ValueError("t must be a non-empty, finite, non-decreasing 1-D sequence of times >= 0")
        object.__setattr__(self, "t", tuple(float(s) for s in ts))
        self.resolve({})  # validates the defaults (and t against dt)

    def resolve(self, point: Mapping) -> dict:
        """The full, validated parameter dict of one run: the fields overridden by the grid point."""
        unknown = set(point) - set(self.__dataclass_fields__) | ({"t"} & set(point))
        if unknown:
            raise ValueError(f"grid axes {sorted(unknown)} are not RunSpec fields; allowed: "
                             f"{sorted(set(self.__dataclass_fields__) - {'t'})}")
        p = {**asdict(self), **point}
        p["n"] = v.integer("n", p["n"], low=1)
        p["d"] = v.integer("d", p["d"], low=2)
        p["dt"] = v.real("dt", p["dt"], low=0.0, low_open=True)
        p["delta"] = v.real("delta", p["delta"], low=0.0)
        p["initial"] = v.choice("initial", p["initial"], _INITIALS)
        if p["gamma"] is not None:
            if "beta" in point:
                raise ValueError("give either beta or gamma (beta = gamma log n) as a grid axis, not both")
            p["gamma"] = v.real("gamma", p["gamma"], low=0.0)
            p["beta"] = p["gamma"] * math.log(p["n"]) if p["n"] > 1 else 0.0
        steps = np.asarray(p["t"]) / p["dt"]
        if np.any(np.abs(steps - np.round(steps)) > 1e-6 * np.maximum(1.0, steps)):
            raise ValueError(f"t must hold multiples of dt = {p['dt']:g} (the run is stepped exactly onto them)")
        if p["method"] is not None:
            p["method"] = PARAMS["method"].check(p["method"])
        Attention(**{k: p[k] for k in _MODEL_FIELDS})  # validates the model fields
        return p


def _initial_state(p: dict, seq: np.random.SeedSequence) -> np.ndarray:
    n, d = p["n"], p["d"]
    if p["initial"] == "uniform":
        return _initial.uniform(n, d, seed=seq, dtype=p["dtype"])
    if p["initial"] == "hemisphere":
        return _initial.hemisphere(n, d, seed=seq, dtype=p["dtype"])
    theta = 2.0 * np.pi * np.arange(n) / n + p["delta"] * np.random.default_rng(seq).uniform(-1.0, 1.0, n)
    return _initial.from_angles(theta, d=d, dtype=p["dtype"])


class _SpecRunner:
    """Picklable: runs a RunSpec at one point and evaluates the observables at every time of spec.t."""

    def __init__(self, spec: RunSpec, observables: dict) -> None:
        self.spec, self.observables = spec, observables

    def __call__(self, point: dict, seq: np.random.SeedSequence) -> dict:
        p = self.spec.resolve(point)
        init_seq, noise_seq = (np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key + (i,)) for i in (0, 1))
        model = Attention(**{k: p[k] for k in _MODEL_FIELDS})
        noise_seed = int(noise_seq.generate_state(1)[0])
        sim = Simulation(model, _initial_state(p, init_seq), dt=p["dt"], method=p["method"], seed=noise_seed)
        out = {name: [] for name in self.observables}
        for s in np.round(np.asarray(p["t"]) / p["dt"]).astype(np.int64):
            sim.step(int(s) - sim.steps)
            x = sim.directions
            for name, f in self.observables.items():
                out[name].append(f(x, model))
        return {name: np.asarray(vals) for name, vals in out.items()}


class _FnRunner:
    """Picklable: calls fn(point, seed_sequence) -> mapping and keeps the requested names."""

    def __init__(self, fn: Callable, names: tuple | None) -> None:
        self.fn, self.names = fn, names

    def __call__(self, point: dict, seq: np.random.SeedSequence) -> dict:
        res = self.fn(dict(point), seq)
        if not isinstance(res, Mapping):
            raise ValueError(f"the sweep function must return a mapping name -> array, got {type(res).__name__}")
        names = self.names if self.names is not None else tuple(res)
        missing = [k for k in names if k not in res]
        if missing:
            raise ValueError(f"the sweep function returned no {missing}; it returned {sorted(res)}")
        return {k: np.asarray(res[k]) for k in names}


def _one_blas_thread():
    """One BLAS thread while a batch runs (threadpoolctl, if installed): the executor supplies the parallelism.

    Measured here: the d >= 16 velocity kernel at n = 32, d = 1024 takes 1.2 ms per call with one OpenBLAS
    thread and 80 ms with two on this 2-vCPU VM (threads spin against each other for tiny GEMMs).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _run_batch(runner: Callable, items: list) -> list:
    """Worker task: items are (run_id, point, SeedSequence); returns [(run_id, {name: array})]."""
    with _one_blas_thread():
        return [(rid, runner(point, seq)) for rid, point, seq in items]


def worker_init() -> None:
    """Initializer for worker processes: one numba/BLAS thread each (the pool supplies the parallelism).

    Pass it to your own pool: ``ProcessPoolExecutor(initializer=mw.dynamics.sweep.worker_init)``.
    """
    for key in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[key] = "1"
    import numba

    # kernels.use_parallel reads this: the serial kernel is used whatever the size of the problem
    numba.config.NUMBA_NUM_THREADS = 1


# ---------------------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class SweepResult:
    """A finished sweep: arrays indexed (*grid axes, seed, *observable shape).

    axes : {name: (len,) values} in grid order;  seeds : (S,) int;  data : {observable: array}
    t : (T,) observation times of a RunSpec sweep (the trailing axis of every observable), else None
    params : the fixed parameters (the RunSpec fields, or the function's name) and seed_axes, JSON-able
    meta : how it ran (executor, batch_size, seconds); not part of the result's identity
    """

    axes: dict
    seeds: np.ndarray
    data: dict
    t: np.ndarray | None = None
    params: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple:
        """(*grid shape, S)."""
        return tuple(len(a) for a in self.axes.values()) + (len(self.seeds),)

    @property
    def dims(self) -> tuple:
        """Names of the leading dimensions of every data array: (*axes, "seed")."""
        return tuple(self.axes) + ("seed",)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]

    def save(self, path) -> None:
        """Write an .npz (no pickles): axes, seeds, t, data and the parameters as JSON."""
        arrays = {"seeds": self.seeds}
        if self.t is not None:
            arrays["t"] = self.t
        for i, a in enumerate(self.axes.values()):
            arrays[f"axis{i}"] = np.asarray(a)
        for i, a in enumerate(self.data.values()):
            arrays[f"data{i}"] = a
        header = {"format": "mftx_widgets.sweep/1", "axes": list(self.axes), "data": list(self.data),
                  "params": self.params, "meta": self.meta}
        arrays["header"] = np.array(json.dumps(header, default=_json_default))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path) -> SweepResult:
        """Read a file written by save()."""
        with np.load(path, allow_pickle=False) as f:
            header = json.loads(str(f["header"]))
            if header.get("format") != "mftx_widgets.sweep/1":
                raise ValueError(f"{path} is not a sweep result written by SweepResult.save")
            axes = {k: f[f"axis{i}"] for i, k in enumerate(header["axes"])}
            data = {k: f[f"data{i}"] for i, k in enumerate(header["data"])}
            t = f["t"] if "t" in f.files else None
            return cls(axes=axes, seeds=f["seeds"], data=data, t=t, params=header["params"], meta=header["meta"])


def load(path) -> SweepResult:
    """Read a sweep result written by SweepResult.save (an .npz file)."""
    return SweepResult.load(path)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return repr(o)


# ---------------------------------------------------------------------------------------------- sweep
def _check_grid(grid) -> dict:
    if not isinstance(grid, Mapping):
        raise ValueError(f"grid must be a dict {{parameter: 1-D values}}, got {type(grid).__name__}")
    axes = {}
    for name, vals in grid.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"grid keys must be parameter names (str), got {name!r}")
        arr = np.asarray(vals)
        if arr.ndim == 0:
            arr = arr[None]
        if arr.ndim != 1 or arr.size == 0 or arr.dtype == object:
            raise ValueError(f"grid[{name!r}] must be a non-empty 1-D sequence of numbers or strings, got {vals!r}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError(f"grid[{name!r}] must be finite")
        axes[name] = arr
    return axes


def _check_seeds(seeds) -> np.ndarray:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        s = v.integer("seeds", seeds, low=1)
        return np.arange(s, dtype=np.int64)
    arr = np.asarray(seeds)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu" or np.any(arr < 0):
        raise ValueError(f"seeds must be a count >= 1 or a non-empty 1-D sequence of integers >= 0, got {seeds!r}")
    if len(np.unique(arr)) != arr.size:
        raise ValueError("seeds must be distinct")
    return arr.astype(np.int64)


def _check_observables(observables, spec: bool):
    if spec:
        if observables is None or isinstance(observables, str):
            observables = [observables] if isinstance(observables, str) else []
        items = observables.items() if isinstance(observables, Mapping) else [(o, o) for o in observables]
        out = {}
        for name, f in items:
            if isinstance(f, str):
                if f not in OBSERVABLES:
                    raise ValueError(f"unknown observable {f!r}; allowed: {sorted(OBSERVABLES)} or a callable")
                out[name if isinstance(name, str) else f] = OBSERVABLES[f]
            elif callable(f):
                key = name if isinstance(name, str) else getattr(f, "__name__", None)
                if not key or key == "<lambda>":
                    raise ValueError("name callable observables: pass a dict {name: f(x, model)}")
                out[key] = f
            else:
                raise ValueError(f"observables must be names or callables, got {f!r}")
        if not out:
            raise ValueError(f"observables must name at least one of {sorted(OBSERVABLES)} (or a callable)")
        return out
    if observables is None:
        return None
    names = (observables,) if isinstance(observables, str) else tuple(observables)
    if not names or not all(isinstance(k, str) for k in names):
        raise ValueError("observables must be None (keep everything) or names returned by the function")
    return names


def _executor_kind(executor) -> str:
    if executor is None or isinstance(executor, str):
        name = "auto" if executor is None else executor
        if name not in ("auto", "serial", "process"):
            raise ValueError(f"executor must be None, 'serial', 'process' or an Executor/Client, got {executor!r}")
        return name
    if isinstance(executor, cf.Executor):
        return "futures"
    if type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "submit"):
        return "dask"
    if hasattr(executor, "submit"):
        return "duck"
    raise ValueError(f"executor must be None, 'serial', 'process' or have a submit() method, got {executor!r}")


def sweep(fn_or_spec: RunSpec | Callable, grid: Mapping, seeds: int | Sequence[int] = 1, observables=None,
          executor=None, batch_size: int | None = None, progress: bool = True, max_workers: int | None = None,
          seed_axes: Sequence[str] | None = None) -> SweepResult:
    """Run every (grid point x seed) and return the observables as arrays.

    Parameters
    ----------
    fn_or_spec : RunSpec, or a function ``fn(point: dict, seed: np.random.SeedSequence) -> {name: array}``
        (module-level, so it pickles, for the process and dask executors)
    grid : {parameter: 1-D values}; the Cartesian product in the given order (RunSpec: any field but t)
    seeds : a count S (seeds 0..S-1) or distinct integers >= 0
    observables : RunSpec: names from OBSERVABLES or a dict {name: f(x (n, d), model)}, recorded at every
        spec.t; function: the returned names to keep (None: all)
    executor : None (a local process pool if there is more than one core and batch, else serial) | "serial" |
        "process" | a concurrent.futures.Executor | a dask.distributed.Client
    batch_size : runs per task (default: about 4 tasks per worker)
    progress : show a tqdm bar (tqdm.auto: notebook-aware) if tqdm is installed
    max_workers : size of the "process" pool (default: the effective cores)
    seed_axes : axes the random streams depend on (default: all). () gives common random numbers: seed s
        produces the same initial tokens at every point (e.g. one token set swept over beta).

    Returns
    -------
    SweepResult with data[name] of shape (*grid shape, S, *observable shape); RunSpec observables have a
    trailing time axis (T,).

    Notes
    -----
    Run (point k, seed s) uses ``np.random.SeedSequence(s, spawn_key=(k',))``, k' the flat index of the point
    over seed_axes; the result is identical for every executor and batch size.
    """
    is_spec = isinstance(fn_or_spec, RunSpec)
    if not is_spec and not callable(fn_or_spec):
        raise ValueError(f"fn_or_spec must be a RunSpec or a callable fn(point, seed), got {fn_or_spec!r}")
    axes = _check_grid(grid)
    seed_vals = _check_seeds(seeds)
    obs = _check_observables(observables, is_spec)
    if seed_axes is None:
        seed_axes = tuple(axes)
    seed_axes = (seed_axes,) if isinstance(seed_axes, str) else tuple(seed_axes)
    bad = [a for a in seed_axes if a not in axes]
    if bad:
        raise ValueError(f"seed_axes {bad} are not grid axes; allowed: {list(axes)}")
    kind = _executor_kind(executor)
    if max_workers is not None:
        max_workers = v.integer("max_workers", max_workers, low=1)
    progress = bool(progress)

    names = list(axes)
    shape = tuple(len(a) for a in axes.values())
    points = [{k: axes[k][i].item() for k, i in zip(names, idx)} for idx in itertools.product(*map(range, shape))]
    if is_spec:
        for p in points:  # fail fast, in the caller, on a bad grid value
            fn_or_spec.resolve(p)
        runner = _SpecRunner(fn_or_spec, obs)
    else:
        runner = _FnRunner(fn_or_spec, obs)
    seed_shape = tuple(shape[names.index(a)] for a in seed_axes)
    seed_pos = [names.index(a) for a in seed_axes]
    items = []
    for k, idx in enumerate(itertools.product(*map(range, shape))):
        key = int(np.ravel_multi_index([idx[i] for i in seed_pos], seed_shape)) if seed_axes else 0
        for s in seed_vals:
            items.append((len(items), points[k], np.random.SeedSequence(int(s), spawn_key=(key,))))

    workers = max_workers or _default_workers(executor, kind)
    if batch_size is None:
        batch_size = max(1, math.ceil(len(items) / (4 * workers)))
    batch_size = v.integer("batch_size", batch_size, low=1)
    batches = [items[i:i + batch_size] for i in range(0, len(items), batch_size)]
    if kind == "auto":
        kind = "process" if workers > 1 and len(batches) > 1 else "serial"

    t0 = time.perf_counter()
    results: dict[int, dict] = {}
    bar = _progress_bar(progress, len(items))
    try:
        for rid_results in _execute(kind, executor, runner, batches, workers):
            for rid, out in rid_results:
                results[rid] = out
            if bar is not None:
                bar.update(len(rid_results))
    finally:
        if bar is not None:
            bar.close()
    data = _assemble(results, len(items), shape + (len(seed_vals),))
    if is_spec:
        params = {k: val for k, val in asdict(fn_or_spec).items() if k not in axes and k != "t"}
    else:
        params = {"function": f"{getattr(fn_or_spec, '__module__', '?')}.{getattr(fn_or_spec, '__qualname__', '?')}"}
    params["seed_axes"] = list(seed_axes)
    meta = {"executor": kind, "batch_size": batch_size, "tasks": len(batches), "seconds": time.perf_counter() - t0}
    return SweepResult(axes=axes, seeds=seed_vals, data=data, t=np.asarray(fn_or_spec.t) if is_spec else None,
                       params=params, meta=meta)


def _default_workers(executor, kind: str) -> int:
    if kind in ("auto", "process", "serial"):
        from ..dynamics import effective_cores

        return 1 if kind == "serial" else effective_cores()
    if kind == "dask":
        try:
            return max(1, sum(executor.nthreads().values()))
        except Exception:  # noqa: BLE001 - a client that cannot answer still works, with a guess
            return 4
    return max(1, int(getattr(executor, "_max_workers", 4) or 4))


def _progress_bar(progress: bool, total: int):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="sweep", unit="run")


def _execute(kind, executor, runner, batches, workers):
    """Yield the result list of each batch as it finishes (any order)."""
    if kind == "serial":
        for b in batches:
            yield _run_batch(runner, b)
        return
    if kind == "process":
        import multiprocessing as mp

        # fork (Linux): workers inherit the compiled kernels and functions defined in a notebook
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with cf.ProcessPoolExecutor(max_workers=min(workers, len(batches)), mp_context=ctx,
                                    initializer=worker_init) as pool:
            yield from _from_futures(pool, runner, batches)
        return
    if kind == "futures":
        yield from _from_futures(executor, runner, batches)
        return
    if kind == "dask":
        from distributed import as_completed

        _dask_malloc_hint(executor)
        futures = [executor.submit(_run_batch, runner, b, pure=False) for b in batches]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()
        return
    futures = [executor.submit(_run_batch, runner, b) for b in batches]  # duck-typed: results in order
    for fut in futures:
        yield fut.result()


def _malloc_trim_env():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def _dask_malloc_hint(client) -> None:
    """Warn if dask workers run with MALLOC_TRIM_THRESHOLD_ set (dask's default for spawned workers).

    Any explicit trim threshold turns off glibc's adaptive mmap threshold, so every state-sized temporary
    (256 KiB at n = 32, d = 1024) is a fresh mmap: measured 0.31 s instead of 0.12 s of CPU per run here.
    """
    try:
        values = client.run(_malloc_trim_env)
    except Exception:  # noqa: BLE001 - a hint only; never fail a sweep for it
        return
    if any(val is not None for val in values.values()):
        warnings.warn(
            "dask workers run with MALLOC_TRIM_THRESHOLD_ set, which makes these simulations about 2.5x slower "
            "(every large temporary becomes a fresh mmap). Start the cluster under "
            "dask.config.set({'distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_': None}).",
            UserWarning, stacklevel=4)


def _from_futures(executor: cf.Executor, runner, batches):
    futures = [executor.submit(_run_batch, runner, b) for b in batches]
    try:
        for fut in cf.as_completed(futures):
            yield fut.result()
    finally:
        for fut in futures:
            fut.cancel()


def _assemble(results: dict, n_runs: int, lead: tuple) -> dict:
    first = results[0]
    data = {}
    for name, a0 in first.items():
        arr = np.empty((n_runs,) + a0.shape, dtype=np.result_type(a0.dtype, np.float64)
                       if a0.dtype.kind == "f" else a0.dtype)
        for rid in range(n_runs):
            a = results[rid][name]
            if a.shape != a0.shape:
                raise ValueError(f"observable {name!r} has shape {a.shape} in run {rid} but {a0.shape} in run 0")
            arr[rid] = a
        data[name] = arr.reshape(lead + a0.shape)
    return data


# ---------------------------------------------------------------------------------------------- theory
def equiangular_boundary(betas, n: int, threshold: float = 0.999, rho0: float = 0.0, kind: str = "SA") -> np.ndarray:
    """Time at which the equiangular ODE (THEORY.md section 6, mw.equiangular.solve) reaches rho = threshold.

    The ODE drho/dt = 2 b (1 - rho)(1 + (n - 1) rho) is autonomous, so the time is the quadrature
    t* = int_{rho0}^{threshold} drho / rhs(rho); for SA, 1 / rhs = (e^{beta (1 - rho)} + n - 1) /
    (2 (1 - rho)(1 + (n - 1) rho)); for USA, n e^{-beta rho} / (2 (1 - rho)(1 + (n - 1) rho)).
    Returns (B,) times (0 where rho0 >= threshold).
    """
    from scipy.integrate import quad

    n = v.integer("n", n, low=2)
    threshold = v.real("threshold", threshold, low=-1.0 / (n - 1), high=1.0, low_open=True, high_open=True)
    rho0 = v.real("rho0", rho0, low=-1.0 / (n - 1), high=1.0, low_open=True, high_open=True)
    kind = v.choice("kind", kind, {"sa": "SA", "usa": "USA"})
    b = np.atleast_1d(np.asarray(betas, dtype=float))
    if b.ndim != 1 or not np.all(np.isfinite(b)) or np.any(b < 0) or np.any(b > 700):
        raise ValueError("betas must be a 1-D sequence of finite values in [0, 700]")
    out = np.zeros(b.size)
    if threshold <= rho0:
        return out
    for i, beta in enumerate(b):
        if kind == "SA":
            def f(r, beta=beta):
                return (np.exp(beta * (1.0 - r)) + n - 1) / (2.0 * (1.0 - r) * (1.0 + (n - 1) * r))
        else:
            def f(r, beta=beta):
                return n * np.exp(-beta * r) / (2.0 * (1.0 - r) * (1.0 + (n - 1) * r))
        out[i] = quad(f, rho0, threshold, limit=400, epsabs=0.0, epsrel=1e-11)[0]
    return out


# ---------------------------------------------------------------------------------------------- phase diagram
@dataclass(frozen=True, eq=False)
class PhaseDiagram:
    """Probability (T, B) that all pairwise cosines are >= threshold at each (t, beta), from sweep.

    sweep["min_cosine"] has shape (B, S, T) (beta, seed, t).
    """

    beta: np.ndarray
    t: np.ndarray
    probability: np.ndarray
    threshold: float
    n: int
    d: int
    sweep: SweepResult = field(repr=False)

    @classmethod
    def from_sweep(cls, result: SweepResult, threshold: float | None = None) -> PhaseDiagram:
        """Rebuild from a (loaded) sweep over beta of a RunSpec with the "min_cosine" observable."""
        if list(result.axes) != ["beta"] or "min_cosine" not in result.data or result.t is None:
            raise ValueError("result must be a RunSpec sweep over the single axis 'beta' recording 'min_cosine'")
        if threshold is None:
            threshold = result.params.get("threshold", 0.999)
        threshold = v.real("threshold", threshold, low=-1.0, high=1.0)
        prob = (result["min_cosine"] >= threshold).mean(axis=1).T  # (T, B)
        return cls(beta=np.asarray(result.axes["beta"], dtype=float), t=result.t, probability=prob,
                   threshold=threshold, n=int(result.params["n"]), d=int(result.params["d"]), sweep=result)

    def crossing_times(self, level: float = 0.5) -> np.ndarray:
        """(B,) first time the probability reaches level (linear interpolation in t); NaN if it never does."""
        level = v.real("level", level, low=0.0, high=1.0, low_open=True)
        out = np.full(self.beta.size, np.nan)
        for j in range(self.beta.size):
            p = self.probability[:, j]
            hit = np.flatnonzero(p >= level)
            if hit.size == 0:
                continue
            i = hit[0]
            if i == 0 or p[i] == p[i - 1]:
                out[j] = self.t[i]
            else:
                out[j] = self.t[i - 1] + (level - p[i - 1]) * (self.t[i] - self.t[i - 1]) / (p[i] - p[i - 1])
        return out

    def theory(self, betas=None, rho0: float = 0.0) -> np.ndarray:
        """Equiangular prediction (B,) of the boundary at the diagram's betas (or the given ones)."""
        return equiangular_boundary(self.beta if betas is None else betas, self.n, self.threshold, rho0=rho0)

    def save(self, path) -> None:
        """Save the underlying sweep (threshold recorded); reload with PhaseDiagram.load."""
        self.sweep.save(path)

    @classmethod
    def load(cls, path, threshold: float | None = None) -> PhaseDiagram:
        return cls.from_sweep(SweepResult.load(path), threshold)


def phase_diagram(betas, times, n: int = 32, d: int = 1024, seeds: int | Sequence[int] = 16,
                  threshold: float = 0.999, dt: float = 0.1, kind: str = "SA", common_seeds: bool = True,
                  executor=None, batch_size: int | None = None, progress: bool = True) -> PhaseDiagram:
    """The (t, beta) phase diagram of THEORY.md section 10: n iid uniform tokens on S^{d-1}, P(min cosine >= threshold).

    betas (B,), times (T,) multiples of dt. common_seeds: every beta starts from the same S token sets
    (smoother diagram). Returns a PhaseDiagram (probability (T, B); .theory() is the equiangular prediction).
    """
    threshold = v.real("threshold", threshold, low=-1.0, high=1.0)
    spec = RunSpec(t=tuple(np.asarray(times, dtype=float)), n=n, d=d, kind=kind, dt=dt, initial="uniform")
    res = sweep(spec, {"beta": betas}, seeds, ["min_cosine"], executor=executor, batch_size=batch_size,
                progress=progress, seed_axes=() if common_seeds else None)
    res.params["threshold"] = threshold
    return PhaseDiagram.from_sweep(res, threshold)


# ---------------------------------------------------------------------------------------------- small studies
def cluster_count_vs_beta(betas, n: int = 400, d: int = 2, t: float = 20.0, seeds: int | Sequence[int] = 4,
                          delta: float = 1e-3, dt: float = 0.05, kind: str = "SA", executor=None,
                          batch_size: int | None = None, progress: bool = True) -> SweepResult:
    """Cluster count at time t vs beta from near-uniform starts (THEORY.md section 5, F11).

    d = 2: lattice plus iid angle noise of size delta ("circle" start); d > 2: iid uniform tokens.
    Returns a SweepResult with data "cluster_count" (B, S, 1); compare with mw.circle's dominant mode k*(beta).
    """
    spec = RunSpec(t=(float(t),), n=n, d=d, kind=kind, dt=dt, delta=delta, initial="circle" if d == 2 else "uniform")
    return sweep(spec, {"beta": betas}, seeds, ["cluster_count"], executor=executor, batch_size=batch_size,
                 progress=progress)


def _collapse_time(point: dict, seed: np.random.SeedSequence, *, d: int, threshold: float, t_max: float,
                   dt: float, kind: str) -> dict:
    """First time (on the dt grid) at which min cosine >= threshold, iid uniform start; inf if not by t_max."""
    n = int(point["n"])
    beta = float(point["gamma"]) * math.log(n)
    model = Attention(beta=beta, kind=kind)
    sim = Simulation(model, _initial.uniform(n, d, seed=seed), dt=dt)
    rho0 = _obs.mean_cosine(sim.x)
    while _obs.min_cosine(sim.x) < threshold:
        if sim.t >= t_max - 1e-12:
            return {"collapse_time": np.inf, "rho0": rho0}
        sim.step(1)
    return {"collapse_time": sim.t, "rho0": rho0}


def collapse_time_vs_n(ns, gammas, d: int = 64, seeds: int | Sequence[int] = 4, threshold: float = 0.99,
                       t_max: float = 50.0, dt: float = 0.1, kind: str = "SA", executor=None,
                       batch_size: int | None = None, progress: bool = True) -> SweepResult:
    """Collapse time vs n under beta = gamma log n (THEORY.md section 7), iid uniform tokens on S^{d-1}.

    Returns a SweepResult over (n, gamma) with data "collapse_time" (first time all pairwise cosines are
    >= threshold; inf if not by t_max) and "rho0" (initial mean cosine), each (N, G, S). The equiangular
    prediction is equiangular_boundary([gamma log n], n, threshold, rho0).
    """
    threshold = v.real("threshold", threshold, low=-1.0, high=1.0, high_open=True)
    t_max = v.real("t_max", t_max, low=0.0, low_open=True)
    dt = v.real("dt", dt, low=0.0, low_open=True)
    d = v.integer("d", d, low=2)
    kind = v.choice("kind", kind, {"sa": "SA", "usa": "USA"})
    ns_arr = np.atleast_1d(np.asarray(ns))
    if ns_arr.dtype.kind not in "iu" or np.any(ns_arr < 2):
        raise ValueError(f"ns must be integers >= 2, got {ns!r}")
    g_arr = np.atleast_1d(np.asarray(gammas, dtype=float))
    if np.any(~np.isfinite(g_arr)) or np.any(g_arr < 0):
        raise ValueError(f"gammas must be finite and >= 0, got {gammas!r}")
    fn = functools.partial(_collapse_time, d=d, threshold=threshold, t_max=t_max, dt=dt, kind=kind)
    res = sweep(fn, {"n": ns_arr, "gamma": g_arr}, seeds, None, executor=executor, batch_size=batch_size,
                progress=progress)
    res.params.update({"function": "collapse_time", "d": d, "threshold": threshold, "t_max": t_max, "dt": dt,
                       "kind": kind})
    return res
