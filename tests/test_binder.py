"""The Binder recipe works from scratch: a fresh (real, isolated) venv built from binder/requirements.txt,
then binder/postBuild run from a copy of the repository root, then lesson 01 executed in that venv.

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

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"

RUN_LESSON = r"""
import json, sys, time, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
t0 = time.time()
NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True,
               resources={"metadata": {"path": sys.argv[2]}}).execute()
out = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
errs = [o["ename"] for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
import mftx_widgets, numpy
print(json.dumps({"stdout": out, "errors": errs, "seconds": time.time() - t0,
                  "mftx_widgets": mftx_widgets.__file__, "numpy": numpy.__file__}))
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
def test_binder_recipe_builds_and_runs_lesson_01(tmp_path):
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
    res = run([str(py), "-c", RUN_LESSON, str(repo / "lessons" / "01_tokens_as_particles.ipynb"),
               str(repo / "lessons")])
    info = json.loads(res.stdout.strip().splitlines()[-1])
    total = time.monotonic() - t_start
    print(f"binder check: install {t_install:.0f} s, postBuild {t_post:.0f} s, lesson 01 {info['seconds']:.0f} s, "
          f"total {total:.0f} s")
    assert not info["errors"], info["errors"]
    assert "LESSON-01-COMPLETE" in info["stdout"]
    assert "CLAIM energy_identity_relerr" in info["stdout"]
    # the package came from the copied repo (editable install), numpy from the venv (not the system)
    assert Path(info["mftx_widgets"]).resolve().is_relative_to(repo.resolve())
    assert Path(info["numpy"]).resolve().is_relative_to(venv.resolve())
