"""Bad input to every public function of mw.dynamics, mw.initial, mw.observables and the theory modules gives a
ParameterError (a ValueError) whose message names the parameter; extreme but valid input gives a finite, correct
answer. The table is one row per case: (id, call, regex the message must match). test_every_public_function_listed
fails when a public function has no row here.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.errors import ParameterError, SimulationError

X = mw.initial.uniform(6, 3, seed=0)
X2 = mw.initial.uniform(6, 2, seed=0)
NAN = np.array([[np.nan, 0.0, 1.0], [0.0, 1.0, 0.0]])
TH = np.linspace(0.0, 6.0, 5)
M = mw.Attention(beta=1.0)
RHO = np.ones(64) / (2 * np.pi)

CASES = [
    # -- dynamics ------------------------------------------------------------------------------------------
    ("Attention beta<0", lambda: mw.Attention(beta=-1.0), "beta"),
    ("Attention beta nan", lambda: mw.Attention(beta=float("nan")), "beta"),
    ("Attention kind", lambda: mw.Attention(kind="XA"), "kind"),
    ("Attention Q complex", lambda: mw.Attention(Q=np.eye(3) * (1 + 1j)), "Q.*complex"),
    ("Attention Q text", lambda: mw.Attention(Q=[["a", "b"], ["c", "d"]]), "Q"),
    ("Attention Q shape", lambda: mw.Attention(Q=np.ones((2, 3))), "Q"),
    ("Attention Q nan", lambda: mw.Attention(Q=np.full((3, 3), np.nan)), "Q"),
    ("Attention Q K sizes", lambda: mw.Attention(Q=np.eye(3), K=np.eye(4) * 2), "Q, K, V"),
    ("Attention QK overflow", lambda: mw.Attention(Q=np.eye(3) * 1e200, K=np.eye(3) * 1e200), "Q.*K"),
    ("Attention beta overflow", lambda: mw.Attention(beta=1e308), "beta"),
    ("Attention f32 beta overflow", lambda: mw.Attention(beta=1e37, dtype="float32"), "beta"),
    ("Attention V overflow", lambda: mw.Attention(V=np.eye(3) * 1e307), "V"),
    ("Attention USA V overflow", lambda: mw.Attention(beta=700.0, kind="USA", V=np.eye(3) * 1e10), "V"),
    ("Attention USA beta", lambda: mw.Attention(beta=701.0, kind="USA"), "beta"),
    ("Attention dtype", lambda: mw.Attention(dtype="float16"), "dtype"),
    ("Attention alpha", lambda: mw.Attention(alpha=0.0), "alpha"),
    ("Attention noise", lambda: mw.Attention(noise=-1.0), "noise"),
    ("Attention norm", lambda: mw.Attention(norm="layer"), "norm"),
    ("Attention mix_switch", lambda: mw.Attention(mix_switch=float("inf")), "mix_switch"),
    ("velocity model str", lambda: mw.velocity("SA", X), "model"),
    ("velocity x nan", lambda: mw.velocity(M, NAN), "x"),
    ("velocity x 1d", lambda: mw.velocity(M, np.ones(3)), "x"),
    ("velocity x text", lambda: mw.velocity(M, [["a", "b", "c"]]), "x"),
    ("velocity x complex", lambda: mw.velocity(M, X.astype(complex)), "x"),
    ("velocity x not unit", lambda: mw.velocity(M, 2 * X), "x"),
    ("velocity x zero row pre", lambda: mw.velocity(mw.Attention(norm="pre"), np.zeros((2, 3))), "x"),
    ("velocity d mismatch", lambda: mw.velocity(mw.Attention(Q=2 * np.eye(4)), X), "x"),
    ("velocity t", lambda: mw.velocity(M, X, t=float("nan")), r"\bt\b"),
    ("attention_output model", lambda: mw.dynamics.attention_output(None, X), "model"),
    ("attention_output x", lambda: mw.dynamics.attention_output(M, "x"), "x"),
    ("velocity_cutoff tail", lambda: mw.dynamics.field.velocity_cutoff(M, X, tail=-1.0), "tail"),
    ("velocity_cutoff tail str", lambda: mw.dynamics.field.velocity_cutoff(M, X, tail="big"), "tail"),
    ("velocity_cutoff model", lambda: mw.dynamics.field.velocity_cutoff("SA", X), "model"),
    ("Simulation model", lambda: mw.Simulation("SA", X), "model"),
    ("Simulation dt", lambda: mw.Simulation(M, X, dt=0.0), "dt"),
    ("Simulation seed", lambda: mw.Simulation(M, X, seed=-1), "seed"),
    ("Simulation method", lambda: mw.Simulation(M, X, method="rk9"), "method"),
    ("Simulation x0", lambda: mw.Simulation(M, NAN), "x0"),
    ("simulate t_max", lambda: mw.simulate(M, X, t_max=-1.0), "t_max"),
    ("simulate save_every", lambda: mw.simulate(M, X, t_max=1.0, save_every=0), "save_every"),
    ("Frames x", lambda: mw.Frames(t=np.zeros(1), x=np.zeros((1, 2))), r"\bx\b"),
    ("Frames t", lambda: mw.Frames(t=np.zeros(2), x=np.ones((1, 2, 3))), r"\bt\b"),
    ("Trajectory x", lambda: mw.Trajectory(t=np.zeros(1), x=np.zeros((2,)), model=M, dt=0.1, method="rk4"), r"\bx\b"),
    # -- initial -------------------------------------------------------------------------------------------
    ("uniform seed float", lambda: mw.initial.uniform(5, 3, seed=1.5), "seed"),
    ("uniform seed -1", lambda: mw.initial.uniform(5, 3, seed=-1), "seed"),
    ("uniform seed str", lambda: mw.initial.uniform(5, 3, seed="a"), "seed"),
    ("uniform n", lambda: mw.initial.uniform(0, 3), r"\bn\b"),
    ("uniform n float", lambda: mw.initial.uniform(2.5, 3), r"\bn\b"),
    ("uniform d", lambda: mw.initial.uniform(5, 1), r"\bd\b"),
    ("uniform dtype", lambda: mw.initial.uniform(5, 3, dtype="int8"), "dtype"),
    ("hemisphere axis", lambda: mw.initial.hemisphere(5, 3, axis=[0, 0, 0]), "axis"),
    ("hemisphere axis text", lambda: mw.initial.hemisphere(5, 3, axis=["a", "b", "c"]), "axis"),
    ("hemisphere seed", lambda: mw.initial.hemisphere(5, 3, seed=-2), "seed"),
    ("equiangular rho0", lambda: mw.initial.equiangular(5, 1.0), "rho0"),
    ("equiangular d<n", lambda: mw.initial.equiangular(5, 0.3, d=3), r"\bd\b"),
    ("equiangular seed", lambda: mw.initial.equiangular(5, 0.3, seed=0.5), "seed"),
    ("polygon delta", lambda: mw.initial.polygon(5, delta=-1.0), "delta"),
    ("polygon mode", lambda: mw.initial.polygon(5, delta=0.1, mode=-1), "mode"),
    ("polygon phase", lambda: mw.initial.polygon(5, phase=float("inf")), "phase"),
    ("polygon seed", lambda: mw.initial.polygon(5, delta=0.1, seed=-1), "seed"),
    ("circle_lattice amplitudes", lambda: mw.initial.circle_lattice(5, {1: float("nan")}), "amplitudes"),
    ("circle_lattice amplitudes type", lambda: mw.initial.circle_lattice(5, [1, 2]), "amplitudes"),
    ("clusters k>n", lambda: mw.initial.clusters(7, 5, 3), r"\bk\b"),
    ("clusters centers", lambda: mw.initial.clusters(2, 5, 3, centers=np.zeros((2, 3))), "centers"),
    ("clusters centers text", lambda: mw.initial.clusters(2, 5, 3, centers="ab"), "centers"),
    ("clusters seed", lambda: mw.initial.clusters(2, 5, 3, seed=-1), "seed"),
    ("from_angles theta", lambda: mw.initial.from_angles([np.nan]), "theta"),
    ("from_angles theta text", lambda: mw.initial.from_angles(["a"]), "theta"),
    ("Start init", lambda: mw.initial.Start(init="grid"), "init"),
    ("Start equiangular", lambda: mw.initial.Start(init="equiangular", n=10, d=3), r"\bd\b"),
    ("Start seed", lambda: mw.initial.Start(seed=-1), "seed"),
    # -- observables ---------------------------------------------------------------------------------------
    ("energy beta", lambda: mw.observables.energy(X, -1.0), "beta"),
    ("energy beta large", lambda: mw.observables.energy(X, 701.0), "beta"),
    ("energy beta tiny", lambda: mw.observables.energy(X, 1e-310), "beta"),
    ("energy x", lambda: mw.observables.energy(NAN, 1.0), r"\bx\b"),
    ("energy_ratio beta", lambda: mw.observables.energy_ratio(X, float("inf")), "beta"),
    ("mean_vector x", lambda: mw.observables.mean_vector(np.zeros((2, 3))), r"\bx\b"),
    ("order_parameter x", lambda: mw.observables.order_parameter("x"), r"\bx\b"),
    ("mean_cosine x", lambda: mw.observables.mean_cosine(np.ones(3)), r"\bx\b"),
    ("min_cosine x", lambda: mw.observables.min_cosine(NAN), r"\bx\b"),
    ("cosine_histogram bins", lambda: mw.observables.cosine_histogram(X, bins=0), "bins"),
    ("cosine_histogram bins huge", lambda: mw.observables.cosine_histogram(X, bins=10**12), "bins"),
    ("clusters tol", lambda: mw.observables.clusters(X, tol=-1.0), "tol"),
    ("cluster_count tol", lambda: mw.observables.cluster_count(X, tol=3.0), "tol"),
    ("cluster_sizes x", lambda: mw.observables.cluster_sizes(NAN), r"\bx\b"),
    ("attention_weights model", lambda: mw.observables.attention_weights("SA", X), "model"),
    ("attention_weights rows", lambda: mw.observables.attention_weights(M, X, rows=10), "rows"),
    ("attention_weights rows text", lambda: mw.observables.attention_weights(M, X, rows="a"), "rows"),
    ("attention_weights d", lambda: mw.observables.attention_weights(mw.Attention(Q=2 * np.eye(4)), X), r"\bx\b"),
    # -- circle --------------------------------------------------------------------------------------------
    ("angles x", lambda: mw.circle.angles(X), r"\bx\b"),
    ("angles x text", lambda: mw.circle.angles([["a", "b"]]), r"\bx\b"),
    ("phase_velocity theta", lambda: mw.circle.phase_velocity([np.nan, 0.0], 1.0), "theta"),
    ("phase_velocity beta", lambda: mw.circle.phase_velocity(TH, -1.0), "beta"),
    ("phase_velocity USA beta", lambda: mw.circle.phase_velocity(TH, 800.0, "USA"), "beta"),
    ("simulate_phases dt", lambda: mw.circle.simulate_phases(TH, 1.0, 1.0, dt=0.0), "dt"),
    ("simulate_phases theta0", lambda: mw.circle.simulate_phases([np.inf], 1.0, 1.0), "theta0"),
    ("simulate_phases t_max huge", lambda: mw.circle.simulate_phases(TH, 1.0, 1e300, dt=1e-3), "t_max|dt"),
    ("growth_rates beta", lambda: mw.circle.growth_rates(-1.0), "beta"),
    ("growth_rates kmax", lambda: mw.circle.growth_rates(1.0, kmax=0), "kmax"),
    ("growth_rates d", lambda: mw.circle.growth_rates(1.0, d=1), r"\bd\b"),
    ("dominant_mode beta huge", lambda: mw.circle.dominant_mode(1e10), "beta"),
    ("dominant_mode d", lambda: mw.circle.dominant_mode(1.0, d=0), r"\bd\b"),
    ("predicted_cluster_count", lambda: mw.circle.predicted_cluster_count("a"), "beta"),
    ("crossovers kmax", lambda: mw.circle.crossovers(0), "kmax"),
    ("coupling_harmonics beta", lambda: mw.circle.coupling_harmonics(-1.0), "beta"),
    ("coupling_harmonics kmax", lambda: mw.circle.coupling_harmonics(1.0, kmax=-1), "kmax"),
    ("coupling phi", lambda: mw.circle.coupling([np.nan], 1.0), "phi"),
    ("coupling beta", lambda: mw.circle.coupling([0.0], np.nan), "beta"),
    ("lattice_rate n", lambda: mw.circle.lattice_rate(0, 1, 1.0), r"\bn\b"),
    ("lattice_rate m", lambda: mw.circle.lattice_rate(5, "a", 1.0), r"\bm\b"),
    ("order_parameter k", lambda: mw.circle.order_parameter(TH, k=1.5), r"\bk\b"),
    ("order_parameter theta", lambda: mw.circle.order_parameter("x"), "theta"),
    ("kuramoto K", lambda: mw.circle.kuramoto(TH, 1.0, K=np.nan), r"\bK\b"),
    ("kuramoto omega", lambda: mw.circle.kuramoto(TH, 1.0, omega=np.ones(3)), "omega"),
    ("kuramoto theta0", lambda: mw.circle.kuramoto([[0.0]], 1.0), "theta0"),
    ("stationary_order_parameter kappa", lambda: mw.circle.stationary_order_parameter(-1.0), "kappa"),
    ("noisy_kuramoto kappa", lambda: mw.circle.noisy_kuramoto(0.0, n=10, t_max=0.1), "kappa"),
    ("noisy_kuramoto seed", lambda: mw.circle.noisy_kuramoto(1.0, n=10, t_max=0.1, seed=-1), "seed"),
    ("noisy_kuramoto_order n", lambda: mw.circle.noisy_kuramoto_order(1.0, n=0), r"\bn\b"),
    # -- equiangular ---------------------------------------------------------------------------------------
    ("weights beta", lambda: mw.equiangular.weights(-1.0, 5, 0.3), "beta"),
    ("weights n", lambda: mw.equiangular.weights(1.0, 0, 0.3), r"\bn\b"),
    ("weights kind", lambda: mw.equiangular.weights(1.0, 5, 0.3, kind="XA"), "kind"),
    ("weights rho", lambda: mw.equiangular.weights(1.0, 5, 2.0), "rho"),
    ("attention_stats rho", lambda: mw.equiangular.attention_stats(1.0, 5, np.nan), "rho"),
    ("solve variant", lambda: mw.equiangular.solve("XA", 1.0, 5, 0.3, [0, 1]), "variant"),
    ("solve rho0", lambda: mw.equiangular.solve("SA", 1.0, 5, 1.0, [0, 1]), "rho0"),
    ("solve t", lambda: mw.equiangular.solve("SA", 1.0, 5, 0.3, [1, 0]), r"\bt\b"),
    ("solve rtol", lambda: mw.equiangular.solve("SA", 1.0, 5, 0.3, [0, 1], rtol=0.0), "rtol"),
    ("one_minus_rho n", lambda: mw.equiangular.one_minus_rho("SA", 1.0, 0, 0.3, [0, 1]), r"\bn\b"),
    ("late_rate variant", lambda: mw.equiangular.late_rate("pre"), "variant"),
    ("sa_rhs beta", lambda: mw.equiangular.sa_rhs(0.3, -1.0, 5), "beta"),
    ("logistic rho0", lambda: mw.equiangular.logistic(1.0, [0, 1]), "rho0"),
    ("logistic t", lambda: mw.equiangular.logistic(0.3, ["a"]), r"\bt\b"),
    ("start n", lambda: mw.equiangular.start(0, 0.3), r"\bn\b"),
    ("detect_rho0 x", lambda: mw.equiangular.detect_rho0(NAN), r"\bx\b"),
    ("detect_rho0 tol", lambda: mw.equiangular.detect_rho0(X, tol=-1.0), "tol"),
    ("curve_for model", lambda: mw.equiangular.curve_for("SA", X, [0, 1]), "model"),
    # -- meanfield -----------------------------------------------------------------------------------------
    ("grid M", lambda: mw.meanfield.grid(4), r"\bM\b"),
    ("wrapped_cauchy r", lambda: mw.meanfield.wrapped_cauchy(TH, 1.0), r"\br\b"),
    ("wrapped_cauchy theta", lambda: mw.meanfield.wrapped_cauchy("a", 0.5), "theta"),
    ("wrapped_cauchy_r r0", lambda: mw.meanfield.wrapped_cauchy_r([0, 1], 2.0), "r0"),
    ("wrapped_cauchy_r t", lambda: mw.meanfield.wrapped_cauchy_r([np.nan], 0.5), r"\bt\b"),
    ("velocity_field rho", lambda: mw.meanfield.velocity_field(-RHO, 1.0), "rho"),
    ("velocity_field beta", lambda: mw.meanfield.velocity_field(RHO, -1.0), "beta"),
    ("solve_density beta", lambda: mw.meanfield.solve_density(RHO, -1.0, [0, 1]), "beta"),
    ("solve_density t", lambda: mw.meanfield.solve_density(RHO, 1.0, [1, 0]), r"\bt\b"),
    ("solve_density method", lambda: mw.meanfield.solve_density(RHO, 1.0, [0, 1], method="x"), "method"),
    ("solve_density dt", lambda: mw.meanfield.solve_density(RHO, 1.0, [0, 1], dt=-1.0), "dt"),
    ("fourier_mode k", lambda: mw.meanfield.fourier_mode(RHO, k="a"), r"\bk\b"),
    ("fourier_mode rho", lambda: mw.meanfield.fourier_mode([np.nan] * 16), "rho"),
    ("order_parameter rho", lambda: mw.meanfield.order_parameter("a"), "rho"),
    # -- metastability -------------------------------------------------------------------------------------
    ("polygon_rates k", lambda: mw.metastability.polygon_rates(1, 1.0), r"\bk\b"),
    ("polygon_rate beta", lambda: mw.metastability.polygon_rate(3, -1.0), "beta"),
    ("polygon_rate_closed_form k", lambda: mw.metastability.polygon_rate_closed_form(2.5, 1.0), r"\bk\b"),
    ("phase_jacobian theta", lambda: mw.metastability.phase_jacobian([np.nan, 0.0], 1.0), "theta"),
    ("phase_jacobian h", lambda: mw.metastability.phase_jacobian(TH, 1.0, h=-1.0), r"\bh\b"),
    ("jacobian_top_eigenvalue k", lambda: mw.metastability.jacobian_top_eigenvalue(0, 1.0), r"\bk\b"),
    ("exit_time_estimate delta", lambda: mw.metastability.exit_time_estimate(-1.0, 3, 1.0), "delta"),
    ("exit_time_estimate c", lambda: mw.metastability.exit_time_estimate(0.1, 3, 1.0, c=np.nan), r"\bc\b"),
    ("gaps theta", lambda: mw.metastability.gaps([[0.0]]), "theta"),
    ("polygon_exit_time delta", lambda: mw.metastability.polygon_exit_time(-0.1, 3, 4.0), "delta"),
    ("polygon_exit_time seed", lambda: mw.metastability.polygon_exit_time(0.1, 3, 4.0, seed=-1), "seed"),
    ("cluster_start centers", lambda: mw.metastability.cluster_start([np.nan]), "centers"),
    ("cluster_start seed", lambda: mw.metastability.cluster_start([0.0], seed=-1), "seed"),
    ("metastable_run theta0", lambda: mw.metastability.metastable_run([np.nan], 1.0, 1.0), "theta0"),
    ("metastable_run t_max", lambda: mw.metastability.metastable_run(TH, 1.0, -1.0), "t_max"),
    ("staircase traj", lambda: mw.metastability.staircase(5), "traj"),
    ("plateaus t", lambda: mw.metastability.plateaus([0, 1], [0.0], [1]), r"\bt\b|energy|count"),
    ("closest_pair x", lambda: mw.metastability.closest_pair(NAN), r"\bx\b"),
    ("pairing_time_rescale beta", lambda: mw.metastability.pairing_time_rescale(X, -1.0), "beta"),
    ("hardmax_velocity tol", lambda: mw.metastability.hardmax_velocity(X, tol=-1.0), "tol"),
    ("pairing_run cluster_gaps", lambda: mw.metastability.pairing_run((4.0, 4.0)), "cluster_gaps"),
    ("pairing_run dt", lambda: mw.metastability.pairing_run(dt=0.0), "dt"),
    # -- longcontext ---------------------------------------------------------------------------------------
    ("beta_n gamma", lambda: mw.longcontext.beta_n(-1.0, 10), "gamma"),
    ("beta_n n", lambda: mw.longcontext.beta_n(1.0, 0.5), r"\bn\b"),
    ("critical_gamma rho0", lambda: mw.longcontext.critical_gamma(1.0), "rho0"),
    ("rhs n", lambda: mw.longcontext.rhs(0.3, 1.0, 0.5), r"\bn\b"),
    ("rhs rho", lambda: mw.longcontext.rhs(np.nan, 1.0, 10.0), "rho"),
    ("time_to_reach rho_target", lambda: mw.longcontext.time_to_reach(0.1, 1.0, 10.0, 0.3), "rho_target"),
    ("frozen_time_asymptotic gamma", lambda: mw.longcontext.frozen_time_asymptotic(0.9, -1.0, 10.0, 0.3), "gamma"),
    ("solve t", lambda: mw.longcontext.solve(1.0, 10, 0.3, [np.nan]), r"\bt\b"),
    ("one_layer_cosine n", lambda: mw.longcontext.one_layer_cosine(0.3, 1.0, -5), r"\bn\b"),
    ("one_layer_limit rho", lambda: mw.longcontext.one_layer_limit(2.0, 1.0), "rho"),
    ("repeated_layers layers", lambda: mw.longcontext.repeated_layers(0.3, 1.0, 10, -1), "layers"),
    ("one_layer_particles seed", lambda: mw.longcontext.one_layer_particles(0.3, 1.0, 5, seed=-1), "seed"),
]


#: rows whose module belongs to another change in flight (dynamics/integrate.py raises a bare ValueError there).


@pytest.mark.parametrize("call,fragment", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_bad_input_names_the_parameter(call, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment) as info:
        call()
    assert isinstance(info.value, ValueError)


MODULES = {
    "dynamics": mw.dynamics, "initial": mw.initial, "observables": mw.observables, "circle": mw.circle,
    "equiangular": mw.equiangular, "meanfield": mw.meanfield, "metastability": mw.metastability,
    "longcontext": mw.longcontext,
}
#: public callables without a bad input of their own (no argument, or anything is accepted).
NO_ARGUMENTS = {"effective_cores", "SimulationError"}


def test_every_public_function_listed() -> None:
    """Each public function / class of the modules above has at least one row in CASES."""
    import re

    source = inspect.getsource(inspect.getmodule(test_every_public_function_listed))
    table = source[source.index("CASES = ["):source.index("\n\n\n@pytest.mark.parametrize(\"call,fragment\"")]
    missing = []
    for name, mod in MODULES.items():
        names = getattr(mod, "__all__", None) or [k for k in dir(mod) if not k.startswith("_")]
        for k in names:
            obj = getattr(mod, k)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or k in NO_ARGUMENTS:
                continue
            if not str(getattr(obj, "__module__", "")).startswith("mftx_widgets"):
                continue
            if name != "dynamics" and obj.__module__ != mod.__name__:
                continue
            if not re.search(rf"\.{k}\(", table):
                missing.append(f"{name}.{k}")
    assert not missing, missing


# -- extreme but valid input: a finite, correct answer ----------------------------------------------------------
def test_extreme_valid_inputs_are_finite_and_correct() -> None:
    x = mw.initial.uniform(20, 3, seed=1)
    # energy_ratio stays in its documented range (0, 1] at any beta (the Gram diagonal rounds above 1)
    for beta in (1e-300, 1.0, 1e17, 1e300):
        r = mw.observables.energy_ratio(x, beta)
        assert 0.0 < r <= 1.0, (beta, r)
    assert mw.observables.energy_ratio(x, 1e300) == pytest.approx(1.0 / 20)  # only the diagonal survives
    # energy at tiny beta: 1/(2 beta) overflows for beta < 1/(2 * 1.8e308) only; just above it stays finite
    assert np.isfinite(mw.observables.energy(x, 1e-300))
    # growth rates at huge beta: finite, positive, ~ l^2 / beta (I_l / I_0 -> 1)
    g = mw.circle.growth_rates(1e8, kmax=3)
    assert np.all(np.isfinite(g)) and np.allclose(g * 1e8, [1, 4, 9], rtol=1e-6)
    # the caller's Q stays writable and is not aliased
    q = 2.0 * np.eye(3)
    m = mw.Attention(Q=q)
    assert q.flags.writeable and m.Q is not q
    q[0, 0] = 5.0
    assert m.Q[0, 0] == 2.0
    # a huge (but representable) query scale is a hard max: velocity 0 for distinct tokens, never an exception
    for model in (mw.Attention(beta=1e9, dtype="float32"), mw.Attention(Q=1e200 * np.eye(3)),
                  mw.Attention(beta=1e300)):
        v = mw.velocity(model, x.astype(model.dtype))
        assert np.all(np.isfinite(v)) and np.abs(v).max() <= 1e-6, model


def test_usa_equiangular_at_large_beta_is_a_clear_error_or_finite() -> None:
    """The USA equiangular ODE at beta = 700 either integrates or says what to change (never scipy's message)."""
    try:
        rho = mw.equiangular.solve("USA", 700, 10, 0.3, [0.0, 1e-3, 1.0])
    except SimulationError as err:
        assert "beta" in str(err)
    else:
        assert np.all(np.isfinite(rho)) and np.all((rho >= 0.3 - 1e-12) & (rho <= 1.0))
