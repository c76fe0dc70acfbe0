"""Reusable helpers for real-browser widget tests (JupyterLab on loopback + headless Debian Chromium).

Recipe: the recipe in tests/browser/support.py. Typical use::

    with jupyterlab_server(root_dir) as server, chromium_page() as page:
        run_notebook(page, server, "nb.ipynb", marker="DONE")
        assert not widget_errors(page)
        assert all(p > 500 for p in canvas_pixels(page, save_as="nb-canvas"))
        assert not console_errors(page)
        screenshot(page, "nb-page")

Nothing here downloads anything: Chromium is /usr/bin/chromium (apt), driven by playwright's Python
package (never `playwright install`); every request that does not go to 127.0.0.1 is aborted.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from helpers import REPO, free_port  # noqa: E402

ARTIFACTS = Path(os.environ.get("MFTX_TEST_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM = os.environ.get("MFTX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run", "--disable-quic",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]
#: console messages that are known to be harmless (substrings).
BENIGN_CONSOLE = (
    "Error setting state: t.on is not a function",   # pythreejs lights under ipywidgets 8 (we avoid them anyway)
    "favicon",
    "net::ERR_FAILED",                                # the requests we abort on purpose (non-loopback)
    "net::ERR_BLOCKED_BY_CLIENT",
    "Failed to load resource",
    "WebGL",                                          # SwiftShader performance notes
    "GPU stall",
    "[.WebGL",
    "mathjax",
    "MathJax",
    "Could not find a kernel spec",
    "language server",
    "lsp",
    "404 (Not Found)",
    "The AudioContext",
)


def browser_available() -> str | None:
    """None if Chromium and playwright are usable, else the reason (for a clear skip message)."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (python) is not installed (pip install playwright; never `playwright install`)"
    return None


@dataclass
class LabServer:
    """A running JupyterLab: base url, token, root dir and the process (ours to stop)."""

    url: str
    token: str
    root_dir: Path
    proc: subprocess.Popen
    log_path: Path

    def notebook_url(self, notebook: str) -> str:
        return f"{self.url}lab/tree/{notebook}?reset&token={self.token}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@contextlib.contextmanager
def jupyterlab_server(root_dir, timeout: float = 90.0, extra_env: dict | None = None):
    """Start JupyterLab on 127.0.0.1 with a random token in root_dir; yield a LabServer; stop it (only it).

    The kernel inherits PYTHONPATH with the repository root, so notebooks import mftx_widgets from this tree.
    """
    root = Path(root_dir).resolve()
    port = free_port()
    token = secrets.token_hex(16)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    env.update(extra_env or {})
    runtime = Path(tempfile.mkdtemp(prefix="mftx-lab-runtime-"))
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    log_path = runtime / "lab.log"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None", "--ServerApp.disable_check_xsrf=False",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = LabServer(url=f"http://127.0.0.1:{port}/", token=token, root_dir=root, proc=proc, log_path=log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {proc.returncode}:\n{server.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{server.url}api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab did not start in {timeout} s:\n{server.log()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        if proc.poll() is None:
            # our own process group (start_new_session): the server and the kernels it started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        shutil.rmtree(runtime, ignore_errors=True)


@dataclass
class PageLog:
    """Console messages and page errors seen by a page."""

    console: list = field(default_factory=list)   # (type, text)
    page_errors: list = field(default_factory=list)
    blocked: list = field(default_factory=list)   # urls we aborted


@contextlib.contextmanager
def chromium_page(viewport: tuple[int, int] = (1400, 1000), headless: bool = True):
    """Yield a playwright Page in headless Debian Chromium (fresh temporary profile, loopback only).

    page.mftx_log is a PageLog collecting console messages, page errors and the blocked requests.
    """
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="mftx-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=headless, args=CHROMIUM_FLAGS,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                log = PageLog()

                def route(r):
                    url = r.request.url
                    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
                    if url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                        r.continue_()
                    else:
                        log.blocked.append(url)
                        r.abort()

                context.route("**/*", route)
                page.on("console", lambda m: log.console.append((m.type, m.text)))
                page.on("pageerror", lambda e: log.page_errors.append(str(e)))
                page.mftx_log = log
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _kernel_idle(page) -> bool:
    return page.evaluate(
        """() => { const el = document.querySelector('.jp-Notebook-ExecutionIndicator');
                   if (el && el.getAttribute('data-status')) return el.getAttribute('data-status') === 'idle';
                   const t = document.body.innerText; return /\\bIdle\\b/.test(t); }"""
    )


def run_command(page, label: str, menu: str = "Run", timeout: float = 10.0) -> None:
    """Run a JupyterLab command by its menu entry (e.g. menu "Run", label "Run All Cells"), as a person would."""
    page.keyboard.press("Escape")
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click(timeout=timeout * 1000)
    item = page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel", has_text=label).first
    item.wait_for(state="visible", timeout=timeout * 1000)
    item.click(timeout=timeout * 1000)
    page.wait_for_timeout(200)


