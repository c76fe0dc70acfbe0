#!/usr/bin/env bash
# One command: execute every lesson in a fresh kernel (widget state embedded) and build the course site in site/
# with Jupyter Book 1.x (pip install -e ".[site]"); PYTHON=... picks the interpreter. Extra arguments select lessons (e.g.
# `bash scripts/build_site.sh 01 03`) or set --out DIR; open site/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
export MFTX_RENDERER="${MFTX_RENDERER:-threejs}"   # static pages embed the pythreejs state (ipympl needs a kernel)
exec "${PYTHON:-python3}" scripts/build_site.py "$@"
