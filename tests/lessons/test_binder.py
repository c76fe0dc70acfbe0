"""The Binder recipe works from scratch: a fresh (real, isolated) venv built from binder/requirements.txt,
then binder/postBuild run from a copy of the repository root, then every lesson executed in that venv.

repo2docker does the same on mybinder.org (python-3.11 from binder/runtime.txt). nbclient and ipykernel are
added here only to execute the notebook headless; the Binder base image already has them. pip's cache is
used, so after the first run this takes about a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO

BINDER = REPO / "binder"

RUN_LESSONS = r"""
import json, pathlib, sys, time, nbformat
from nbclient import NotebookClient
results = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("[0-9][0-9]_*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    t0 = time.time()
    failure = []
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as exc:   # keep going so that every lesson is reported
        failure = [type(exc).__name__ + ": " + str(exc)[-500:]]
    cells = nb.cells
    out = "".join(o.get("text", "") for c in cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
    errs = failure + [o["ename"] for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    results[path.stem] = {"stdout": out, "errors": errs, "seconds": time.time() - t0}
import mftx_widgets, numpy
print(json.dumps({"lessons": results, "mftx_widgets": mftx_widgets.__file__, "numpy": numpy.__file__}))
"""


def test_binder_files():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    reqs = [ln.strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    assert reqs and not any(r.startswith(("-e", ".", "/", "file:")) or "mftx" in r for r in reqs), reqs
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text()
    assert "set -e" in text and "pip install --no-deps -e ." in text


@pytest.mark.slow
def test_binder_recipe_builds_and_runs_every_lesson(tmp_path):
    t_start = time.monotonic()
    # a copy of the repository as repo2docker sees it (no build artefacts, no caches)
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.nbi", "*.nbc", "site", "test-artifacts", ".pytest_cache", "*.egg-info", "build"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)     # a real, isolated venv
    py = venv / "bin" / "python"
    env = dict(os.environ, VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore")
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)

    def run(cmd, cwd=repo, timeout=600):
        res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        return res

    run([str(py), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt", "nbclient", "ipykernel"])
    t_install = time.monotonic() - t_start
    run(["bash", "binder/postBuild"])
    t_post = time.monotonic() - t_start - t_install
    res = run([str(py), "-c", RUN_LESSONS, str(repo / "lessons")], timeout=1200)
    info = json.loads(res.stdout.strip().splitlines()[-1])
    lessons = info["lessons"]
    total = time.monotonic() - t_start
    times = ", ".join(f"{k[:2]} {v['seconds']:.0f} s" for k, v in lessons.items())
    print(f"binder check: install {t_install:.0f} s, postBuild {t_post:.0f} s, lessons {times}, total {total:.0f} s")
    expected = sorted(p.stem for p in (REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(lessons) == expected and len(expected) >= 7, sorted(lessons)
    for stem, res in lessons.items():
        assert not res["errors"], (stem, res["errors"])
        assert f"LESSON-{stem[:2]}-COMPLETE" in res["stdout"], stem
    assert "CLAIM energy_identity_relerr" in lessons["01_tokens_as_particles"]["stdout"]
    # the package came from the copied repo (editable install), numpy from the venv (not the system)
    assert Path(info["mftx_widgets"]).resolve().is_relative_to(repo.resolve())
    assert Path(info["numpy"]).resolve().is_relative_to(venv.resolve())