def open_notebook(page, server: LabServer, notebook: str, timeout: float = 120.0) -> None:
    """Open a notebook in Lab (fresh layout) and wait until its kernel is idle."""
    page.goto(server.notebook_url(notebook), wait_until="domcontentloaded", timeout=timeout * 1000)
    page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while not _kernel_idle(page):
        if time.monotonic() > deadline:
            raise TimeoutError(f"kernel of {notebook} not idle after {timeout} s")
        page.wait_for_timeout(300)
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()


def wait_for_text(page, text: str, timeout: float = 120.0, within: str = ".jp-Notebook") -> None:
    """Wait until `text` appears in the notebook's rendered outputs (raise TimeoutError with the page text)."""
    deadline = time.monotonic() + timeout
    loc = page.locator(within).first
    while True:
        body = loc.inner_text(timeout=10_000)
        if text in body:
            return
        if time.monotonic() > deadline:
            screenshot(page, "timeout")
            raise TimeoutError(f"{text!r} did not appear within {timeout} s; page text tail:\n{body[-2000:]}")
        page.wait_for_timeout(500)


def _executed_prompts(page) -> int:
    """Number of code cells whose prompt shows an execution count or '*'."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt'))
                .filter(e => /\\[(\\*|\\d+)\\]/.test(e.innerText)).length"""
    )


def dismiss_notifications(page) -> None:
    """Close JupyterLab toasts (e.g. the news opt-in) so they do not cover outputs in screenshots."""
    for label in ("No", "Dismiss"):
        btn = page.locator(".jp-Notification-Toast-Container button, .Toastify button", has_text=label)
        for i in range(btn.count()):
            with contextlib.suppress(Exception):
                btn.nth(i).click(timeout=1000)


def run_notebook(page, server: LabServer, notebook: str, marker: str, timeout: float = 150.0) -> None:
    """Open notebook, run all cells through the command palette, and wait for `marker` in the outputs.

    The kernel can report idle a moment before its websocket is connected, when a run request is lost;
    Run All is therefore repeated (at most twice more) if no cell has started after 15 s.
    """
    t0 = time.monotonic()
    open_notebook(page, server, notebook, timeout=timeout)
    dismiss_notifications(page)
    for attempt in range(3):
        run_command(page, "Run All Cells")
        if attempt:
            screenshot(page, f"run-all-retry-{attempt}")
        started = time.monotonic()
        while _executed_prompts(page) == 0 and time.monotonic() - started < 15:
            page.wait_for_timeout(300)
        if _executed_prompts(page):
            break
    wait_for_text(page, marker, timeout=max(10.0, timeout - (time.monotonic() - t0)))
    dismiss_notifications(page)


def run_cell_code(page, code: str, marker: str, timeout: float = 60.0) -> None:
    """Append a code cell at the end of the open notebook, run it, and wait for `marker` in the outputs."""
    last = page.locator(".jp-Notebook .jp-Cell").last
    last.locator(".jp-InputPrompt").first.click()     # selects the cell (the collapser bar would fold it)
    page.keyboard.press("Escape")
    if last.locator(".cm-content").first.inner_text().strip():
        page.keyboard.press("b")                      # a new cell below; else reuse the empty last cell
    editor = page.locator(".jp-Notebook .jp-Cell").last.locator(".cm-content")
    editor.click()
    editor.fill(code)
    page.keyboard.press("Shift+Enter")
    wait_for_text(page, marker, timeout=timeout)


def widget_errors(page) -> list[str]:
    """Texts of 'Error displaying widget' (and similar) outputs on the page."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-OutputArea-output, .widget-error'))
                .map(e => e.innerText).filter(t => /Error displaying widget|model not found/i.test(t))"""
    )


def _png_to_array(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def drawn_pixels(img: np.ndarray, tol: int = 24) -> int:
    """Pixels differing (max channel difference > tol) from the most common colour (the background)."""
    flat = img.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    bg = colours[np.argmax(counts)]
    return int(np.sum(np.abs(flat - bg).max(axis=1) > tol))


def canvas_pixels(page, selector: str = "canvas", save_as: str | None = None, min_size: int = 50) -> list[int]:
    """Number of drawn (non-background) pixels of every visible canvas at least min_size px wide and tall.

    Reads the composited screenshot of each canvas element (works for WebGL canvases without
    preserveDrawingBuffer). With save_as, each canvas image is saved to ARTIFACTS/<save_as>-<i>.png.
    """
    out = []
    loc = page.locator(selector)
    for i in range(loc.count()):
        el = loc.nth(i)
        if not el.is_visible():
            continue
        box = el.bounding_box()
        if box is None or box["width"] < min_size or box["height"] < min_size:
            continue
        el.scroll_into_view_if_needed()
        png = el.screenshot()
        if save_as:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f"{save_as}-{len(out)}.png").write_bytes(png)
        out.append(drawn_pixels(_png_to_array(png)))
    return out


