"""History: the observables of a live run at its recorded frames, and snapshots of the state for time travel.

Bounded memory: both the series and the snapshots are decimated by 2 when full. The energy E_beta is recorded
for every model and checked by dynamics.monitor.EnergyMonitor where it must not decrease (a decrease means dt
is too large); no numerics are computed here.
"""

from __future__ import annotations

import numpy as np

from ..config import MAX_EXP_ARG
from ..dynamics import Attention, observables
from ..dynamics.monitor import EnergyMonitor


class History:
    """Observables t, energy, mean_cosine, clusters, steps (1-D float arrays) at the recorded frames.

    snapshots: [(t, steps, x (n, d))], at most max_snapshots; warning: None or the monitor's message of the
    first energy decrease; decreases: how many recorded steps decreased the energy.
    """

    COLUMNS = ("t", "energy", "mean_cosine", "clusters", "steps")

    def __init__(self, model: Attention, dt: float, max_len: int = 1200, max_snapshots: int = 120) -> None:
        self.model = model
        self.dt = dt
        self.max_len = int(max_len)
        self.max_snapshots = int(max_snapshots)
        self.monitor = EnergyMonitor(model, dt)
        self.clear()

    @property
    def check_energy(self) -> bool:
        """True when the energy must not decrease for this model (and is checked)."""
        return self.monitor.active

    @property
    def warning(self) -> str | None:
        return self.monitor.warning

    @property
    def decreases(self) -> int:
        return self.monitor.decreases

    def clear(self) -> None:
        self._cols: dict[str, list] = {k: [] for k in self.COLUMNS}
        self._stride, self._count = 1, 0
        self.snapshots: list[tuple[float, int, np.ndarray]] = []
        self._snap_stride, self._snap_count = 1, 0
        self.monitor.clear()

    def __len__(self) -> int:
        return len(self._cols["t"])

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return np.asarray(cols[name], dtype=float)
        raise AttributeError(name)

    def append(self, t: float, x, steps: int = 0, labels: np.ndarray | None = None) -> None:
        """Record the state x (n, d) at time t (cluster labels may be passed to avoid recomputing them)."""
        x = np.asarray(x)
        e = self.monitor.energy(t, x)
        if not self.monitor.active and self.model.beta <= MAX_EXP_ARG["float64"]:
            e = observables.energy(x, self.model.beta)   # defined for every model; monotone only for some
        k = int(labels.max()) + 1 if labels is not None else observables.cluster_count(x)
        if self._count % self._stride == 0:
            for key, val in zip(self.COLUMNS, (t, e, observables.mean_cosine(x), k, steps)):
                self._cols[key].append(val)
            if len(self) >= self.max_len:
                for key in self._cols:
                    self._cols[key] = self._cols[key][::2]
                self._stride *= 2
                self._count = 0
        self._count += 1
        if self._snap_count % self._snap_stride == 0:
            self.snapshots.append((float(t), int(steps), np.array(x, copy=True)))
            if len(self.snapshots) >= self.max_snapshots:
                self.snapshots = self.snapshots[::2]
                self._snap_stride *= 2
                self._snap_count = 0
        self._snap_count += 1

    def truncate(self, t: float) -> None:
        """Forget everything recorded after time t (the run continues from a snapshot at t)."""
        keep = [i for i, ti in enumerate(self._cols["t"]) if ti <= t + 1e-12]
        for key in self._cols:
            self._cols[key] = [self._cols[key][i] for i in keep]
        self.snapshots = [s for s in self.snapshots if s[0] <= t + 1e-12]
        e = [v for v in self._cols["energy"] if np.isfinite(v)]
        self.monitor.rewind(e[-1] if e else None)

    def snapshot_at(self, t: float) -> tuple[float, int, np.ndarray] | None:
        """The latest snapshot at time <= t (or the first one); None before anything was recorded."""
        if not self.snapshots:
            return None
        best = self.snapshots[0]
        for s in self.snapshots:
            if s[0] <= t + 1e-12:
                best = s
        return best
