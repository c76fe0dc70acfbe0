"""Sweeps never lose work: a failing run is recorded (status "failed", its message, NaN observables) and the
other runs match a clean sweep bit for bit, on every executor; and results are bit-identical across executors
even where the thread probe would send the main process down the parallel kernels.

Budget: about 25 s here (a dask LocalCluster, a process pool, three n = 4100 runs).
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from sweeps import support as ss

from mftx_widgets import sweeps as sw
from mftx_widgets.config import BLAS_MIN_D, PARALLEL_MIN_N
from mftx_widgets.dynamics._kernels import policy
from mftx_widgets.errors import SimulationError

#: beta -1 is refused by the parameter table; appended last so the other points keep their flat index
#: (and so their random streams) of ss.GRID.
BAD_GRID = {"beta": ss.GRID["beta"] + [-1.0], "kind": ss.GRID["kind"]}


def _fails_at_usa_beta2(x, model):
    """A RunSpec observable that raises for one grid point (beta = 2, USA): a run that fails mid-way."""
    if model.kind == "USA" and model.beta == 2.0:
        raise SimulationError("boom at beta = 2, USA")
    return float(x[0, 0])


def _fn(point: dict, seed: np.random.SeedSequence) -> dict:
    """A user function that fails at a = 2 and draws one number from its stream elsewhere."""
    if point["a"] == 2:
        raise ZeroDivisionError("a = 2 is not allowed here")
    return {"u": np.random.default_rng(seed).random(2), "count": np.int64(point["a"])}


def _check_failed_point(res: sw.SweepResult, clean: sw.SweepResult) -> None:
    """res = the sweep over BAD_GRID: the beta = -1 row failed with a message naming beta; rows 0, 1 = clean."""
    assert res.shape == (3, 2, ss.SEEDS)
    assert np.all(res.status[:2] == "ok") and np.all(res.status[2] == "failed")
    assert np.all(res.messages[:2] == "")
    for msg in res.messages[2].ravel():
        assert msg.startswith("ParameterError") and "beta" in msg
    for k in ss.OBS:
        assert np.all(np.isnan(res[k][2]))
        assert res[k].dtype == np.float64
        np.testing.assert_array_equal(res[k][:2], clean[k], err_msg=k)   # cluster_count: int -> float, same values
    assert len(res.failures) == 2 * ss.SEEDS and res.failures[0][0] == {"beta": -1.0, "kind": "SA"}
    np.testing.assert_array_equal(res.ok, res.status != "failed")


def test_refused_grid_value_is_recorded_and_the_rest_completes(serial_result):
    with pytest.warns(UserWarning, match=r"6 of 18 sweep runs failed.*ParameterError"):
        res = sw.sweep(ss.SPEC, BAD_GRID, ss.SEEDS, ss.OBS, executor="serial", progress=False)
    _check_failed_point(res, serial_result)


def test_a_run_that_raises_is_recorded_on_every_executor(serial_result, tmp_path):
    """A run raising mid-way (serial, process pool, thread pool, dask): status, message, NaN; the rest = clean."""
    from concurrent.futures import ThreadPoolExecutor

    obs = {"mean_cosine": "mean_cosine", "x00": _fails_at_usa_beta2}

    def check(res: sw.SweepResult) -> None:
        bad = np.zeros(res.shape, bool)
        bad[1, 1] = True                                   # (beta = 2, USA), every seed
        np.testing.assert_array_equal(res.status, np.where(bad, "failed", "ok"))
        assert all(m == "SimulationError: boom at beta = 2, USA" for m in res.messages[bad])
        assert np.all(np.isnan(res["mean_cosine"][bad])) and np.all(np.isnan(res["x00"][bad]))
        np.testing.assert_array_equal(res["mean_cosine"][~bad], serial_result["mean_cosine"][~bad])
        assert np.all(np.isfinite(res["x00"][~bad]))

    def run(executor, **kw) -> sw.SweepResult:
        with pytest.warns(UserWarning, match="3 of 12 sweep runs failed"):
            return sw.sweep(ss.SPEC, ss.GRID, ss.SEEDS, obs, executor=executor, progress=False, **kw)

    ref = run("serial")
    check(ref)
    ref.save(tmp_path / "failed.npz")                   # status and messages survive the file
    back = sw.load(tmp_path / "failed.npz")
    np.testing.assert_array_equal(back.status, ref.status)
    np.testing.assert_array_equal(back.messages, ref.messages)
    ss.same(ref, back)
    results = [run("process", max_workers=2, batch_size=2)]
    with ThreadPoolExecutor(2) as pool:
        results.append(run(pool, batch_size=5))
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*MALLOC_TRIM_THRESHOLD_")
        results.append(run(client, batch_size=3))
    for res in results:
        ss.same(ref, res)
        np.testing.assert_array_equal(res.status, ref.status)
        np.testing.assert_array_equal(res.messages, ref.messages)


def test_user_function_failure_recorded_with_the_other_points():
    grid = {"a": [1, 2, 3]}
    with pytest.warns(UserWarning, match="2 of 6"):
        res = sw.sweep(_fn, grid, 2, executor="serial", progress=False)
    clean = sw.sweep(_fn, {"a": [1]}, 2, executor="serial", progress=False)
    assert clean.status.tolist() == [["ok", "ok"]] and clean["count"].dtype.kind == "i"
    assert res.status.tolist() == [["ok", "ok"], ["failed", "failed"], ["ok", "ok"]]
    assert res.messages[1, 0] == "ZeroDivisionError: a = 2 is not allowed here"
    assert np.all(np.isnan(res["u"][1])) and np.all(np.isnan(res["count"][1]))
    np.testing.assert_array_equal(res["u"][0], clean["u"][0])        # point 0 keeps its stream
    np.testing.assert_array_equal(res["count"][[0, 2]], [[1, 1], [3, 3]])


def test_every_run_failing_still_returns_every_status():
    with pytest.warns(UserWarning, match="2 of 2"):
        res = sw.sweep(_fn, {"a": [2]}, 2, observables=["u"], executor="serial", progress=False)
    assert res.status.tolist() == [["failed", "failed"]] and np.all(np.isnan(res["u"]))


def test_a_grid_the_table_refuses_entirely_raises_at_once():
    with pytest.raises(ValueError, match="beta"):
        sw.sweep(ss.SPEC, {"beta": [-1.0, -2.0]}, 1, ss.OBS, progress=False)


def test_serial_context_forces_serial_kernels_in_its_thread_only(monkeypatch):
    monkeypatch.setitem(policy._PROBE, "pay", True)      # the probe says "threads pay"
    if not policy.use_parallel(PARALLEL_MIN_N):
        pytest.skip("one effective core or numba thread: the parallel path is never taken here")
    seen = {}
    with policy.serial():
        with policy.serial():                            # reentrant
            assert not policy.use_parallel(PARALLEL_MIN_N)
        assert not policy.use_parallel(PARALLEL_MIN_N)
        other = threading.Thread(target=lambda: seen.setdefault("other", policy.use_parallel(PARALLEL_MIN_N)))
        other.start()
        other.join()
    assert seen["other"] is True and policy.use_parallel(PARALLEL_MIN_N)


def _state(x, model):
    """The whole state (n * d,): any last-bit difference shows."""
    return np.asarray(x).ravel()


def test_bit_identical_across_executors_when_the_probe_says_parallel(monkeypatch):
    """MFTX_PARALLEL=1 in the main process (the probe says yes) while pool workers run one thread: the same bits.

    n = 4100 (>= PARALLEL_MIN_N; not a multiple of the parallel driver's 128-row tiles per block, where the
    parallel and serial kernels round differently: measured up to 3e-16 at n = 4100, d = 16, beta = 9),
    d = BLAS_MIN_D (the BLAS tile kernel).
    """
    monkeypatch.setenv("MFTX_PARALLEL", "1")
    monkeypatch.setitem(policy._PROBE, "pay", True)
    n, d = PARALLEL_MIN_N + 4, BLAS_MIN_D
    if not policy.use_parallel(n):
        pytest.skip("one effective core or numba thread: the parallel path is never taken here")
    spec = sw.RunSpec(t=(0.05,), n=n, d=d, dt=0.05)
    grid = {"beta": [9.0, 1.0]}
    ser = sw.sweep(spec, grid, 1, {"x": _state}, executor="serial", progress=False)
    par = sw.sweep(spec, grid, 1, {"x": _state}, executor="process", max_workers=2, batch_size=1, progress=False)
    assert ser["x"].shape == (2, 1, 1, n * d) and np.all(ser.status == "ok")
    ss.same(ser, par)


def test_phase_diagram_leaves_failed_runs_out():
    """P(min cosine >= 0.9) over the finished seeds only: beta = 1 has seeds (1.0, failed, 0.5) -> 1/2, not 1/3."""
    mc = np.array([[[0.0, 1.0], [np.nan, np.nan], [0.0, 0.5]],
                   [[0.95, 0.99], [0.0, 0.0], [0.0, 0.92]]])               # (beta, seed, t)
    status = np.array([["ok", "failed", "ok"], ["ok", "ok", "ok"]])
    res = sw.SweepResult(axes={"beta": [1.0, 2.0]}, seeds=np.arange(3), data={"min_cosine": mc}, t=np.array([0., 1.]),
                         params={"n": 8, "d": 3}, status=status)
    pd = sw.PhaseDiagram.from_sweep(res, threshold=0.9)
    np.testing.assert_array_equal(pd.probability, [[0.0, 1 / 3], [0.5, 2 / 3]])
    every = sw.PhaseDiagram.from_sweep(res.__class__(axes=res.axes, seeds=res.seeds, data=res.data, t=res.t,
                                                     params=res.params, status=np.full((2, 3), "failed")), 0.9)
    assert np.all(np.isnan(every.probability))


def test_status_is_validated():
    with pytest.raises(ValueError, match="status"):
        sw.SweepResult(axes={"a": [1]}, seeds=np.arange(2), data={}, status=np.array([["ok", "fine"]]))
    with pytest.raises(ValueError, match="messages"):
        sw.SweepResult(axes={"a": [1]}, seeds=np.arange(2), data={}, messages=np.array(["", ""]))


def _dies_at_a3(point: dict, seed: np.random.SeedSequence) -> dict:
    """A user function whose worker process dies (no exception to catch) at a = 3."""
    if point["a"] == 3:
        import os

        os._exit(3)
    return {"u": np.random.default_rng(seed).random(2)}


def test_a_dead_worker_loses_only_its_runs():
    """A worker process that dies breaks the pool: the runs that had finished are kept, the others are recorded
    as failed with the pool's error (which runs finished first depends on the scheduling)."""
    grid = {"a": [1, 2, 3, 4]}
    clean = sw.sweep(_dies_at_a3, {"a": [1, 2]}, 1, executor="serial", progress=False)
    with pytest.warns(UserWarning, match="sweep runs failed"):
        res = sw.sweep(_dies_at_a3, grid, 1, executor="process", max_workers=2, batch_size=1, progress=False)
    assert res.status[2, 0] == "failed" and "BrokenProcessPool" in res.messages[2, 0]
    ok = res.status == "ok"
    assert np.all(np.isnan(res["u"][~ok]))
    np.testing.assert_array_equal(res["u"][:2][ok[:2]], clean["u"][ok[:2]])


