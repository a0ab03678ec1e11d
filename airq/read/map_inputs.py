"""Which map sheets a run draws: historic sheets named or catalogued, and the figures' base map.

The pipeline calls :func:`read_sheets_for` once per run. It reads every sheet around
the site and its search area (the largest land-use band, at least
:data:`MIN_MARGIN_M`), so the web map, the figures and the report's extracts draw
the same window.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from airq.errors import InputError
from airq.read.historic_maps import MapSheet, SheetRequest, parse_sheet_spec, read_map_sheet

#: The least margin (metres) read around the site, when the search bands are smaller.
MIN_MARGIN_M = 150.0
#: ``--basemap`` values that are not a sheet: no base map, the automatic choice, web tiles.
BASEMAP_WORDS = ("none", "auto", "osm")


def map_area(boundaries_gdf, bands_m: Sequence[float]):
    """Return the area maps are drawn over: the site buffered by its search distance."""
    from airq.analyse.landuse import area_from_boundaries

    site = area_from_boundaries(boundaries_gdf)
    margin = max(float(bands_m[-1]) if len(bands_m) else 0.0, MIN_MARGIN_M)
    return site.buffer(margin, quad_segs=16)


def sheet_requests(specs: Sequence[str]) -> list[SheetRequest]:
    """Turn ``--historic-map FILE[:EPOCH]|NAME`` values into requests.

    A value that is not an existing file or folder is looked up among the catalogued
    sheets by name; its epoch may be overridden by ``:EPOCH``.

    Raises
    ------
    InputError
        If a value is neither a file, a folder nor a catalogued sheet.
    """
    from dataclasses import replace

    from airq.read.catalogue.map_sheets import get_map_sheet, list_map_sheets

    out = []
    for spec in specs:
        req = parse_sheet_spec(spec)
        if Path(req.path).exists():
            out.append(req)
            continue
        entry = get_map_sheet(req.path)
        if entry is None:
            known = ", ".join(e.name for e in list_map_sheets()) or "none catalogued"
            raise InputError(f"--historic-map {spec!r}: no such file, folder or catalogued map "
                             f"sheet (catalogued: {known})")
        found = entry.request()
        out.append(replace(found, epoch=req.epoch) if req.epoch is not None else found)
    return out


def basemap_request(value: str | None) -> str | SheetRequest | None:
    """Turn ``--basemap`` into ``None``, ``"auto"``, ``"osm"`` or a SheetRequest.

    Raises
    ------
    InputError
        If the value is neither a word of :data:`BASEMAP_WORDS`, a file or folder,
        nor a catalogued sheet.
    """
    from airq.read.catalogue.map_sheets import get_map_sheet, list_map_sheets

    if value is None or value == "none":
        return None
    if value in ("auto", "osm"):
        return value
    if Path(value).exists():
        return SheetRequest(path=value, kind="basemap")
    entry = get_map_sheet(value)
    if entry is None:
        known = ", ".join(e.name for e in list_map_sheets()) or "none catalogued"
        raise InputError(f"--basemap {value!r}: give none, auto, osm, a map sheet file or a "
                         f"catalogued sheet's name (catalogued: {known})")
    return entry.request()


def read_sheets_for(boundaries_gdf, bands_m, sheets, basemap, *, fetcher=None
                    ) -> tuple[tuple[MapSheet, ...], MapSheet | None]:
    """Read the historic sheets and the base map of a run around its site.

    Parameters
    ----------
    boundaries_gdf
        The selected boundaries (any CRS).
    bands_m
        The land-use search bands; the largest sets how far around the site to read.
    sheets
        SheetRequests, or None for every catalogued historic map covering the site.
    basemap
        See :func:`basemap_request`'s results.
    fetcher
        For web tiles: a function returning a URL's bytes (tests pass a fake one).

    Returns
    -------
    tuple
        ``(historic sheets oldest first, base map or None)``.
    """
    from airq.analyse.landuse import area_from_boundaries
    from airq.read.catalogue.map_sheets import sheets_covering
    from airq.read.historic_maps import read_map_sheets

    around = map_area(boundaries_gdf, bands_m)
    if sheets is None:
        site = area_from_boundaries(boundaries_gdf)
        sheets = [e.request() for e in sheets_covering(site)]
    read = read_map_sheets(list(sheets), around)
    base = None
    if basemap == "osm":
        from airq.read.web_tiles import fetch_basemap

        base = fetch_basemap("osm", around, fetcher=fetcher)
    elif basemap == "auto":
        site = area_from_boundaries(boundaries_gdf)
        modern = sheets_covering(site, kind="basemap")
        if modern:
            base = read_map_sheet(modern[-1].request(), around)
        elif read:
            dated = [s for s in read if s.epoch is not None] or list(read)
            base = dated[-1]
    elif isinstance(basemap, SheetRequest):
        base = read_map_sheet(basemap, around)
    return read, base
