"""Sweeps speak xarray: to_xarray's dims, coords and attrs; npz <-> netCDF <-> xarray round trips with exact
arrays; the phase diagram drawn from a Dataset; the README's plotting line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sweeps import support as ss

import mftx_widgets as mw
from mftx_widgets import sweeps as sw

xr = pytest.importorskip("xarray")


def _exact(r1: sw.SweepResult, r2: sw.SweepResult) -> None:
    """Same observables (dtypes, bits), axes, seeds, t, status, messages and parameters."""
    ss.same(r1, r2)
    assert list(r1.axes) == list(r2.axes)
    for k in r1.axes:
        assert r1.axes[k].dtype.kind == r2.axes[k].dtype.kind
        np.testing.assert_array_equal(r1.axes[k], r2.axes[k])
    assert (r1.t is None) == (r2.t is None)
    for a, b in ((r1.seeds, r2.seeds), (r1.t, r2.t), (r1.status, r2.status), (r1.messages, r2.messages)):
        if a is None:
            continue
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert dict(r1.params) == dict(r2.params) and dict(r1.meta) == dict(r2.meta)


def _with_a_failure(r: sw.SweepResult) -> sw.SweepResult:
    status, messages = np.array(r.status, dtype="<U10"), np.array(r.messages, dtype="<U40")
    status[1, 0, 2], messages[1, 0, 2] = "failed", "SimulationError: state is not finite"
    status[0, 1, 0], messages[0, 1, 0] = "inaccurate", "use dt <= 0.01"
    nan = np.array(r["mean_cosine"])
    nan[1, 0, 2] = np.nan                                  # (beta, kind, seed, t): every time of that run
    status, messages = np.array(status.tolist()), np.array(messages.tolist())     # the narrowest str dtypes
    return sw.SweepResult(axes=r.axes, seeds=r.seeds, data={**r.data, "mean_cosine": nan}, t=r.t, params=r.params,
                          meta=r.meta, status=status, messages=messages)


def test_to_xarray_layout(serial_result):
    r = _with_a_failure(serial_result)
    ds = r.to_xarray()
    assert ds["mean_cosine"].dims == ("beta", "kind", "seed", "time")
    assert ds["status"].dims == ds["messages"].dims == ("beta", "kind", "seed")
    np.testing.assert_array_equal(ds["beta"], ss.GRID["beta"])
    assert list(ds["kind"].values) == ss.GRID["kind"]
    np.testing.assert_array_equal(ds["seed"], [0, 1, 2])
    np.testing.assert_array_equal(ds["time"], ss.SPEC.t)
    # values at labelled coordinates are the result's, indexed by position
    sel = ds["energy_ratio"].sel(beta=2.0, kind="SA", seed=1, time=1.5).item()
    assert sel == r["energy_ratio"][1, 0, 1, 2]
    assert ds["status"].sel(beta=2.0, kind="SA", seed=2).item() == "failed"
    assert "not finite" in ds["messages"].sel(beta=2.0, kind="SA", seed=2).item()
    # attrs: the fixed parameters and how it ran
    assert ds.attrs["n"] == 8 and ds.attrs["d"] == 3 and ds.attrs["dt"] == 0.05 and ds.attrs["norm"] == "post"
    assert ds.attrs["executor"] == "serial"
    np.testing.assert_array_equal(ds.attrs["seeds"], [0, 1, 2])
    assert "mftx_widgets" in ds.attrs["versions"] and "xarray" in ds.attrs["versions"]
    assert json.loads(ds.attrs["mftx_params"])["seed_axes"] == ["beta", "kind"]


def test_round_trip_npz_netcdf_xarray_exact(serial_result, tmp_path):
    r = _with_a_failure(serial_result)
    _exact(r, sw.SweepResult.from_xarray(r.to_xarray()))
    r.save(tmp_path / "a.npz")
    from_npz = sw.load(tmp_path / "a.npz")
    from_npz.save(tmp_path / "b.nc")
    from_nc = sw.load(tmp_path / "b.nc")
    _exact(r, from_nc)
    assert np.isnan(from_nc["mean_cosine"][1, 0, 2]).all() and from_nc["cluster_count"].dtype == np.int64
    from_nc.save(tmp_path / "c.npz")
    _exact(r, sw.load(tmp_path / "c.npz"))
    with xr.open_dataset(tmp_path / "b.nc") as ds:                  # any netCDF reader sees the same arrays
        np.testing.assert_array_equal(ds["cluster_count"].values, r["cluster_count"])
        assert ds.attrs["n"] == 8


def test_zarr_round_trip(serial_result, tmp_path):
    pytest.importorskip("zarr")
    serial_result.save(tmp_path / "r.zarr")
    _exact(serial_result, sw.load(tmp_path / "r.zarr"))


def test_function_sweep_own_axes():
    def f(point, seed):
        return {"v": np.full((2, 5), point["beta"] + seed.entropy)}
    r = sw.sweep(f, {"beta": [1.0, 2.0]}, seeds=2, executor="serial", progress=False)
    ds = r.to_xarray()
    assert ds["v"].dims == ("beta", "seed", "v_dim0", "v_dim1") and "time" not in ds.dims
    _exact(r, sw.SweepResult.from_xarray(ds))


def test_from_xarray_refuses_other_datasets():
    with pytest.raises(mw.ParameterError, match="to_xarray"):
        sw.SweepResult.from_xarray(xr.Dataset({"a": ("x", [1.0])}))


def test_phase_diagram_plot_from_xarray(tmp_path):
    from matplotlib.figure import Figure

    from mftx_widgets.views import figures

    pd = mw.phase_diagram([0.0, 1.0], [0.0, 1.0, 2.0], n=4, d=8, seeds=2, dt=0.5, executor="serial", progress=False)
    pd.sweep.save(tmp_path / "pd.nc")
    with xr.open_dataset(tmp_path / "pd.nc") as ds:
        ax = Figure().add_subplot()
        figures.phase_diagram_plot(ds.load(), ax=ax, colorbar=False)
    np.testing.assert_array_equal(ax.collections[0].get_array().reshape(2, 3), pd.probability.T)


def test_readme_snippet_plots_the_seed_mean():
    """The README's line: res.to_xarray()["mean_cosine"].mean("seed").plot(x="time") draws the (beta, time) map."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = sw.sweep(sw.RunSpec(t=np.linspace(0, 2, 5), n=8, d=3), {"beta": [0.5, 1.0, 4.0]}, seeds=3,
                   observables=["mean_cosine"], executor="serial", progress=False)
    mesh = res.to_xarray()["mean_cosine"].mean("seed").plot(x="time")
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(3, 5), res["mean_cosine"].mean(axis=1))
    plt.close("all")
