"""Lessons in a real browser (headless Debian Chromium, recipe /work/shared/browser.md).

1. Lessons 01 and 03 run to the end in JupyterLab ("Run All Cells"): no widget errors, every 3D canvas
   drew, Play advances the simulation in the kernel; screenshots go to test-artifacts/.
2. The static HTML build of lesson 01 (scripts/build_static_html.py, widget state embedded) renders with
   no kernel: the CDN scripts are answered from npm-packed copies of exactly those packages
   (`npm pack`, cached under ~/.cache/mftx_widgets/npm), the 3D canvas draws, no widget errors.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_support as bs  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LESSONS = REPO / "lessons"
NPM_CACHE = Path.home() / ".cache" / "mftx_widgets" / "npm"

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
def _npm_package(spec: str) -> Path:
    """Unpacked `npm pack spec` (cached): the files a CDN serves for that package version."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", spec)
    dest = NPM_CACHE / safe
    if (dest / "package" / "package.json").exists():
        return dest / "package"
    dest.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["npm", "pack", spec, "--silent"], cwd=dest, capture_output=True, text=True, timeout=240)
    if res.returncode != 0:
        pytest.fail(f"npm pack {spec} failed (needs the npm registry):\n{res.stderr[-2000:]}")
    tgz = dest / res.stdout.strip().splitlines()[-1]
    with tarfile.open(tgz) as tf:
        tf.extractall(dest, filter="data")
    return dest / "package"


def _widget_modules(page_html: str) -> dict[str, str]:
    m = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page_html, re.S)
    assert m, "no widget state embedded in the page"
    state = json.loads(m.group(1))["state"]
    return {v["model_module"]: v["model_module_version"] for v in state.values()}


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
    modules = _widget_modules(text)
    assert "jupyter-threejs" in modules, modules

    # the packages the page asks the CDN for, at the versions it names
    req_ver = re.search(r"require\.js/([\d.]+)/require", text).group(1)
    packages = {"requirejs": _npm_package(f"requirejs@{req_ver}"),
                "@jupyter-widgets/html-manager": _npm_package("@jupyter-widgets/html-manager@1")}
    for name, ver in modules.items():
        if not name.startswith("@jupyter-widgets/"):     # base / controls / output are inside html-manager
            packages[name] = _npm_package(f"{name}@{ver.lstrip('^~')}")

    def cdn(route):
        url = route.request.url
        if "require.js/" in url and url.endswith("require.min.js"):
            return route.fulfill(path=str(packages["requirejs"] / "require.js"), content_type="text/javascript")
        m = re.match(r"https://(?:cdn\.jsdelivr\.net/npm|unpkg\.com)/((?:@[^/]+/)?[^@/]+)(?:@[^/]*)?/(.*?)(?:\?.*)?$",
                     url)
        if m and m.group(1) in packages:
            f = packages[m.group(1)] / m.group(2)
            if f.is_file():
                ctype = "text/javascript" if f.suffix == ".js" else None
                return route.fulfill(path=str(f), content_type=ctype)
        return route.abort()

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with bs.chromium_page() as page:
            page.route(re.compile(r"https://(cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com)/.*"), cdn)
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{page_path.name}", wait_until="load")
            page.locator("canvas").first.wait_for(state="attached", timeout=60_000)
            page.wait_for_timeout(3000)
            bs.screenshot(page, "lesson01-static-html")
            errors = page.evaluate("""() => Array.from(
                document.querySelectorAll('.widget-error, .jp-OutputArea-output')).map(e => e.innerText)
                .filter(t => /Error displaying widget|model not found|Could not/i.test(t))""")
            assert not errors, errors
            # the exercise solutions are folded (closed <details>) in the static page
            folded = page.locator("details:not([open]) > summary", has_text="Solution")
            assert folded.count() >= 2, folded.count()
            pixels = bs.canvas_pixels(page, save_as="lesson01-static-canvas")
            assert pixels and max(pixels) > 500, pixels
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
