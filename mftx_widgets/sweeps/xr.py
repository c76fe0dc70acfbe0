"""A SweepResult as an xarray Dataset, and its netCDF / zarr files (xarray is optional: pip install xarray netcdf4).

    ds = res.to_xarray()                 # dims: (*grid axes, "seed", ..., "time"); coords from the axes
    ds["mean_cosine"].mean("seed").plot()
    SweepResult.from_xarray(ds)                     # back, exact arrays
    res.save("sweep.nc"); sw.load("sweep.nc")        # netCDF by suffix (".zarr": zarr; anything else: .npz)

Layout: one data variable per observable with dims (*axes, "seed", <its own axes>, "time") ("time" only for a
RunSpec sweep, whose observables are recorded at t; any other trailing axis is named "<observable>_dim<i>"),
"status" and "messages" (*axes, "seed") str; attrs: the fixed parameters (scalars as attributes, all of them as
JSON under "mftx_params"), how it ran ("executor", "batch_size", "seconds", "seeds", "versions"; JSON under
"mftx_meta") and the names needed to read it back exactly ("mftx_format", "mftx_axes", "mftx_data").
"""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from ..errors import ParameterError

#: the "format" entry of the JSON header of a saved result (npz) and the "mftx_format" attribute of a Dataset.
FORMAT = "mftx_widgets.sweep/1"

NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf")
ZARR_SUFFIXES = (".zarr",)


def _xarray():
    try:
        import xarray
    except ImportError as e:
        raise ParameterError("to_xarray / netCDF / zarr need xarray: pip install xarray netcdf4 "
                             "(or mftx_widgets[scale])") from e
    return xarray


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        own = version("mftx_widgets")
    except PackageNotFoundError:          # a source checkout that is not installed
        own = "unknown"
    return f"mftx_widgets {own}, numpy {np.__version__}, xarray {_xarray().__version__}"


def _obs_dims(name: str, shape: tuple, lead: tuple, t: np.ndarray | None) -> tuple:
    own = shape[len(lead):]
    timed = t is not None and len(own) > 0 and own[-1] == len(t)
    extra = own[:-1] if timed else own
    return lead + tuple(f"{name}_dim{i}" for i in range(len(extra))) + (("time",) if timed else ())


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return repr(o)


def to_xarray(res):
    """The result as an xarray.Dataset (a copy; see the module docstring for the layout)."""
    xr = _xarray()
    lead = res.dims
    coords = {k: np.asarray(a) for k, a in res.axes.items()}
    coords["seed"] = np.asarray(res.seeds)
    if res.t is not None:
        coords["time"] = np.asarray(res.t)
    data = {k: (_obs_dims(k, a.shape, lead, res.t), np.array(a)) for k, a in res.data.items()}
    data["status"] = (lead, np.array(res.status))
    data["messages"] = (lead, np.array(res.messages))
    attrs = {k: v for k, v in res.params.items() if isinstance(v, (bool, int, float, str)) and k not in data}
    attrs = {k: int(v) if isinstance(v, bool) else v for k, v in attrs.items()}
    meta = dict(res.meta)
    attrs.update({k: v for k, v in meta.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)})
    attrs.update(seeds=np.asarray(res.seeds), versions=_versions(), mftx_format=FORMAT,
                 mftx_axes=json.dumps(list(res.axes)), mftx_data=json.dumps(list(res.data)),
                 mftx_params=json.dumps(dict(res.params), default=_json_default),
                 mftx_meta=json.dumps(meta, default=_json_default))
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _plain(a) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(str) if a.dtype.kind in "OSU" else a


def from_xarray(ds, cls):
    """The result (an instance of cls, SweepResult) of a Dataset made by to_xarray (or read from its file)."""
    if ds.attrs.get("mftx_format") != FORMAT:
        raise ParameterError("ds must be a Dataset made by SweepResult.to_xarray (attrs['mftx_format'] = "
                             f"{FORMAT!r}), got {ds.attrs.get('mftx_format')!r}")
    axes = {k: _plain(ds[k].values) for k in json.loads(ds.attrs["mftx_axes"])}
    data = {k: np.asarray(ds[k].values) for k in json.loads(ds.attrs["mftx_data"])}
    t = np.asarray(ds["time"].values) if "time" in ds.coords else None
    return cls(axes=axes, seeds=np.asarray(ds["seed"].values), data=data, t=t,
                       params=json.loads(ds.attrs["mftx_params"]), meta=json.loads(ds.attrs["mftx_meta"]),
                       status=_plain(ds["status"].values), messages=_plain(ds["messages"].values))


def _engine() -> str:
    for engine in ("netcdf4", "h5netcdf"):
        if find_spec(engine.replace("netcdf4", "netCDF4")) is not None:
            return engine
    raise ParameterError("netCDF files need netCDF4 or h5netcdf: pip install netcdf4")


def kind_of(path) -> str:
    """'netcdf', 'zarr' or 'npz', from the file suffix."""
    suffix = Path(path).suffix.lower()
    return "netcdf" if suffix in NETCDF_SUFFIXES else "zarr" if suffix in ZARR_SUFFIXES else "npz"


def save(res, path) -> None:
    """Write res as netCDF-4 (.nc) or zarr (.zarr)."""
    ds = to_xarray(res)
    if kind_of(path) == "zarr":
        ds.to_zarr(path, mode="w")
    else:
        ds.to_netcdf(path, engine=_engine())


def load(path, cls):
    """Read a netCDF (.nc) or zarr (.zarr) file written by save(), as a cls (SweepResult)."""
    xr = _xarray()
    if kind_of(path) == "zarr":
        with xr.open_zarr(path) as ds:
            return from_xarray(ds.load(), cls)
    with xr.open_dataset(path, engine=_engine()) as ds:
        return from_xarray(ds.load(), cls)
