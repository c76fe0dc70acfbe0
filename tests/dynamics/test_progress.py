"""simulate(progress=True): a tqdm bar that counts the saved frames; progress=False (the default) prints nothing."""

from __future__ import annotations

import re

import pytest

import mftx_widgets as mw

pytest.importorskip("tqdm")


def _last_count(err: str) -> tuple[int, int]:
    """The last 'k/N' a text tqdm bar printed."""
    counts = re.findall(r"(\d+)/(\d+) \[", err)
    assert counts, f"no progress bar on stderr: {err!r}"
    k, total = counts[-1]
    return int(k), int(total)


@pytest.mark.parametrize(("t_max", "save_every", "frames"), [
    (1.0, 1, 11),          # t = 0, 0.1, ..., 1.0: 1 + 10 saves
    (1.0, 3, 5),           # t = 0, 0.3, 0.6, 0.9 and t_max = 1.0 (the last save is short)
    (1.05, 5, 4),          # t = 0, 0.5, 1.0 and the tail to 1.05
])
def test_progress_bar_counts_saved_frames(capsys, t_max, save_every, frames):
    tr = mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(8, 3, seed=0), t_max=t_max, dt=0.1,
                     method="rk4", save_every=save_every, progress=True)
    err = capsys.readouterr().err
    assert len(tr.t) == frames                              # the count the bar should reach, from the save grid
    assert _last_count(err) == (frames, frames)


def test_no_progress_prints_nothing(capsys):
    mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(8, 3, seed=0), t_max=1.0, dt=0.1, method="rk4")
    mw.simulate(mw.Attention(beta=1.0), mw.initial.uniform(8, 3, seed=0), t_max=1.0, dt=0.1, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
