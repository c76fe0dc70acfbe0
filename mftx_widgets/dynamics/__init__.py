"""Pure numerics (numpy, numba, scipy): no UI imports. Every function works on plain arrays."""

from . import circle, equiangular, initial, longcontext, meanfield, metastability, observables, reference, sweep
from .integrate import Simulation, SimulationError, Trajectory, simulate
from .kernels import attention_output, effective_cores, velocity
from .models import Attention

__all__ = [
    "Attention", "Simulation", "SimulationError", "Trajectory", "simulate", "velocity", "attention_output",
    "effective_cores", "circle", "equiangular", "initial", "longcontext", "meanfield", "metastability",
    "observables", "reference", "sweep",
]
