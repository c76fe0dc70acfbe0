"""sweeps.spec: RunSpec is the parameter table's rows (defaults, ranges), its documented seeding and starts,
and the observables it records."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sweeps import support as ss

import mftx_widgets as mw
from mftx_widgets import sweeps as sw
from mftx_widgets.params import PARAMS, names
from mftx_widgets.sweeps import spec as spec_mod


def _tokens(x, model):
    """An observable: the (n, d) token directions themselves."""
    return np.array(x)


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


def test_common_seeds_share_initial_tokens():
    spec = sw.RunSpec(t=(0.0,), n=6, d=4, dt=0.1)
    common = sw.sweep(spec, {"beta": [0.0, 2.0, 5.0]}, 4, ["mean_cosine"], seed_axes=(), executor="serial",
                      progress=False)["mean_cosine"][..., 0]
    assert np.all(common == common[0])                   # same tokens at every beta
    own = sw.sweep(spec, {"beta": [0.0, 2.0, 5.0]}, 4, ["mean_cosine"], executor="serial",
                   progress=False)["mean_cosine"][..., 0]
    assert not np.any(own[1] == own[0])


def test_fields_defaults_and_ranges_come_from_the_table():
    fields = {f.name: f.default for f in dataclasses.fields(sw.RunSpec)}
    rows = {"initial" if k == "init" else k: k for g in ("model", "start", "run") for k in names(g) if k != "seed"}
    assert set(fields) == set(rows) | {"t", "gamma"}
    assert [k for k in fields if k in names("model")] == list(names("model"))   # the model group, in order
    for field, row in rows.items():
        expected = spec_mod._SPEC_DEFAULTS.get(field, PARAMS[row].default)
        assert fields[field] == expected, field
    assert fields["n"] == 32 and fields["delta"] == 1e-3 and fields["gamma"] is None
    # every bound of the table is RunSpec's bound (a value just outside raises, the bound itself does not)
    for field, row in rows.items():
        p = PARAMS[row]
        if p.kind is str or p.low is None:
            continue
        outside = p.low - (1 if p.kind is int else 1e-9) if not p.low_open else p.low
        with pytest.raises(ValueError, match=field):
            sw.RunSpec(**{field: outside})
    assert sw.RunSpec(kind="usa", initial="circle").resolve({})["kind"] == "USA"
    with pytest.raises(ValueError, match="initial"):
        sw.RunSpec(t=(0.0,), initial="gaussian")


def test_model_and_start_of_a_point_are_the_table_types():
    spec = sw.RunSpec(t=(0.0, 1.0), n=5, d=3, dt=0.5, norm="pre-ln", noise=0.1)
    p = spec.resolve({"beta": 3, "initial": "hemisphere"})
    assert spec_mod.model(p) == mw.Attention(beta=3.0, norm="pre", noise=0.1)
    assert spec_mod.start(p) == mw.initial.Start(init="hemisphere", n=5, d=3, delta=1e-3)
    p = spec.resolve({"gamma": 2.0})
    assert p["beta"] == 2.0 * np.log(5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_circle_start_is_the_documented_lattice(dtype):
    """initial="circle": theta_j = 2 pi j / n + delta U(-1, 1) from SeedSequence(s, spawn_key=(k, 0)), bit for bit."""
    n, delta = 12, 0.3
    spec = sw.RunSpec(t=(0.0,), n=n, d=2, initial="circle", delta=delta, dtype=dtype)
    r = sw.sweep(spec, {"beta": [1.0, 2.0]}, 2, {"x": _tokens}, executor="serial", progress=False)
    for k in range(2):
        for s in range(2):
            seq = np.random.SeedSequence(s, spawn_key=(k, 0))
            theta = 2.0 * np.pi * np.arange(n) / n + delta * np.random.default_rng(seq).uniform(-1.0, 1.0, n)
            x0 = mw.initial.from_angles(theta, d=2, dtype=dtype)
            sim = mw.Simulation(mw.Attention(beta=[1.0, 2.0][k], dtype=dtype), x0, dt=spec.dt)
            np.testing.assert_array_equal(r["x"][k, s, 0], sim.directions)   # what the observables see
            np.testing.assert_array_equal(x0, mw.initial.Start(init="polygon", n=n, d=2, delta=delta, dtype=dtype)
                                          .make(seed=np.random.SeedSequence(s, spawn_key=(k, 0))))


def test_every_table_start_runs():
    spec = sw.RunSpec(t=(0.0, 0.5), n=4, d=6, dt=0.25, rho0=0.5, k=2)
    r = sw.sweep(spec, {"initial": ["uniform", "hemisphere", "equiangular", "polygon", "clusters"]}, 1,
                 ["mean_cosine"], executor="serial", progress=False)
    assert r["mean_cosine"][2, 0, 0] == pytest.approx(0.5, abs=1e-12)   # the equiangular start at rho0
    assert np.all(np.diff(r["mean_cosine"], axis=-1) > 0)


@pytest.mark.parametrize("call", [
    lambda: sw.sweep(ss.SPEC, {"temperature": [1.0]}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"t": [1.0]}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [-1.0]}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"kind": ["softmax"]}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"n": [0]}, 1, ss.OBS),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, 1, ["entropy"]),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0]}, 1, []),
    lambda: sw.sweep(ss.SPEC, {"beta": [1.0], "gamma": [0.5]}, 1, ss.OBS),
    lambda: sw.RunSpec(t=(0.0, 0.15), dt=0.1),
    lambda: sw.RunSpec(t=(1.0, 0.5)),
    lambda: sw.RunSpec(t=(0.0,), initial="gaussian"),
    lambda: sw.RunSpec(t=(0.0,), initial="equiangular", n=8, d=3),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()
