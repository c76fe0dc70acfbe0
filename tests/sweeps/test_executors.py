"""sweeps.executors: identical results on every executor (serial, process pool, concurrent.futures, dask) and
batch size; a user function on the grid; bad sweep arguments.

Budget: about 30 s here (the dask LocalCluster with two worker processes takes ~10 s to start and stop).
"""

from __future__ import annotations

import numpy as np
import pytest
from sweeps import support as ss

from mftx_widgets import sweeps as sw


def _draws(point: dict, seed: np.random.SeedSequence) -> dict:
    """A user function: one uniform draw from the run's stream and a deterministic function of the point."""
    rng = np.random.default_rng(seed)
    return {"u": rng.random(3), "a_plus_b": point["a"] + point["b"]}


def test_batching_does_not_change_results(serial_result):
    for bs in (1, 5, 12):
        ss.same(serial_result, sw.sweep(ss.SPEC, ss.GRID, ss.SEEDS, ss.OBS, executor="serial", batch_size=bs,
                                        progress=False))


def test_process_pool_identical(serial_result):
    r = sw.sweep(ss.SPEC, ss.GRID, ss.SEEDS, ss.OBS, executor="process", max_workers=2, batch_size=2, progress=False)
    assert r.meta["executor"] == "process" and r.meta["tasks"] == 6
    ss.same(serial_result, r)


def test_user_function_on_executor_object():
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    grid = {"a": [1, 2, 3], "b": [10.0, 20.0]}
    ser = sw.sweep(_draws, grid, [5, 7], executor="serial", progress=False)
    with ProcessPoolExecutor(2, initializer=sw.worker_init) as pool:
        par = sw.sweep(_draws, grid, [5, 7], executor=pool, batch_size=1, progress=False)
    ss.same(ser, par)
    with ThreadPoolExecutor(2) as pool:
        ss.same(ser, sw.sweep(_draws, grid, [5, 7], executor=pool, batch_size=4, progress=False))
    expected = np.array([[11.0, 21.0], [12.0, 22.0], [13.0, 23.0]])
    np.testing.assert_array_equal(ser["a_plus_b"], np.repeat(expected[..., None], 2, axis=-1))
    assert ser["u"].shape == (3, 2, 2, 3)
    assert len(np.unique(ser["u"])) == ser["u"].size  # every (point, seed) has its own stream
    only = sw.sweep(_draws, grid, 1, observables=["u"], executor="serial", progress=False)
    assert list(only.data) == ["u"]


def test_dask_local_cluster_identical(serial_result):
    distributed = pytest.importorskip("distributed")  # the [scale] extra; installed by the test extra
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with pytest.warns(UserWarning, match="MALLOC_TRIM_THRESHOLD_"):  # dask's default slows the runs 2.5x
            r = sw.sweep(ss.SPEC, ss.GRID, ss.SEEDS, ss.OBS, executor=client, batch_size=3, progress=False)
        assert r.meta["executor"] == "dask"
    ss.same(serial_result, r)


@pytest.mark.parametrize("call", [
    lambda: sw.sweep(ss.SPEC, [("beta", 1.0)], 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": []}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [[1.0, 2.0]]}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0, np.nan]}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, 0, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, [-1], ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, [1, 1], ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, 1, ss.OBS, executor="threads"),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, 1, ss.OBS, batch_size=0),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, 1, ss.OBS, seed_axes=("n",)),
    lambda: sw.sweep("SA", {"beta": [1.0]}, 1, ss.OBS),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()
