"""The course site (scripts/build_site.py, Jupyter Book 1.x) in headless Debian Chromium, with no network.

A two-lesson site (01 and 02, to keep CI time down) is built once per module; MFTX_SITE_LESSONS="all" (or e.g.
"03 05") builds and checks those lessons instead. Every built page is opened from a
loopback server; the CDN requests of the widget pages (require.js, @jupyter-widgets/html-manager, jupyter-threejs,
jupyter-matplotlib) are answered from npm-packed copies of exactly the versions the page names, which is what a
reader's browser gets from the CDN. MathJax and thebe (also CDN) are aborted: the text keeps its TeX source.

Checked: the landing page links to every lesson page and every link resolves; it has Binder and Colab links per
lesson; each lesson page decodes every figure (one <img> per PNG output of the executed notebook, non-zero natural
size), draws every embedded 3D view (one drawn canvas per pythreejs Renderer in the page's widget state), shows no
"Error displaying widget", folds the exercise solutions, and links to the next lesson. Screenshots: test-artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.request

import pytest
from browser import support as bs
from helpers import REPO  # noqa: E402

pytestmark = [pytest.mark.browser]
_reason = bs.browser_available()
try:
    import jupyter_book  # noqa: F401
except ImportError:
    _reason = _reason or 'Jupyter Book 1.x is not installed (pip install -e ".[site]")'
if _reason:
    pytestmark.append(pytest.mark.skip(reason=_reason))


def _build_site_module():
    scripts = REPO / "scripts"
    sys.path.insert(0, str(scripts))
    try:
        import build_site
    finally:
        sys.path.remove(str(scripts))
    return build_site


_selected = os.environ.get("MFTX_SITE_LESSONS", "01 02").split()
LESSONS = [p.name[:2] for p in _build_site_module().find_lessons(None if _selected == ["all"] else _selected)]
#: console errors of the Jupyter Book theme that say nothing about the lessons (sphinx-thebe declares its URL
#: twice; the theme's dark/light switch starts with no stored mode; MathJax is aborted, so html-manager's
#: typesetting hook finds no MathJax.Hub)
SITE_BENIGN = bs.BENIGN_CONSOLE + ("THEBE_JS_URL", "invalid theme mode", "reading 'Queue'")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(output folder, lesson pages, folder of the executed notebooks) of the site of LESSONS."""
    build_site = _build_site_module()
    root = tmp_path_factory.mktemp("site")
    out, work = root / "site", root / "site-src"
    pages = build_site.build(build_site.find_lessons(list(LESSONS)), out, work=work)
    return out, pages, work


def _cdn(page_html: str):
    """bs.offline_cdn, but @jupyter-widgets/html-manager at the exact version the page names (myst-nb pins it)."""
    fallback = bs.offline_cdn(page_html)
    pinned = re.compile(r"https://cdn\.jsdelivr\.net/npm/@jupyter-widgets/html-manager@([\d.]+)/(.*)$")

    def handler(route):
        m = pinned.match(route.request.url)
        if m:
            f = bs.npm_package(f"@jupyter-widgets/html-manager@{m.group(1)}") / m.group(2)
            if f.is_file():
                return route.fulfill(path=str(f), content_type="text/javascript")
        return fallback(route)

    return handler


def _strip_sri(route):
    """Serve our own page without `integrity` attributes.

    myst-nb pins cdnjs's require.min.js by its SHA-256; npm's requirejs package ships only the unminified
    require.js, so offline the digest cannot match. Everything else in the page is served unchanged.
    """
    resp = route.fetch()
    body = re.sub(r'\sintegrity="[^"]*"', "", resp.text())
    route.fulfill(response=resp, body=body)


def _open(page, base: str, name: str, page_html: str | None = None) -> None:
    page.unroute("**/*")
    page.route(re.compile(re.escape(base) + r".*\.html$"), _strip_sri)
    if page_html is not None:
        page.route(re.compile(bs.CDN_PATTERN), _cdn(page_html))
    page.goto(base + name, wait_until="load")


def _executed_outputs(nb_path) -> tuple[int, int]:
    """(PNG outputs, pythreejs Renderer models) of an executed notebook."""
    nb = json.loads(nb_path.read_text())
    pngs = sum("image/png" in o.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code"
               for o in c.get("outputs", []))
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    renderers = sum(v["model_name"] == "RendererModel" for v in state.values())
    return pngs, renderers


def test_landing_page_links_every_lesson(site):
    out, pages, _ = site
    with bs.static_server(out) as base, bs.chromium_page() as page:
        _open(page, base, "index.html")
        bs.screenshot(page, "site-index")
        hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        for p in pages:
            assert base + p.name in hrefs, f"landing page does not link to {p.name}"
            assert any("mybinder.org/v2/gh/OWNER/REPO" in h and p.with_suffix(".ipynb").name in h for h in hrefs)
            assert any("colab.research.google.com/github/OWNER/REPO" in h and h.endswith(p.stem + ".ipynb")
                       for h in hrefs)
        local = {h.split("#")[0] for h in hrefs if h.startswith(base)}
        for url in sorted(local):
            with urllib.request.urlopen(url, timeout=10) as r:
                assert r.status == 200, url
        table = page.locator("table").first.inner_text()
        assert "Lesson 1" in table and "Binder" in table and "Colab" in table, table
        assert not bs.console_errors(page, SITE_BENIGN), bs.console_errors(page, SITE_BENIGN)


@pytest.mark.parametrize("i", range(len(LESSONS)))
def test_lesson_page_draws_figures_and_3d_views(site, i):
    out, pages, work = site
    page_path = pages[i]
    n_png, n_3d = _executed_outputs(work / page_path.with_suffix(".ipynb").name)
    stem = page_path.stem[:2]
    # every lesson shows static figures; lesson 01 (the playground) embeds 3D views, others may use 2D explorables
    assert n_png >= 1, n_png
    assert n_3d >= 1 or stem != "01", n_3d
    text = page_path.read_text()
    assert n_3d == 0 or "jupyter-threejs" in bs.widget_modules(text)
    with bs.static_server(out) as base, bs.chromium_page() as page:
        _open(page, base, page_path.name, text)
        if n_3d:
            page.locator("canvas").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(3000)
        bs.screenshot(page, f"site-lesson{stem}")
        assert not bs.static_widget_errors(page), bs.static_widget_errors(page)
        figures = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_output img'))
            .map(i => [i.complete, i.naturalWidth, i.naturalHeight])""")
        assert len(figures) == n_png, (figures, n_png)
        assert all(ok and w > 0 and h > 0 for ok, w, h in figures), figures
        pixels = bs.canvas_pixels(page, save_as=f"site-lesson{stem}-canvas")
        assert sum(p > 500 for p in pixels) >= n_3d, (pixels, n_3d)
        if stem == "01":   # the exercise solutions are folded (closed <details>)
            folded = page.locator("details:not([open]) > summary", has_text="Solution")
            assert folded.count() >= 2, folded.count()
        links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        assert base + "index.html" in links
        if i + 1 < len(pages):
            nxt = page.locator("a.right-next").first
            assert nxt.get_attribute("href") == pages[i + 1].name
        assert not bs.console_errors(page, SITE_BENIGN), bs.console_errors(page, SITE_BENIGN)
