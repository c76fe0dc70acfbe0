"""Lecture slides with live 3D views: execute lessons (widget state stored) and export reveal.js slides.

Usage: python scripts/build_slides.py [--out slides] [--timeout 300] [LESSON ...]
LESSON is a notebook path or a prefix such as "01" (default: every lesson). Writes out/NN_name.slides.html: one
reveal.js slide per cell marked "slide" in the lesson (RISE metadata), with the executed outputs and the widget
state embedded, so the 3D views draw and rotate on the slides with no kernel (sliders and Play need a kernel).
reveal.js, require.js and the widget scripts come from the public CDNs when the page is opened; present it in any
browser (F for full screen, S for the speaker view, Esc for the overview).

Why not jupyterlab-rise: with ipywidgets 8 its slideshow shows the widgets' text repr instead of the views
(tested here in Chromium with jupyterlab-rise 0.43.1 and ipywidgets 8.1.9; see jupyterlab-contrib/rise#119).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nbconvert import SlidesExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_site import REPO, execute, find_lessons  # noqa: E402

#: reveal.js canvas size (px) the slides are laid out for; the explorer needs about 1200 x 750
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 800


def to_slides(nb) -> str:
    """reveal.js HTML of an executed notebook (widget state embedded); tall slides scroll."""
    exporter = SlidesExporter(reveal_scroll=True, reveal_width=str(SLIDE_WIDTH), reveal_height=str(SLIDE_HEIGHT),
                              reveal_transition="none")
    body, _ = exporter.from_notebook_node(nb)
    return body


def build(lessons: list[Path], out: Path, timeout: float = 300.0) -> list[Path]:
    """Execute each lesson and write out/<name>.slides.html; returns the written paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in lessons:
        t0 = time.time()
        page = out / f"{path.stem}.slides.html"
        page.write_text(to_slides(execute(path, timeout)), encoding="utf-8")
        written.append(page)
        print(f"{path.name}: slides written to {page} in {time.time() - t0:.1f} s", flush=True)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="notebook paths or name prefixes, e.g. 01 (default: all lessons)")
    ap.add_argument("--out", default=str(REPO / "slides"), help="output folder (default: slides/)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    args = ap.parse_args(argv)
    build(find_lessons(args.lessons), Path(args.out), args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
