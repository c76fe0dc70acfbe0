"""Root conftest: puts tests/ on sys.path so every test imports the shared helpers as `import helpers`
(and the browser recipe as `from browser import support`)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def pytest_collection_modifyitems(config, items):
    """Tests marked `numba` test the numba kernels themselves (forced kernel modes, the polynomial exp, the
    thread probe, the cell list, the moment kernels and their cost model): they are skipped ONLY when the numpy
    backend is active (MFTX_NUMBA=0 or numba not importable), where that code is never used."""
    from mftx_widgets.dynamics._kernels import backend

    if backend.NUMBA:
        return
    import pytest

    skip = pytest.mark.skip(reason=f"numpy backend ({backend.REASON}): tests a numba kernel this mode never uses")
    for item in items:
        if "numba" in item.keywords:
            item.add_marker(skip)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _current_event_loop():
    """Every test starts with a current event loop in the main thread, as a Jupyter kernel has (a test that used
    asyncio.run leaves none, which would break a later test that starts a widget's frame loop)."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())
    yield
