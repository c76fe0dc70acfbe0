"""Both renderers in a real browser (JupyterLab on loopback, headless Chromium): renderer="matplotlib" draws the
sphere on an ipympl canvas and Play advances it; the Explorer on that renderer draws too; the pythreejs view draws
round point sprites. Screenshots: test-artifacts/renderer-*.png."""

from __future__ import annotations

import re

import numpy as np
import pytest
from browser import support as bs

pytestmark = pytest.mark.browser

CELLS = [
    "import mftx_widgets as mw\n"
    "sim = mw.Simulation(mw.Attention(beta=4.0), mw.initial.uniform(60, 3, seed=0), dt=0.05)\n"
    "view = mw.SphereView(sim, renderer='matplotlib')\n"
    "view",
    "ex = mw.Explorer(n=40, d=3, renderer='matplotlib')\nex",
    "big = mw.SphereView(mw.Simulation(mw.Attention(beta=1.0), mw.initial.uniform(12, 3, seed=1)),\n"
    "                    renderer='threejs', point_size=40, show_sphere=False, show_axes=False, show_mean=False)\n"
    "big.add_class('mftx-big-points')\nbig",
    "print('RENDERERS' + '-READY', view.renderer_name, ex.sphere.renderer_name, big.renderer_name)",
]


def _info_time(view) -> float:
    text = view.locator(".widget-html").first.inner_text()
    return float(re.search(r"t = ([0-9.]+)", text).group(1))


def test_matplotlib_renderer_draws_and_plays(lab_root, lab_server, page):
    bs.write_notebook(lab_root / "renderers.ipynb", CELLS)
    bs.run_notebook(page, lab_server, "renderers.ipynb", marker="RENDERERS-READY matplotlib matplotlib threejs",
                    timeout=150)
    page.wait_for_timeout(2000)
    bs.screenshot(page, "renderer-loaded")
    assert bs.widget_errors(page) == []

    sphere = ".mftx-sphere-mpl"
    assert page.locator(sphere).count() == 2                       # the SphereView's and the Explorer's
    first = page.locator(".mftx-sphere").first
    px = bs.canvas_pixels(page, ".mftx-sphere >> nth=0 >> canvas", save_as="renderer-mpl-sphere")
    assert px and max(px) > 3000, px                               # sphere outline and 60 points drawn
    before = first.locator("canvas").first.screenshot()

    # Play: the kernel steps the simulation and the ipympl canvas shows new frames
    t0 = _info_time(first)
    first.locator(".mftx-sphere-play").first.click()
    page.wait_for_timeout(3000)
    t1 = _info_time(first)
    after = first.locator("canvas").first.screenshot()
    first.locator(".mftx-sphere-play").first.click()               # pause
    assert t1 > t0 + 0.2, (t0, t1)
    a, b = bs._png_to_array(before), bs._png_to_array(after)
    assert a.shape == b.shape and int(np.sum(np.abs(a - b).max(axis=2) > 24)) > 200   # the points moved on screen
    bs.element_screenshot(page, ".mftx-sphere", "renderer-mpl-playing")

    # the Explorer on the matplotlib renderer: its sphere draws (and its plots, as always)
    ex_px = bs.canvas_pixels(page, ".mftx-explorer .mftx-sphere canvas", save_as="renderer-mpl-explorer")
    assert ex_px and max(ex_px) > 3000, ex_px
    bs.element_screenshot(page, ".mftx-explorer", "renderer-mpl-explorer-app")

    # pythreejs: 40-pixel points are discs (round sprite + alphaTest), not squares
    big = page.locator(".mftx-big-points canvas").first
    big.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    img = bs._png_to_array(big.screenshot())
    bs.element_screenshot(page, ".mftx-big-points", "renderer-threejs-round-points")
    drawn = np.abs(img - img[2, 2]).max(axis=2) > 24
    assert drawn.sum() > 12 * 200, drawn.sum()
    # a disc fills pi/4 of its bounding square: measure the fill of each isolated blob's box
    from scipy import ndimage

    lab, k = ndimage.label(drawn)
    fills = []
    for sl in ndimage.find_objects(lab):
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if 30 <= h <= 50 and 30 <= w <= 50:                          # a whole, unoverlapped 40 px point
            fills.append(drawn[sl].mean())
    assert fills, "no isolated point found"
    assert max(fills) < 0.88, fills                                # a square would fill ~1.0, a disc ~0.785
    assert bs.console_errors(page) == []
