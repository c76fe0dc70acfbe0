"""Observables against brute-force formulas written here."""

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.dynamics import reference


def test_energy_matches_reference_and_maximum_at_point_mass():
    x = mw.initial.uniform(50, 3, seed=0)
    for beta in (0.5, 3.0, 50.0):
        assert mw.observables.energy(x, beta) == pytest.approx(reference.energy(x, beta), rel=1e-12)
        point = np.tile(x[:1], (50, 1))
        assert mw.observables.energy(point, beta) == pytest.approx(np.exp(beta) / (2 * beta), rel=1e-12)
        assert mw.observables.energy(x, beta) < np.exp(beta) / (2 * beta)
        assert mw.observables.energy_ratio(x, beta) == pytest.approx(
            mw.observables.energy(x, beta) * 2 * beta / np.exp(beta), rel=1e-12)
    # beta = 0: the limit |m|^2 / 2 (constant 1/(2 beta) dropped)
    assert mw.observables.energy(x, 0.0) == pytest.approx(0.5 * np.sum(x.mean(0) ** 2), rel=1e-12)
    with pytest.raises(ValueError, match="beta"):
        mw.observables.energy(x, 800.0)
    assert 0 < mw.observables.energy_ratio(x, 1e4) <= 1


def test_cosines_and_order_parameter():
    x = mw.initial.uniform(40, 5, seed=1)
    g = x @ x.T
    off = g[~np.eye(40, dtype=bool)]
    assert mw.observables.mean_cosine(x) == pytest.approx(off.mean(), abs=1e-14)
    assert mw.observables.min_cosine(x) == pytest.approx(off.min(), abs=1e-14)
    assert mw.observables.order_parameter(x) == pytest.approx(np.linalg.norm(x.mean(0)), abs=1e-15)
    counts, edges = mw.observables.cosine_histogram(x, bins=10)
    assert counts.sum() == 40 * 39 // 2 and len(edges) == 11
    assert np.array_equal(counts, np.histogram(g[np.triu_indices(40, 1)], bins=edges)[0])
    assert mw.observables.mean_cosine(3.0 * x) == pytest.approx(off.mean(), abs=1e-14)   # directions are used


def test_cluster_detection_tolerance():
    # two tight groups 0.05 rad wide, 1 rad apart: 2 clusters at the default tolerance, 1 at a coarse one
    th = np.concatenate([np.linspace(0, 0.05, 10), 1.0 + np.linspace(0, 0.05, 10)])
    x = mw.initial.from_angles(th)
    assert mw.observables.cluster_count(x) == 2
    assert mw.observables.cluster_count(x, tol=1 - np.cos(1.1)) == 1
    assert list(mw.observables.cluster_sizes(x)) == [10, 10]
    lab = mw.observables.clusters(x)
    assert lab[0] == 0 and lab[-1] == 1
