"""Shared by the sweep tests (``from sweeps import support as ss``): the small spec, grid and observables every
executor must agree on, and the bit-for-bit comparison of two results."""

from __future__ import annotations

import numpy as np

from mftx_widgets import sweeps as sw

SPEC = sw.RunSpec(t=(0.0, 0.5, 1.5), n=8, d=3, dt=0.05)
GRID = {"beta": [0.5, 2.0], "kind": ["SA", "USA"]}
OBS = ["mean_cosine", "energy_ratio", "cluster_count"]
SEEDS = 3


def serial() -> sw.SweepResult:
    """SPEC over GRID x SEEDS seeds, run serially (the reference every executor must reproduce)."""
    return sw.sweep(SPEC, GRID, SEEDS, OBS, executor="serial", progress=False)


def same(r1: sw.SweepResult, r2: sw.SweepResult) -> None:
    """Same observables, dtypes and bits."""
    assert list(r1.data) == list(r2.data)
    for k in r1.data:
        assert r1[k].dtype == r2[k].dtype
        np.testing.assert_array_equal(r1[k], r2[k], err_msg=k)
