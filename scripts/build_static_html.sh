#!/usr/bin/env bash
# One command: execute every lesson in a fresh kernel with widget state embedded and write site/*.html.
# Extra arguments select lessons (e.g. `scripts/build_static_html.sh 01 03`) or set --out DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/build_static_html.py "$@"
