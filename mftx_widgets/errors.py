"""The package's one exception hierarchy: catch MftxError for anything it raises on purpose.

ParameterError is a ValueError (bad input: the message names the parameter and what is allowed);
SimulationError a RuntimeError (a run that cannot go on: the message says what to change);
RealModelUnavailable an ImportError (an optional extra is missing: the message gives the install command).
InaccurateWarning (a RuntimeWarning) is issued, not raised: a run finished but its steps were too large to trust.
"""

from __future__ import annotations


class MftxError(Exception):
    """Base of every error mftx_widgets raises on purpose."""


class ParameterError(MftxError, ValueError):
    """A public function got a bad argument; the message names it and the allowed values."""


class SimulationError(MftxError, RuntimeError):
    """A step could not be taken (non-finite or degenerate state); the message says what to change."""


class RealModelUnavailable(MftxError, ImportError):
    """The real-model extra (weights, tokenizer) is not installed; the message says how to install it."""


class InaccurateWarning(RuntimeWarning):
    """A fixed-step run finished but failed its own accuracy checks; the message names a dt that would do."""
