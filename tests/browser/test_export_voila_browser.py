"""Two more front ends in real headless Chromium.

1. mw.export.to_html: the standalone page renders its 3D view with no kernel (CDN scripts answered from
   npm-packed copies of exactly the packages it names, as a reader's browser would get them).
2. Voila serves lesson 01 on loopback: the page finishes executing, its 3D canvases draw, no widget errors.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import pytest
from browser import support as bs
from helpers import REPO, free_port

import mftx_widgets as mw

pytestmark = [pytest.mark.browser]
_reason = bs.browser_available()
if _reason:
    pytestmark.append(pytest.mark.skip(reason=_reason))


def test_exported_html_page_draws_the_sphere_without_a_kernel(tmp_path):
    model = mw.Attention(beta=6.0)
    traj = mw.simulate(model, mw.initial.uniform(120, 3, seed=4), t_max=6.0, dt=0.1, save_every=10)
    page_path = mw.export.to_html(traj, tmp_path / "run.html")
    text = page_path.read_text()
    assert "jupyter-threejs" in bs.widget_modules(text)
    assert "beta=6" in text.replace(" ", "")               # the page carries its parameters
    cdn = bs.offline_cdn(text)
    # The page pins cdnjs's minified require.min.js by a subresource-integrity hash; npm ships only the
    # unminified require.js, so offline we serve the page with that one integrity attribute removed (a
    # reader's browser gets cdnjs's exact file and the hash holds). Nothing else in the page is changed.
    served = re.sub(r'(<script[^>]*require\.min\.js"[^>]*?)\s+integrity="[^"]*"', r"\1", text)
    assert served != text and served.count("<script") == text.count("<script")
    with bs.static_server(tmp_path) as base, bs.chromium_page() as page:
        page.route(re.compile(bs.CDN_PATTERN), cdn)
        page.route(base + page_path.name, lambda route: route.fulfill(body=served, content_type="text/html"))
        page.goto(base + page_path.name, wait_until="load")
        page.locator("canvas").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(3000)
        bs.screenshot(page, "export-html-page")
        assert not bs.static_widget_errors(page)
        pixels = bs.canvas_pixels(page, save_as="export-html-canvas")
        assert pixels and max(pixels) > 500, pixels
        readout = page.locator(".widget-readout").last.inner_text()
        assert readout.strip() == str(len(traj) - 1), readout       # the slider shows the frame that is drawn


def test_voila_renders_lesson_01(tmp_path):
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = open(tmp_path / "voila.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", "lessons/01_tokens_as_particles.ipynb", "--no-browser",
         f"--port={port}", "--Voila.ip=127.0.0.1", "--VoilaConfiguration.http_keep_alive_timeout=600"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()    # listening
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("voila did not start:\n" + (tmp_path / "voila.log").read_text()[-3000:])
                time.sleep(0.5)
        with bs.chromium_page() as page:
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            # voila renders the outputs as the kernel executes; the last cell prints the lesson's marker
            page.get_by_text("LESSON-01-COMPLETE").first.wait_for(timeout=240_000)
            page.wait_for_timeout(3000)
            bs.screenshot(page, "voila-lesson01")
            body = page.inner_text("body")
            assert "Error displaying widget" not in body
            assert "Traceback" not in body
            pixels = bs.canvas_pixels(page, save_as="voila-lesson01-canvas")
            assert len([p for p in pixels if p > 500]) >= 2, pixels     # the SphereView and the Explorer sphere
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
