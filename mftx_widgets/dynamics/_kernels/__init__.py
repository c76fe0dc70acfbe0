"""Private numba kernels: exp primitives, dense and neighbour-cell attention, the thread/BLAS policy."""
