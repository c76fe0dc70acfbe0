"""The one way an exercise answers: right or not yet, with the numbers and a hint."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError


def verdict(name: str, answer, expected, rtol: float = 1e-6, atol: float = 0.0, hint: str = "") -> bool:
    """Print whether `answer` matches `expected` (arrays or numbers, within rtol/atol); return True if it does.

    `expected` must come from an independent computation (theory engine, reference solver), never from the
    answer itself.
    """
    try:
        a = np.asarray(answer, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: the answer must be a number or an array of numbers, got {answer!r}") from None
    if a.size and np.all(np.isnan(a)):
        print(f"… {name}: no answer yet (replace the NaN placeholder with your value). {hint}".rstrip())
        return False
    if a.shape != e.shape:
        print(f"✗ {name}: not yet — expected shape {e.shape}, got {a.shape}. {hint}".rstrip())
        return False
    ok = bool(np.all(np.isfinite(a)) and np.allclose(a, e, rtol=rtol, atol=atol))
    if ok:
        print(f"✓ {name}: right.")
    else:
        err = float(np.max(np.abs(a - e)))
        print(f"✗ {name}: not yet — largest difference {err:.3g} (tolerance rtol = {rtol:g}, atol = {atol:g}). "
              f"{hint}".rstrip())
    return ok
