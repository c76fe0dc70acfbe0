"""Sweeps: identical results on every executor and batch size, npz round trip, phase diagram vs THEORY.md section 10.

Budget: about 1 min here (the dask LocalCluster with two worker processes takes ~10 s to start and stop).
"""

from __future__ import annotations

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets import sweeps as sw

SPEC = sw.RunSpec(t=(0.0, 0.5, 1.5), n=8, d=3, dt=0.05)
GRID = {"beta": [0.5, 2.0], "kind": ["SA", "USA"]}
OBS = ["mean_cosine", "energy_ratio", "cluster_count"]


def _draws(point: dict, seed: np.random.SeedSequence) -> dict:
    """A user function: one uniform draw from the run's stream and a deterministic function of the point."""
    rng = np.random.default_rng(seed)
    return {"u": rng.random(3), "a_plus_b": point["a"] + point["b"]}


@pytest.fixture(scope="module")
def serial_result():
    return sw.sweep(SPEC, GRID, 3, OBS, executor="serial", progress=False)


def _same(r1: sw.SweepResult, r2: sw.SweepResult) -> None:
    assert list(r1.data) == list(r2.data)
    for k in r1.data:
        assert r1[k].dtype == r2[k].dtype
        np.testing.assert_array_equal(r1[k], r2[k], err_msg=k)


def test_shape_and_documented_seeding(serial_result):
    r = serial_result
    assert r.shape == (2, 2, 3) and r.dims == ("beta", "kind", "seed")
    assert r["mean_cosine"].shape == (2, 2, 3, 3) and r["cluster_count"].dtype == np.int64
    # run (point k, seed s) starts from initial.uniform(seed=SeedSequence(s, spawn_key=(k, 0))) (documented)
    for k, (i, j) in enumerate(np.ndindex(2, 2)):
        for s in range(3):
            x0 = mw.initial.uniform(8, 3, seed=np.random.SeedSequence(s, spawn_key=(k, 0)))
            assert abs(r["mean_cosine"][i, j, s, 0] - mw.observables.mean_cosine(x0)) <= 1e-15  # x / |x| rounding
    # SA and USA both cluster: mean cosine increases (F12-like monotone ascent of the energy ratio)
    assert np.all(np.diff(r["energy_ratio"], axis=-1) > 0)


def test_batching_does_not_change_results(serial_result):
    for bs in (1, 5, 12):
        _same(serial_result, sw.sweep(SPEC, GRID, 3, OBS, executor="serial", batch_size=bs, progress=False))


def test_process_pool_identical(serial_result):
    r = sw.sweep(SPEC, GRID, 3, OBS, executor="process", max_workers=2, batch_size=2, progress=False)
    assert r.meta["executor"] == "process" and r.meta["tasks"] == 6
    _same(serial_result, r)


def test_user_function_on_executor_object():
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    grid = {"a": [1, 2, 3], "b": [10.0, 20.0]}
    ser = sw.sweep(_draws, grid, [5, 7], executor="serial", progress=False)
    with ProcessPoolExecutor(2, initializer=sw.worker_init) as pool:
        par = sw.sweep(_draws, grid, [5, 7], executor=pool, batch_size=1, progress=False)
    _same(ser, par)
    with ThreadPoolExecutor(2) as pool:
        _same(ser, sw.sweep(_draws, grid, [5, 7], executor=pool, batch_size=4, progress=False))
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
            r = sw.sweep(SPEC, GRID, 3, OBS, executor=client, batch_size=3, progress=False)
        assert r.meta["executor"] == "dask"
    _same(serial_result, r)


def test_common_seeds_share_initial_tokens():
    spec = sw.RunSpec(t=(0.0,), n=6, d=4, dt=0.1)
    common = sw.sweep(spec, {"beta": [0.0, 2.0, 5.0]}, 4, ["mean_cosine"], seed_axes=(), executor="serial",
                      progress=False)["mean_cosine"][..., 0]
    assert np.all(common == common[0])                   # same tokens at every beta
    own = sw.sweep(spec, {"beta": [0.0, 2.0, 5.0]}, 4, ["mean_cosine"], executor="serial",
                   progress=False)["mean_cosine"][..., 0]
    assert not np.any(own[1] == own[0])


def test_save_load_round_trip(serial_result, tmp_path):
    path = tmp_path / "sweep.npz"
    serial_result.save(path)
    back = sw.load(path)
    _same(serial_result, back)
    assert list(back.axes) == ["beta", "kind"]
    np.testing.assert_array_equal(back.axes["beta"], [0.5, 2.0])
    assert list(back.axes["kind"]) == ["SA", "USA"]
    np.testing.assert_array_equal(back.seeds, [0, 1, 2])
    np.testing.assert_array_equal(back.t, SPEC.t)
    assert back.params["n"] == 8 and back.params["d"] == 3 and back.params["dt"] == 0.05
    assert back.params["seed_axes"] == ["beta", "kind"]


