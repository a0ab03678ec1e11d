"""Read and check boundary polygons (residential property boundaries, streets, zones).

The only module that opens boundary files. It selects features (``--where``),
repairs invalid geometry, drops empty geometry, counts both, and reprojects in one
named function, :func:`reproject_to`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from airq.errors import CRSError, InputError
from airq.read.geojson import geojson_without_crs as _geojson_without_crs

_KIND_NAMES = {0: "points", 1: "lines", 2: "rings", 4: "points", 5: "lines"}
#: A cell centre this near the edge of boundaries reprojected into the grid's CRS
#: counts as on the edge (see :func:`edge_tolerance`): 1 cm, ten times the noise of a
#: WGS84 round trip; in degrees about the same.
EDGE_TOLERANCE_M = 0.01
EDGE_TOLERANCE_DEG = 1e-7

#: Columns tried, in order, for a boundary's identifier in outputs.
ID_COLUMNS = ("plot_id", "uprn", "inspireid", "inspire_id", "gml_id", "id", "fid", "toid",
              "lsoa11cd", "lsoa21cd", "code", "name")


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Selected boundary polygons with what was done to them.

    Attributes
    ----------
    gdf
        The selected polygons, in ``crs``, with an ``airq_id`` column.
    name
        The area's name for reports.
    source
        The file read.
    sha256
        Checksum of the file (of the ``.shp`` for a shapefile).
    crs
        The boundaries' CRS as ``EPSG:n`` or WKT.
    crs_note
        Where the CRS came from.
    n_features, n_selected
        Features in the file, and selected by ``where``.
    repaired, dropped_empty, dropped_not_polygon
        Invalid geometries repaired with ``make_valid``; null or empty ones dropped;
        points and lines dropped (not polygons).
    where
        The filters applied, as ``COLUMN=VALUE`` strings.
    id_column
        The column used for ``airq_id``, or ``None`` for the row number.
    all_valid
        True when the reader checked that every geometry is valid and not empty
        (so batch work need not check again).
    crs_given
        The CRS the user gave for a file without one (``--boundaries-crs``), or None.
    notes
        Warnings raised while reading and selecting (dropped or repaired features
        among them), for every output; the analysis raises them
        (:class:`~airq.errors.GeometryRepairWarning`) so they reach every output.
    member
        The zip member read (an INSPIRE council zip's GML), or None.
    selection
        How the boundaries were chosen from address points (``text``,
        ``n_boundaries``, ``n_addresses``...), or None; see
        :mod:`airq.analyse.addresses`.
    extra_inputs
        Provenance entries of other inputs the selection read (role ``addresses``).
    """

    gdf: object
    name: str
    source: str
    sha256: str
    crs: str
    crs_note: str
    n_features: int
    n_selected: int
    repaired: int = 0
    dropped_empty: int = 0
    where: tuple[str, ...] = ()
    id_column: str | None = None
    layer: str | None = None
    synthetic: bool = False
    all_valid: bool = False
    notes: tuple[str, ...] = field(default=())
    crs_given: str | None = None
    member: str | None = None
    selection: dict | None = None
    extra_inputs: tuple[dict, ...] = field(default=())
    dropped_not_polygon: int = 0

    @property
    def n_used(self) -> int:
        """Selected features used (not dropped)."""
        return len(self.gdf)

    def to_dict(self) -> dict:
        """Return provenance and counts as JSON-ready values."""
        return {
            "name": self.name, "source": self.source, "sha256": self.sha256,
            "layer": self.layer, "crs": self.crs, "crs_note": self.crs_note,
            "n_features": self.n_features, "n_selected": self.n_selected,
            "n_used": self.n_used, "repaired": self.repaired,
            "dropped_empty": self.dropped_empty,
            "dropped_not_polygon": self.dropped_not_polygon, "where": list(self.where),
            "id_column": self.id_column,
            "synthetic": self.synthetic, "crs_given": self.crs_given,
            "member": self.member, "selection": self.selection,
        }


