"""One reader per grid format, each returning the window of values a query needs.

ESRI ASCII and point CSVs are parsed by airq itself (:mod:`airq.read.esri_ascii`,
:mod:`airq.read.points_csv`), strictly; GeoTIFF through rasterio and NetCDF through
xarray. Every reader keeps NODATA (as the file declares it) apart from NaN cells the
file does not declare as NODATA: those are implausible values, reported where sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from affine import Affine

from airq.errors import InputError
from airq.read.cells import lattice_problem
from airq.read.prj import sidecar_crs


@dataclass(frozen=True, eq=False)
class FileRead:
    """What a format reader found: a window of values and what the file says of itself."""

    values: np.ndarray
    transform: Affine  # of the window's top-left cell
    crs: str | None
    units: str | None
    full_shape: tuple[int, int]
    offset: tuple[int, int]
    nan_cells: np.ndarray | None = None
    year: int | None = None          # a CSV's year column
    pollutant: str | None = None     # a CSV column or NetCDF variable named after it
    tags: dict = field(default_factory=dict)


def _geographic(crs: str) -> bool:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(crs).is_geographic
    except CRSError:
        return False  # an unknown CRS is refused where it is read


def window_for(transform: Affine, shape: tuple[int, int], bounds,
               crs: str | None = None, display: str = "the grid") -> tuple[int, int, int, int]:
    """Rows/cols (r0, r1, c0, c1) of the cells overlapping ``bounds``, with a one-cell margin.

    ``bounds`` may be a callable taking the file's CRS (None when it has none) and
    returning the bounds in that CRS, so a file is opened once, not peeked first.
    """
    h, w = shape
    if not transform.is_rectilinear or abs(transform.determinant) < 1e-12:
        raise InputError(f"{display}: the cell size ({transform.a:g} x {-transform.e:g}) cannot "
                         "place cells; check the file's cellsize (or transform)")
    # (degrees are refused later, with the advice to project the grid: airq.read.grids)
    problem = None if crs is not None and _geographic(crs) else lattice_problem(transform)
    if problem:
        raise InputError(f"{display}: {problem}")
    if callable(bounds):
        bounds = bounds(crs)
    if bounds is None:
        return 0, h, 0, w
    xmin, ymin, xmax, ymax = bounds
    inv = ~transform
    c_a, r_a = inv @ (xmin, ymax)
    c_b, r_b = inv @ (xmax, ymin)
    r0 = max(0, int(np.floor(min(r_a, r_b))) - 1)
    r1 = min(h, int(np.ceil(max(r_a, r_b))) + 1)
    c0 = max(0, int(np.floor(min(c_a, c_b))) - 1)
    c1 = min(w, int(np.ceil(max(c_a, c_b))) + 1)
    if r1 <= r0 or c1 <= c0:
        return 0, 0, 0, 0
    return r0, r1, c0, c1


def _cut(values: np.ndarray, nan_cells, transform: Affine, bounds, crs, display: str,
         units=None, **kw):
    """Window a whole parsed grid (ASCII, CSV) and return its FileRead."""
    r0, r1, c0, c1 = window_for(transform, values.shape, bounds, crs, display)
    win = values[r0:r1, c0:c1].copy()
    nan = None
    if nan_cells is not None:
        nan = nan_cells[r0:r1, c0:c1].copy()
        nan = nan if nan.any() else None
    return FileRead(win, transform @ Affine.translation(c0, r0), crs, units, values.shape,
                    (r0, c0), nan, **kw)


def read_ascii(src, bounds) -> FileRead:
    """Read an ESRI ASCII grid (strict parse of the whole text, then the window)."""
    from airq.read.esri_ascii import parse_esri_ascii

    with src.open_binary() as fh:
        raw = fh.read()
    g = parse_esri_ascii(raw, src.display)
    return _cut(g.values, g.nan_cells, g.transform, bounds, sidecar_crs(src.path, src.member),
                src.display)


def read_points(src, bounds, pollutant: str | None) -> FileRead:
    """Read an LAEI point CSV (strict, columns by name) into the window of its lattice."""
    from airq.read.points_csv import parse_points_csv

    with src.open_binary() as fh:
        raw = fh.read()
    p = parse_points_csv(raw, src.display, pollutant)
    # A .prj shipped beside the CSV gives its CRS (LAEI 2022 may ship one).
    return _cut(p.values, p.nan_cells, p.transform, bounds, sidecar_crs(src.path, src.member),
                src.display, year=p.year, pollutant=p.pollutant)


def read_rasterio(src, bounds) -> FileRead:
    """Read a GeoTIFF (or another GDAL raster) window; NaN not declared NODATA is kept apart."""
    import rasterio
    from rasterio.windows import Window

    try:
        ds = rasterio.open(src.gdal_path)
    except rasterio.errors.RasterioIOError as err:
        raise InputError(f"cannot read grid {src.display}: {err}") from err
    with ds:
        if ds.count < 1:
            raise InputError(f"{src.display} has no raster band")
        if abs(ds.transform.b) > 0 or abs(ds.transform.d) > 0:
            raise InputError(f"{src.display} is a rotated grid, which airq does not support")
        _one_data_band(ds, src.display)
        crs = ds.crs.to_string() if ds.crs else None
        r0, r1, c0, c1 = window_for(ds.transform, (ds.height, ds.width), bounds, crs,
                                    src.display)
        win = Window(c0, r0, c1 - c0, r1 - r0)
        values = ds.read(1, window=win)
        # float32 grids (every LAEI grid) stay float32: NaN marks NODATA just as well,
        # and values_at() hands out float64, so no whole-grid copy is made here.
        if values.dtype != np.float32:
            values = values.astype("float64")
        nod = ds.nodata
        nan_cells = None
        if nod is None or not np.isnan(nod):
            nan = np.isnan(values)
            if nan.any():  # NaN the file does not declare NODATA: implausible, not NODATA
                nan_cells = nan
            if nod is not None:
                values[values == np.asarray(nod).astype(values.dtype)] = np.nan
        values = _scaled(values, ds.scales[0], ds.offsets[0])
        flags = {f.name for f in ds.mask_flag_enums[0]}
        if flags & {"per_dataset", "alpha"}:  # an explicit mask band, not just NODATA
            masked = ds.read_masks(1, window=win) == 0
            values[masked] = np.nan
            if nan_cells is not None:
                nan_cells &= ~masked
                nan_cells = nan_cells if nan_cells.any() else None
        units = (ds.tags(1).get("units") or ds.units[0] or ds.tags().get("units") or None)
        transform = ds.transform @ Affine.translation(c0, r0)  # rasterio still uses affine `*`
        return FileRead(values, transform, crs, units, (ds.height, ds.width), (r0, c0),
                        nan_cells, tags=dict(ds.tags()))


def _one_data_band(ds, display: str) -> None:
    """Refuse a raster with several data bands: which one is the grid is a guess."""
    from rasterio.enums import ColorInterp

    data = [i for i, ci in enumerate(ds.colorinterp, start=1) if ci != ColorInterp.alpha]
    if len(data) > 1:
        raise InputError(f"{display} holds {len(data)} bands; airq reads one grid per file: "
                         "write the band you mean to a file of its own (e.g. "
                         "`gdal_translate -b 2 in.tif out.tif`)")


def _scaled(values: np.ndarray, scale, offset) -> np.ndarray:
    """Apply a band's declared scale and offset (value = stored x scale + offset)."""
    scale = 1.0 if scale is None else float(scale)
    offset = 0.0 if offset is None else float(offset)
    if scale == 1.0 and offset == 0.0:
        return values
    return values.astype("float64") * scale + offset


