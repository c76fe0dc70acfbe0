"""Widgets on top of the numerics: ipywidgets + pythreejs + matplotlib (ipympl). They draw; numbers come from
dynamics and theory.

SphereView (3D tokens of any Frames or a live Simulation), TimePlots / TrajectoryPlots (linked plots), Player
(the one frame clock: pacing, step budget, plot throttling, time travel), History, Controls (generated from the
parameter table), Explorer (the composed app). PRESETS is params.PRESETS.
"""

from ..params import PRESETS, Preset
from .controls import Controls
from .explorer import Explorer
from .history import History
from .player import FrameLoop, Player, StepBudget
from .plots import TimePlots, TrajectoryPlots
from .sphere import SphereView

__all__ = [
    "Controls", "Explorer", "FrameLoop", "Player", "StepBudget", "History", "TimePlots", "TrajectoryPlots",
    "PRESETS", "Preset", "SphereView",
]