def parse_where(items: Sequence[str]) -> list[tuple[str, str]]:
    """Split ``COLUMN=VALUE`` strings.

    Raises
    ------
    InputError
        If an item has no ``=`` or an empty column name.
    """
    out = []
    for item in items:
        col, sep, val = item.partition("=")
        if not sep or not col.strip():
            raise InputError(f"--where {item!r} must be COLUMN=VALUE, e.g. street=Woodlands Avenue")
        out.append((col.strip(), val.strip()))
    return out


def _select(gdf, filters: list[tuple[str, str]], path: Path):
    mask = np.ones(len(gdf), dtype=bool)
    for col, val in filters:
        if col not in gdf.columns:
            match = {c.lower(): c for c in gdf.columns}.get(col.lower())
            if match is None:
                cols = ", ".join(c for c in gdf.columns if c != "geometry")
                raise InputError(f"{path.name} has no column {col!r}; its columns are {cols}")
            col = match
        as_text = gdf[col].astype("string").fillna("")
        hit = (as_text == val).to_numpy()
        if not hit.any():
            # Forgive case and surrounding spaces, but only when that is unambiguous.
            loose = (as_text.str.strip().str.casefold() == val.casefold()).to_numpy()
            if loose.any() and as_text[loose].nunique() == 1:
                hit = loose
        if not (mask & hit).any():
            values = sorted(set(as_text[mask].tolist()))
            close = difflib.get_close_matches(val, values, n=5, cutoff=0.5)
            if not close:
                close = values[:5]
            suggestion = ", ".join(repr(v) for v in close)
            raise InputError(f"no boundary in {path.name} has {col}={val!r}; closest values: "
                             f"{suggestion}")
        mask &= hit
    return gdf[mask]


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygon parts of each geometry (make_valid may add lines or points)."""
    out = geoms.copy()
    kinds = shapely.get_type_id(geoms)
    for i in np.flatnonzero(kinds == 7):  # GeometryCollection
        parts = [p for p in shapely.get_parts(geoms[i]) if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return out


def file_columns(path: str | Path, layer: str | None = None) -> list[str]:
    """Attribute column names of a boundary file, read from its schema only.

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    p = Path(path)
    try:
        if p.suffix.lower() in (".parquet", ".geoparquet"):
            import pyarrow.parquet as pq

            return [n for n in pq.read_schema(p).names if n != "geometry"]
        import pyogrio

        if p.suffix.lower() in (".gml", ".zip"):  # no schema without a full read; no .gfs
            from airq.read.inspire import read_gml_frame

            return [c for c in read_gml_frame(p, layer).columns if c != "geometry"]
        return list(pyogrio.read_info(p, layer=layer)["fields"])
    except Exception as err:  # pyarrow / GDAL raise several error types for unreadable files
        raise InputError(f"cannot read boundaries from {p}: {err}") from err


def _wanted(path: Path, layer, columns: Sequence[str] | None, where: Sequence[str]):
    """Return the attribute columns to read: all (None), or those asked for, filtered, ids.

    All are read when a filter names a column the file lacks, so the error can
    list every column.
    """
    if columns is None or Path(path).suffix.lower() in (".gml", ".zip"):
        return None
    names = file_columns(path, layer)
    lower = {n.lower() for n in names}
    filters = {w.split("=", 1)[0].strip().lower() for w in where if "=" in w}
    if not filters <= lower:
        return None
    want = {c.lower() for c in columns} | set(ID_COLUMNS) | filters
    return [n for n in names if n.lower() in want]


