"""Root conftest: puts tests/ on sys.path so every test imports the shared helpers as `import helpers`
(and the browser recipe as `from browser import support`)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