def test_inaccurate_runs_keep_their_observables_and_say_so(monkeypatch, serial_result):
    """A Simulation that reports status "inaccurate" (a fixed step its own error check rejects): the run keeps its
    observables, status "inaccurate" and the solver's message (here a stand-in Simulation for USA runs)."""
    from mftx_widgets.sweeps import spec as spec_mod

    class Watched(spec_mod.Simulation):
        MESSAGE = "local error above rtol: dt = 0.01 would do"

        def step(self, *args, **kwargs):
            out = super().step(*args, **kwargs)
            if self.model.kind == "USA":
                self.status, self.message = "inaccurate", self.MESSAGE
            return out

    monkeypatch.setattr(spec_mod, "Simulation", Watched)
    res = sw.sweep(ss.SPEC, ss.GRID, ss.SEEDS, ss.OBS, executor="serial", progress=False)
    usa = np.zeros(res.shape, bool)
    usa[:, 1] = True
    np.testing.assert_array_equal(res.status, np.where(usa, "inaccurate", "ok"))
    assert set(res.messages[usa]) == {Watched.MESSAGE} and set(res.messages[~usa]) == {""}
    ss.same(serial_result, res)
    assert res.ok.all() and res.failures == []


def test_a_real_inaccurate_fixed_step_run_is_recorded_with_the_dt_that_would_do():
    """No stand-in: USA with Euler at dt = 0.1 (the issue's example of a plausible-looking wrong run) is marked
    "inaccurate" by the Simulation's own error check, and the sweep keeps that status and its advice."""
    spec = sw.RunSpec(t=tuple(np.arange(0.0, 4.01, 1.0)), n=32, d=3, kind="USA", method="euler", dt=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sw.sweep(spec, {"beta": [5.0]}, seeds=2, observables=["energy"], executor="serial", progress=False)
    assert np.all(res.status == "inaccurate"), res.status
    assert all("dt <=" in m and "dopri5" in m for m in res.messages.ravel()), res.messages
    assert np.all(np.isfinite(res["energy"]))