def test_equiangular_boundary_is_the_ode_time():
    betas = [0.0, 2.0, 5.0]
    ts = sw.equiangular_boundary(betas, n=32, threshold=0.999)
    for beta, t_star in zip(betas, ts):
        rho = mw.equiangular.solve("SA", beta, 32, 0.0, [0.0, t_star])[-1]
        assert abs(rho - 0.999) < 1e-8
    assert np.all(np.diff(ts) > 0)                       # larger beta, later collapse
    # F15: large-n limit is the logistic curve, time log(3)/2 from rho0 = 0.5 to 0.75 (beta = 1.5 log n)
    n = 10**6
    t = sw.equiangular_boundary([1.5 * np.log(n)], n, 0.75, rho0=0.5)[0]
    assert abs(t - np.log(3) / 2) <= 0.02 * np.log(3) / 2


def test_phase_diagram_boundary_matches_equiangular_d1024():
    """THEORY.md section 10: n = 32 iid tokens in d = 1024 (rho0 ~ 0 +- 1/sqrt(d)) collapse when the ODE says.

    Coarse grid t = 0, 0.5, ..., 9 (dt = 0.25); the time where P(all cosines >= 0.999) crosses 1/2 must be within
    one grid step (0.5) of the SA equiangular time from rho0 = 0; measured: 5.25 / 5.63 / 7.05 vs 5.19 / 5.46 / 6.95.
    """
    betas = [0.0, 2.0, 4.0]
    pd = sw.phase_diagram(betas, np.arange(0.0, 9.01, 0.5), n=32, d=1024, seeds=4, dt=0.25, executor="serial",
                          progress=False)
    assert pd.probability.shape == (19, 3)
    assert np.all(pd.probability[0] == 0) and np.all(pd.probability[-1] == 1)
    theory = sw.equiangular_boundary(betas, 32, 0.999)
    np.testing.assert_allclose(pd.theory(), theory)
    assert np.all(np.abs(pd.crossing_times(0.5) - theory) <= 0.5), (pd.crossing_times(0.5), theory)
    # sharp in d = 1024: every seed is below threshold one grid step before, above it one grid step after
    for j, t_star in enumerate(theory):
        assert pd.probability[pd.t <= t_star - 0.5, j].max() == 0
        assert pd.probability[pd.t >= t_star + 1.0, j].min() == 1


def test_phase_diagram_sharpens_with_d():
    """THEORY.md section 10: as d grows (8, 128, 1024) the boundary sharpens onto the equiangular prediction.

    beta = 1, 8 seeds, t step 0.25. Measured: first-hit times 6.0..7.75 / 5.5..5.75 / 5.5..5.5 and P = 1/2 at
    6.58 / 5.61 / 5.38 against the ODE time 5.27 (rho0 = 0).
    """
    theory = sw.equiangular_boundary([1.0], 32, 0.999)[0]
    errors, spreads = [], []
    for d in (8, 128, 1024):
        pd = sw.phase_diagram([1.0], np.arange(0.0, 12.01, 0.25), n=32, d=d, seeds=8, dt=0.25, executor="serial",
                              progress=False)
        hit = pd.sweep["min_cosine"][0] >= 0.999                          # (seeds, T)
        assert hit[:, -1].all()
        first = pd.t[hit.argmax(axis=1)]
        errors.append(abs(pd.crossing_times(0.5)[0] - theory))
        spreads.append(first.max() - first.min())
    assert errors[0] > errors[1] > errors[2] and errors[2] <= 0.25, errors
    assert spreads[0] > spreads[1] >= spreads[2], spreads


def test_figures_phase_diagram_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from mftx_widgets.views.figures import phase_diagram_plot

    betas = np.array([0.0, 1.0])
    pd = sw.phase_diagram(betas, np.arange(0.0, 2.01, 1.0), n=4, d=8, seeds=2, dt=0.5, executor="serial",
                          progress=False)
    ax = phase_diagram_plot(pd)
    curve = ax.lines[0]
    # the overlay is the equiangular ODE time t*(beta), drawn as (t*, beta) and cut at the diagram's time range
    t_star, beta_line = curve.get_xdata(), curve.get_ydata()
    np.testing.assert_allclose(t_star, sw.equiangular_boundary(beta_line, 4, 0.999))
    assert "n = 4, d = 8" in ax.get_title()
    ax.figure.savefig(tmp_path / "pd.png")
    back = sw.PhaseDiagram.load(_saved(pd, tmp_path))
    np.testing.assert_array_equal(back.probability, pd.probability)
    assert back.threshold == 0.999


def _saved(pd, tmp_path):
    path = tmp_path / "pd.npz"
    pd.save(path)
    return path


