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
