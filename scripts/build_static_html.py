"""Execute the lessons in fresh kernels (widget state stored) and write static HTML pages to site/.

Usage: python scripts/build_static_html.py [--out site] [--timeout 300] [LESSON ...]
LESSON is a notebook path or a prefix such as "01"; default: every lessons/NN_*.ipynb.
The pages load the widget scripts (html-manager, jupyter-threejs, jupyter-matplotlib) from the public CDN,
so the 3D views still rotate with no kernel.
"""

from __future__ import annotations

import argparse
import copy
import html
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

REPO = Path(__file__).resolve().parents[1]
LESSONS = REPO / "lessons"


def find_lessons(selectors: list[str] | None = None) -> list[Path]:
    """Lesson notebooks (sorted); selectors are paths or name prefixes ("01", "03_collapse")."""
    every = sorted(p for p in LESSONS.glob("[0-9][0-9]_*.ipynb"))
    if not selectors:
        return every
    out = []
    for s in selectors:
        p = Path(s)
        if p.suffix == ".ipynb" and p.exists():
            out.append(p.resolve())
            continue
        hits = [q for q in every if q.name.startswith(s)]
        if not hits:
            raise ValueError(f"no lesson matches {s!r}; available: {[q.name for q in every]}")
        out.extend(hits)
    return out


def execute(path: Path, timeout: float = 300.0) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh python3 kernel (cwd = its folder), widget state stored."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


#: folds every cell tagged "solution" (input and output) into a closed <details> element
_FOLD_SOLUTIONS = """
<script>
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".jp-Cell.celltag_solution").forEach(cell => {
    const box = document.createElement("details");
    const label = document.createElement("summary");
    label.textContent = "Solution (click to show)";
    box.appendChild(label);
    while (cell.firstChild) box.appendChild(cell.firstChild);
    cell.appendChild(box);
  });
});
</script>
"""


def to_html(nb: nbformat.NotebookNode) -> str:
    """Static HTML (lab template) with the widget state embedded; source-hidden cells (the solutions) folded."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata.get("jupyter", {}).get("source_hidden"):
            tags = cell.metadata.setdefault("tags", [])
            if "solution" not in tags:
                tags.append("solution")
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb)
    return body.replace("</body>", _FOLD_SOLUTIONS + "</body>", 1)


def _index(pages: list[tuple[str, Path]]) -> str:
    items = "\n".join(f'<li><a href="{html.escape(p.name)}">{html.escape(t)}</a></li>' for t, p in pages)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>mftx_widgets lessons</title></head>"
            f"<body><h1>mftx_widgets lessons</h1><ol>{items}</ol></body></html>\n")


def build(lessons: list[Path], out: Path, timeout: float = 300.0) -> list[Path]:
    """Execute each lesson and write out/<name>.html plus out/index.html; returns the lesson pages."""
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for path in lessons:
        t0 = time.time()
        nb = execute(path, timeout)
        page = out / (path.stem + ".html")
        page.write_text(to_html(nb), encoding="utf-8")
        title = nb.metadata.get("title", path.stem)
        pages.append((title, page))
        print(f"{path.name}: executed and written to {page} in {time.time() - t0:.1f} s", flush=True)
    (out / "index.html").write_text(_index(pages), encoding="utf-8")
    return [p for _, p in pages]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="notebook paths or name prefixes (default: all lessons)")
    ap.add_argument("--out", default=str(REPO / "site"), help="output folder (default: site/)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    args = ap.parse_args(argv)
    build(find_lessons(args.lessons), Path(args.out), args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