def read_boundaries(path: str | Path, *, where: Sequence[str] = (), crs: str | None = None,
                    layer: str | None = None, name: str | None = None,
                    columns: Sequence[str] | None = None) -> Boundaries:
    """Read boundary polygons from GeoJSON, GeoPackage, Shapefile, GML or GeoParquet.

    Parameters
    ----------
    path
        The boundary file.
    where
        ``COLUMN=VALUE`` filters; all must hold.
    crs
        The CRS of a file that carries none (``--boundaries-crs``).
    layer
        The layer of a multi-layer file (GeoPackage, GML).
    name
        The area's name (default: the last where-value, else the file name).
    columns
        Read only these attribute columns (plus those the filters name and the id
        columns airq recognises); default all. Batch work reads only what it needs.

    Returns
    -------
    Boundaries

    Raises
    ------
    InputError
        Missing or unreadable file, unknown column, a filter matching nothing, no
        polygon left.
    CRSError
        No CRS in the file and none given.
    """
    import geopandas as gpd
    import pyogrio

    from airq.read.inspire import GML_SUFFIXES, read_gml_frame, split_member

    p, member = split_member(path)
    if not p.exists():
        raise InputError(f"boundary file {p} not found")
    try:
        if p.suffix.lower() in GML_SUFFIXES:  # INSPIRE zips: no .gfs, no schema download
            gdf = read_gml_frame(path, layer=layer)
            member = gdf.attrs.get("member")
        elif p.suffix.lower() in (".parquet", ".geoparquet"):
            import pyarrow as pa

            cols = _wanted(p, layer, columns, where)
            gdf = gpd.read_parquet(p, columns=None if cols is None else [*cols, "geometry"])
            # Arrow keeps the freed read buffers in its own pool (about 350 MB for
            # London's 1.5M parcels); hand them back before the real work starts.
            pa.default_memory_pool().release_unused()
        else:
            if layer is None:
                layers = pyogrio.list_layers(p)
                if len(layers) > 1:
                    names = ", ".join(str(n) for n in layers[:, 0])
                    raise InputError(f"{p.name} has several layers ({names}); choose one with "
                                     "--boundaries-layer")
            gdf = gpd.read_file(p, layer=layer, engine="pyogrio",
                                columns=_wanted(p, layer, columns, where))
    except InputError:
        raise
    except Exception as err:  # pyogrio / GDAL raise several error types for unreadable files
        raise InputError(f"cannot read boundaries from {p}: {err}") from err
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        raise InputError(f"{p.name} has no geometry column: boundaries must be polygons "
                         "(GeoPackage, GeoJSON, Shapefile, GML or GeoParquet), not a plain table")
    n_features = len(gdf)
    if n_features == 0:
        raise InputError(f"{p.name} holds no features")
    from airq.read.grids import canonical_crs, sha256_file

    implied = _geojson_without_crs(p)
    if implied and crs is not None:
        # RFC 7946: a GeoJSON file has no CRS member and is WGS84; GDAL says EPSG:4326
        # for it. --boundaries-crs is how to read an older file in other coordinates.
        gdf = gdf.set_crs(crs, allow_override=True)
        crs_note = (f"stated by the user ({crs}); the GeoJSON file has no 'crs' member "
                    "(longitude/latitude by RFC 7946 otherwise)")
    elif gdf.crs is None:
        if crs is None:
            raise CRSError(f"{p.name} has no CRS; pass --boundaries-crs "
                           "(e.g. EPSG:27700 for British National Grid, EPSG:4326 for GPS)")
        gdf = gdf.set_crs(crs)
        crs_note = f"stated by the user ({crs}); the file has none"
    elif crs is not None and canonical_crs(gdf.crs.to_string()) != canonical_crs(crs):
        raise CRSError(f"{p.name} has CRS {gdf.crs.to_string()} but --boundaries-crs says {crs}; "
                       "leave out --boundaries-crs or correct the file")
    elif implied:
        crs_note = ("longitude/latitude: a GeoJSON file without a 'crs' member "
                    "is WGS84 by RFC 7946")
    else:
        crs_note = "from the file"
    _check_geographic_range(gdf, p, implied, given=crs is not None)
    filters = parse_where(where)
    sel = _select(gdf, filters, p) if filters else gdf
    n_selected = len(sel)
    geoms = np.asarray(sel.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms)
    geoms = np.where(missing, shapely.Polygon(), geoms)
    nonpoly = ~shapely.is_empty(geoms) & ~np.isin(shapely.get_type_id(geoms), (3, 6, 7))
    n_nonpoly = int(nonpoly.sum())
    kinds = sorted({_KIND_NAMES.get(k, "not polygons")
                    for k in shapely.get_type_id(geoms[nonpoly]).tolist()})
    geoms[nonpoly] = shapely.Polygon()
    notes = []
    # A GeometryCollection's points and lines are not boundaries: keep its polygons, say so.
    partial = 0
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):
        members = shapely.get_parts(geoms[i])
        polygons = [m for m in members if shapely.get_type_id(m) in (3, 6)]
        if not polygons:  # nothing a boundary can be made of: a feature that is not a polygon
            n_nonpoly += 1
            kinds = sorted({*kinds, "geometry collections without polygons"})
        partial += 0 < len(polygons) < len(members)
        geoms[i] = shapely.union_all(polygons) if polygons else shapely.Polygon()
    if partial:
        notes.append(f"{p.name}: {partial} GeometryCollection feature{'s' * (partial != 1)} "
                     "also held points or lines; those parts dropped, their polygons used")
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_empty(geoms)
    repaired = int(invalid.sum())
    still_invalid = 0
    if repaired:
        geoms[invalid] = _polygonal(shapely.make_valid(geoms[invalid]))
        still_invalid = int((~shapely.is_valid(geoms[invalid])).sum())
        notes.append(f"{p.name}: repaired {repaired} invalid geometr"
                     f"{'y' if repaired == 1 else 'ies'} with make_valid")
    empty = shapely.is_empty(geoms) | (shapely.area(geoms) <= 0)
    n_null = int(missing.sum())
    n_empty = int(empty.sum()) - n_null - n_nonpoly
    if empty.any():
        why = [f"{n_null} with no geometry" if n_null else "",
               f"{n_empty} empty" if n_empty else "",
               f"{n_nonpoly} {'/'.join(kinds)}, not polygons" if n_nonpoly else ""]
        notes.append(f"{p.name}: {int(empty.sum())} of the {n_selected} selected features "
                     f"dropped ({', '.join(w for w in why if w)}); "
                     f"{n_selected - int(empty.sum())} used")
    out = sel.copy()
    out = out.set_geometry(gpd.GeoSeries(geoms, index=sel.index, crs=sel.crs))
    out = out[~empty]
    if out.empty:
        raise InputError(f"{p.name}: no usable polygon among the {n_selected} selected features"
                         + (f" ({notes[-1].split('(', 1)[1].split(')')[0]})" if notes else ""))
    id_col, passed_over = _id_column(out)
    if passed_over:  # an id column a reader would expect is not used: say why, and which is
        used = repr(id_col) if id_col else "the feature numbers in the file (0, 1, ...)"
        notes.append(f"{p.name}: boundary ids taken from {used}, not "
                     + "; not ".join(passed_over))
    ids = out[id_col].astype(str) if id_col else (out.index.astype(str))
    out = out.assign(airq_id=np.asarray(ids)).reset_index(drop=True)
    if name is None:
        name = filters[-1][1] if filters else p.stem
    from airq.demo import is_synthetic

    sha = sha256_file(p)
    return Boundaries(gdf=out, name=name, source=str(p), sha256=sha,
                      crs=canonical_crs(out.crs.to_string()), crs_note=crs_note,
                      n_features=n_features, n_selected=n_selected, repaired=repaired,
                      dropped_empty=n_null + n_empty,
                      where=tuple(f"{c}={v}" for c, v in filters),
                      id_column=id_col, layer=layer, synthetic=is_synthetic(p, sha256=sha),
                      all_valid=still_invalid == 0, notes=tuple(notes),
                      dropped_not_polygon=n_nonpoly, crs_given=crs, member=member)


