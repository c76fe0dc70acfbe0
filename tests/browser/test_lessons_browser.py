"""Lessons in a real browser (headless Debian Chromium, recipe the recipe in tests/browser/support.py).

Lessons 01 and 03 run to the end in JupyterLab ("Run All Cells"): no widget errors, every 3D canvas
drew, Play advances the simulation in the kernel; screenshots go to test-artifacts/.
The static pages (widget state embedded, the 3D views drawn with no kernel, solutions folded) are tested
with the course site in tests/browser/test_site.py.
"""

from __future__ import annotations

import re
import shutil

import pytest
from browser import support as bs
from helpers import REPO  # noqa: E402

LESSONS = REPO / "lessons"

pytestmark = [pytest.mark.browser]
_reason = bs.browser_available()
if _reason:
    pytestmark.append(pytest.mark.skip(reason=_reason))


def _lesson_in_lab(tmp_path, stem: str, number: str, min_canvases: int):
    shutil.copy(LESSONS / f"{stem}.ipynb", tmp_path / f"{stem}.ipynb")
    with bs.jupyterlab_server(tmp_path) as server, bs.chromium_page() as page:
        bs.run_notebook(page, server, f"{stem}.ipynb", marker=f"LESSON-{number}-COMPLETE", timeout=200)
        page.wait_for_timeout(1500)
        bs.screenshot(page, f"lesson{number}-lab-page")
        assert not bs.widget_errors(page), bs.widget_errors(page)
        pixels = bs.canvas_pixels(page, save_as=f"lesson{number}-canvas")
        # the static matplotlib figures are <img>, so the canvases are the 3D views and the ipympl plots
        assert len(pixels) >= min_canvases, pixels
        assert sum(p > 500 for p in pixels) >= min_canvases, pixels
        # Play in the explorer (the last Play button) advances the kernel's simulation
        play = page.locator(".mftx-play")
        assert play.count() >= 1
        play.last.scroll_into_view_if_needed()
        play.last.click()
        page.wait_for_timeout(3000)
        # the marker is built at run time so that the cell's source text does not already contain it
        bs.run_cell_code(page, "print('SIM' + 'TIME', round(float(ex.sim.t), 3)); ex.pause()", marker="SIMTIME")
        body = page.locator(".jp-Notebook").first.inner_text()
        t_sim = float(re.findall(r"SIMTIME (\S+)", body)[-1])
        assert t_sim > 0, "Play did not advance the explorer"
        bs.screenshot(page, f"lesson{number}-lab-after-play", full_page=False)
        assert not bs.console_errors(page), bs.console_errors(page)


def test_lesson_01_in_jupyterlab(tmp_path):
    _lesson_in_lab(tmp_path, "01_tokens_as_particles", "01", min_canvases=2)


def test_lesson_03_in_jupyterlab(tmp_path):
    _lesson_in_lab(tmp_path, "03_collapse", "03", min_canvases=1)
