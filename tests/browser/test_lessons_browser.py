"""Lessons in a real browser (headless Debian Chromium, recipe the recipe in tests/browser/support.py).

1. Lessons 01 and 03 run to the end in JupyterLab ("Run All Cells"): no widget errors, every 3D canvas
   drew, Play advances the simulation in the kernel; screenshots go to test-artifacts/.
2. The static HTML build of lesson 01 (scripts/build_static_html.py, widget state embedded) renders with
   no kernel: the CDN scripts are answered from npm-packed copies of exactly those packages
   (`npm pack`, cached by browser_support.npm_package), the 3D canvas draws, no widget errors.
"""

from __future__ import annotations

import re
import shutil
import sys

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


# ---------------------------------------------------------------------------------------------- static HTML
def test_static_html_lesson_01(tmp_path):
    scripts = REPO / "scripts"
    sys.path.insert(0, str(scripts))
    try:
        import build_static_html
    finally:
        sys.path.remove(str(scripts))
    site = tmp_path / "site"
    (page_path,) = build_static_html.build(build_static_html.find_lessons(["01"]), site)
    text = page_path.read_text()
    assert "jupyter-threejs" in bs.widget_modules(text)
    cdn = bs.offline_cdn(text)       # the packages the page asks the CDN for, at the versions it names
    with bs.static_server(site) as base:
        with bs.chromium_page() as page:
            page.route(re.compile(bs.CDN_PATTERN), cdn)
            page.goto(base + page_path.name, wait_until="load")
            page.locator("canvas").first.wait_for(state="attached", timeout=60_000)
            page.wait_for_timeout(3000)
            bs.screenshot(page, "lesson01-static-html")
            assert not bs.static_widget_errors(page)
            # the exercise solutions are folded (closed <details>) in the static page
            folded = page.locator("details:not([open]) > summary", has_text="Solution")
            assert folded.count() >= 2, folded.count()
            pixels = bs.canvas_pixels(page, save_as="lesson01-static-canvas")
            assert pixels and max(pixels) > 500, pixels
