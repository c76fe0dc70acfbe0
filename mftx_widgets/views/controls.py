"""The control panel, generated from the parameter table: one widget per parameter, built from its row of
params.PARAMS (control hint, span, step, label, choices; the doc and unit as tooltip), plus the buttons.

Layout and linking only: link(apply, current) gives every parameter widget ONE observer that calls
apply(name=value); a ValueError from it is shown in the message area and the widgets go back to current().
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import ipywidgets as w

from ..params import PARAMS, PRESETS, Param
from .setup import CUSTOM, MODEL, START

#: a parameter shown only when another has a given value (its widget is hidden otherwise).
ONLY_WHEN = {"k": ("init", "clusters"), "rho0": ("init", "equiangular")}

#: lecturer mode: large, high-contrast control text (scoped to apps carrying the mftx-lecturer class).
LECTURER_CSS = """<style>
.mftx-lecturer .widget-label, .mftx-lecturer .widget-readout, .mftx-lecturer .widget-html-content,
.mftx-lecturer .jupyter-button, .mftx-lecturer select, .mftx-lecturer .lm-TabBar-tabLabel,
.mftx-lecturer .widget-toggle-button { font-size: 20px !important; font-weight: 600; color: #000; }
.mftx-lecturer .jupyter-button { height: auto !important; padding: 6px 14px; }
</style>"""

#: keyboard on an app (its DOM class is %s): space clicks .mftx-play, the right arrow clicks .mftx-step.
KEYS_JS = """
(function () {
  var cls = "%s", tries = 0;
  function attach() {
    var el = document.querySelector("." + cls);
    if (!el) { if (tries++ < 100) { setTimeout(attach, 200); } return; }
    if (el.dataset.mftxKeys) { return; }
    el.dataset.mftxKeys = "1";
    el.tabIndex = 0;
    el.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
      var target = null;
      if (e.key === " ") { target = el.querySelector(".mftx-play"); }
      else if (e.key === "ArrowRight") { target = el.querySelector(".mftx-step"); }
      if (target) { target.click(); e.preventDefault(); e.stopPropagation(); }
    }, true);
  }
  attach();
})();
"""

_STYLE = {"description_width": "70px"}


def control_for(p: Param) -> w.ValueWidget:
    """The widget of one table row: its control hint, span, step and label; its doc (and unit) as tooltip.

    Sliders of the model and the start report on release (each change restarts the run); view parameters
    (speed) report continuously.
    """
    tip = p.doc + (f" [{p.unit}]" if p.unit and p.unit != "1" else "")
    kw = {"description": p.label or p.name, "tooltip": tip, "style": _STYLE, "layout": w.Layout(width="300px")}
    live = p.group == "view"
    if p.control in ("toggle", "dropdown"):
        make = w.ToggleButtons if p.control == "toggle" else w.Dropdown
        if p.control == "toggle":
            del kw["layout"]
        widget = make(options=list(p.choices), value=p.default, **kw)
    elif p.control == "int":
        kw["layout"] = w.Layout(width="180px")
        widget = w.BoundedIntText(value=p.default, min=p.span[0], max=p.span[1], **kw)
    elif p.control == "intslider":
        widget = w.IntSlider(value=p.default, min=p.span[0], max=p.span[1], continuous_update=live, **kw)
    elif p.control == "logslider":            # exponents on the step grid, so 10^0 = 1 is a slider position
        step = p.step or 0.05
        lo, hi = (round(round(math.log10(v) / step) * step, 10) for v in p.span)
        widget = w.FloatLogSlider(value=p.default, base=10, min=lo, max=hi, step=step, readout_format=".3g",
                                  continuous_update=live, **kw)
    else:
        lo, hi = p.span
        widget = w.FloatSlider(value=p.default, min=lo, max=hi, step=p.step or (hi - lo) / 100,
                               continuous_update=live, **kw)
    widget.add_class(f"mftx-{p.name}")
    return widget


def _widen(widget: w.ValueWidget, value) -> None:
    """Widen a slider's range to hold a value set from code outside the table's span."""
    if isinstance(value, str) or not hasattr(widget, "max"):
        return
    v = math.log10(value) if isinstance(widget, w.FloatLogSlider) else value
    if v > widget.max:
        widget.max = v
    if v < widget.min:
        widget.min = v


class Controls(w.VBox):
    """Play / Step / Reset, speed, a tab of model parameters, a tab of start parameters, presets, code, lecturer.

    fields: {name: widget} of the parameters (each also an attribute: controls.beta, controls.n, ...).
    """

    def __init__(self, lecturer: bool = False, attention: w.Widget | None = None,
                 model: tuple[str, ...] = MODEL + ("dt",), start: tuple[str, ...] = START) -> None:
        self.fields = {name: control_for(PARAMS[name]) for name in ("speed",) + model + start}
        for name, widget in self.fields.items():
            setattr(self, name, widget)
        self.play_button = w.Button(description="Play", icon="play", button_style="success",
                                    tooltip="play / pause (space)", layout=w.Layout(width="90px"))
        self.step_button = w.Button(description="Step", icon="step-forward", tooltip="one frame of steps (right arrow)",
                                    layout=w.Layout(width="80px"))
        self.reset_button = w.Button(description="Reset", icon="undo", tooltip="back to t = 0",
                                     layout=w.Layout(width="80px"))
        for b, cls in ((self.play_button, "play"), (self.step_button, "step"), (self.reset_button, "reset")):
            b.add_class(f"mftx-{cls}")
        self.preset = w.Dropdown(options=["(custom)"] + list(PRESETS), value="(custom)", description="preset",
                                 layout=w.Layout(width="300px"), style=_STYLE)
        self.code_button = w.Button(description="Copy code", icon="code", tooltip="print the Python for this view")
        self.lecturer = w.ToggleButton(value=bool(lecturer), description="Lecturer mode", icon="eye")
        self.code_output = w.Textarea(value="", layout=w.Layout(width="98%", height="120px", display="none"))
        self.message = w.HTML(value="")
        self.status = w.HTML(value="")
        self.status.add_class("mftx-status")
        pages = [w.VBox([self.fields[k] for k in model]), w.VBox([self.fields[k] for k in start]),
                 w.VBox([self.preset, self.code_button, self.lecturer])]
        titles = ["model", "tokens", "presets"]
        if attention is not None:
            pages.append(attention)
            titles.append("attention")
        self.tabs = w.Tab(children=pages, titles=titles)
        self._quiet = False
        buttons = w.HBox([self.play_button, self.step_button, self.reset_button])
        super().__init__(children=[buttons, self.speed, self.status, self.tabs, self.message],
                         layout=w.Layout(width="340px"))
        self.add_class("mftx-controls")

    def values(self) -> dict:
        """Current parameter values {name: value}."""
        return {name: widget.value for name, widget in self.fields.items()}

    def link(self, apply: Callable[..., None], current: Callable[[], dict]) -> None:
        """One observer per parameter widget: apply(**{name: value}); on ValueError show it, back to current()."""
        for name, widget in self.fields.items():
            widget.observe(partial(self._changed, name, apply, current), names="value")

    def _changed(self, name: str, apply: Callable[..., None], current: Callable[[], dict], change) -> None:
        if self._quiet:
            return
        try:
            apply(**{name: change["new"]})
        except ValueError as exc:
            self.show(current())
            self.error(exc)

    def error(self, exc: Exception | str, what: str = "") -> None:
        """Show an error in the message area (in red, after `what` in bold)."""
        head = f"<b>{what}:</b> " if what else ""
        self.message.value = f"<span style='color:#b00'>{head}{exc}</span>"

    def show_code(self, code: str) -> None:
        self.code_output.value = code
        self.code_output.layout.display = None

    def show(self, values: dict, fixed: tuple[str, ...] = ()) -> None:
        """Set the widgets to `values` without reporting changes; disable the `fixed` ones; hide irrelevant ones."""
        self._quiet = True
        try:
            for name, widget in self.fields.items():
                val = values[name]
                if name == "init":
                    widget.options = list(PARAMS["init"].choices) + ([CUSTOM] if val == CUSTOM else [])
                _widen(widget, val)
                if widget.value != val:
                    widget.value = val
                widget.disabled = name in fixed
                if name in ONLY_WHEN:
                    other, when = ONLY_WHEN[name]
                    widget.layout.display = None if values[other] == when else "none"
        finally:
            self._quiet = False

    def show_playing(self, playing: bool) -> None:
        """The Play button shows what a click will do."""
        b = self.play_button
        b.description, b.icon, b.button_style = ("Pause", "pause", "warning") if playing else ("Play", "play",
                                                                                               "success")

    def show_status(self, t: float, steps: int, step_cost: float | None, warning: str | None = None) -> None:
        """The status line (time, steps, measured steps per second) and the energy warning, if any."""
        rate = "" if step_cost is None else f" &nbsp; {1.0 / max(step_cost, 1e-9):.0f} steps/s"
        self.status.value = f"<b>t = {t:.2f}</b> &nbsp; steps = {steps}{rate}"
        if warning:
            self.message.value = f"<span style='color:#b00'><b>warning:</b> {warning}</span>"