def _id_column(gdf) -> tuple[str | None, list[str]]:
    """Return the id column, and why each candidate before it was passed over.

    The id column is the first of ``ID_COLUMNS`` (any case) with a value in every
    feature, each different; None when there is none.
    """
    lower = {c.lower(): c for c in gdf.columns}
    passed_over = []
    for key in ID_COLUMNS:
        if key not in lower:
            continue
        col = gdf[lower[key]]
        n_missing = int(col.isna().sum())
        dup = col[col.notna() & col.duplicated(keep=False)]
        if not n_missing and dup.empty:
            return lower[key], passed_over
        why = []
        if len(dup):
            why.append(f"{len(dup)} features share a value (e.g. {str(dup.iloc[0])[:40]!r})")
        if n_missing:
            why.append(f"{n_missing} {'has' if n_missing == 1 else 'have'} none")
        passed_over.append(f"{lower[key]!r}: {' and '.join(why)}")
    return None, passed_over


def _check_geographic_range(gdf, p: Path, implied: bool, given: bool) -> None:
    """Refuse longitude/latitude boundaries whose numbers cannot be degrees.

    Projected metres (British National Grid eastings of 500,000) read as degrees give
    nonsense distances and areas; the usual cause is a GeoJSON file without a ``crs``
    member holding BNG coordinates, or a file labelled with the wrong CRS.
    """
    if gdf.crs is None or not gdf.crs.is_geographic or len(gdf) == 0:
        return
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return
    looks_bng = 0 <= minx and maxx <= 700_000 and 0 <= miny and maxy <= 1_300_000
    hint = (" They look like British National Grid metres: pass --boundaries-crs EPSG:27700"
            if looks_bng else " Pass --boundaries-crs with the CRS they are in")
    if given:
        hint = " Check --boundaries-crs"
    why = ("a GeoJSON file without a 'crs' member is longitude/latitude (WGS84) by its "
           "specification (RFC 7946)" if implied else
           f"the file says its CRS is {gdf.crs.to_string()}, which is in degrees")
    raise CRSError(f"{p.name}: {why}, but its coordinates run x {minx:,.0f} to {maxx:,.0f}, "
                   f"y {miny:,.0f} to {maxy:,.0f}, outside longitude -180..180 and latitude "
                   f"-90..90.{hint}.")


