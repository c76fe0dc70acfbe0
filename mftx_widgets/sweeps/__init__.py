"""Parameter sweeps: a grid of model parameters x initial-condition seeds, on any concurrent.futures-style executor.

    res = sweep(RunSpec(t=[0, 1, 2], n=32, d=3), grid={"beta": [1, 4, 9]}, seeds=8,
                observables=["mean_cosine", "cluster_count"])
    res["mean_cosine"].shape            # (3, 8, 3): (beta, seed, t)

Modules by role: ``spec`` (RunSpec, generated from the parameter table; the observables a run records),
``executors`` (sweep: batching, serial / process pool / concurrent.futures / dask, worker_init, BLAS thread
limits, progress bar), ``results`` (SweepResult, immutable, save / load .npz) and ``studies`` (phase_diagram,
PhaseDiagram, equiangular_boundary, cluster_count_vs_beta, collapse_time_vs_n).

Every run (grid point, seed) draws its random numbers from ``np.random.SeedSequence(seed, spawn_key=(k,))`` with k
the flat index of the point (over ``seed_axes``), so a result does not depend on the executor, the batch size, the
order in which tasks finish or the thread count (every run uses one BLAS thread and the serial kernels). A run
that raises is recorded, not fatal: ``res.status`` (*grid, S) "ok" | "failed" | "inaccurate", ``res.messages`` the
exception, NaN observables; the other runs complete. Runs are grouped in batches (one task each) to amortise the
per-task overhead. Executors: ``"serial"``, ``"process"`` (a local ``ProcessPoolExecutor``, the default when there
is more than one core and more than one batch), any ``concurrent.futures.Executor``, or a
``dask.distributed.Client`` (duck-typed: ``submit`` + ``distributed.as_completed``). Start dask clusters under
``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})``: dask's default trim
threshold makes these simulations ~2.5x slower (sweep warns when it sees it).

Phase diagram of docs/theory.md §10 ([R], figure from [GLPR]): ``phase_diagram`` (probability that all
pairwise cosines exceed a threshold at each (t, beta)) and ``equiangular_boundary`` (the SA equiangular
prediction, docs/theory.md §6).
"""

from .executors import sweep, worker_init
from .results import SweepResult, load
from .spec import OBSERVABLES, RunSpec
from .studies import PhaseDiagram, cluster_count_vs_beta, collapse_time_vs_n, equiangular_boundary, phase_diagram

__all__ = [
    "RunSpec", "SweepResult", "sweep", "load", "worker_init", "PhaseDiagram", "phase_diagram",
    "equiangular_boundary", "cluster_count_vs_beta", "collapse_time_vs_n", "OBSERVABLES",
]
