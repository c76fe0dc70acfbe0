"""Tolerances and defaults in one place (tests read precision from here)."""

#: x0 rows are accepted as unit vectors when abs(|x_i| - 1) <= NORM_TOL.
NORM_TOL = 1e-6
#: default time step of simulate() and Simulation (time units of docs/theory.md).
DEFAULT_DT = 0.05
#: tokens i, j are linked into one cluster when 1 - <x_i, x_j> <= CLUSTER_TOL
#: (single linkage; 1e-2 is an angle of about 8 degrees).
CLUSTER_TOL = 1e-2
#: largest beta * max score for which exp() stays representable (float64 / float32).
MAX_EXP_ARG = {"float64": 700.0, "float32": 80.0}
#: n at or above which the parallel (prange) kernel may be used, if more than one core is effective.
PARALLEL_MIN_N = 4096
#: run the once-per-process thread probe (_kernels.policy.use_parallel) before threads; False trusts the core count.
PARALLEL_PROBE = True
#: d at or above which the velocity kernels use BLAS tiles plus a fused exp pass (below: streaming SIMD loops).
BLAS_MIN_D = 16
#: the neighbour (cell-list) kernel drops pairs with beta (1 - <x_i, x_j>) > NEIGHBOR_TAIL (weights < e^-37 = 8.5e-17).
NEIGHBOR_TAIL = 37.0
#: velocity() switches to the neighbour kernel (d = 3, Q = K = V = I) for n >= NEIGHBOR_MIN_N and
#: beta >= NEIGHBOR_MIN_BETA, where it is measured faster than the dense kernel (benchmarks/bench_kernels.py).
NEIGHBOR_MIN_N = 20000
NEIGHBOR_MIN_BETA = 50.0
#: a relative decrease of E_beta between two recorded states larger than this counts as a violation of its
#: monotonicity (dynamics.monitor: the step dt is too large).
ENERGY_RTOL = 1e-9
#: the harmonic paths (Fourier modes on the circle, spherical harmonics on S^2; dynamics/_kernels/fourier.py and
#: harmonics.py) truncate the expansion of e^{beta <x, y>} so that each row's velocity is within
#: HARMONIC_TOL times its velocity scale sum_j A_ij |x_j| of the exact one (float64 arithmetic inside).
HARMONIC_TOL = 1e-12
#: rows whose scaled weight sum e^{-beta} sum_j e^{beta <x_i, x_j>} / n is below HARMONIC_MIN_MASS (a token far
#: from almost all the mass: rounding is amplified by up to 1 / mass) are recomputed by the dense row kernel.
HARMONIC_MIN_MASS = 1e-2
#: largest expansion order K (Fourier) / degree L (harmonics) the dispatcher considers; beyond it dense or cells.
HARMONIC_MAX_ORDER = 120
#: the dispatcher considers the harmonic paths for beta <= HARMONIC_MAX_BETA only (above it the cells win and
#: the fallback rows of HARMONIC_MIN_MASS become common).
HARMONIC_MAX_BETA = 30.0
#: cost model of dispatch.cheapest_mode (seconds on one core, measured by benchmarks/bench_harmonic.py):
#: dense: COST_DENSE[(d, dtype)] * n^2 pairs (halved by COST_PARALLEL when the thread policy runs it in parallel);
#: fourier: COST_FIXED + COST_FOURIER * (n + COST_N0) * (K + 1); harmonic: COST_FIXED + COST_HARMONIC *
#: (n + COST_N0) * (L + 1)(L + 2) / 2 (their float64 arithmetic costs the same for float32 states);
#: cells: the dense cost times COST_CELLS * NEIGHBOR_TAIL / beta (the fraction of pairs in the cut-off cap).
COST_DENSE = {(2, "float64"): 1.6e-9, (2, "float32"): 1.3e-9, (3, "float64"): 6e-10, (3, "float32"): 2.4e-10}
COST_PARALLEL = 1.8
COST_FOURIER = 1.2e-9
COST_HARMONIC = 2.2e-9
COST_CELLS = 1.0
COST_FIXED = 3e-5
COST_N0 = 100
#: a moment path replaces dense (or cells) only when its estimate is at least COST_MARGIN times cheaper: the
#: timings on a shared machine scatter by more than 10 %, and near a crossover little is lost.
COST_MARGIN = 1.5
#: rows off the unit sphere (the inner stages of a Runge-Kutta step) cost the moment paths 1 + COST_RADIAL * P
#: times more, P the order of the radial (Bessel multiplication theorem) series; above HARMONIC_MAX_RADIAL: dense.
HARMONIC_MAX_RADIAL = 8
COST_RADIAL = 0.75