def reproject_to(gdf, crs: str):
    """Reproject boundaries to ``crs`` (the grid's); the one place airq reprojects zones.

    The sampling then allows for the transformation's noise at the edges
    (:func:`edge_tolerance`).

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS.
    """
    if gdf.crs is None:
        raise CRSError(f"boundaries have no CRS; cannot reproject them to the grid's {crs}")
    from airq.read.grids import canonical_crs

    if canonical_crs(gdf.crs.to_string()) == canonical_crs(crs):
        return gdf
    return gdf.to_crs(crs)


def edge_tolerance(from_crs: str | None, to_crs: str) -> float:
    """How near an edge a cell centre must lie to count as on it, in ``to_crs`` units.

    0 when the boundaries are in the grid's CRS (the exact edge). Boundaries
    reprojected into the grid's CRS carry the transformation's noise: a British
    National Grid -> WGS84 -> British National Grid round trip through pyproj moves
    London coordinates by up to about 1 mm. :data:`EDGE_TOLERANCE_M` (1 cm) absorbs it,
    so a cell centre on an edge stays on it and boundaries in WGS84 and in British
    National Grid select the same cell centres.
    """
    from pyproj import CRS

    from airq.read.grids import canonical_crs

    if from_crs is None or canonical_crs(from_crs) == canonical_crs(to_crs):
        return 0.0
    return EDGE_TOLERANCE_DEG if CRS.from_user_input(to_crs).is_geographic else EDGE_TOLERANCE_M
