"""The control panel: buttons, sliders, menus. Layout only; the Explorer wires the behaviour."""

from __future__ import annotations

import ipywidgets as w

from .presets import DEFAULTS, INITS, KINDS, NORMS, PRESETS, RANGES


class Controls(w.VBox):
    """Play / Pause / Step / Reset, speed, model and initial-condition controls, presets, code, lecturer mode.

    Every control is an attribute (play_button, beta, n, d, dt, kind, norm, noise, init, seed, k, rho0,
    speed, preset, code_button, lecturer, ...); `values()` reads the parameter controls as a dict.
    """

    PARAMS = ("beta", "kind", "norm", "noise", "n", "d", "dt", "init", "seed", "k", "rho0", "speed")

    def __init__(self, lecturer: bool = False, attention: w.Widget | None = None) -> None:
        r = RANGES
        def lay() -> w.Layout:   # one Layout per control: hiding one must not hide the others
            return w.Layout(width="300px")

        sty = {"description_width": "70px"}
        self.play_button = w.Button(description="Play", icon="play", button_style="success",
                                    tooltip="play / pause (space)", layout=w.Layout(width="90px"))
        self.step_button = w.Button(description="Step", icon="step-forward", tooltip="one frame of steps (right arrow)",
                                    layout=w.Layout(width="80px"))
        self.reset_button = w.Button(description="Reset", icon="undo", tooltip="back to t = 0",
                                     layout=w.Layout(width="80px"))
        self.play_button.add_class("mftx-play")
        self.step_button.add_class("mftx-step")
        self.reset_button.add_class("mftx-reset")
        self.speed = w.FloatLogSlider(value=DEFAULTS["speed"], base=10, min=-1.3, max=1.3, step=0.05,
                                      description="speed", readout_format=".2f", layout=lay(), style=sty,
                                      tooltip="simulated time per second")
        self.beta = w.FloatSlider(value=DEFAULTS["beta"], min=r["beta"][0], max=r["beta"][1], step=0.1,
                                  description="β (beta)", continuous_update=False, layout=lay(), style=sty)
        self.n = w.IntSlider(value=DEFAULTS["n"], min=r["n"][0], max=r["n"][1], description="n tokens",
                             continuous_update=False, layout=lay(), style=sty)
        self.d = w.IntSlider(value=DEFAULTS["d"], min=r["d"][0], max=16, description="d", continuous_update=False,
                             layout=lay(), style=sty)
        self.dt = w.FloatLogSlider(value=DEFAULTS["dt"], base=10, min=-3, max=0, step=0.05, description="dt",
                                   readout_format=".3f", continuous_update=False, layout=lay(), style=sty)
        self.kind = w.ToggleButtons(options=list(KINDS), value=DEFAULTS["kind"], description="model", style=sty)
        self.norm = w.Dropdown(options=list(NORMS), value=DEFAULTS["norm"], description="norm", layout=lay(),
                               style=sty)
        self.noise = w.FloatSlider(value=DEFAULTS["noise"], min=r["noise"][0], max=r["noise"][1], step=0.01,
                                   description="noise", continuous_update=False, layout=lay(), style=sty)
        self.init = w.Dropdown(options=list(INITS), value=DEFAULTS["init"], description="start", layout=lay(),
                               style=sty)
        self.seed = w.BoundedIntText(value=DEFAULTS["seed"], min=r["seed"][0], max=r["seed"][1], description="seed",
                                     layout=w.Layout(width="180px"), style=sty)
        self.k = w.IntSlider(value=DEFAULTS["k"], min=r["k"][0], max=r["k"][1], description="k clusters",
                             continuous_update=False, layout=lay(), style=sty)
        self.rho0 = w.FloatSlider(value=DEFAULTS["rho0"], min=r["rho0"][0], max=r["rho0"][1], step=0.05,
                                  description="ρ0", continuous_update=False, layout=lay(), style=sty)
        for name in ("speed", "beta", "n", "d", "dt", "kind", "norm", "noise", "init", "seed", "k", "rho0"):
            getattr(self, name).add_class(f"mftx-{name}")
        self.preset = w.Dropdown(options=["(custom)"] + list(PRESETS), value="(custom)", description="preset",
                                 layout=lay(), style=sty)
        self.code_button = w.Button(description="Copy code", icon="code", tooltip="print the Python for this view")
        self.lecturer = w.ToggleButton(value=bool(lecturer), description="Lecturer mode", icon="eye")
        self.code_output = w.Textarea(value="", layout=w.Layout(width="98%", height="120px", display="none"))
        self.message = w.HTML(value="")
        self.status = w.HTML(value="")
        self.status.add_class("mftx-status")
        buttons = w.HBox([self.play_button, self.step_button, self.reset_button])
        model_box = w.VBox([self.beta, self.kind, self.norm, self.noise, self.dt])
        start_box = w.VBox([self.n, self.d, self.init, self.k, self.rho0, self.seed])
        pages = [model_box, start_box, w.VBox([self.preset, self.code_button, self.lecturer])]
        titles = ["model", "tokens", "presets"]
        if attention is not None:
            pages.append(attention)
            titles.append("attention")
        tabs = w.Tab(children=pages)
        self.tabs = tabs
        for i, title in enumerate(titles):
            tabs.set_title(i, title)
        super().__init__(children=[buttons, self.speed, self.status, tabs, self.message],
                         layout=w.Layout(width="340px"))
        self.add_class("mftx-controls")

    def values(self) -> dict:
        """Current parameter values {name: value}."""
        return {p: getattr(self, p).value for p in self.PARAMS}
