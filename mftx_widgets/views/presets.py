"""Named parameter sets of the explorer, one per phenomenon of the lessons (a preset is data)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: the explorer's parameters and their defaults (one place: sliders, presets and code() read it).
DEFAULTS = {
    "beta": 4.0, "kind": "SA", "norm": "post", "noise": 0.0, "n": 200, "d": 3, "dt": 0.05, "init": "uniform",
    "seed": 0, "k": 3, "rho0": 0.3, "speed": 1.0,
}
#: allowed ranges of the numeric parameters (the sliders use them too).
RANGES = {
    "beta": (0.0, 30.0), "noise": (0.0, 1.0), "n": (2, 2000), "d": (2, 64), "dt": (1e-3, 1.0), "seed": (0, 2**31 - 1),
    "k": (1, 12), "rho0": (-0.05, 0.95), "speed": (0.05, 20.0),
}
INITS = ("uniform", "hemisphere", "equiangular", "polygon", "clusters")
NORMS = ("post", "pre", "peri", "mix", "ngpt")
KINDS = ("SA", "USA")


@dataclass(frozen=True)
class Preset:
    """A named set of explorer parameters and the phenomenon it shows."""

    name: str
    description: str
    params: dict = field(default_factory=dict)


PRESETS = {p.name: p for p in (
    Preset("Kuramoto sync", "beta = 0 on the circle: classical identical Kuramoto oscillators synchronise "
           "(THEORY.md section 4).", {"beta": 0.0, "kind": "SA", "d": 2, "n": 64, "init": "uniform", "dt": 0.1,
                                      "speed": 2.0, "noise": 0.0, "norm": "post"}),
    Preset("metastable clusters", "beta = 9 on the circle: about k*(9) = 4 clusters form and stay for a long time "
           "before merging (THEORY.md F11, section 8).", {"beta": 9.0, "kind": "SA", "d": 2, "n": 300,
                                                          "init": "uniform", "dt": 0.05, "speed": 3.0,
                                                          "noise": 0.0, "norm": "post"}),
    Preset("fast collapse", "USA from a hemisphere: one cluster, 1 - |m|^2 decays at rate 2 e^beta "
           "(THEORY.md F13).", {"beta": 1.0, "kind": "USA", "d": 3, "n": 200, "init": "hemisphere", "dt": 0.02,
                                "speed": 0.5, "noise": 0.0, "norm": "post"}),
    Preset("long context", "beta = 1.5 log n with n = 1000: attention is so sharp that tokens barely move "
           "(THEORY.md section 7).", {"beta": round(1.5 * math.log(1000), 3), "kind": "SA", "d": 3, "n": 1000,
                                      "init": "uniform", "dt": 0.1, "speed": 2.0, "noise": 0.0, "norm": "post"}),
)}
