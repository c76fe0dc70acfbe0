"""mftx_widgets: tokens as particles on the sphere under self-attention, as numerics, widgets and lessons.

The numerics (mftx_widgets.dynamics) import no UI module; the widgets load on first use
(mw.Explorer, mw.SphereView, ...).
"""

from __future__ import annotations

from . import config, dynamics
from .dynamics import (
    Attention,
    Simulation,
    SimulationError,
    Trajectory,
    circle,
    equiangular,
    initial,
    longcontext,
    meanfield,
    metastability,
    observables,
    simulate,
    velocity,
)
from .dynamics import sweep as sweeps
from .dynamics.sweep import RunSpec, SweepResult, phase_diagram, sweep

__version__ = "0.1.0"

_LAZY = {
    "Explorer": ".widgets:Explorer", "SphereView": ".widgets:SphereView", "TrajectoryPlots": ".widgets:TrajectoryPlots",
    "TimePlots": ".widgets:TimePlots", "PRESETS": ".widgets:PRESETS", "widgets": ".widgets:_module",
    "export": ".export:_module",
}  # name -> "module:attr", filled in by the widgets layer


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name].split(":")
        return getattr(importlib.import_module(mod, __name__), attr)
    raise AttributeError(f"module 'mftx_widgets' has no attribute {name!r}")


__all__ = [
    "Attention", "Simulation", "SimulationError", "Trajectory", "simulate", "velocity", "circle",
    "equiangular", "initial", "observables", "dynamics", "config", "longcontext", "meanfield", "metastability",
    "sweep", "sweeps", "RunSpec", "SweepResult", "phase_diagram",
]
