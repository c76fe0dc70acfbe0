"""Lesson 08 (a real transformer): the lesson format (always), its exercise checks on synthetic arrays (always),
and its printed claims against an independent computation from the model (only with the real-model extra,
scripts/install_real.sh — the same skip as tests/real)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mftx_widgets import real
from mftx_widgets.exercises import lesson08 as ex

_spec = importlib.util.spec_from_file_location("_lesson_runner", Path(__file__).with_name("test_lessons.py"))
tl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tl)                # the shared runner and format checks of tests/lessons/test_lessons.py

STEM = "08_real_transformer"
SENTENCE0 = "The tokens of a sentence move through the layers of a transformer like particles on a sphere."
needs_extra = pytest.mark.skipif(not real.is_available(), reason="real-transformer extra not installed: "
                                 "scripts/install_real.sh")


def test_lesson08_format():
    tl.test_lesson_format(STEM)


def test_centred_cosine_is_minus_one_over_n_minus_one_for_equal_lengths():
    for n in (5, 12):
        # n vectors around a common offset whose centred parts have equal length: the identity of exercise 1
        simplex = np.eye(n) - 1.0 / n                       # centred, equal lengths, in R^n
        x = np.zeros((n, n + 3))
        x[:, :n] = simplex
        x[:, n] = 3.0                                       # a shared offset
        assert ex.centred_cosine(x) == pytest.approx(-1.0 / (n - 1), abs=1e-12)
        assert ex.check_centred_cosine(x, -1.0 / (n - 1)) is True
        assert ex.check_centred_cosine(x, 0.0) is False


def test_head_beta_recovers_a_planted_temperature():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((9, 5))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    beta, g = 2.7, rng.standard_normal(9)
    s = beta * (x @ x.T) + g[:, None]
    w = np.exp(s - s.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)                       # exact softmax of beta <x_i, x_j> + g_i
    assert ex.head_beta(w, x) == pytest.approx(beta, rel=1e-10)
    assert ex.check_head_beta(w, x, beta) is True
    assert ex.check_head_beta(w, x, 1.0) is False


@pytest.mark.notebooks
@needs_extra
def test_lesson08_claims_match_the_model():
    nb, seconds = tl.execute(tl.lesson_path(STEM))
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert "LESSON-08-COMPLETE" in tl.stream_text(nb)
    got = tl.claims(nb)
    # independent: the model's last hidden states of sentence 0, unit rows, Gram matrices written out here
    h = real.load().encode([SENTENCE0]).states(0)[-1]
    x = h / np.linalg.norm(h, axis=1, keepdims=True)
    n = len(x)
    off = ~np.eye(n, dtype=bool)
    raw = (x @ x.T)[off].mean()
    y = x - x.mean(axis=0)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    centred = (y @ y.T)[off].mean()
    share = 1.0 - np.sum(x.mean(axis=0) ** 2)
    assert got["raw_cos_last_s0"] == pytest.approx(raw, abs=1e-4)
    assert got["centred_cos_last_s0"] == pytest.approx(centred, abs=1e-4)
    assert got["diff_share_last_s0"] == pytest.approx(share, abs=1e-4)
    assert raw == pytest.approx((n * (1 - share) - 1) / (n - 1), abs=1e-12)   # raw cosine = the common part only
    assert share > 0.5                                                         # differences keep > half: no collapse
    assert seconds < 120
