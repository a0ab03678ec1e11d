"""Read modelled pollution grids (LAEI ESRI ASCII and CSV, GeoTIFF, NetCDF, zips) into a Grid.

This is the only module that opens grid files. Every reader returns the same
:class:`Grid`: float64 values with NaN for NODATA, an affine transform, a CRS and a
:class:`GridInfo` recording where the numbers came from (file, zip member, SHA-256,
edition, model year, pollutant, units, and whether the CRS was assumed).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from affine import Affine

from airq.errors import AssumedCRSWarning, CRSError, InputError
from airq.read.prj import sidecar_crs

log = logging.getLogger(__name__)

#: The CRS of every LAEI grid (British National Grid), assumed when a file carries none.
LAEI_CRS = "EPSG:27700"
#: Pollutant codes airq uses, with display names.
POLLUTANTS = {
    "no2": "NO2",
    "nox": "NOx",
    "pm10": "PM10",
    "pm25": "PM2.5",
    "pm10d": "PM10 days > 50 µg/m³",
}
#: Pollutants whose grid is a concentration (µg/m³); ``pm10d`` is a day count.
CONCENTRATIONS = ("no2", "nox", "pm10", "pm25")
UGM3 = "µg/m³"
DAYS = "days"

# File-name spellings of pollutants in the LAEI archives (DATA.md). PM10m is annual PM10.
_POLLUTANT_TOKENS = {
    "no2": "no2",
    "nox": "nox",
    "pm10": "pm10",
    "pm10m": "pm10",
    "pm10d": "pm10d",
    "pm25": "pm25",
    "pm2.5": "pm25",
    "pm2_5": "pm25",
}
_P = r"(?P<p>NO2|NOx|PM10m|PM10d|PM10|PM25|PM2\.5|PM2_5)"
# (pattern, edition, year taken from the name or fixed)
_LAEI_NAMES = [
    (re.compile(r"^laei_LAEI(?P<ed>\d{4})v\w*?_" + _P + r"$", re.I), "LAEI {ed}", None),
    (re.compile(r"^PostLAEI2013_(?P<year>\d{4})_" + _P + r"$", re.I), "LAEI 2013 (update)", None),
    (re.compile(r"^(?P<year>\d{4})_Met2013_LAEI2013_" + _P + r"$", re.I), "LAEI 2013", None),
    (re.compile(r"^LAEI(?P<ed>\d{4})_(?P<year>\d{4})_" + _P + r"$", re.I), "LAEI {ed}", None),
    # LAEI 2022: LAEI2022_V1_<P> under ASCII/ and CSV/ (base year 2022 only).
    (re.compile(r"^LAEI(?P<ed>\d{4})_V\d+_" + _P + r"$", re.I), "LAEI {ed}", None),
]
_GRID_SUFFIXES = {".asc": "esri-ascii", ".csv": "csv-points", ".tif": "geotiff",
                  ".tiff": "geotiff", ".nc": "netcdf", ".nc4": "netcdf"}


@dataclass(frozen=True)
class NameInfo:
    """What an LAEI file name says: pollutant, model year and inventory edition."""

    pollutant: str | None = None
    year: int | None = None
    edition: str | None = None

    @property
    def is_laei(self) -> bool:
        """Whether the name follows a published LAEI pattern."""
        return self.edition is not None


def parse_laei_name(name: str) -> NameInfo:
    """Recognise pollutant, model year and edition from an LAEI file name.

    Parameters
    ----------
    name
        A file name or path, e.g. ``laei_LAEI2019v3_CorNOx15_NO2.asc``.

    Returns
    -------
    NameInfo
        Empty fields where the name says nothing.

    Examples
    --------
    >>> parse_laei_name("PostLAEI2013_2020_PM10d.csv")
    NameInfo(pollutant='pm10d', year=2020, edition='LAEI 2013 (update)')
    >>> parse_laei_name("laei_LAEI2019v3_CorNOx15_PM10m.asc")
    NameInfo(pollutant='pm10', year=2019, edition='LAEI 2019')
    """
    stem = PurePosixPath(str(name).replace("\\", "/")).name
    stem = re.sub(r"\.(asc|csv|tif|tiff|nc|nc4)$", "", stem, flags=re.I)
    for pattern, edition, _ in _LAEI_NAMES:
        m = pattern.match(stem)
        if m:
            groups = m.groupdict()
            ed = edition.format(ed=groups.get("ed"))
            year = int(groups["year"]) if groups.get("year") else int(groups["ed"])
            return NameInfo(_POLLUTANT_TOKENS[groups["p"].lower()], year, ed)
    return NameInfo()


def normalise_pollutant(text: str) -> str:
    """Return airq's code for a pollutant spelling (``NO2``, ``PM2.5``, ``PM10m``...).

    Raises
    ------
    InputError
        If the spelling is not a known pollutant.
    """
    key = text.strip().lower().replace(" ", "")
    if key in _POLLUTANT_TOKENS:
        return _POLLUTANT_TOKENS[key]
    raise InputError(
        f"unknown pollutant {text!r}; use one of no2, nox, pm10, pm25, pm10d "
        "(pm10d = days with daily-mean PM10 above 50 µg/m³)"
    )


@dataclass(frozen=True)
class GridInfo:
    """Provenance and meaning of one grid: enough to reproduce a figure made from it."""

    pollutant: str
    year: int | None
    edition: str | None
    units: str
    kind: str  # "concentration" or "exceedance-days"
    layout: str
    source: str  # file name as given (zip path for archive members)
    member: str | None
    sha256: str
    member_sha256: str | None
    crs: str
    crs_assumed: bool
    crs_note: str
    units_assumed: bool = False
    synthetic: bool = False
    # set when read from the catalogue: the stored copy read and the SHA-256 of its bytes
    catalogue_path: str | None = None
    catalogue_sha256: str | None = None
    # Defra background maps (airq.read.defra): a 1 km background, not a roadside value;
    # how the file was read (e.g. a two-digit year); every file combined into the grid.
    background: bool = False
    notes: tuple[str, ...] = ()
    parts: tuple[dict, ...] = ()

    @property
    def label(self) -> str:
        """A short label such as ``NO2 2020 (LAEI 2013 (update))``."""
        year = self.year if self.year is not None else "year?"
        ed = f" ({self.edition})" if self.edition else ""
        return f"{POLLUTANTS.get(self.pollutant, self.pollutant)} {year}{ed}"

    def to_dict(self) -> dict:
        """Return the provenance as JSON-ready values."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, eq=False)
