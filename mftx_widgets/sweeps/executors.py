"""Running a sweep: the grid x seeds cut into batches, on a serial loop, a local process pool, any
concurrent.futures Executor or a dask.distributed Client; one BLAS thread per worker; a progress bar.

There is no scheduler here: the executor schedules. Every run draws its random numbers from
``np.random.SeedSequence(seed, spawn_key=(k,))`` (k the flat index of the point over ``seed_axes``) and runs
with one BLAS thread and the serial numba kernels (``_kernels.policy.serial``), so a result does not depend on
the executor, the batch size, the order in which tasks finish or what the thread probe says in a process.

A run that raises is recorded, not fatal: status "failed", the exception as its message, NaN observables;
the other runs complete (see SweepResult.status).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import itertools
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict

import numpy as np

from ..dynamics import _validate as v
from ..dynamics import effective_cores
from ..dynamics._kernels.policy import serial as serial_kernels
from ..errors import ParameterError
from .results import FAILED, SweepResult
from .spec import FnRunner, RunSpec, SpecRunner, check_observables

__all__ = ["sweep", "worker_init"]

#: the executor names sweep() accepts besides Executor / Client objects.
EXECUTORS = ("auto", "serial", "process")
#: tasks per worker when sweep() picks the batch size (amortises the per-task overhead, keeps workers busy).
TASKS_PER_WORKER = 4
#: worker count assumed for an executor that cannot tell its size.
GUESSED_WORKERS = 4


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
    batch_size : runs per task (default: about TASKS_PER_WORKER tasks per worker)
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
    over seed_axes, one BLAS thread and the serial kernels; the result is identical (bit for bit) for every
    executor and batch size.

    A run that raises (a grid value the parameter table refuses, a SimulationError, any exception of the function)
    does not stop the sweep: ``res.status`` (*grid shape, S) is "failed" for it, ``res.messages`` holds
    "ExceptionType: message" and its float observables are NaN (integer observables become float64); a UserWarning
    counts the failures. A task whose worker died (BrokenProcessPool, a lost dask worker) records its runs as
    failed with that error; the finished runs are kept. A RunSpec run whose Simulation reports status "inaccurate"
    keeps its observables with status "inaccurate" and the solver's message. A grid whose every point is refused
    by the parameter table raises that ParameterError at once (nothing would run).
    """
    is_spec = isinstance(fn_or_spec, RunSpec)
    if not is_spec and not callable(fn_or_spec):
        raise ParameterError(f"fn_or_spec must be a RunSpec or a callable fn(point, seed), got {fn_or_spec!r}")
    axes = _check_grid(grid)
    seed_vals = _check_seeds(seeds)
    obs = check_observables(observables, is_spec)
    if seed_axes is None:
        seed_axes = tuple(axes)
    seed_axes = (seed_axes,) if isinstance(seed_axes, str) else tuple(seed_axes)
    bad = [a for a in seed_axes if a not in axes]
    if bad:
        raise ParameterError(f"seed_axes {bad} are not grid axes; allowed: {list(axes)}")
    kind = _executor_kind(executor)
    if max_workers is not None:
        max_workers = v.integer("max_workers", max_workers, low=1)
    progress = bool(progress)

    shape = tuple(len(a) for a in axes.values())
    points = [{k: axes[k][i].item() for k, i in zip(axes, idx)} for idx in itertools.product(*map(range, shape))]
    refused: dict[int, str] = {}                  # point index -> message, for grid values the table refuses
    if is_spec:
        fn_or_spec.check_axes(axes)
        errors = []
        for k, p in enumerate(points):
            try:
                fn_or_spec.resolve(p)
            except ValueError as exc:
                errors.append(exc)
                refused[k] = _message(exc)
        if errors and len(errors) == len(points):
            raise errors[0]                       # nothing valid to run: the caller's mistake, said at once
        runner = SpecRunner(fn_or_spec, obs)
        fallback = {name: (len(fn_or_spec.t),) for name in obs}
    else:
        runner = FnRunner(fn_or_spec, obs)
        fallback = {name: () for name in (obs or ())}
    items = _runs(points, shape, list(axes), seed_axes, seed_vals)
    pre = {rid: (None, FAILED, refused[rid // len(seed_vals)]) for rid, _, _ in items
           if rid // len(seed_vals) in refused}
    items = [it for it in items if it[0] not in pre]

    workers = max_workers or _default_workers(executor, kind)
    if batch_size is None:
        batch_size = max(1, math.ceil(len(items) / (TASKS_PER_WORKER * workers)))
    batch_size = v.integer("batch_size", batch_size, low=1)
    batches = [items[i:i + batch_size] for i in range(0, len(items), batch_size)]
    if kind == "auto":
        kind = "process" if workers > 1 and len(batches) > 1 else "serial"

    t0 = time.perf_counter()
    results: dict[int, tuple] = dict(pre)
    bar = _progress_bar(progress, len(items))
    try:
        for rid_results in _execute(kind, executor, runner, batches, workers):
            for rid, out, status, message in rid_results:
                results[rid] = (out, status, message)
            if bar is not None:
                bar.update(len(rid_results))
    finally:
        if bar is not None:
            bar.close()
    lead = shape + (len(seed_vals),)
    data = _assemble(results, len(results), lead, fallback)
    status = np.array([results[r][1] for r in range(len(results))], dtype=str).reshape(lead)
    messages = np.array([results[r][2] for r in range(len(results))], dtype=str).reshape(lead)
    failed = int(np.count_nonzero(status == FAILED))
    if failed:
        first = messages[status == FAILED].flat[0]
        warnings.warn(f"{failed} of {status.size} sweep runs failed (observables NaN; see result.status and "
                      f"result.messages); first: {first}", UserWarning, stacklevel=2)
    if is_spec:
        params = {k: val for k, val in asdict(fn_or_spec).items() if k not in axes and k != "t"}
    else:
        params = {"function": f"{getattr(fn_or_spec, '__module__', '?')}.{getattr(fn_or_spec, '__qualname__', '?')}"}
    params["seed_axes"] = list(seed_axes)
    meta = {"executor": kind, "batch_size": batch_size, "tasks": len(batches), "seconds": time.perf_counter() - t0}
    return SweepResult(axes=axes, seeds=seed_vals, data=data, t=np.asarray(fn_or_spec.t) if is_spec else None,
                       params=params, meta=meta, status=status, messages=messages)


def _runs(points: list, shape: tuple, names: list, seed_axes: tuple, seed_vals: np.ndarray) -> list:
    """[(run_id, point, SeedSequence(seed, spawn_key=(flat index over seed_axes,)))], point-major."""
    seed_shape = tuple(shape[names.index(a)] for a in seed_axes)
    seed_pos = [names.index(a) for a in seed_axes]
    items = []
    for k, idx in enumerate(itertools.product(*map(range, shape))):
        key = int(np.ravel_multi_index([idx[i] for i in seed_pos], seed_shape)) if seed_axes else 0
        for s in seed_vals:
            items.append((len(items), points[k], np.random.SeedSequence(int(s), spawn_key=(key,))))
    return items


def _check_grid(grid) -> dict:
    if not isinstance(grid, Mapping):
        raise ParameterError(f"grid must be a dict {{parameter: 1-D values}}, got {type(grid).__name__}")
    axes = {}
    for name, vals in grid.items():
        if not isinstance(name, str) or not name:
            raise ParameterError(f"grid keys must be parameter names (str), got {name!r}")
        arr = np.asarray(vals)
        if arr.ndim == 0:
            arr = arr[None]
        if arr.ndim != 1 or arr.size == 0 or arr.dtype == object:
            raise ParameterError(f"grid[{name!r}] must be a non-empty 1-D sequence of numbers or strings, got {vals!r}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ParameterError(f"grid[{name!r}] must be finite")
        axes[name] = arr
    return axes


def _check_seeds(seeds) -> np.ndarray:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        s = v.integer("seeds", seeds, low=1)
        return np.arange(s, dtype=np.int64)
    arr = np.asarray(seeds)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu" or np.any(arr < 0):
        raise ParameterError(f"seeds must be a count >= 1 or a non-empty 1-D sequence of integers >= 0, got {seeds!r}")
    if len(np.unique(arr)) != arr.size:
        raise ParameterError("seeds must be distinct")
    return arr.astype(np.int64)


def _assemble(results: dict, n_runs: int, lead: tuple, fallback: dict) -> dict:
    """{name: (*lead, *observable shape)} from {run_id: (outputs or None, status, message)}.

    Floats are promoted to at least float64; a failed run (outputs None) is NaN, so an integer or boolean
    observable with a failed run becomes float64. Shapes come from the first run with outputs; if no run has
    any, from fallback {name: shape}.
    """
    done = [rid for rid in range(n_runs) if results[rid][0] is not None]
    first = results[done[0]][0] if done else {name: np.empty(sh) for name, sh in fallback.items()}
    failed = len(done) < n_runs
    data = {}
    for name, a0 in first.items():
        promote = a0.dtype.kind == "f" or (failed and a0.dtype.kind in "iub")
        arr = np.empty((n_runs,) + a0.shape, dtype=np.result_type(a0.dtype, np.float64) if promote else a0.dtype)
        if failed:
            arr[...] = np.nan
        for rid in done:
            a = results[rid][0][name]
            if a.shape != a0.shape:
                raise ParameterError(f"observable {name!r} has shape {a.shape} in run {rid} but {a0.shape} in run "
                                 f"{done[0]}")
            arr[rid] = a
        data[name] = arr.reshape(lead + a0.shape)
    return data


def _message(exc: BaseException) -> str:
    """What a failed run records: "ExceptionType: message"."""
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------------- executors
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
    """Worker task: items are (run_id, point, SeedSequence); returns [(run_id, {name: array} or None, status,
    message)]. One BLAS thread and the serial kernels (the same bits everywhere); a run that raises is
    recorded as FAILED with "ExceptionType: message" and the batch goes on."""
    out = []
    with _one_blas_thread(), serial_kernels():
        for rid, point, seq in items:
            try:
                res, status, message = runner(point, seq)
            except Exception as exc:  # noqa: BLE001 - recorded per run; the sweep never loses the other runs
                out.append((rid, None, FAILED, _message(exc)))
                continue
            out.append((rid, res, status, message))
    return out


def worker_init() -> None:
    """Initializer for worker processes: one numba/BLAS thread each (the pool supplies the parallelism).

    Pass it to your own pool: ``ProcessPoolExecutor(initializer=mw.sweeps.worker_init)``.
    """
    for key in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[key] = "1"
    from ..dynamics._kernels.backend import NUMBA

    if NUMBA:    # without numba (the numpy path) there are no numba threads to set, and numba is never imported
        import numba

        # the kernels' thread policy reads this: the serial kernel is used whatever the size of the problem
        numba.config.NUMBA_NUM_THREADS = 1


def _executor_kind(executor) -> str:
    if executor is None or isinstance(executor, str):
        name = "auto" if executor is None else executor
        if name not in EXECUTORS:
            raise ParameterError(f"executor must be None, 'serial', 'process' or an Executor/Client, got {executor!r}")
        return name
    if isinstance(executor, cf.Executor):
        return "futures"
    if type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "submit"):
        return "dask"
    if hasattr(executor, "submit"):
        return "duck"
    raise ParameterError(f"executor must be None, 'serial', 'process' or have a submit() method, got {executor!r}")


def _default_workers(executor, kind: str) -> int:
    if kind in EXECUTORS:
        return 1 if kind == "serial" else effective_cores()
    if kind == "dask":
        try:
            return max(1, sum(executor.nthreads().values()))
        except Exception:  # noqa: BLE001 - a client that cannot answer still works, with a guess
            return GUESSED_WORKERS
    return max(1, int(getattr(executor, "_max_workers", GUESSED_WORKERS) or GUESSED_WORKERS))


def _progress_bar(progress: bool, total: int):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="sweep", unit="run")


def _execute(kind: str, executor, runner: Callable, batches: list, workers: int) -> Iterator[list]:
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
            yield from _as_completed(pool.submit, cf.as_completed, runner, batches)
        return
    if kind == "futures":
        yield from _as_completed(executor.submit, cf.as_completed, runner, batches)
        return
    if kind == "dask":
        from distributed import as_completed

        _dask_malloc_hint(executor)
        yield from _as_completed(functools.partial(executor.submit, pure=False), as_completed, runner, batches)
        return
    futures = [executor.submit(_run_batch, runner, b) for b in batches]  # duck-typed: results in order
    for fut, b in zip(futures, batches):
        yield _result(fut, b)


def _as_completed(submit: Callable, as_completed: Callable, runner: Callable, batches: list) -> Iterator[list]:
    """Submit every batch, yield results as they finish, cancel what is left if the caller stops early."""
    futures = [submit(_run_batch, runner, b) for b in batches]
    batch_of = {id(f): b for f, b in zip(futures, batches)}
    try:
        for fut in as_completed(futures):
            yield _result(fut, batch_of[id(fut)])
    finally:
        for fut in futures:
            fut.cancel()


def _result(fut, batch: list) -> list:
    """A finished task's result list; if the task itself failed (a worker died: BrokenProcessPool, a lost dask
    worker), every run of its batch is recorded as FAILED with that error and the sweep goes on."""
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - the finished batches are kept; this one is recorded
        msg = _message(exc)
        return [(rid, None, FAILED, msg) for rid, _, _ in batch]


def _malloc_trim_env():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def _dask_malloc_hint(client) -> None:
    """Warn if dask workers run with MALLOC_TRIM_THRESHOLD_ set (dask's default for spawned workers).

    Any explicit trim threshold turns off glibc's adaptive mmap threshold, so every state-sized temporary
    (256 KiB at n = 32, d = 1024) is a fresh mmap: measured 0.31 s instead of 0.12 s of CPU per run here.
    Start dask clusters under
    ``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})``.
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
