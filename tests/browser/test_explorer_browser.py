"""The Explorer in a real browser: JupyterLab on loopback, headless Debian Chromium, Run All like a person.

Asserts: no 'Error displaying widget'; the 3D canvas and the plots have drawn pixels; Play advances time in
the kernel (and the kernel still answers while playing); dragging the beta slider changes the model;
resizing n redraws; space toggles play; no unexpected console errors. Screenshots: test-artifacts/.
"""

from __future__ import annotations

import re
import time

import pytest
from browser import support as bs

pytestmark = pytest.mark.browser


def _kernel_print(page, expr: str, tag: str) -> str:
    """Run `print(tag, expr)` in a new cell at the end of the notebook; return the printed value text."""
    bs.run_cell_code(page, f"print('{tag}' + ':', {expr})", f"{tag}:", timeout=60)
    text = page.locator(".jp-Notebook").inner_text()
    return re.findall(rf"^{tag}: (.*)$", text, re.M)[-1].strip()


def _status_time(page) -> float:
    text = page.locator(".mftx-status").first.inner_text()
    return float(re.search(r"t = ([0-9.]+)", text).group(1))


def test_explorer_in_jupyterlab(lab_server, page):
    t_start = time.monotonic()
    bs.run_notebook(page, lab_server, "explorer.ipynb", marker="EXPLORER-READY", timeout=150)
    page.wait_for_timeout(1500)
    bs.screenshot(page, "explorer-loaded")
    assert bs.widget_errors(page) == []

    # the 3D view: wireframe, axes and 150 coloured points drawn (a blank canvas has 0)
    sphere_px = bs.canvas_pixels(page, ".mftx-sphere canvas", save_as="explorer-sphere")
    assert len(sphere_px) == 1 and sphere_px[0] > 3000, sphere_px
    # the ipympl figure (four panels)
    plot_px = bs.canvas_pixels(page, ".jupyter-matplotlib canvas", save_as="explorer-plots")
    assert plot_px and max(plot_px) > 10_000, plot_px
    assert _status_time(page) == 0.0

    # Play: the kernel task advances the time; the kernel still executes cells while it plays
    page.locator(".mftx-play").first.click()
    page.wait_for_timeout(2500)
    t_shown = _status_time(page)
    assert t_shown > 0.3, t_shown
    t_kernel, playing = _kernel_print(page, "ex.sim.t, ex.playing", "PLAYING").split()
    assert float(t_kernel) >= t_shown and playing == "True"
    bs.element_screenshot(page, ".mftx-explorer", "explorer-playing")
    page.locator(".mftx-play").first.click()                   # pause
    page.wait_for_timeout(500)
    assert _kernel_print(page, "ex.playing", "PAUSED") == "False"

    # drag the beta slider handle to the right: the kernel's model changes (and the run restarts)
    handle = page.locator(".mftx-beta .noUi-handle").first
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=8)
    page.mouse.up()
    page.wait_for_timeout(1000)
    readout = float(page.locator(".mftx-beta .widget-readout").first.inner_text())
    assert readout > 4.5, readout
    beta = float(_kernel_print(page, "ex.model.beta", "BETA"))
    assert beta == pytest.approx(readout, abs=0.051) and beta > 4.5
    assert float(_kernel_print(page, "ex.sim.t", "T-AFTER-BETA")) == 0.0

    # n changes: every buffer is replaced together and the view draws the new points
    assert _kernel_print(page, "ex.set_params(n=400) or ex.sphere.positions.shape", "RESIZED") == "(400, 3)"
    page.wait_for_timeout(1500)
    px_400 = bs.canvas_pixels(page, ".mftx-sphere canvas", save_as="explorer-sphere-n400")
    assert px_400[0] > sphere_px[0], (px_400, sphere_px)

    # keyboard: space on the app toggles play
    page.locator(".mftx-status").first.click()
    page.keyboard.press(" ")
    page.wait_for_timeout(1200)
    assert _kernel_print(page, "ex.playing", "KEY-PLAY") == "True"
    page.locator(".mftx-status").first.click()
    page.keyboard.press(" ")
    page.wait_for_timeout(500)
    assert _kernel_print(page, "ex.playing", "KEY-PAUSE") == "False"

    # clicking the energy plot moves the time back (the kernel restores the state saved at or before it)
    t_before = float(_kernel_print(page, "ex.sim.t", "T-BEFORE-CLICK"))
    assert t_before > 0.2, t_before
    bbox = _kernel_print(page, "*ex.plots.ax_energy.get_window_extent().bounds, *ex.plots.figure.bbox.bounds", "BBOX")
    x0, y0, w_ax, h_ax, _, _, w_fig, h_fig = (float(v) for v in bbox.split())
    canvases = page.locator(".jupyter-matplotlib canvas")
    visible = [canvases.nth(i) for i in range(canvases.count()) if canvases.nth(i).is_visible()]
    fig_canvas = max(visible, key=lambda c: c.bounding_box()["width"] * c.bounding_box()["height"])
    fig_canvas.scroll_into_view_if_needed()
    cb = fig_canvas.bounding_box()
    sx, sy = cb["width"] / w_fig, cb["height"] / h_fig
    page.mouse.click(cb["x"] + (x0 + 0.25 * w_ax) * sx, cb["y"] + (h_fig - (y0 + 0.5 * h_ax)) * sy)
    page.wait_for_timeout(1500)
    t_after = float(_kernel_print(page, "ex.sim.t", "T-AFTER-CLICK"))
    assert t_after < 0.5 * t_before, (t_before, t_after)

    # attention tab: a token's row colours the particles and the matrix is drawn
    page.locator(".lm-TabBar-tab", has_text="attention").first.click()
    page.locator(".mftx-attention input[type=checkbox]").first.check()
    page.wait_for_timeout(2000)
    att_px = bs.canvas_pixels(page, ".mftx-attention canvas", save_as="explorer-attention")
    assert att_px and max(att_px) > 5000, att_px
    assert _kernel_print(page, "ex.sphere.highlight, ex.sphere.color is not None", "ATTN") == "0 True"
    bs.element_screenshot(page, ".mftx-explorer", "explorer-attention-app")

    bs.screenshot(page, "explorer-final")
    assert bs.widget_errors(page) == []
    assert bs.console_errors(page) == []
    assert time.monotonic() - t_start < 180
