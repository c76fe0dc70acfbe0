"""Private numba kernels of the velocity field, by role (nothing here imports above dynamics.models):

    exp.py        the vectorisable polynomial exp (bit-cast intrinsics) and the fastmath flags
    rows.py       row pieces shared by dense and neighbour kernels (_sum3, _finish)
    dense.py      dense kernels: d = 3 unrolled, chunked small d, BLAS tiles, and their prange drivers
    neighbors.py  the neighbour cell-list kernel for large beta on S^2
    fourier.py    exact O(nK) Fourier-moment kernel on the circle (d = 2, Q = K = V = I, moderate beta)
    harmonics.py  exact O(nL^2) spherical-harmonic-moment kernel on S^2 (d = 3, Q = K = V = I, moderate beta)
    policy.py     thread / BLAS policy: BLAS discovery, effective cores, the thread probe (use_parallel)
    dispatch.py   the one dispatcher (attention_into) with named modes (Mode) and the cost model that picks one
"""
