"""Frozen result objects: an Assessment and its parts. Renderers read these only."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from airq.analyse.objectives import Comparison, Objective
from airq.read.grids import POLLUTANTS, GridInfo

#: Version of the JSON document airq writes; bump on any incompatible change.
SCHEMA_VERSION = "1.0"
SYNTHETIC_BANNER = "SYNTHETIC DEMO DATA: not real measurements or inventory values"


def run_warnings(warnings) -> list[str]:
    """Return a run's warnings but the SYNTHETIC DEMO DATA notice (a banner says that)."""
    return [w for w in warnings if not w.startswith("SYNTHETIC DEMO DATA")]


def _r(v, nd=6):
    return None if v is None else round(float(v), nd)


@dataclass(frozen=True)
class Stats:
    """Statistics of grid values at the sampled points (None where undefined).

    ``n_implausible`` counts points left out as implausible (``--drop-implausible``).
    """

    n_points: int
    n_nodata: int
    mean: float | None
    sd: float | None
    min: float | None
    max: float | None
    median: float | None
    n_implausible: int = 0

    def to_dict(self) -> dict:
        """Return the statistics as JSON-ready values."""
        return {"n_points": self.n_points, "n_nodata": self.n_nodata,
                "n_implausible": self.n_implausible, "mean": _r(self.mean),
                "sd": _r(self.sd), "min": _r(self.min), "max": _r(self.max),
                "median": _r(self.median)}


@dataclass(frozen=True)
class PollutantResult:
    """Annual-mean statistics of one pollutant and model year over the area."""

    pollutant: str
    year: int | None
    edition: str | None
    units: str
    stats: Stats
    sd_kind: str
    method: str
    sampling: str
    comparisons: tuple[Comparison, ...]
    grid: GridInfo
    fallback: bool = False
    units_note: str | None = None
    no_verdict: str | None = None
    #: How to read the SD where it is not a spread within the area (1 km background maps).
    sd_note: str | None = None

    @property
    def background(self) -> bool:
        """Whether the figure is a 1 km background (Defra background maps), not roadside."""
        return bool(self.grid.background)

    @property
    def edition_label(self) -> str:
        """The edition, and for a background map the plain statement of what it is."""
        ed = self.edition or "unknown edition"
        return f"{ed} (1 km background, not roadside)" if self.background else ed

    @property
    def name(self) -> str:
        """Display name, e.g. ``PM2.5``."""
        return POLLUTANTS.get(self.pollutant, self.pollutant)

    @property
    def first(self) -> Comparison | None:
        """Comparison with the first objective set that has this pollutant."""
        return self.comparisons[0] if self.comparisons else None

    def to_dict(self) -> dict:
        """Return the row in the documented JSON shape."""
        c = self.first
        d = {"pollutant": self.pollutant, "year": self.year, "edition": self.edition,
             "units": self.units, **self.stats.to_dict(), "sd_kind": self.sd_kind,
             "method": self.method, "sampling": self.sampling, "fallback": self.fallback,
             "background": self.background, "sd_note": self.sd_note,
             "objective": c.objective.value if c else None,
             "objective_set": c.objective.set if c else None,
             "exceeds": c.exceeds if c else None, "margin": _r(c.margin) if c else None,
             "comparisons": [x.to_dict() for x in self.comparisons],
             "units_note": self.units_note, "no_verdict": self.no_verdict,
             "grid_sha256": self.grid.sha256}
        return d


@dataclass(frozen=True)
class ShortTermResult:
    """A short-term objective: tested from a PM10d day-count grid, or not testable."""

    objective: Objective
    year: int | None
    testable: bool
    reason: str
    days: Stats | None = None
    n_points_over: int | None = None
    exceeds: bool | None = None

    def to_dict(self) -> dict:
        """Return the row as JSON-ready values."""
        return {"pollutant": self.objective.pollutant, "period": self.objective.period,
                "year": self.year, "objective": self.objective.text, "set": self.objective.set,
                "value": self.objective.value,
                "allowed_exceedances": self.objective.allowed_exceedances,
                "testable": self.testable, "reason": self.reason,
                "days": self.days.to_dict() if self.days else None,
                "n_points_over": self.n_points_over, "exceeds": self.exceeds}


