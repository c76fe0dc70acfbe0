"""Property fuzz of the public particle API (hypothesis, fixed seed and budget: runs in CI in well under a minute).

Random kinds, normalization schemes, beta up to 1e4 (and bad values), n up to 1e4 (large n only with d <= 3),
d up to 1024, Q / K / V random (several scales) or None, float64 / float32, starts with coincident and
antipodal tokens. Properties: a refused call raises ParameterError (a ValueError); an accepted velocity /
attention_output is finite, agrees with mftx_widgets.dynamics.reference where the comparison is well
conditioned (tolerances as in test_kernels.py), and a few Simulation steps stay finite and on the sphere for
the on-sphere schemes (or raise SimulationError, the solver's clear error for a step that cannot be taken).
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mftx_widgets as mw
from mftx_widgets.dynamics import reference
from mftx_widgets.errors import ParameterError, SimulationError

FUZZ = settings(max_examples=80, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
#: kernel vs oracle tolerances relative to the velocity scale S (test_kernels.py: measured float32 bound 2e-5).
TOL64, TOL32 = 1e-12, 2e-5

SHAPES = st.one_of(
    st.tuples(st.integers(1, 10_000), st.sampled_from([2, 3])),
    st.tuples(st.integers(1, 400), st.sampled_from([4, 16, 33])),
    st.tuples(st.integers(1, 40), st.sampled_from([64, 128])),
    st.tuples(st.integers(1, 6), st.just(1024)),
)
BETAS = st.one_of(st.floats(0.0, 30.0), st.floats(0.0, 1e4),
                  st.sampled_from([0.0, 1e-300, 1.0, 80.0, 700.0, 1e4, -1.0, float("nan"), float("inf")]))


@st.composite
def cases(draw):
    n, d = draw(SHAPES)
    dtype = draw(st.sampled_from(["float64", "float32"]))
    kind = draw(st.sampled_from(["SA", "USA"]))
    norm = draw(st.sampled_from(["post", "pre", "peri", "mix", "ngpt"]))
    beta = draw(BETAS)
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    mats = {}
    if d <= 128 and draw(st.booleans()):
        for k in "QKV":
            if draw(st.booleans()):
                mats[k] = draw(st.sampled_from([1e-3, 1.0, 10.0])) * rng.standard_normal((d, d)) / np.sqrt(d)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    if n >= 3:
        x[1] = x[0]                                   # coincident
        x[2] = -x[0]                                  # antipodal
    if draw(st.booleans()) and n >= 2:                # a tight cluster (non-trivial weights at large beta)
        x = x[:1] + 1e-2 * rng.standard_normal((n, d)) / np.sqrt(max(1.0, beta if np.isfinite(beta) else 1.0))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
    return dict(n=n, d=d, dtype=dtype, kind=kind, norm=norm, beta=beta, mats=mats, x=x, rng=rng)


def _scale(x, model) -> float:
    """S = max_i sum_j A_ij |V x_j| (float64 oracle weights)."""
    d = x.shape[1]
    eye = np.eye(d)
    q = x @ (eye if model.Q is None else model.Q).T
    k = x @ (eye if model.K is None else model.K).T
    s = model.beta * q @ k.T
    m = s.max(axis=1, keepdims=True)
    w = np.exp(s - m)
    w = w / w.sum(axis=1, keepdims=True) if model.kind == "SA" else w * np.exp(m) / x.shape[0]
    return float((w @ np.linalg.norm(x @ (eye if model.V is None else model.V).T, axis=1)).max())


@FUZZ
@given(cases())
def test_velocity_and_attention_output_finite_and_match_oracle(case) -> None:
    try:
        model = mw.Attention(beta=case["beta"], kind=case["kind"], norm=case["norm"], dtype=case["dtype"],
                             **case["mats"])
    except ParameterError:
        beta = case["beta"]
        assert not (np.isfinite(beta) and beta >= 0.0 and case["kind"] == "SA" and not case["mats"]), case
        return
    x = case["x"].astype(case["dtype"])
    z = x if model.on_sphere else x * case["rng"].uniform(0.5, 2.0, (x.shape[0], 1)).astype(case["dtype"])
    a = mw.dynamics.attention_output(model, x)
    v = mw.velocity(model, z, t=2.0)
    assert a.dtype == v.dtype == np.dtype(case["dtype"])
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(v)), case
    n = x.shape[0]
    if n > 1500 or (case["dtype"] == "float32" and model.max_score > 1000):
        return                                         # the n x n oracle is too big / float32 scores too coarse
    x64 = x.astype(np.float64)
    u = x64 / np.linalg.norm(x64, axis=1, keepdims=True)
    scale = _scale(u, model)
    tol = (TOL64 * max(1.0, model.max_score / 200.0) if case["dtype"] == "float64" else TOL32) * scale
    ref_a = reference.attention_output(u, model.beta, model.kind, model.Q, model.K, model.V)
    assert np.abs(a - ref_a).max() <= tol, (np.abs(a - ref_a).max() / scale, case)
    if model.norm == "post":
        ref_v = reference.velocity(x64, model.beta, model.kind, model.Q, model.K, model.V)
        assert np.abs(v - ref_v).max() <= tol
    elif model.norm in ("pre", "mix"):                 # mix: Pre-LN after the switch (t = 2 > mix_switch = 1)
        assert np.abs(v - ref_a).max() <= tol
    else:                                               # peri, ngpt: unit directions where attn is well above 0
        big = np.linalg.norm(ref_a, axis=1) > 1e3 * tol + 1e-6 * scale
        if case["dtype"] == "float32":
            big &= np.linalg.norm(ref_a, axis=1) > 1e-2 * scale
        dirs = ref_a[big] / np.linalg.norm(ref_a[big], axis=1, keepdims=True)
        if model.norm == "ngpt":
            dirs = model.alpha * (dirs - np.sum(dirs * u[big], axis=1, keepdims=True) * u[big])
        rel = np.abs(v[big] - dirs).max() if big.any() else 0.0
        assert rel <= (1e-6 if case["dtype"] == "float64" else 1e-2), (rel, case)
        assert np.all(np.linalg.norm(v, axis=1) <= model.alpha * (1 + 1e-5))


@FUZZ
@given(cases(), st.sampled_from([1e-3, 1e-2, 0.1]), st.sampled_from(["rk4", "euler"]))
def test_a_few_simulation_steps_stay_finite_and_on_the_sphere(case, dt, method) -> None:
    if case["x"].shape[0] * case["x"].shape[1] > 20_000:
        return                                         # a few steps of the largest cases would exceed the budget
    try:
        model = mw.Attention(beta=case["beta"], kind=case["kind"], norm=case["norm"], dtype=case["dtype"],
                             **case["mats"])
    except ParameterError:
        return
    x = case["x"].astype(case["dtype"])
    sim = mw.Simulation(model, x, dt=dt, method=method)
    try:
        sim.step(3)
    except SimulationError as err:                    # a clear error naming what to change
        assert "dt" in str(err) or "beta" in str(err)
        assert np.all(np.isfinite(sim.x))
        return
    assert np.all(np.isfinite(sim.x))
    if model.on_sphere:
        tol = 1e-12 if case["dtype"] == "float64" else 1e-5
        assert np.abs(np.linalg.norm(sim.x.astype(np.float64), axis=1) - 1.0).max() <= tol


@FUZZ
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3), st.none(),
                 st.complex_numbers(), st.booleans(), st.integers(-10**20, 10**20)),
       st.sampled_from(["beta", "alpha", "noise", "mix_switch", "kind", "norm", "dtype", "Q"]))
def test_bad_model_fields_raise_parameter_error(value, field) -> None:
    """Any value for any field: either a valid model or a ParameterError naming the field."""
    try:
        mw.Attention(**{field: value})
    except ParameterError as err:
        assert field in str(err) or (field in "QKV" and "Q" in str(err)), (field, value, str(err))
