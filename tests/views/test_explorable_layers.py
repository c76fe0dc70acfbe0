"""Lesson 08's LayerAnisotropy explorable, headless, on synthetic layers (no model needed): the readout matches
an independent computation (pairwise loops), the identity raw = (n |mean|^2 - 1)/(n - 1) holds, the layer slider
and the centred toggle change the state."""

from __future__ import annotations

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.views.explorables.layers import LayerAnisotropy, layer_stats


def _synthetic(layers: int = 4, n: int = 12, d: int = 20, seed: int = 0) -> mw.Frames:
    """Random differences plus a common offset growing with the layer (anisotropy without collapse)."""
    rng = np.random.default_rng(seed)
    diff = rng.standard_normal((n, d)) / np.sqrt(d)
    e = np.zeros(d)
    e[0] = 1.0
    x = np.stack([diff + 0.6 * layer * e for layer in range(layers)])
    x /= np.linalg.norm(x, axis=2, keepdims=True)
    return mw.Frames(t=np.arange(layers, dtype=float), x=x)


def _pairwise_mean_cos(v: np.ndarray) -> float:
    n, tot = len(v), 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                tot += v[i] @ v[j] / (np.linalg.norm(v[i]) * np.linalg.norm(v[j]))
    return tot / (n * (n - 1))


def test_layer_stats_match_pairwise_loops():
    fr = _synthetic()
    for x in fr.x:
        s = layer_stats(x)
        assert s["raw"] == pytest.approx(_pairwise_mean_cos(x), abs=1e-12)
        assert s["centred"] == pytest.approx(_pairwise_mean_cos(x - x.mean(axis=0)), abs=1e-12)
        n, m = len(x), x.mean(axis=0)
        assert s["raw"] == pytest.approx((n * (m @ m) - 1) / (n - 1), abs=1e-12)
        assert s["share"] == pytest.approx(np.mean(np.sum((x - m) ** 2, axis=1)), abs=1e-12)
        assert 1.0 <= s["eff_dim"] <= n - 1 + 1e-9


def test_layer_slider_and_centred_toggle():
    fr = _synthetic()
    ex = LayerAnisotropy(fr)
    try:
        raw0 = ex.stats()["raw"]
        ex.view.time_slider.value = 3                       # the layer control
        assert ex.layer == 3 and ex.stats()["raw"] > raw0 + 0.2
        assert f"{ex.stats()['raw']:.3f}" in ex.readout.value and "layer 3" in ex.readout.value
        ex.centred.value = True                             # draw the centred directions, same layer
        assert ex.layer == 3 and ex.view.frames is ex.frames_centred
        c = fr.x[3] - fr.x[3].mean(axis=0)
        c /= np.linalg.norm(c, axis=1, keepdims=True)
        np.testing.assert_allclose(ex.view.frames.x[3], c, atol=1e-12)
        ex.centred.value = False
        assert ex.view.frames is ex.frames_raw and ex.layer == 3
    finally:
        ex.close()