class Grid:
    """A pollution grid in memory: values (NaN = NODATA), transform, CRS, provenance.

    ``values`` may be a window of the full grid; ``window_offset`` gives the row and
    column of its top-left cell in the full grid and ``full_shape`` the full size.
    """

    values: np.ndarray
    transform: Affine
    crs: str
    info: GridInfo
    full_shape: tuple[int, int]
    window_offset: tuple[int, int] = (0, 0)

    @property
    def full_transform(self) -> Affine:
        """The transform of the whole grid (cell 0, 0 at the grid's top left)."""
        r, c = self.window_offset
        return self.transform @ Affine.translation(-c, -r)

    @property
    def cellsize(self) -> float:
        """Cell width in CRS units (metres for British National Grid)."""
        return abs(self.transform.a)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the whole grid."""
        t = self.full_transform
        h, w = self.full_shape
        xs = [t.c, t.c + t.a * w]
        ys = [t.f, t.f + t.e * h]
        return (min(xs), min(ys), max(xs), max(ys))


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Return the SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class GridSource:
    """A grid file on disk, or one member of a zip archive, before it is read."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        """The file name that carries the LAEI naming."""
        return PurePosixPath(self.member).name if self.member else self.path.name

    @property
    def display(self) -> str:
        """``archive.zip!member`` or the path as given."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def suffix(self) -> str:
        """The grid file's suffix, lower case."""
        return PurePosixPath(self.name).suffix.lower()

    @property
    def gdal_path(self) -> str:
        """A path GDAL can open (``/vsizip/`` for archive members)."""
        if self.member:
            return f"/vsizip/{self.path.resolve()}/{self.member}"
        return str(self.path)

    def open_binary(self):
        """Open the file or archive member for reading bytes."""
        if self.member:
            zf = zipfile.ZipFile(self.path)
            return zf.open(self.member)
        return open(self.path, "rb")


