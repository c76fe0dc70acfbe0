"""mftx_widgets: tokens as particles on the sphere under self-attention, as numerics, widgets and lessons.

Layers, imports pointing one way only (README, "Architecture"): params/config/errors <- dynamics (the particle
solver) <- theory (reduced models) <- sweeps <- views (widgets, figures, export) <- lessons. The numerics import
no UI module; the views load on first use (mw.Explorer, mw.SphereView, mw.figures, mw.export).
"""

from __future__ import annotations

from . import config, dynamics, errors, params, sweeps, theory
from .dynamics import (
    Attention,
    Frames,
    Simulation,
    Trajectory,
    initial,
    observables,
    simulate,
    velocity,
)
from .errors import InaccurateWarning, MftxError, ParameterError, SimulationError
from .params import PARAMS, PRESETS
from .sweeps import RunSpec, SweepResult, phase_diagram, sweep
from .theory import circle, equiangular, longcontext, meanfield, metastability

__version__ = "0.1.0"

_LAZY = {
    "Explorer": ".views:Explorer", "SphereView": ".views:SphereView", "TrajectoryPlots": ".views:TrajectoryPlots",
    "TimePlots": ".views:TimePlots", "views": ".views",
    "export": ".views.export", "figures": ".views.figures",
}  # name -> "module:attr" or "module": the views load on first use, so the numerics import no UI module


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        mod, _, attr = _LAZY[name].partition(":")
        module = importlib.import_module(mod, __name__)
        return getattr(module, attr) if attr else module
    raise AttributeError(f"module 'mftx_widgets' has no attribute {name!r}")


__all__ = [
    "Attention", "Frames", "Simulation", "SimulationError", "MftxError", "ParameterError", "InaccurateWarning",
    "PARAMS", "errors",
    "params", "PRESETS", "Trajectory", "simulate", "velocity", "circle",
    "equiangular", "initial", "observables", "dynamics", "config", "longcontext", "meanfield", "metastability",
    "sweep", "sweeps", "theory", "RunSpec", "SweepResult", "phase_diagram",
]
