"""Private kernels of the velocity field, by role (nothing here imports above dynamics.models):

    backend.py      NUMBA: numba importable and MFTX_NUMBA != "0"; the one-line notice of the numpy path
    numpy_paths.py  the vectorised numpy paths used without numba (dense attention in row blocks, single linkage)

exp, rows, dense, cells, links, fourier and harmonics import numba at top level and are imported only when
backend.NUMBA is True (neighbors, policy and dispatch are numba-free and route to numpy_paths without it):

    exp.py        the vectorisable polynomial exp (bit-cast intrinsics) and the fastmath flags
    rows.py       row pieces shared by dense and neighbour kernels (_sum3, _finish)
    dense.py      dense kernels: d = 3 unrolled, chunked small d, BLAS tiles, and their prange drivers
    neighbors.py  the neighbour cut-off for large beta on S^2 (numba-free; its kernel is cells.py)
    cells.py      the numba cell-list kernel
    links.py      the numba union-find of observables.clusters
    fourier.py    exact O(nK) Fourier-moment kernel on the circle (d = 2, Q = K = V = I, moderate beta)
    harmonics.py  exact O(nL^2) spherical-harmonic-moment kernel on S^2 (d = 3, Q = K = V = I, moderate beta)
    policy.py     thread / BLAS policy: BLAS discovery, effective cores, the thread probe (use_parallel)
    dispatch.py   the one dispatcher (attention_into) with named modes (Mode) and the cost model that picks one
"""