def list_zip_grids(path: str | Path) -> list[GridSource]:
    """List the grid files (``.asc``, ``.csv``, ``.tif``, ``.nc``) inside a zip archive.

    Raises
    ------
    InputError
        If the file is not a readable zip or holds no grid file.
    """
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"{p} is not a readable zip archive: {err}") from err
    found = [GridSource(p, n) for n in names
             if PurePosixPath(n).suffix.lower() in _GRID_SUFFIXES
             and not PurePosixPath(n).name.startswith("._")]
    if not found:
        raise InputError(f"{p} holds no grid file (.asc, .csv, .tif, .nc); it has {len(names)} "
                         "other files")
    return found


def resolve_source(path: str | Path, pollutant: str | None = None,
                   year: int | None = None) -> GridSource:
    """Turn a path (or ``archive.zip``, ``archive.zip!member``) into one GridSource.

    For a zip without a member, the member is chosen by the pollutant and model
    year in the LAEI file names.

    Raises
    ------
    InputError
        If the file does not exist, or a zip holds no grid or several that match.
    """
    text = str(path)
    member = None
    if "!" in text:
        text, member = text.split("!", 1)
    p = Path(text).expanduser()
    if not p.exists():
        raise InputError(f"grid file {p} not found")
    if p.is_dir():
        raise InputError(f"{p} is a folder; give a grid file or a zip archive")
    if p.suffix.lower() == ".zip":
        members = list_zip_grids(p)
        if member:
            match = [m for m in members if m.member == member]
            if not match:
                raise InputError(f"{p} has no member {member!r}")
            return match[0]
        match = []
        for m in members:
            info = parse_laei_name(m.name)
            if pollutant and info.pollutant != pollutant:
                continue
            if year and info.year != year:
                continue
            match.append(m)
        # Prefer the ASCII grid over the CSV copy of the same data.
        asc = [m for m in match if m.suffix == ".asc"]
        match = asc or match
        if len(match) == 1:
            return match[0]
        want = f"{pollutant or 'any pollutant'} {year or 'any year'}"
        if not match:
            have = sorted({f"{parse_laei_name(m.name).pollutant}:{parse_laei_name(m.name).year}"
                           for m in members})
            raise InputError(f"{p} holds no grid for {want}; it holds {', '.join(have)}")
        raise InputError(f"{p} holds {len(match)} grids for {want}; name one as "
                         f"{p}!{match[0].member}")
    return GridSource(p, member)


def _member_sha256(src: GridSource) -> str | None:
    if not src.member:
        return None
    h = hashlib.sha256()
    with src.open_binary() as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def describe_source(src: GridSource, *, pollutant: str | None = None, year: int | None = None,
                    edition: str | None = None, grid_crs: str | None = None,
                    units: str | None = None, synthetic: bool = False,
                    file_crs: str | None = None, file_units: str | None = None) -> GridInfo:
    """Combine what the file name, the file and the user say into a GridInfo.

    The user's statements win over the name; a contradiction between a stated
    pollutant and an LAEI name is an error, as is a PM10d (day count) grid offered
    as a PM10 concentration.
    """
    named = parse_laei_name(src.name)
    if pollutant and named.pollutant and pollutant != named.pollutant:
        if named.pollutant == "pm10d":
            raise InputError(
                f"{src.display} is a PM10d grid: the number of days with daily-mean PM10 above "
                f"50 µg/m³, not a concentration; give it as pm10d, not {pollutant}")
        raise InputError(f"{src.display} is named as {named.pollutant}, not {pollutant}; "
                         "check the file or the pollutant you gave")
    pollutant = pollutant or named.pollutant
    if pollutant is None:
        raise InputError(f"cannot tell the pollutant of {src.display} from its name; "
                         "give it (--pollutant, or POLLUTANT:YEAR=PATH)")
    year = year or named.year
    edition = edition or named.edition
    is_laei = named.is_laei or (edition is not None and "laei" in edition.lower())
    if file_crs and grid_crs and _crs_key(file_crs) != _crs_key(grid_crs):
        raise CRSError(f"{src.display} has CRS {file_crs} but --grid-crs says {grid_crs}; "
                       "leave out --grid-crs or correct it")
    crs_assumed = False
    if file_crs:
        crs, note = file_crs, "from the file"
    elif grid_crs:
        crs, note = grid_crs, "stated by the user (--grid-crs); the file has none"
    elif is_laei:
        crs, crs_assumed = LAEI_CRS, True
        note = ("assumed EPSG:27700 (British National Grid): LAEI grids are published in it "
                "without a .prj file")
    else:
        raise CRSError(f"{src.display} has no CRS and is not a recognised LAEI grid; "
                       "pass --grid-crs (e.g. --grid-crs EPSG:27700)")
    kind = "exceedance-days" if pollutant == "pm10d" else "concentration"
    units_assumed = False
    if pollutant == "pm10d":
        units = DAYS
    elif units is None:
        units = file_units
        if not units:
            units = UGM3
            units_assumed = not is_laei
    return GridInfo(
        pollutant=pollutant, year=year, edition=edition, units=units, kind=kind,
        layout=_GRID_SUFFIXES.get(src.suffix, "unknown"), source=str(src.path),
        member=src.member, sha256=sha256_file(src.path), member_sha256=_member_sha256(src),
        crs=crs, crs_assumed=crs_assumed, crs_note=note, units_assumed=units_assumed,
        synthetic=synthetic)


