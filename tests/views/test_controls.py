"""Controls are generated from the parameter table and linked by one observer per control."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.errors import ParameterError
from mftx_widgets.params import PARAMS
from mftx_widgets.views import Controls, Explorer
from mftx_widgets.views.setup import SHOWN


def test_every_control_is_built_from_its_table_row():
    c = Controls()
    assert set(c.fields) == set(SHOWN) and c.d is c.fields["d"]
    for name, widget in c.fields.items():
        p = PARAMS[name]
        assert widget.description == (p.label or p.name) and widget.tooltip.startswith(p.doc)
        assert f"mftx-{name}" in widget._dom_classes
        if p.choices is not None:
            assert list(widget.options) == list(p.choices)
        elif p.control == "logslider":
            assert (10 ** widget.min, 10 ** widget.max) == pytest.approx(p.span, rel=0.01)
            assert (0 - widget.min) / widget.step == pytest.approx(round(-widget.min / widget.step), abs=1e-9)
        else:
            assert (widget.min, widget.max) == p.span
    assert c.d.max == 64                          # the hand-built d slider stopped at 16
    c.close()


def test_one_observer_per_control_reports_its_name_and_errors_go_to_the_message():
    c = Controls()
    calls = []
    state = {"beta": 1.0}

    def apply(**kw):
        if kw.get("beta", 0) > 20:
            raise ParameterError("beta must be <= 20 here")
        calls.append(kw)

    c.link(apply, lambda: c.values() | state)
    c.beta.value, c.kind.value, c.d.value, c.speed.value = 2.0, "USA", 40, 3.0
    assert calls == [{"beta": 2.0}, {"kind": "USA"}, {"d": 40}, {"speed": 3.0}]
    c.beta.value = 25.0                           # refused: the message names it, the control goes back
    assert "beta must be" in c.message.value and c.beta.value == 1.0 and len(calls) == 4
    c.show(c.values() | {"beta": 50.0, "init": "clusters"}, fixed=("d",))   # from code: nothing is reported
    assert len(calls) == 4 and c.beta.max == 50.0 and c.beta.value == 50.0   # the slider widens to hold it
    assert c.d.disabled and c.k.layout.display is None and c.rho0.layout.display == "none"
    c.show(c.values() | {"init": "custom"})
    assert c.init.options[-1] == "custom" and c.k.layout.display == "none"
    c.close()


def test_explorer_controls_follow_the_table_and_report_errors():
    ex = Explorer(n=12)
    ex.controls.d.value = 40                      # beyond the old slider's 16
    assert ex.sim.d == 40 and ex.params["d"] == 40
    ex.controls.speed.value = 2.0                 # speed is a view parameter: no restart
    ex.step(3)
    t = ex.sim.t
    ex.controls.speed.value = 4.0
    assert ex.sim.t == t and ex.player.speed == 4.0
    ex.close()
    big = Explorer(n=12, beta=50.0)               # a value from code outside the span widens the slider
    assert big.controls.beta.max >= 50.0 and big.controls.beta.value == 50.0
    big.close()
    fixed = Explorer(model=mw.Attention(beta=1.0, Q=np.diag([1.0, 0.5, 2.0])), n=10)
    assert fixed.controls.d.disabled
    fixed.controls.d.value = 5                    # refused by the model: the message names d, the slider goes back
    assert "d is fixed to 3" in fixed.controls.message.value and fixed.controls.d.value == 3 and fixed.sim.d == 3
    fixed.close()
    assert math.isclose(PARAMS["d"].span[1], 64)
