"""Speed of the exact moment paths (Fourier on the circle, spherical harmonics on S^2) against the dense kernel,
in one run, on ONE thread (numba and BLAS; the thread probe off).

    python benchmarks/bench_harmonic.py [--quick] [--out table.md]

Prints (markdown tables; every ratio is between timings of this run):
1. d = 2, beta = 5: one velocity evaluation of n = 10^6 tokens (the policy's path) against the dense kernel timed
   at n = 10^4 and extrapolated by n^2; one RK4 step of 10^6 tokens (mw.Simulation.step, its inner stages off the
   circle);
2. d = 3, n = 10^5, beta = 4 and 10: the policy's path against the dense kernel timed at the same n;
3. the Explorer's kernel side: RK4 steps per second at d = 3, beta = 4, n = 10^4 (policy vs dense);
4. crossovers: the time of each exact path (dense, Fourier / harmonics, neighbour cells) over a grid of n and beta,
   the fastest, the dispatcher's pick, and the check that the pick is never slower than dense by more than 10 %;
5. the cost-model coefficients measured on the grid (to compare with mftx_widgets.config.COST_*).
Targets (issue 14): >= 1000x and < 1 s (1), < 5 s per RK4 step (1), >= 30x / >= 10x (2), >= 10 steps/s (3).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--quick", action="store_true", help="small sizes only (smoke test)")
ap.add_argument("--out", default=None, help="also write the tables to this markdown file")
ARGS = ap.parse_args()
for var in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
os.environ["MFTX_PARALLEL"] = "0"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import mftx_widgets as mw  # noqa: E402
from mftx_widgets import config as cfg  # noqa: E402
from mftx_widgets.dynamics._kernels import dispatch, fourier, harmonics  # noqa: E402

Mode = dispatch.Mode
LINES: list[str] = []


def emit(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def unit(n: int, d: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def best(fn, repeat: int = 3, budget: float = 1.0) -> float:
    """Best of `repeat` timed calls after one warm-up (fewer repeats once `budget` seconds are spent)."""
    fn()
    times: list[float] = []
    spent = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        spent += times[-1]
        if spent > budget:
            break
    return min(times)


def timed(model, x, mode=None) -> float:
    out = np.empty_like(x)
    if mode is None:
        return best(lambda: dispatch.attention_into(model, x, out, True))
    return best(lambda: dispatch.attention_into(model, x, out, True, parallel=False, mode=mode))


def check(ok: bool) -> str:
    return "yes" if ok else "**NO**"


emit(f"Run {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.processor() or platform.machine()}, one thread, "
     f"python {platform.python_version()}, numpy {np.__version__}")
emit()

# 1. d = 2, n = 10^6 ------------------------------------------------------------------------------------------
big = 10 ** 5 if ARGS.quick else 10 ** 6
ref_n = 10 ** 4
model = mw.Attention(beta=5.0)
t_dense = timed(model, unit(ref_n, 2), Mode.CHUNK)
xb = unit(big, 2, 1)
pick = dispatch.pick_mode(model, big, 2)
t_mom = timed(model, xb)
sim = mw.Simulation(model, xb, dt=cfg.DEFAULT_DT, method="rk4")
t_rk4 = best(lambda: sim.step(1), repeat=2, budget=0.0)
extra = t_dense * (big / ref_n) ** 2
emit(f"## d = 2, beta = 5, n = {big:.0e}: one velocity evaluation and one RK4 step")
emit()
emit("| dense at n = 1e4 | dense extrapolated (n^2) | policy path | its time | ratio | target >= 1000x, < 1 s | "
     "RK4 step | target < 5 s |")
emit("|---|---|---|---|---|---|---|---|")
emit(f"| {t_dense:.3f} s | {extra:.0f} s | {pick.value} (K = {fourier.fourier_order(5.0)}) | {t_mom:.3f} s | "
     f"**{extra / t_mom:.0f}x** | {check(extra / t_mom >= 1000 and t_mom < 1)} | {t_rk4:.2f} s | {check(t_rk4 < 5)} |")
emit()

# 2. d = 3, n = 10^5 ------------------------------------------------------------------------------------------
n3 = 2 * 10 ** 4 if ARGS.quick else 10 ** 5
emit(f"## d = 3, n = {n3:.0e}: the policy's path against the dense kernel at the same n")
emit()
emit("| beta | dense (self3) | policy path | degree L | its time | ratio | target |")
emit("|---|---|---|---|---|---|---|")
x3 = unit(n3, 3, 2)
for beta, target in ((4.0, 30.0), (10.0, 10.0)):
    m = mw.Attention(beta=beta)
    out = np.empty_like(x3)
    dispatch.attention_into(m, x3[:64].copy(), out[:64], True, parallel=False, mode=Mode.SELF3)   # warm-up
    t0 = time.perf_counter()
    dispatch.attention_into(m, x3, out, True, parallel=False, mode=Mode.SELF3)      # timed once
    td = time.perf_counter() - t0
    tm = timed(m, x3)
    emit(f"| {beta:g} | {td:.2f} s | {dispatch.pick_mode(m, n3, 3).value} | {harmonics.harmonic_degree(beta)} | "
         f"{tm:.3f} s | **{td / tm:.0f}x** | >= {target:.0f}x: {check(td / tm >= target)} |")
emit()

# 3. the Explorer's kernel side -------------------------------------------------------------------------------
emit("## Explorer kernel side: RK4 steps per second, d = 3, beta = 4, n = 1e4, dt = DEFAULT_DT")
emit()
m = mw.Attention(beta=4.0)
x0 = unit(10 ** 4, 3, 3)
rates = {}
for label, max_beta in (("policy", cfg.HARMONIC_MAX_BETA), ("dense", -1.0)):
    saved = cfg.HARMONIC_MAX_BETA
    cfg.HARMONIC_MAX_BETA = max_beta
    try:
        s = mw.Simulation(m, x0, dt=cfg.DEFAULT_DT, method="rk4")
        s.step(1)
        steps = 5 if label == "dense" else 20
        t0 = time.perf_counter()
        s.step(steps)
        rates[label] = steps / (time.perf_counter() - t0)
    finally:
        cfg.HARMONIC_MAX_BETA = saved
emit("| policy steps/s | dense steps/s | ratio | target >= 10 steps/s |")
emit("|---|---|---|---|")
emit(f"| {rates['policy']:.1f} | {rates['dense']:.1f} | {rates['policy'] / rates['dense']:.1f}x | "
     f"{check(rates['policy'] >= 10)} |")
emit()

# 4. crossovers -----------------------------------------------------------------------------------------------
ns = (100, 300, 1000, 3000, 10000) if ARGS.quick else (100, 300, 1000, 3000, 10000, 30000)
betas = (1.0, 4.0, 10.0, 30.0, 60.0)
emit("## Crossovers: seconds per velocity evaluation of each exact path (uniform tokens, float64, one thread)")
emit()
emit("| d | n | beta | dense | moments | cells | fastest | policy pick | pick / dense | <= 1.1 |")
emit("|---|---|---|---|---|---|---|---|---|---|")
worst = 0.0
fits = {"dense2": [], "dense3": [], "fourier": [], "harmonic": []}
for d in (2, 3):
    for n in ns:
        x = unit(n, d, 4)
        for beta in betas:
            m = mw.Attention(beta=beta)
            dense = dispatch.dense_mode(m, d)
            t = {dense: timed(m, x, dense)}
            fits[f"dense{d}"].append(t[dense] / n / n)
            plan = dispatch.moment_plan(m, d)
            if plan is not None:
                t[plan[0]] = timed(m, x, plan[0])
                k = plan[1] + 1 if d == 2 else (plan[1] + 1) * (plan[1] + 2) / 2
                fits["fourier" if d == 2 else "harmonic"].append((t[plan[0]] - cfg.COST_FIXED) / (n + cfg.COST_N0) / k)
            if d == 3 and n >= 3000 and beta >= 30:
                t[Mode.CELLS] = timed(m, x, Mode.CELLS)
            pick = dispatch.pick_mode(m, n, d)
            fastest = min(t, key=t.get)
            ratio = t.get(pick, t[dense]) / t[dense]
            worst = max(worst, ratio)
            mom = t.get(plan[0]) if plan is not None else None
            emit(f"| {d} | {n} | {beta:g} | {t[dense]:.2e} | {'-' if mom is None else f'{mom:.2e}'} | "
                 f"{f'{t[Mode.CELLS]:.2e}' if Mode.CELLS in t else '-'} | {fastest.value} | {pick.value} | "
                 f"{ratio:.2f} | {check(ratio <= 1.1)} |")
emit()
emit(f"Dispatcher check: the policy's pick is at most {worst:.2f} x the dense time on this grid "
     f"(must be <= 1.10): {check(worst <= 1.1)}")
emit()

# 5. cost coefficients ----------------------------------------------------------------------------------------
emit("## Cost-model coefficients measured on the grid (median; config values in brackets)")
emit()
emit("| dense d = 2 s/pair | dense d = 3 s/pair | fourier s/(token mode) | harmonics s/(token pair) |")
emit("|---|---|---|---|")
emit(f"| {np.median(fits['dense2']):.2e} [{cfg.COST_DENSE[(2, 'float64')]:.1e}] | "
     f"{np.median(fits['dense3']):.2e} [{cfg.COST_DENSE[(3, 'float64')]:.1e}] | "
     f"{np.median(fits['fourier']):.2e} [{cfg.COST_FOURIER:.1e}] | "
     f"{np.median(fits['harmonic']):.2e} [{cfg.COST_HARMONIC:.1e}] |")

if ARGS.out:
    with open(ARGS.out, "w") as fh:
        fh.write("\n".join(LINES) + "\n")
