"""Parameter sweeps over the numerics: specs, executors (serial, process pool, dask), results, studies."""

from ._sweep import *  # noqa: F403
from ._sweep import __all__  # noqa: F401