def console_errors(page, ignore: tuple[str, ...] = BENIGN_CONSOLE) -> list[str]:
    """Console errors and uncaught page errors, minus the known-benign ones (substring match)."""
    log = page.mftx_log
    errs = [t for kind, t in log.console if kind == "error"] + list(log.page_errors)
    return [e for e in errs if not any(s in e for s in ignore)]


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot of the page to ARTIFACTS/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def element_screenshot(page, selector: str, name: str) -> Path:
    """Save a screenshot of the first element matching selector to ARTIFACTS/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    el = page.locator(selector).first
    el.scroll_into_view_if_needed()
    el.screenshot(path=str(path))
    return path


def write_notebook(path, cells: list[str]) -> Path:
    """Write a notebook of code cells (strings; a string starting with '#md' becomes a markdown cell)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    for src in cells:
        if src.startswith("#md"):
            nb.cells.append(nbformat.v4.new_markdown_cell(src[3:].lstrip()))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(src))
    path = Path(path)
    nbformat.write(nb, path)
    return path


# -- static pages whose widget scripts come from a CDN ---------------------------------------------------------
NPM_CACHE = Path.home() / ".cache" / "mftx_widgets" / "npm"
#: the CDN hosts a static widget page asks for its scripts
CDN_PATTERN = r"https://(cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com)/.*"


def npm_package(spec: str) -> Path:
    """Unpacked `npm pack spec` (cached): exactly the files a CDN serves for that package version."""
    import re
    import tarfile

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", spec)
    dest = NPM_CACHE / safe
    if (dest / "package" / "package.json").exists():
        return dest / "package"
    dest.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["npm", "pack", spec, "--silent"], cwd=dest, capture_output=True, text=True, timeout=240)
    if res.returncode != 0:
        raise RuntimeError(f"npm pack {spec} failed (needs the npm registry):\n{res.stderr[-2000:]}")
    tgz = dest / res.stdout.strip().splitlines()[-1]
    with tarfile.open(tgz) as tf:
        tf.extractall(dest, filter="data")
    return dest / "package"


def widget_modules(page_html: str) -> dict[str, str]:
    """{model_module: version} of the widget state embedded in a static page."""
    import json
    import re

    m = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page_html, re.S)
    if not m:
        raise AssertionError("no widget state embedded in the page")
    state = json.loads(m.group(1))["state"]
    return {v["model_module"]: v["model_module_version"] for v in state.values()}


def offline_cdn(page_html: str):
    """A playwright route handler answering the page's CDN requests from npm-packed packages.

    Serves requirejs, @jupyter-widgets/html-manager and every widget module the embedded state names, at the
    versions the page asks for; anything else is aborted. Use: page.route(re.compile(CDN_PATTERN), handler).
    """
    import re

    modules = widget_modules(page_html)
    req = re.search(r"require\.js/([\d.]+)/require", page_html)
    packages = {"requirejs": npm_package(f"requirejs@{req.group(1) if req else '2'}"),
                "@jupyter-widgets/html-manager": npm_package("@jupyter-widgets/html-manager@1")}
    for name, ver in modules.items():
        if not name.startswith("@jupyter-widgets/"):     # base / controls / output live inside html-manager
            packages[name] = npm_package(f"{name}@{ver.lstrip('^~')}")
    pattern = re.compile(r"https://(?:cdn\.jsdelivr\.net/npm|unpkg\.com)/((?:@[^/]+/)?[^@/]+)(?:@[^/]*)?/(.*?)(?:\?.*)?$")

    def handler(route):
        url = route.request.url
        if "require.js/" in url and url.endswith("require.min.js"):
            return route.fulfill(path=str(packages["requirejs"] / "require.js"), content_type="text/javascript")
        m = pattern.match(url)
        if m and m.group(1) in packages:
            f = packages[m.group(1)] / m.group(2)
            if f.is_file():
                return route.fulfill(path=str(f), content_type="text/javascript" if f.suffix == ".js" else None)
        return route.abort()

    return handler


@contextlib.contextmanager
def static_server(directory):
    """Serve a directory on 127.0.0.1 (a free port); yields the base URL ending in '/'."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        thread.join(timeout=5)


def static_widget_errors(page) -> list[str]:
    """Widget error texts shown in a static (kernel-less) page."""
    return page.evaluate("""() => Array.from(
        document.querySelectorAll('.widget-error, .jp-OutputArea-output, .widget-subarea, body')).map(e => e.innerText)
        .filter(t => /Error displaying widget|model not found|Could not create/i.test(t))""")
