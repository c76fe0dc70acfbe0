"""The Explorer with n = 10^4 tokens on S^2 (beta = 4: the spherical-harmonic path) animating in a real browser.

Asserts: no 'Error displaying widget'; the 3D canvas has drawn the points; Play advances the simulated time and
the solver steps in the kernel while the kernel keeps answering; the drawn picture changes between two moments
of the animation; Pause stops it. Screenshots: test-artifacts/.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from browser import support as bs

pytestmark = pytest.mark.browser

N = 10_000


def _kernel_print(page, expr: str, tag: str) -> str:
    bs.run_cell_code(page, f"print('{tag}' + ':', {expr})", f"{tag}:", timeout=90)
    text = page.locator(".jp-Notebook").inner_text()
    return re.findall(rf"^{tag}: (.*)$", text, re.M)[-1].strip()


def _status_time(page) -> float:
    text = page.locator(".mftx-status").first.inner_text()
    return float(re.search(r"t = ([0-9.]+)", text).group(1))


def _canvas(page, name: str) -> np.ndarray:
    png = page.locator(".mftx-sphere canvas").first.screenshot()
    bs.element_screenshot(page, ".mftx-sphere", name)
    return bs._png_to_array(png).astype(np.int16)


def test_explorer_animates_ten_thousand_tokens(lab_root, lab_server, page):
    bs.write_notebook(lab_root / "explorer_large.ipynb", [
        "#md # Browser test: the Explorer at n = 10^4 (built by tests/browser/test_explorer_large.py)",
        f"import mftx_widgets as mw\n\nex = mw.Explorer(n={N}, d=3, seed=0, beta=4.0)\nex",
        "print('LARGE' + '-READY')",
    ])
    bs.run_notebook(page, lab_server, "explorer_large.ipynb", marker="LARGE-READY", timeout=240)
    page.wait_for_timeout(2000)
    assert bs.widget_errors(page) == []
    assert _kernel_print(page, "ex.sim.n, ex.sphere.positions.shape", "SIZE") == f"{N} ({N}, 3)"
    px = bs.canvas_pixels(page, ".mftx-sphere canvas", save_as="explorer-large-sphere")
    assert len(px) == 1 and px[0] > 3000, px
    before = _canvas(page, "explorer-large-t0")

    page.locator(".mftx-play").first.click()
    page.wait_for_timeout(6000)
    t_shown = _status_time(page)
    assert t_shown > 0.2, t_shown
    t_kernel, steps, playing = _kernel_print(page, "ex.sim.t, ex.player.steps, ex.playing", "PLAYING").split()
    assert float(t_kernel) >= t_shown and int(steps) >= 5 and playing == "True"
    after = _canvas(page, "explorer-large-playing")
    changed = int((np.abs(after - before).max(axis=-1) > 24).sum())
    assert changed > 500, changed                       # the points moved on screen
    page.locator(".mftx-play").first.click()            # pause
    page.wait_for_timeout(1000)
    assert _kernel_print(page, "ex.playing", "PAUSED") == "False"
    bs.screenshot(page, "explorer-large-paused")