def test_collapse_time_vs_n_follows_long_context_scaling():
    """THEORY.md section 7: with beta = gamma log n, gamma < 1 collapses in O(1) time, gamma > 1 much later."""
    r = sw.collapse_time_vs_n([8, 16], [0.5, 2.0], d=64, seeds=2, threshold=0.99, t_max=40.0, dt=0.1,
                              executor="serial", progress=False)
    tc = r["collapse_time"]
    assert tc.shape == (2, 2, 2) and np.all(np.abs(r["rho0"]) < 0.2)
    assert np.all(tc[:, 1, :] > tc[:, 0, :])
    # gamma = 2 > 1/(1 - rho0): the time to move grows with n (ODE: 7.8 at n = 8, 14.2 at n = 16; ratio 1.8)
    assert np.median(tc[1, 1]) > 1.5 * np.median(tc[0, 1])
    import matplotlib

    matplotlib.use("Agg")
    from mftx_widgets.views.figures import collapse_time_plot

    ax = collapse_time_plot(r)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), np.median(tc[:, 0, :], axis=1))
    assert ax.get_xscale() == "log" and len(ax.lines) == 4       # measured + ODE curve for each gamma
    # gamma = 0.5: within 25% of the equiangular ODE from the measured mean initial cosine
    for i, n in enumerate([8, 16]):
        for s in range(2):
            pred = sw.equiangular_boundary([0.5 * np.log(n)], n, 0.99, rho0=max(r["rho0"][i, 0, s], 0.0))[0]
            assert abs(tc[i, 0, s] - pred) <= 0.25 * pred, (n, tc[i, 0, s], pred)


def test_cluster_count_vs_beta_is_the_dominant_mode():
    """THEORY.md F10 / F11 (circle): near-uniform starts form k*(beta) clusters (beta 1.5, 3, 5, 9 -> 2, 2, 3, 4).

    Here: lattice of n = 200 plus iid angle noise 1e-3 (two seeds), SA, t = 30 (after the linear phase, before
    any merge; measured counts are stable from t = 25 to t = 40).
    """
    betas = [1.5, 3.0, 5.0, 9.0]
    r = sw.cluster_count_vs_beta(betas, n=200, d=2, t=30.0, seeds=2, dt=0.1, executor="serial", progress=False)
    counts = r["cluster_count"][..., -1]
    expected = [mw.circle.dominant_mode(b) for b in betas]
    assert expected == [2, 2, 3, 4]
    np.testing.assert_array_equal(counts, np.repeat(np.array(expected)[:, None], 2, axis=1))
    import matplotlib

    matplotlib.use("Agg")
    from mftx_widgets.views.figures import cluster_count_plot

    ax = cluster_count_plot(r)
    steps = ax.lines[-1]                                 # the theory overlay: k*(beta) of mw.circle
    b, k = steps.get_xdata(), steps.get_ydata()
    assert k[np.argmin(np.abs(b - 5.0))] == 3 and k[np.argmin(np.abs(b - 9.0))] == 4


@pytest.mark.parametrize("call", [
    lambda: sw.sweep(SPEC, [("beta", 1.0)], 1, OBS),
    lambda: sw.sweep(SPEC, {"beta": []}, 1, OBS),
    lambda: sw.sweep(SPEC, {"beta": [[1.0, 2.0]]}, 1, OBS),
    lambda: sw.sweep(SPEC, {"beta": [1.0, np.nan]}, 1, OBS),
    lambda: sw.sweep(SPEC, {"temperature": [1.0]}, 1, OBS),
    lambda: sw.sweep(SPEC, {"t": [1.0]}, 1, OBS),
    lambda: sw.sweep(SPEC, {"beta": [-1.0]}, 1, OBS),
    lambda: sw.sweep(SPEC, {"kind": ["softmax"]}, 1, OBS),
    lambda: sw.sweep(SPEC, {"n": [0]}, 1, OBS),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, 0, OBS),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, [-1], OBS),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, [1, 1], OBS),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, 1, ["entropy"]),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, 1, []),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, 1, OBS, executor="threads"),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, 1, OBS, batch_size=0),
    lambda: sw.sweep(SPEC, {"beta": [1.0]}, 1, OBS, seed_axes=("n",)),
    lambda: sw.sweep(SPEC, {"beta": [1.0], "gamma": [0.5]}, 1, OBS),
    lambda: sw.sweep("SA", {"beta": [1.0]}, 1, OBS),
    lambda: sw.RunSpec(t=(0.0, 0.15), dt=0.1),
    lambda: sw.RunSpec(t=(1.0, 0.5)),
    lambda: sw.RunSpec(t=(0.0,), initial="gaussian"),
    lambda: sw.equiangular_boundary([1.0], 32, threshold=1.0),
    lambda: sw.equiangular_boundary([-1.0], 32),
    lambda: sw.equiangular_boundary([1.0], 1),
    lambda: sw.phase_diagram([1.0], [0.0, 0.1], threshold=1.5),
    lambda: sw.collapse_time_vs_n([1], [0.5]),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()