@functools.lru_cache(maxsize=64)
def _crs_key(crs: str) -> str:
    from pyproj import CRS

    try:
        c = CRS.from_user_input(crs)
    except Exception as err:  # pyproj raises its own CRSError subclasses
        raise CRSError(f"unknown CRS {crs!r}: {err}") from err
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.to_wkt()


def canonical_crs(crs) -> str:
    """Return ``EPSG:n`` where the CRS has an EPSG code, else its WKT."""
    return _crs_key(crs if isinstance(crs, str) else str(crs))


# --- readers -----------------------------------------------------------------------------

def _window_for(transform: Affine, shape: tuple[int, int], bounds,
                crs: str | None = None) -> tuple[int, int, int, int]:
    """Rows/cols (r0, r1, c0, c1) of the cells overlapping ``bounds``, with a one-cell margin.

    ``bounds`` may be a callable taking the file's CRS (None when it has none) and
    returning the bounds in that CRS, so a file is opened once, not peeked first.
    """
    h, w = shape
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


def _read_rasterio(src: GridSource, bounds):
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
        crs = ds.crs.to_string() if ds.crs else None
        r0, r1, c0, c1 = _window_for(ds.transform, (ds.height, ds.width), bounds, crs)
        win = Window(c0, r0, c1 - c0, r1 - r0)
        values = ds.read(1, window=win)
        # float32 grids (every LAEI grid) stay float32: NaN marks NODATA just as well,
        # and values_at() hands out float64, so no whole-grid copy is made here.
        if values.dtype != np.float32:
            values = values.astype("float64")
        nod = ds.nodata
        if nod is not None and not np.isnan(nod):
            values[values == np.asarray(nod).astype(values.dtype)] = np.nan
        # LAEI NODATA is -9999; some writers lose the nodata tag, so catch it anyway.
        values[values <= -9999] = np.nan
        flags = {f.name for f in ds.mask_flag_enums[0]}
        if flags & {"per_dataset", "alpha"}:  # an explicit mask band, not just NODATA
            values[ds.read_masks(1, window=win) == 0] = np.nan
        units = (ds.tags(1).get("units") or ds.units[0] or ds.tags().get("units") or None)
        transform = ds.transform @ Affine.translation(c0, r0)  # rasterio still uses affine `*`
        full_shape = (ds.height, ds.width)
    return values, transform, crs, units, full_shape, (r0, c0)


def _read_netcdf(src: GridSource, bounds, pollutant: str | None):
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    if src.member:
        raise InputError(f"{src.display}: NetCDF inside a zip is not supported; unzip it first")
    try:
        ds = xr.open_dataset(src.path, engine="h5netcdf", decode_coords="all")
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
        transform = da.rio.transform(recalc=True)
        full_shape = da.shape
        crs = da.rio.crs.to_string() if da.rio.crs else None
        r0, r1, c0, c1 = _window_for(transform, full_shape, bounds, crs)
        win = da.isel({ydim: slice(r0, r1), xdim: slice(c0, c1)})
        values = np.asarray(win.values, dtype="float64")
        nod = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
        if nod is not None and not np.isnan(nod):
            values[values == nod] = np.nan
        values[values <= -9999] = np.nan
        units = da.attrs.get("units")
    return (values, transform @ Affine.translation(c0, r0), crs, units, full_shape, (r0, c0),
            str(var))


