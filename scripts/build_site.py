"""Build the course site: execute every lesson in a fresh kernel (widget state stored), render with Jupyter Book.

Usage: python scripts/build_site.py [--out site] [--work build/site-src] [--timeout 300] [LESSON ...]
LESSON is a notebook path or a prefix such as "01"; default: every lessons/NN_*.ipynb.

The site (out/index.html, out/NN_*.html) has a landing page with the lesson table and launch links for Binder and
Colab, a sidebar and previous/next links between lessons, the executed outputs (static figures as PNG) and the
embedded widget state: the pythreejs 3D views still rotate with no kernel. Their scripts (require.js,
@jupyter-widgets/html-manager, jupyter-threejs, jupyter-matplotlib) come from the public CDNs when a reader
opens a page. Needs Jupyter Book 1.x (`pip install -e ".[site]"`); the landing text is docs/site/index.md.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
LESSONS = REPO / "lessons"
SITE_SOURCES = REPO / "docs" / "site"
#: GitHub owner/name used in the launch links; a placeholder until the repository is public
GITHUB_REPO = "OWNER/REPO"
GITHUB_BRANCH = "main"


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


def binder_url(name: str) -> str:
    """Binder launch link opening lessons/<name> in JupyterLab."""
    return f"https://mybinder.org/v2/gh/{GITHUB_REPO}/HEAD?labpath=lessons%2F{name}"


def colab_url(name: str) -> str:
    """Colab launch link of lessons/<name>."""
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{GITHUB_BRANCH}/lessons/{name}"


def lesson_title(nb: nbformat.NotebookNode, path: Path) -> str:
    """The first '# ' heading of the notebook, else its metadata title, else the file stem."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return nb.metadata.get("title", path.stem)


def fold_solutions(nb: nbformat.NotebookNode) -> int:
    """Tag source-hidden cells (the exercise solutions) "hide-cell" so the page folds input and output.

    Returns the number of folded cells.
    """
    n = 0
    for cell in nb.cells:
        if cell.metadata.get("jupyter", {}).get("source_hidden"):
            tags = cell.metadata.setdefault("tags", [])
            if "hide-cell" not in tags:
                tags.append("hide-cell")
            cell.metadata["mystnb"] = {"code_prompt_show": "Solution (click to show)",
                                       "code_prompt_hide": "Hide the solution"}
            n += 1
    return n


def launch_cell(name: str) -> nbformat.NotebookNode:
    """A markdown cell with the Binder and Colab links of lessons/<name>."""
    return nbformat.v4.new_markdown_cell(
        f"*Run this lesson live:* [launch on Binder]({binder_url(name)}) · [open in Colab]({colab_url(name)})"
        f" · or locally with `jupyter lab lessons/{name}`. *(`{GITHUB_REPO}` is a placeholder until the "
        "repository is public.)*")


def prepare(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """Copy of an executed lesson for the site: solutions folded, launch links under the title."""
    nb = copy.deepcopy(nb)
    fold_solutions(nb)
    first_heading = next((i for i, c in enumerate(nb.cells)
                          if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")), -1)
    nb.cells.insert(first_heading + 1, launch_cell(path.name))
    return nb


def landing_page(lessons: list[tuple[str, Path]]) -> str:
    """docs/site/index.md followed by the lesson table (page link, Binder, Colab)."""
    rows = "\n".join(
        f"| {path.name[:2]} | [{title}]({path.stem}.ipynb) | [Binder]({binder_url(path.name)}) "
        f"| [Colab]({colab_url(path.name)}) |" for title, path in lessons)
    table = "## Lessons\n\n| | Lesson | Live | |\n|---|---|---|---|\n" + rows + "\n"
    return (SITE_SOURCES / "index.md").read_text(encoding="utf-8").rstrip() + "\n\n" + table


def toc(lessons: list[Path]) -> str:
    """Jupyter Book _toc.yml: the landing page, then the lessons in order."""
    chapters = "".join(f"- file: {p.stem}\n" for p in lessons)
    return f"format: jb-book\nroot: index\nchapters:\n{chapters}"


def jupyter_book() -> list[str]:
    """The command that runs Jupyter Book 1.x in this Python environment."""
    try:
        import jupyter_book
    except ImportError as err:
        raise SystemExit('build_site needs Jupyter Book 1.x: pip install -e ".[site]"') from err
    if not jupyter_book.__version__.startswith("1."):
        raise SystemExit(f"build_site needs Jupyter Book 1.x, found {jupyter_book.__version__}")
    return [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


def build(lessons: list[Path], out: Path, timeout: float = 300.0, work: Path | None = None) -> list[Path]:
    """Execute each lesson, render the book and copy its HTML to out/; returns the lesson pages (out/NN_*.html)."""
    cmd = jupyter_book()
    out = Path(out).resolve()
    work = Path(work).resolve() if work else out.parent / (out.name + "-src")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    done = []
    for path in lessons:
        t0 = time.time()
        nb = execute(path, timeout)
        nbformat.write(prepare(nb, path), work / path.name)
        done.append((lesson_title(nb, path), path))
        print(f"{path.name}: executed in {time.time() - t0:.1f} s", flush=True)
    shutil.copy(SITE_SOURCES / "_config.yml", work / "_config.yml")
    (work / "_toc.yml").write_text(toc(lessons), encoding="utf-8")
    (work / "index.md").write_text(landing_page(done), encoding="utf-8")
    t0 = time.time()
    res = subprocess.run([*cmd, "build", str(work), "--all", "-q"], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    html_dir = work / "_build" / "html"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html_dir, out)
    print(f"site rendered in {time.time() - t0:.1f} s: {out / 'index.html'}", flush=True)
    return [out / (p.stem + ".html") for p in lessons]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="notebook paths or name prefixes (default: all lessons)")
    ap.add_argument("--out", default=str(REPO / "site"), help="output folder (default: site/)")
    ap.add_argument("--work", default=None, help="folder for the executed notebooks (default: <out>-src)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    args = ap.parse_args(argv)
    build(find_lessons(args.lessons), Path(args.out), args.timeout, args.work and Path(args.work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
