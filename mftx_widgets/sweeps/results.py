"""A finished sweep: SweepResult (immutable; derived data is a new result) and its .npz file format."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..dynamics.results import read_only
from ..errors import ParameterError
from . import xr
from .xr import FORMAT, _json_default

__all__ = ["SweepResult", "load", "FORMAT", "OK", "FAILED", "INACCURATE", "STATUSES"]

#: the status of one run: finished; raised (observables NaN, the exception in messages); finished but the
#: solver reports its steps as inaccurate (observables kept, the solver's message in messages).
OK, FAILED, INACCURATE = "ok", "failed", "inaccurate"
STATUSES = (OK, FAILED, INACCURATE)


def _read_only_arrays(arrays: Mapping) -> Mapping[str, np.ndarray]:
    return MappingProxyType({k: read_only(a) for k, a in arrays.items()})


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A finished sweep: arrays indexed (*grid axes, seed, *observable shape).

    axes : {name: (len,) values} in grid order;  seeds : (S,) int;  data : {observable: array}
    t : (T,) observation times of a RunSpec sweep (the trailing axis of every observable), else None
    params : the fixed parameters (the RunSpec fields, or the function's name) and seed_axes, JSON-able
    meta : how it ran (executor, batch_size, seconds); not part of the result's identity
    status : (*grid shape, S) str per run, one of STATUSES ("ok", "failed", "inaccurate"); None: all "ok"
    messages : (*grid shape, S) str per run: "" or why it failed ("ExceptionType: message"); None: all ""

    Immutable: the arrays are read-only copies and axes / data / params / meta read-only mappings. Derived
    data is a new result: ``res.with_data(name=array)``, ``res.with_params(threshold=0.99)``.
    """

    axes: Mapping
    seeds: np.ndarray
    data: Mapping
    t: np.ndarray | None = None
    params: Mapping = field(default_factory=dict)
    meta: Mapping = field(default_factory=dict, repr=False)
    status: np.ndarray | None = field(default=None, repr=False)
    messages: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "axes", _read_only_arrays(self.axes))
        s(self, "seeds", read_only(self.seeds))
        lead = self.shape
        for name, a in self.data.items():
            if np.shape(a)[:len(lead)] != lead:
                raise ParameterError(f"data[{name!r}] must have leading shape (*axes, seed) = {lead}, "
                                     f"got {np.shape(a)}")
        s(self, "data", _read_only_arrays(self.data))
        status = np.full(lead, OK) if self.status is None else np.asarray(self.status, dtype=str)
        messages = np.full(lead, "") if self.messages is None else np.asarray(self.messages, dtype=str)
        for name, a in (("status", status), ("messages", messages)):
            if a.shape != lead:
                raise ParameterError(f"{name} must have shape (*axes, seed) = {lead}, got {a.shape}")
        bad = sorted(set(np.unique(status)) - set(STATUSES))
        if bad:
            raise ParameterError(f"status values must be in {STATUSES}, got {bad}")
        s(self, "status", read_only(status))
        s(self, "messages", read_only(messages))
        if self.t is not None:
            s(self, "t", read_only(self.t))
        s(self, "params", MappingProxyType(dict(self.params)))
        s(self, "meta", MappingProxyType(dict(self.meta)))

    @property
    def shape(self) -> tuple:
        """(*grid shape, S)."""
        return tuple(len(a) for a in self.axes.values()) + (len(self.seeds),)

    @property
    def dims(self) -> tuple:
        """Names of the leading dimensions of every data array: (*axes, "seed")."""
        return tuple(self.axes) + ("seed",)

    @property
    def ok(self) -> np.ndarray:
        """(*grid shape, S) bool: the runs that finished (status "ok" or "inaccurate")."""
        return self.status != FAILED

    @property
    def failures(self) -> list[tuple[dict, int, str]]:
        """[(grid point {axis: value}, seed, message)] of every failed run, in grid order."""
        out = []
        for idx in zip(*np.nonzero(self.status == FAILED)):
            point = {k: a[i].item() for (k, a), i in zip(self.axes.items(), idx)}
            out.append((point, int(self.seeds[idx[-1]]), str(self.messages[idx])))
        return out

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]

    def with_data(self, **arrays) -> SweepResult:
        """A new result with these data arrays added (or replaced); each (*axes, seed, ...)."""
        return dataclasses.replace(self, data={**self.data, **arrays})

    def with_params(self, **changes) -> SweepResult:
        """A new result with these parameters added (or replaced), e.g. the threshold a study applied."""
        return dataclasses.replace(self, params={**self.params, **changes})

    def to_xarray(self):
        """An xarray.Dataset: dims (*axes, "seed", "time"), coords from the axes, attrs the fixed parameters and
        how it ran, status and messages as data variables (layout: sweeps/xr.py)."""
        return xr.to_xarray(self)

    @classmethod
    def from_xarray(cls, ds) -> SweepResult:
        """The result of a Dataset made by to_xarray (exact arrays)."""
        return xr.from_xarray(ds, cls)

    def save(self, path) -> None:
        """Write by suffix: ".nc" netCDF-4 and ".zarr" zarr (via xarray, see to_xarray), else an .npz (no pickles):
        axes, seeds, t, data, status, messages and the parameters as JSON."""
        if xr.kind_of(path) != "npz":
            return xr.save(self, path)
        arrays = {"seeds": self.seeds, "status": self.status, "messages": self.messages}
        if self.t is not None:
            arrays["t"] = self.t
        for i, a in enumerate(self.axes.values()):
            arrays[f"axis{i}"] = a
        for i, a in enumerate(self.data.values()):
            arrays[f"data{i}"] = a
        header = {"format": FORMAT, "axes": list(self.axes), "data": list(self.data),
                  "params": dict(self.params), "meta": dict(self.meta)}
        arrays["header"] = np.array(json.dumps(header, default=_json_default))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path) -> SweepResult:
        """Read a file written by save() (netCDF / zarr / npz by suffix)."""
        if xr.kind_of(path) != "npz":
            return xr.load(path, cls)
        with np.load(path, allow_pickle=False) as f:
            header = json.loads(str(f["header"]))
            if header.get("format") != FORMAT:
                raise ParameterError(f"{path} is not a sweep result written by SweepResult.save")
            axes = {k: f[f"axis{i}"] for i, k in enumerate(header["axes"])}
            data = {k: f[f"data{i}"] for i, k in enumerate(header["data"])}
            t = f["t"] if "t" in f.files else None
            status, messages = (f[k] if k in f.files else None for k in ("status", "messages"))  # older files: ok
            return cls(axes=axes, seeds=f["seeds"], data=data, t=t, params=header["params"], meta=header["meta"],
                       status=status, messages=messages)


def load(path) -> SweepResult:
    """Read a sweep result written by SweepResult.save (.npz, or .nc netCDF / .zarr zarr by suffix)."""
    return SweepResult.load(path)

