"""The numba union-find of observables.clusters (imported only when backend.NUMBA is True; the numpy path is
numpy_paths.link_roots). _link(u, tol): for unit rows u (n, d), the smallest index of the connected
component of each token under i ~ j when 1 - <u_i, u_j> <= tol, (n,) int64."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _link(u, tol):
    n, d = u.shape
    parent = np.arange(n)
    for i in range(n):
        for j in range(i + 1, n):
            s = 0.0
            for k in range(d):
                s += u[i, k] * u[j, k]
            if 1.0 - s <= tol:
                a = i
                while parent[a] != a:
                    parent[a] = parent[parent[a]]
                    a = parent[a]
                b = j
                while parent[b] != b:
                    parent[b] = parent[parent[b]]
                    b = parent[b]
                if a != b:
                    if a < b:
                        parent[b] = a
                    else:
                        parent[a] = b
    labels = np.empty(n, dtype=np.int64)
    for i in range(n):
        a = i
        while parent[a] != a:
            a = parent[a]
        labels[i] = a
    return labels
