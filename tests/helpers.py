"""Helpers shared by the tests (one copy each): the repository root, a free loopback port, a fresh-process
import probe. Tolerances come from mftx_widgets.config, never from literals copied here."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: front-end modules the numerics must never import
UI_MODULES = ("ipywidgets", "pythreejs", "matplotlib", "IPython", "ipympl")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def modules_loaded_by(statement: str, watch=UI_MODULES, env: dict[str, str] | None = None) -> list[str]:
    """Top-level names from `watch` that a fresh interpreter has in sys.modules after running `statement`
    (env: extra environment variables of that interpreter)."""
    code = (f"import sys, json; {statement}; "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(watch)!r}))))")
    full = None if env is None else {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300,
                         env=full)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_async(coro):
    """Run a coroutine to its end on a private event loop, then close it (the thread's current loop is left alone:
    asyncio.run would unset it, and later tests that start a FrameLoop outside a running loop need one)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def live_widget_count() -> int:
    """How many ipywidgets are alive (a leak check counts them before and after)."""
    from ipywidgets.widgets.widget import _instances

    return len(_instances)
