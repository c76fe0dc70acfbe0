"""Speed-up of the local process pool over serial execution for a phase-diagram-like sweep.

    python benchmarks/bench_sweep.py [--workers 2] [--dask]

Prints wall times, the speed-up (serial / pool) and checks that both give identical arrays. The VM this
project is developed on has 2 vCPUs that behave like about one effective core under load, so expect about
1x - 1.3x here; on a real multi-core machine the speed-up approaches the number of workers for sweeps with
enough runs (each task is a batch of runs, so the per-task overhead is amortised).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from mftx_widgets import sweeps as sw
from mftx_widgets.dynamics import effective_cores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dask", action="store_true", help="also time a dask.distributed LocalCluster")
    args = ap.parse_args()

    spec = sw.RunSpec(t=tuple(np.arange(0.0, 6.01, 0.5)), n=32, d=args.d, dt=0.1)
    grid = {"beta": [0.0, 1.0, 2.0, 4.0]}
    runs = len(grid["beta"]) * args.seeds
    print(f"sweep: {runs} runs of n = 32, d = {args.d}, 60 RK4 steps; os.cpu_count() = {os.cpu_count()}, "
          f"effective cores = {effective_cores()}, load average = {os.getloadavg()[0]:.1f}")
    sw.sweep(spec, {"beta": [1.0]}, 1, ["min_cosine"], executor="serial", progress=False)  # JIT warm-up

    obs = ["min_cosine", "mean_cosine"]
    t_sers, t_pars = [], []
    for _ in range(args.repeats):  # interleaved, so a change of load on the shared machine hits both alike
        t0 = time.perf_counter()
        ser = sw.sweep(spec, grid, args.seeds, obs, executor="serial", progress=False)
        t_sers.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        par = sw.sweep(spec, grid, args.seeds, obs, executor="process", max_workers=args.workers, progress=False)
        t_pars.append(time.perf_counter() - t0)
    t_ser, t_par = float(np.median(t_sers)), float(np.median(t_pars))
    same = all(np.array_equal(ser[k], par[k]) for k in ser.data)
    meta = par.meta
    print(f"serial            {t_ser:7.2f} s  (median of {' '.join(f'{x:.2f}' for x in t_sers)})")
    print(f"process pool x{args.workers}   {t_par:7.2f} s  (median of {' '.join(f'{x:.2f}' for x in t_pars)}; "
          f"{meta['tasks']} tasks of {meta['batch_size']} runs, pool start-up included)")
    print(f"speed-up (serial / pool) = {t_ser / t_par:.2f}x   identical arrays: {same}   "
          f"load average now {os.getloadavg()[0]:.1f}")

    if args.dask:
        import dask
        from distributed import Client, LocalCluster

        # dask sets MALLOC_TRIM_THRESHOLD_ in spawned workers, which makes these runs ~2.5x slower: unset it
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        t0 = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=":0", worker_dashboard_address=None) as cluster, Client(cluster) as c:
            t_up = time.perf_counter() - t0
            times = []
            for _ in range(2):  # the first sweep includes loading numba's cached kernels in each new worker
                t0 = time.perf_counter()
                dsk = sw.sweep(spec, grid, args.seeds, obs, executor=c, progress=False)
                times.append(time.perf_counter() - t0)
        same = all(np.array_equal(ser[k], dsk[k]) for k in ser.data)
        print(f"dask LocalCluster  {times[1]:7.2f} s  (first sweep {times[0]:.2f} s, +{t_up:.1f} s start-up)  "
              f"speed-up {t_ser / times[1]:.2f}x   identical arrays: {same}")


if __name__ == "__main__":
    main()
