"""Fixture of the sweep tests: the serial reference result, computed once per session."""

from __future__ import annotations

import pytest
from sweeps import support as ss


@pytest.fixture(scope="session")
def serial_result():
    return ss.serial()