_CSV_VALUE_COLUMNS = ("conc", "conct", "value", "concentration")


def _read_csv_points(src: GridSource, bounds, pollutant: str | None):
    """Read LAEI point CSVs (cell centres) into a regular grid."""
    import pandas as pd

    with src.open_binary() as fh:
        raw = fh.read()
    try:
        head = pd.read_csv(io.BytesIO(raw), nrows=5)
    except Exception as err:  # pandas raises ParserError, UnicodeDecodeError, EmptyDataError...
        raise InputError(f"cannot read {src.display} as CSV: {err}") from err
    cols = {c.strip().lower(): c for c in head.columns}
    if "x" not in cols or "y" not in cols:
        raise InputError(f"{src.display} is not an LAEI point CSV: it needs columns x and y, "
                         f"it has {', '.join(map(str, head.columns))}")
    value_col = next((cols[c] for c in _CSV_VALUE_COLUMNS if c in cols), None)
    if value_col is None and pollutant:
        for low, orig in cols.items():
            try:
                if normalise_pollutant(low) == pollutant:
                    value_col = orig
            except InputError:
                continue
    if value_col is None:
        rest = [orig for low, orig in cols.items() if low not in ("x", "y", "year")]
        if len(rest) == 1:
            value_col = rest[0]
        else:
            raise InputError(f"{src.display}: cannot tell the value column among "
                             f"{', '.join(rest)}; expected conc, conct or the pollutant name")
    df = pd.read_csv(io.BytesIO(raw), usecols=[cols["x"], cols["y"], value_col])
    df.columns = ["x", "y", "v"]
    for c in ("x", "y", "v"):
        bad = pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(f"{src.display} row {row}: column {c} is not a number "
                             f"({df[c].iloc[row - 2]!r})")
        df[c] = pd.to_numeric(df[c])
    df = df.dropna(subset=["x", "y"])
    if df.empty:
        raise InputError(f"{src.display} has no data rows")
    x = df["x"].to_numpy(float)
    y = df["y"].to_numpy(float)
    xs = np.unique(x)
    ys = np.unique(y)
    steps = np.concatenate([np.diff(xs), np.diff(ys)])
    if steps.size == 0:
        raise InputError(f"{src.display} holds a single point; a grid needs several")
    cs = float(steps.min())
    if cs <= 0 or not np.allclose(np.round(steps / cs), steps / cs, atol=1e-6):
        raise InputError(f"{src.display}: points are not on a regular grid "
                         f"(spacings {np.unique(np.round(steps, 3))[:5]} ...)")
    xmin, ymax = xs.min() - cs / 2, ys.max() + cs / 2
    ncols = int(round((xs.max() - xs.min()) / cs)) + 1
    nrows = int(round((ys.max() - ys.min()) / cs)) + 1
    full = np.full((nrows, ncols), np.nan)
    ci = np.rint((x - xs.min()) / cs).astype(np.int64)
    ri = np.rint((ys.max() - y) / cs).astype(np.int64)
    v = df["v"].to_numpy(float, copy=True)
    v[v <= -9999] = np.nan
    full[ri, ci] = v
    transform = Affine(cs, 0, xmin, 0, -cs, ymax)
    r0, r1, c0, c1 = _window_for(transform, full.shape, bounds)
    return (full[r0:r1, c0:c1], transform @ Affine.translation(c0, r0), None, None,
            full.shape, (r0, c0))