@dataclass(frozen=True)
class BoundaryRow:
    """Statistics of one boundary (``--per-boundary``)."""

    boundary_id: str
    pollutant: str
    year: int | None
    stats: Stats
    fallback: str  # "" or "containing-cell"
    objective: float | None
    exceeds: bool | None
    margin: float | None

    def to_dict(self) -> dict:
        """Return the row as JSON-ready values."""
        return {"boundary_id": self.boundary_id, "pollutant": self.pollutant, "year": self.year,
                **self.stats.to_dict(), "fallback": self.fallback or None,
                "objective": self.objective, "exceeds": self.exceeds, "margin": _r(self.margin)}


@dataclass(frozen=True)
class AreaSummary:
    """The area assessed: its name, boundaries and how they were treated.

    ``n_addresses`` and ``selection`` (e.g. "boundaries holding the addresses of
    postcode RM6 6EA: 31 boundaries, 44 addresses") are set when the boundaries were
    chosen by address, else None.
    """

    name: str
    n_boundaries: int
    area_m2: float
    no_centre_ids: tuple[str, ...]
    share_outside: float
    boundaries: dict
    n_addresses: int | None = None
    selection: str | None = None

    def to_dict(self) -> dict:
        """Return the summary as JSON-ready values."""
        return {"name": self.name, "n_boundaries": self.n_boundaries,
                "n_addresses": self.n_addresses, "selection": self.selection,
                "area_m2": round(self.area_m2, 1), "no_centre_ids": list(self.no_centre_ids),
                "share_outside_grid": round(self.share_outside, 4),
                "boundaries": self.boundaries}


@dataclass(frozen=True, eq=False)
class Samples:
    """The sampled grid points of one grid, for maps (x, y in the grid's CRS)."""

    pollutant: str
    year: int | None
    units: str
    crs: str
    x: np.ndarray
    y: np.ndarray
    value: np.ndarray
    cellsize: float


@dataclass(frozen=True)
class Provenance:
    """What a result was made from, so it can be reproduced."""

    airq_version: str
    run_at: str
    inputs: tuple[dict, ...]
    settings: dict
    objectives_version: str
    synthetic: bool
    command: str | None = None
    working_dir: str | None = None

    def to_dict(self) -> dict:
        """Return the provenance as JSON-ready values."""
        return {"airq_version": self.airq_version, "run_at": self.run_at,
                "inputs": list(self.inputs), "settings": self.settings,
                "objectives_version": self.objectives_version, "synthetic": self.synthetic,
                "command": self.command, "working_dir": self.working_dir}


@dataclass(frozen=True, eq=False)
class Assessment:
    """Everything ``airq query`` found for one area; immutable, rendered by reports and maps.

    ``boundaries_gdf`` (in the grid's CRS) and ``samples`` carry the geometry the
    map and figure renderers draw; ``map_sheets`` the historic map sheets read around
    the site (:class:`airq.read.historic_maps.MapSheet`, oldest first) and ``basemap``
    the sheet drawn under the figures, or None. None of these is part of the JSON
    document; the sheets' provenance is in ``provenance.inputs``.
    """

    area: AreaSummary
    results: tuple[PollutantResult, ...]
    short_term: tuple[ShortTermResult, ...]
    per_boundary: tuple[BoundaryRow, ...]
    warnings: tuple[str, ...]
    provenance: Provenance
    caveats: tuple[str, ...]
    land_use: object | None = None
    boundaries_gdf: object | None = field(default=None, repr=False)
    samples: tuple[Samples, ...] = field(default=(), repr=False)
    map_sheets: tuple = field(default=(), repr=False)
    basemap: object | None = field(default=None, repr=False)

    @property
    def synthetic(self) -> bool:
        """Whether any input is synthetic demo data."""
        return self.provenance.synthetic

    @property
    def years(self) -> tuple:
        """Model years present, in order."""
        return tuple(sorted({r.year for r in self.results}, key=lambda y: (y is None, y)))

    def with_land_use(self, land_use) -> Assessment:
        """Return a copy with the land-use screening attached."""
        from dataclasses import replace

        return replace(self, land_use=land_use)

    def to_dict(self) -> dict:
        """Return the documented JSON document."""
        lu = self.land_use.to_dict() if self.land_use is not None else None
        return {"schema_version": SCHEMA_VERSION,
                "synthetic_demo_data": self.synthetic,
                "notice": SYNTHETIC_BANNER if self.synthetic else None,
                "area": self.area.to_dict(),
                "results": [r.to_dict() for r in self.results],
                "short_term": [s.to_dict() for s in self.short_term],
                "per_boundary": [b.to_dict() for b in self.per_boundary],
                "land_use": lu,
                "warnings": list(self.warnings),
                "caveats": list(self.caveats),
                "provenance": self.provenance.to_dict()}
