"""sweeps.results: the .npz round trip, and results that cannot be edited (derived data is a new result)."""

from __future__ import annotations

import numpy as np
import pytest
from sweeps import support as ss

from mftx_widgets import sweeps as sw


def test_save_load_round_trip(serial_result, tmp_path):
    path = tmp_path / "sweep.npz"
    serial_result.save(path)
    back = sw.load(path)
    ss.same(serial_result, back)
    assert list(back.axes) == ["beta", "kind"]
    np.testing.assert_array_equal(back.axes["beta"], [0.5, 2.0])
    assert list(back.axes["kind"]) == ["SA", "USA"]
    np.testing.assert_array_equal(back.seeds, [0, 1, 2])
    np.testing.assert_array_equal(back.t, ss.SPEC.t)
    assert back.params["n"] == 8 and back.params["d"] == 3 and back.params["dt"] == 0.05
    assert back.params["seed_axes"] == ["beta", "kind"]


def test_load_refuses_other_npz(tmp_path):
    np.savez(tmp_path / "other.npz", header=np.array('{"format": "something else"}'))
    with pytest.raises(ValueError, match="not a sweep result"):
        sw.load(tmp_path / "other.npz")


def test_result_cannot_be_edited(serial_result, tmp_path):
    r = serial_result
    for a in (r["mean_cosine"], r.seeds, r.t, r.axes["beta"]):
        with pytest.raises(ValueError, match="read-only"):
            a[...] = 0
    with pytest.raises(TypeError):
        r.data["extra"] = r["mean_cosine"]
    with pytest.raises(TypeError):
        r.params["threshold"] = 0.5
    with pytest.raises(TypeError):
        r.axes["beta"] = np.zeros(2)
    with pytest.raises(AttributeError):
        r.data = {}
    # the arrays are the result's own: editing what it was built from does not change it
    src = np.zeros(r.shape)
    own = r.with_data(zeros=src)
    src[...] = 1.0
    assert np.all(own["zeros"] == 0.0) and own["zeros"].flags.writeable is False
    loaded = sw.load(_saved(r, tmp_path))
    assert not loaded["mean_cosine"].flags.writeable and isinstance(loaded.params, type(r.params))


def test_derived_data_is_a_new_result(serial_result):
    r = serial_result
    mean = r["mean_cosine"].mean(axis=-1)
    r2 = r.with_data(mean_over_t=mean).with_params(note="derived")
    assert r2 is not r and list(r2.data) == list(r.data) + ["mean_over_t"]
    assert "mean_over_t" not in r.data and "note" not in r.params
    np.testing.assert_array_equal(r2["mean_over_t"], mean)
    ss.same(r, sw.SweepResult(axes=r.axes, seeds=r.seeds, data={k: r2[k] for k in r.data}, t=r.t, params=r.params))
    with pytest.raises(ValueError, match="leading shape"):
        r.with_data(bad=np.zeros((2, 2)))


def _saved(r, tmp_path):
    path = tmp_path / "r.npz"
    r.save(path)
    return path