def read_grid(source: str | Path | GridSource, *, pollutant: str | None = None,
              year: int | None = None, edition: str | None = None,
              grid_crs: str | None = None, units: str | None = None,
              bounds: tuple[float, float, float, float] | None = None,
              synthetic: bool | None = None, info: GridInfo | None = None) -> Grid:
    """Read a grid file, or a window of it, into a :class:`Grid`.

    Parameters
    ----------
    source
        ``.asc`` (ESRI ASCII), ``.csv`` (LAEI points), ``.tif``, ``.nc``, a zip
        archive (the member is picked by pollutant and year) or ``zip!member``.
    pollutant, year, edition
        What the grid holds, where the file name does not say it.
    grid_crs
        The CRS of a grid file that carries none.
    units
        Units of a non-LAEI grid without a units tag.
    bounds
        Read only the cells overlapping (xmin, ymin, xmax, ymax), in the grid's CRS;
        or a callable taking the grid's CRS and returning those bounds (the file is
        then opened once).
    synthetic
        Mark the grid as synthetic demo data (default: detect the demo marker).
    info
        Provenance already known (from the catalogue); skips checksums.

    Returns
    -------
    Grid

    Raises
    ------
    InputError
        Missing, unreadable or unrecognised files.
    CRSError
        A grid with no CRS that is not an LAEI grid, when ``grid_crs`` is not given.
    """
    src = source if isinstance(source, GridSource) else resolve_source(source, pollutant, year)
    suffix = src.suffix
    from airq.read.defra import is_defra_csv, read_defra  # Defra 1 km background maps

    if info is None and suffix == ".csv" and is_defra_csv(src):
        return read_defra([src], pollutant=pollutant, year=year, edition=edition,
                          synthetic=synthetic)
    if suffix not in _GRID_SUFFIXES:
        raise InputError(f"unknown grid layout for {src.display}: airq reads .asc, .csv "
                         "(LAEI points), .tif, .nc and zip archives of them")
    named = parse_laei_name(src.name).pollutant
    if callable(bounds):
        wanted = bounds

        def bounds(file_crs):  # the file's CRS, else the one it will be given
            return wanted(canonical_crs(file_crs) if file_crs else (grid_crs or LAEI_CRS))
    try:
        if suffix == ".csv":
            prj = sidecar_crs(src.path, src.member)  # a .prj shipped beside the CSV
            vals, transform, crs, funits, full_shape, off = _read_csv_points(
                src, (lambda _none: bounds(prj)) if prj and callable(bounds) else bounds,
                pollutant or named)
            crs = crs or prj
        elif suffix in (".nc", ".nc4"):
            vals, transform, crs, funits, full_shape, off, var = _read_netcdf(
                src, bounds, pollutant or named)
            if pollutant is None and named is None:
                try:  # a NetCDF variable named after its pollutant says what it holds
                    pollutant = normalise_pollutant(var)
                except InputError:
                    pollutant = None
        else:
            vals, transform, crs, funits, full_shape, off = _read_rasterio(src, bounds)
    except (InputError, CRSError):
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise InputError(f"cannot read grid {src.display}: {err}") from err
    if info is None:
        if synthetic is None:
            from airq.demo import is_synthetic

            synthetic = is_synthetic(src.path)
        info = describe_source(src, pollutant=pollutant, year=year, edition=edition,
                               grid_crs=grid_crs, units=units, synthetic=synthetic,
                               file_crs=canonical_crs(crs) if crs else None, file_units=funits)
    if info.crs_assumed:
        # One wording for every grid, so a run over many grids reports it once.
        what = "Defra background map" if info.background else "LAEI grid"
        warnings.warn(f"the {what} files carry no CRS; {info.crs_note}", AssumedCRSWarning,
                      stacklevel=2)
    if info.kind == "concentration" and np.nanmax(vals, initial=-np.inf) > 1000:
        log.warning("%s: values above 1000 %s; is this really a concentration grid?",
                    src.display, info.units)
    return Grid(values=vals, transform=transform, crs=info.crs, info=info,
                full_shape=tuple(full_shape), window_offset=tuple(off))


def write_cog(grid: Grid, path: str | Path) -> None:
    """Write a whole grid as a Cloud-Optimised GeoTIFF (float32, NODATA -9999, DEFLATE).

    The provenance travels in the file's tags as well as in the catalogue index.
    """
    import rasterio

    data = np.where(np.isnan(grid.values), -9999.0, grid.values).astype("float32")
    h, w = data.shape
    profile = dict(driver="COG", width=w, height=h, count=1, dtype="float32",
                   crs=grid.crs, transform=grid.transform, nodata=-9999.0,
                   compress="DEFLATE", predictor=3, blocksize=256)
    # COG is a copy-only driver; rasterio writes through an in-memory dataset.
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        info = grid.info
        dst.update_tags(airq_pollutant=info.pollutant, airq_year=str(info.year),
                        airq_edition=str(info.edition), airq_source=Path(info.source).name,
                        airq_sha256=info.sha256, units=info.units)
        dst.update_tags(1, units=info.units)
