"""observables.attention_weights against the dense oracle and a numpy loop written here."""

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.dynamics import reference
from mftx_widgets.dynamics.observables import attention_weights


def _naive(x, beta, kind, Q=None, K=None):
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    n, d = u.shape
    Q, K = (np.eye(d) if Q is None else Q), (np.eye(d) if K is None else K)
    s = np.array([[beta * (Q @ u[i]) @ (K @ u[j]) for j in range(n)] for i in range(n)])
    e = np.exp(s)
    return e / n if kind == "USA" else e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_weights_match_oracle_and_naive(kind):
    x = mw.initial.uniform(25, 3, seed=4)
    a = attention_weights(mw.Attention(beta=3.0, kind=kind), x)
    assert a.shape == (25, 25)
    np.testing.assert_allclose(a @ x, reference.attention_output(x, 3.0, kind=kind), rtol=0, atol=1e-12)
    np.testing.assert_allclose(a, _naive(x, 3.0, kind), rtol=1e-12, atol=0)
    if kind == "SA":
        np.testing.assert_allclose(a.sum(axis=1), 1.0, atol=1e-12)
    rng = np.random.default_rng(0)
    Q, K = np.eye(3) + 0.3 * rng.standard_normal((3, 3)), np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    z = 2.0 * x                                                     # rows need not be unit: directions are used
    g = attention_weights(mw.Attention(beta=2.0, kind=kind, Q=Q, K=K), z)
    np.testing.assert_allclose(g, _naive(z, 2.0, kind, Q, K), rtol=1e-12, atol=0)
    np.testing.assert_allclose(attention_weights(mw.Attention(beta=2.0, kind=kind, Q=Q, K=K), z, [3, 7]), g[[3, 7]],
                               rtol=0, atol=1e-15)                  # rows select query tokens


def test_sa_weights_stay_finite_at_large_beta():
    x = mw.initial.uniform(40, 3, seed=1)
    a = attention_weights(mw.Attention(beta=1e4), x, 0)
    assert a.shape == (1, 40) and np.all(np.isfinite(a)) and a[0, 0] == pytest.approx(1.0)
