"""Fixtures for real-browser tests: one JupyterLab (loopback, token, temp root) and one Chromium page per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser import support as bs

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory):
    """A temporary root dir holding copies of the notebooks in tests/browser/."""
    root = tmp_path_factory.mktemp("lab-root")
    for nb in HERE.glob("*.ipynb"):
        shutil.copy(nb, root / nb.name)
    return root


@pytest.fixture(scope="module")
def lab_server(lab_root):
    reason = bs.browser_available()
    if reason:
        pytest.skip(reason)
    with bs.jupyterlab_server(lab_root) as server:
        yield server


@pytest.fixture
def page(lab_server):
    with bs.chromium_page() as pg:
        yield pg
