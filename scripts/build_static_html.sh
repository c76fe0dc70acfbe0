#!/usr/bin/env bash
# Renamed: the static pages are now the course site built by scripts/build_site.sh (same arguments).
set -euo pipefail
exec bash "$(dirname "$0")/build_site.sh" "$@"
