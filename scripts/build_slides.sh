#!/usr/bin/env bash
# One command: reveal.js slides of lessons with the 3D views live (widget state embedded), e.g.
# `bash scripts/build_slides.sh 01` writes slides/01_tokens_as_particles.slides.html (no argument: every lesson).
set -euo pipefail
cd "$(dirname "$0")/.."
export MFTX_RENDERER="${MFTX_RENDERER:-threejs}"   # static pages embed the pythreejs state (ipympl needs a kernel)
exec "${PYTHON:-python3}" scripts/build_slides.py "$@"
