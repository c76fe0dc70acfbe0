"""Widgets on top of the numerics: ipywidgets + pythreejs + matplotlib (ipympl). No numerics here.

SphereView (3D tokens), TrajectoryPlots / TimePlots (linked plots), Controls, FrameLoop (the one animation
task), Explorer (the composed app), PRESETS.
"""

from .controls import Controls
from .explorer import Explorer
from .player import FrameLoop, StepBudget
from .plots import History, TimePlots, TrajectoryPlots, energy_applies, theory_curve
from .presets import PRESETS, Preset
from .sphere import SphereView

__all__ = [
    "Controls", "Explorer", "FrameLoop", "StepBudget", "History", "TimePlots", "TrajectoryPlots", "energy_applies",
    "theory_curve", "PRESETS", "Preset", "SphereView",
]
