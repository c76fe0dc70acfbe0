"""The particle solver: numpy, numba and scipy only, no UI imports. Every function works on plain arrays."""

from ..errors import SimulationError
from . import initial, observables, reference, steppers
from ._kernels.policy import effective_cores
from .field import attention_output, velocity
from .integrate import Simulation
from .models import Attention
from .results import Frames, Trajectory
from .run import simulate

__all__ = [
    "Attention", "Simulation", "SimulationError", "Trajectory", "Frames", "simulate", "velocity", "attention_output",
    "effective_cores", "initial", "observables", "reference", "steppers",
]
