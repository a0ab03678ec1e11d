"""Batch results: the long table's columns, failed groups and the result object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

#: Columns of the long table, in order (``airq_id`` only with per-boundary rows).
COLUMNS = ("group", "pollutant", "year", "edition", "units", "n_points", "n_nodata",
           "n_implausible", "mean", "sd", "min", "max", "median", "objective", "exceeds",
           "margin", "fallback", "n_boundaries", "n_no_centre")
#: Exit status of ``airq batch`` when some groups failed and the rest were written.
EXIT_PARTIAL = 3
_ORDER = {"no2": 0, "nox": 1, "pm10": 2, "pm25": 3, "pm10d": 4}

#: ``progress(done, total, description)`` is called after each grid.
ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class BatchError:
    """A group (or boundary) that could not be assessed, and why."""

    group: str
    reason: str
    grid: str | None = None
    airq_id: str | None = None

    def to_dict(self) -> dict:
        """Return the error as plain values."""
        return {"group": self.group, "airq_id": self.airq_id, "grid": self.grid,
                "reason": self.reason}


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Rows of a batch run, the groups that failed, and where the numbers came from.

    Attributes
    ----------
    rows
        One row per group (or boundary) x pollutant x model year; see :data:`COLUMNS`.
    errors
        Groups or boundaries that could not be assessed, with the reason.
    provenance
        airq version, run time, inputs (boundaries, every grid), settings, command.
    group_by
        The grouping column.
    per_boundary
        Whether rows are per boundary (``airq_id``) rather than per group.
    geometry
        A GeoDataFrame of each group's union (or each boundary) keyed by ``group``
        (and ``airq_id``), or None when not asked for.
    warnings
        airq warnings raised on the way, once each.
    """

    rows: pd.DataFrame
    errors: tuple[BatchError, ...]
    provenance: dict
    group_by: str
    per_boundary: bool = False
    geometry: object = None
    warnings: tuple[str, ...] = field(default=())
    landuse: pd.DataFrame | None = None

    @property
    def partial(self) -> bool:
        """Whether some groups or boundaries failed."""
        return bool(self.errors)

    @property
    def keys(self) -> list[str]:
        """The key columns of a row: ``group`` and, per boundary, ``airq_id``."""
        return ["group", "airq_id"] if self.per_boundary else ["group"]

    def errors_frame(self) -> pd.DataFrame:
        """Return the errors as a table (group, airq_id, grid, reason)."""
        return pd.DataFrame([e.to_dict() for e in self.errors],
                            columns=["group", "airq_id", "grid", "reason"])

    def wide(self) -> pd.DataFrame:
        """One row per group (or boundary): ``<pollutant>_<year>_<stat>`` columns.

        Adds ``worst_margin`` (the largest margin over the concentration rows) and
        ``any_exceeds``.
        """
        df = self.rows
        keys = self.keys
        if df.empty:
            return pd.DataFrame(columns=[*keys, "worst_margin", "any_exceeds"])
        tag = df["pollutant"].astype(str) + "_" + df["year"].astype("string").fillna("na")
        stats = ["n_points", "mean", "sd", "min", "max", "median", "objective", "exceeds",
                 "margin", "fallback"]
        df = df.assign(**{k: df[k].astype(object) for k in keys})
        w = df.assign(_tag=tag).pivot(index=keys, columns="_tag", values=stats)
        order = list(dict.fromkeys(tag))
        w = w.reindex(columns=pd.MultiIndex.from_product([stats, order]))
        w.columns = [f"{t}_{s}" for s, t in w.columns]
        w = w[[f"{t}_{s}" for t in order for s in stats]].infer_objects()
        for c in w.columns:
            if c.endswith("_exceeds"):
                w[c] = w[c].astype("boolean")
            elif c.endswith("_n_points"):
                w[c] = w[c].astype("Int64")
        conc = df[df["pollutant"] != "pm10d"]
        worst = conc.groupby(keys, sort=False, observed=True)["margin"].max()
        anyx = conc.groupby(keys, sort=False, observed=True)["exceeds"].any()
        w = w.join(worst.rename("worst_margin")).join(anyx.rename("any_exceeds"))
        w = w.reset_index()
        if self.landuse is not None and not self.per_boundary:
            w = w.merge(self.landuse, on="group", how="left")
        return w

    def worst_margin(self) -> pd.Series:
        """Return the largest margin against the objective per group (concentrations only)."""
        conc = self.rows[self.rows["pollutant"] != "pm10d"]
        return conc.groupby(self.keys, observed=True)["margin"].max()
