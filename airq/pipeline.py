"""Run a query end to end: read grid windows, assess, screen land use, collect warnings.

The one place that joins readers to analysis, so the CLI stays thin and the
analysis modules never open files.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

from airq.analyse.objectives import load_objectives
from airq.config import Settings
from airq.errors import AirqError, AirqWarning, InputError
from airq.read.boundaries import Boundaries, reproject_to
from airq.read.catalogue.grids import GridEntry, verified_info
from airq.read.grids import Grid, normalise_pollutant, read_grid
from airq.read.layers.core import warn_layer_notes
from airq.record import boundaries_input, grid_input, layer_input, working_dir
from airq.results import Assessment


@dataclass(frozen=True)
class GridRequest:
    """A grid named on the command line: ``POLLUTANT:YEAR=PATH``."""

    pollutant: str
    year: int | None
    path: str
    grid_crs: str | None = None
    edition: str | None = None
    units: str | None = None


def parse_grid_spec(text: str) -> GridRequest:
    """Parse ``POLLUTANT:YEAR=PATH`` (``:YEAR`` optional when the file name says it).

    Examples
    --------
    >>> parse_grid_spec("no2:2020=grids/PostLAEI2013_2020_NO2.asc").year
    2020

    Raises
    ------
    InputError
        If the text is not of that form or names an unknown pollutant.
    """
    key, sep, path = text.partition("=")
    if not sep or not path:
        raise InputError(f"--grid {text!r} must be POLLUTANT:YEAR=PATH, e.g. "
                         "no2:2020=PostLAEI2013_2020_NO2.asc")
    pol, _, year = key.partition(":")
    try:
        y = int(year) if year else None
    except ValueError as err:
        raise InputError(f"--grid {text!r}: model year {year!r} is not a year") from err
    return GridRequest(normalise_pollutant(pol), y, path)


@dataclass(frozen=True)
class DefraRequest:
    """Defra background map CSVs named by ``--grid`` for one pollutant and year, combined."""

    pollutant: str
    year: int | None
    paths: tuple[str, ...]
    edition: str | None = None
    grid_crs = None  # British National Grid by definition of the layout
    units = None  # µg/m³ by definition of the layout

    @property
    def path(self) -> str:
        """The first file (the grid's ``source``; the others are ``grid-part`` inputs)."""
        return self.paths[0]


def group_defra_requests(requests: Sequence) -> list:
    """Merge ``--grid`` requests naming Defra background maps by pollutant and year.

    ``--grid no2:2021=a.csv --grid no2:2021=b.csv`` (or a folder of them) becomes
    one :class:`DefraRequest`, read as one grid; other requests pass unchanged, in order.
    """
    from airq.read.catalogue.grids import split_defra_paths

    out: list = []
    groups: dict = {}
    for req in requests:
        if not isinstance(req, GridRequest) or "!" in str(req.path):
            out.append(req)
            continue
        defra, _ = split_defra_paths([req.path])
        if not defra:
            out.append(req)
            continue
        key = (req.pollutant, req.year, req.edition)
        if key not in groups:
            groups[key] = len(out)
            out.append(DefraRequest(req.pollutant, req.year, (), req.edition))
        i = groups[key]
        out[i] = replace(out[i], paths=out[i].paths + tuple(str(p) for p in defra))
    return out


def grid_part_inputs(grids) -> list[dict]:
    """Provenance inputs (role ``grid-part``) for every further file combined into a grid.

    A Defra grid made from several authorities' files records the first file as the
    grid's ``source``; each other file gets an entry of its own with its SHA-256.
    """
    out = []
    for g in grids:
        for part in g.info.parts[1:]:
            out.append({"role": "grid-part", "grid": g.info.label, "pollutant": g.info.pollutant,
                        "year": g.info.year, "edition": g.info.edition,
                        "source": part["source"],
                        "member": part.get("member"), "sha256": part["sha256"],
                        "member_sha256": part.get("member_sha256"),
                        "column": part.get("column"),
                        "local_auth_codes": list(part.get("local_auth_codes") or ())})
    return out


def _bounds(boundaries: Boundaries, crs: str, margin: float = 100.0):
    xmin, ymin, xmax, ymax = reproject_to(boundaries.gdf, crs).total_bounds
    return (xmin - margin, ymin - margin, xmax + margin, ymax + margin)


def load_grids(boundaries: Boundaries, requests: Sequence[GridRequest | GridEntry],
               grid_crs: str | None = None, *, bounds_cache: dict | None = None) -> list[Grid]:
    """Read the window of each grid that covers the boundaries.

    Catalogue entries are read from their converted files with their recorded
    provenance; direct requests from the files named. ``bounds_cache`` keeps the
    boundaries' extent per CRS across calls (batch reads grids one call at a time).
    """
    grids = []
    bounds_by_crs: dict = {} if bounds_cache is None else bounds_cache

    def bounds(crs):  # reproject the boundaries once per grid CRS, not once per grid
        if crs not in bounds_by_crs:
            bounds_by_crs[crs] = _bounds(boundaries, crs)
        return bounds_by_crs[crs]

    for req in group_defra_requests(requests):
        if isinstance(req, GridEntry):
            info = verified_info(req)  # the stored copy is the one catalogued, or an error
            grids.append(read_grid(req.path, info=info,
                                   bounds=bounds(req.info.crs)))
            continue
        if isinstance(req, DefraRequest):
            from airq.read.defra import read_defra

            grids.append(read_defra(req.paths, pollutant=req.pollutant, year=req.year,
                                    edition=req.edition))
            continue
        grids.append(read_grid(req.path, pollutant=req.pollutant, year=req.year,
                               edition=req.edition, grid_crs=grid_crs or req.grid_crs,
                               units=req.units, bounds=bounds))
    return grids


def choose_grids(boundaries: Boundaries, requests: Sequence, *, years_given: bool = False,
                 edition_given: bool = False) -> tuple[list, list[str]]:
    """Keep the catalogued grids to use for these boundaries: the LAEI where it covers them.

    See :func:`airq.read.catalogue.choose.choose_for_site`; returns the requests to
    use and the sentences stating the choice (pass them to :func:`run_query`).
    """
    from airq.read.catalogue.choose import choose_for_site

    cache: dict = {}

    def site(crs):
        if crs not in cache:
            cache[crs] = tuple(reproject_to(boundaries.gdf, crs).total_bounds)
        return cache[crs]

    return choose_for_site(requests, site, years_given=years_given, edition_given=edition_given)


def run_query(boundaries: Boundaries, requests: Sequence[GridRequest | GridEntry],
              settings: Settings, *, grid_crs: str | None = None, layers: Sequence = (),
              command: str | None = None, notes: Sequence[str] = (),
              sheets: Sequence | None = (), basemap=None, fetcher=None) -> Assessment:
    """Read grids, assess the area, screen land-use layers; return the Assessment.

    Every airq warning raised on the way is kept in ``Assessment.warnings``; with
    ``settings.strict`` the first one becomes an error. ``notes`` (such as the grid
    choice of :func:`choose_grids`) are added to the caveats, which every output shows.

    ``sheets`` are historic map sheets to read around the site
    (:class:`airq.read.historic_maps.SheetRequest`); None uses every catalogued
    historic map that covers the site. ``basemap`` chooses the figures' base map:
    None, ``"auto"`` (a catalogued base map covering the site, else the newest
    historic sheet in use), ``"osm"`` (web tiles, fetched with ``fetcher`` and
    cached) or a SheetRequest.

    Raises
    ------
    AirqError
        Any input problem, or a warning under ``strict``.
    """
    from airq.analyse.assess import assess

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        grouped = group_defra_requests(requests)  # Defra files of one grid read together
        grids = load_grids(boundaries, grouped, grid_crs)
        inputs = [boundaries_input(boundaries), *boundaries.extra_inputs]
        inputs += [grid_input(g.info, r, grid_crs) for r, g in zip(grouped, grids, strict=True)]
        inputs += grid_part_inputs(grids)
        inputs += [layer_input(layer) for layer in layers]
        warn_layer_notes(layers)  # read before this call
        result = assess(boundaries, grids, settings, load_objectives(), inputs=inputs,
                        command=command)
        land_use = None
        if layers:
            from airq.analyse.landuse import area_from_boundaries, screen_landuse

            land_use = screen_landuse(area_from_boundaries(boundaries.gdf), list(layers),
                                      bands_m=settings.bands_m)
        map_sheets, base = (), None
        if sheets is None or sheets or basemap is not None:
            from airq.read.map_inputs import read_sheets_for

            map_sheets, base = read_sheets_for(boundaries.gdf, settings.bands_m, sheets,
                                               basemap, fetcher=fetcher)
            inputs = [s.provenance() for s in map_sheets]
            if base is not None and all(base is not s for s in map_sheets):
                inputs.append(base.provenance())
            result = replace(result, provenance=replace(
                result.provenance, inputs=(*result.provenance.inputs, *inputs),
                synthetic=result.provenance.synthetic or any(s.synthetic for s in map_sheets)))
    messages = list(boundaries.notes)  # raised while reading and selecting the boundaries
    for w in caught:
        if issubclass(w.category, AirqWarning):
            text = str(w.message)
            if text not in messages:
                messages.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if boundaries.synthetic or result.synthetic:
        messages.insert(0, "SYNTHETIC DEMO DATA: inputs are airq's generated demo data, not "
                           "the real LAEI")
    if settings.strict and messages:
        non_demo = [m for m in messages if not m.startswith("SYNTHETIC")]
        if non_demo:
            raise AirqError(f"{non_demo[0]} (--strict turns warnings into errors)")
    result = replace(result, warnings=tuple(messages), map_sheets=map_sheets, basemap=base,
                     provenance=replace(result.provenance, working_dir=working_dir()),
                     caveats=tuple(result.caveats) + tuple(notes))
    if land_use is not None:
        result = result.with_land_use(land_use)
    return result
