"""Fixtures shared by the view tests: an Explorer factory that closes what it made."""

from __future__ import annotations

import pytest

from mftx_widgets.views import Explorer


@pytest.fixture
def explorer():
    """make(**kw) -> Explorer (n = 20 unless given); every Explorer made is closed after the test."""
    made = []

    def make(**kw):
        kw.setdefault("n", 20)
        ex = Explorer(**kw)
        made.append(ex)
        return ex

    yield make
    for ex in made:
        ex.close()