def _regular_axis(coords: np.ndarray, dim: str, display: str) -> None:
    """Cell centres along one axis must be equally spaced (rioxarray assumes so silently)."""
    if coords.size < 3:
        return
    steps = np.diff(coords)
    step = steps[0]
    bad = np.flatnonzero(np.abs(steps - step) > 1e-6 * max(abs(step), 1e-12))
    if step == 0 or bad.size:
        i = int(bad[0]) + 1 if bad.size else 1
        raise InputError(
            f"{display}: the {dim} coordinates are not equally spaced ({dim}[{i - 1}]="
            f"{coords[i - 1]:g} to {dim}[{i}]={coords[i]:g} is {steps[i - 1]:g}, the first "
            f"step is {step:g}); airq reads regular grids only")


def read_netcdf(src, bounds, pollutant: str | None) -> FileRead:
    """Read one 2-D NetCDF variable; its fill value is NODATA, other NaN is implausible."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    from airq.read.grids import normalise_pollutant

    if src.member:
        raise InputError(f"{src.display}: NetCDF inside a zip is not supported; unzip it first")
    try:
        # Fill values and scaling are applied here, so NaN written in the file stays
        # distinguishable from the declared fill value.
        ds = xr.open_dataset(src.path, engine="h5netcdf", decode_coords="all",
                             mask_and_scale=False)
    except Exception as err:  # xarray raises many types for unreadable files
        raise InputError(f"cannot read NetCDF grid {src.display}: {err}") from err
    with ds:
        names = [v for v in ds.data_vars if ds[v].ndim >= 2]
        var = None
        if len(names) == 1:
            var = names[0]
        elif pollutant:
            for v in names:
                try:
                    if normalise_pollutant(v) == pollutant:
                        var = v
                except InputError:
                    continue
        if var is None:
            raise InputError(f"{src.display} has variables {', '.join(names) or 'none'}; "
                             "cannot tell which is the grid (name it after the pollutant)")
        da = ds[var].squeeze(drop=True)
        if da.ndim != 2:
            raise InputError(f"{src.display}: variable {var} has {da.ndim} dimensions; "
                             "airq reads one 2-D grid per file")
        xdim, ydim = da.rio.x_dim, da.rio.y_dim
        da = da.transpose(ydim, xdim)
        if da[ydim].values[0] < da[ydim].values[-1]:
            da = da.isel({ydim: slice(None, None, -1)})  # north-up, as rasterio expects
        for dim in (xdim, ydim):
            _regular_axis(np.asarray(da[dim].values, dtype="float64"), dim, src.display)
        transform = da.rio.transform(recalc=True)
        full_shape = da.shape
        crs = da.rio.crs.to_string() if da.rio.crs else None
        r0, r1, c0, c1 = window_for(transform, full_shape, bounds, crs, src.display)
        raw = np.asarray(da.isel({ydim: slice(r0, r1), xdim: slice(c0, c1)}).values)
        attrs = {**da.encoding, **da.attrs}
        fills = [attrs[k] for k in ("_FillValue", "missing_value") if k in attrs]
        fills = [f for f in np.ravel(fills)]
        nodata = np.zeros(raw.shape, dtype=bool)
        fill_nan = False
        for f in fills:
            if np.isnan(f):
                fill_nan = True
            else:
                nodata |= raw == np.asarray(f).astype(raw.dtype)
        values = raw.astype("float64")
        nan_cells = None
        if not fill_nan and raw.dtype.kind == "f":
            nan = np.isnan(raw)
            nan_cells = nan if nan.any() else None
        values = values * float(attrs.get("scale_factor", 1.0)) + float(attrs.get("add_offset",
                                                                                  0.0))
        values[nodata] = np.nan
        _outside_valid_range(raw, values, attrs, nodata, src.display, var)
        units = da.attrs.get("units")
        year = _netcdf_year(ds, da, src.display)
    try:
        named = normalise_pollutant(str(var))
    except InputError:
        named = None
    return FileRead(values, transform @ Affine.translation(c0, r0), crs, units, full_shape,
                    (r0, c0), nan_cells, pollutant=named, year=year)


def _outside_valid_range(raw, values, attrs, nodata, display: str, var: str) -> None:
    """Honour CF ``valid_min``/``valid_max``/``valid_range``: cells outside are missing.

    The file itself declares such values invalid, so they are NODATA (CF conventions,
    compared in stored units before scaling), and a warning says how many and why.
    """
    import warnings

    from airq.errors import NodataWarning

    lo, hi = None, None
    if "valid_range" in attrs:
        rng = np.ravel(attrs["valid_range"])
        if rng.size != 2:
            raise InputError(f"{display}: variable {var} has valid_range {list(rng)}, not two "
                             "values; correct the attribute")
        lo, hi = float(rng[0]), float(rng[1])
    lo = float(np.ravel(attrs["valid_min"])[0]) if "valid_min" in attrs else lo
    hi = float(np.ravel(attrs["valid_max"])[0]) if "valid_max" in attrs else hi
    if lo is None and hi is None:
        return
    stored = raw.astype("float64")
    with np.errstate(invalid="ignore"):
        out = ~nodata & ~np.isnan(stored) & (
            (stored < lo if lo is not None else False) | (stored > hi if hi is not None else False))
    n = int(np.count_nonzero(out))
    if n:
        values[out] = np.nan
        shown = f"[{lo:g}, {hi:g}]" if lo is not None and hi is not None else (
            f">= {lo:g}" if lo is not None else f"<= {hi:g}")
        warnings.warn(f"{display}: {n} cell{'s' * (n != 1)} outside the valid range {shown} "
                      f"that variable {var} declares were treated as NODATA (CF conventions)",
                      NodataWarning, stacklevel=2)


def _netcdf_year(ds, da, display: str) -> int | None:
    """Return the model year a NetCDF file states in a ``year`` attribute (variable, global)."""
    for attrs in (da.attrs, ds.attrs):
        if "year" not in attrs:
            continue
        raw = np.ravel(attrs["year"])
        try:
            year = int(str(raw[0]).strip()) if raw.size == 1 else None
        except ValueError:
            year = None
        if year is None or not 1900 <= year <= 2100:
            raise InputError(f"{display}: its year attribute {attrs['year']!r} is not one model "
                             "year; correct it or remove it")
        return year
    return None
