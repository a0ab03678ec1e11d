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
import logging
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from affine import Affine

from airq.errors import AssumedCRSWarning, AssumedUnitsWarning, CRSError, InputError

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


# Spellings of units in files and on the command line (after removing spaces, lower case).
_SPELLINGS = {
    "µg/m³": UGM3, "μg/m³": UGM3, "ug/m3": UGM3, "µg/m3": UGM3, "μg/m3": UGM3, "ugm-3": UGM3,
    "µgm-3": UGM3, "μgm-3": UGM3, "ug.m-3": UGM3, "ugm3": UGM3, "ug/m^3": UGM3,
    "micrograms/m3": UGM3, "microgramspercubicmetre": UGM3, "microgrampercubicmetre": UGM3,
    "mg/m3": "mg/m³", "mg/m³": "mg/m³", "mgm-3": "mg/m³",
    "ng/m3": "ng/m³", "ng/m³": "ng/m³", "ngm-3": "ng/m³",
    "ppb": "ppb", "ppbv": "ppb", "nmol/mol": "ppb", "ppm": "ppm", "ppmv": "ppm",
    "days": DAYS, "day": DAYS,
}


def normalise_units(text: str | None) -> str | None:
    """Return airq's spelling of a unit (``ug/m3`` -> ``µg/m³``); the text itself if unknown.

    Examples
    --------
    >>> normalise_units("ug m-3"), normalise_units("PPB")
    ('µg/m³', 'ppb')
    """
    if text is None:
        return None
    key = "".join(str(text).split()).lower().replace("**", "^")
    return _SPELLINGS.get(key, str(text).strip())



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
    units_note: str | None = None  # how the values were converted for the objectives

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
    ``nan_cells`` (same shape as ``values``, or None) marks cells holding NaN that the
    file does not declare NODATA: implausible values, refused where they are sampled.
    """

    values: np.ndarray
    transform: Affine
    crs: str
    info: GridInfo
    full_shape: tuple[int, int]
    window_offset: tuple[int, int] = (0, 0)
    nan_cells: np.ndarray | None = None

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
        """Open the file or archive member for reading bytes.

        A member damaged inside its archive (bad CRC, corrupt compressed data, cut
        short) or compressed in a way Python cannot read raises InputError naming it.
        """
        if self.member:
            return _ZipMember(self)
        return open(self.path, "rb")


#: What zipfile raises for a member damaged inside its archive, or compressed with an
#: unsupported method (Deflate64 from Windows' own zip writer, for instance).
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


class _ZipMember:
    """A zip member open for reading; damage found while reading is an InputError."""

    def __init__(self, src: GridSource):
        self._display = src.display
        self._zf = None
        self._fh = None
        try:
            self._zf = zipfile.ZipFile(src.path)
            self._fh = self._zf.open(src.member)
        except ZIP_DAMAGE as err:
            self.close()
            raise self._damaged(err) from err
        except KeyError as err:
            self.close()
            raise InputError(f"{src.path} has no member {src.member!r}") from err

    def _damaged(self, err) -> InputError:
        return InputError(f"{self._display} cannot be read from its zip archive ({err}): the "
                          "archive is damaged or uses a compression Python cannot read; "
                          "download it again, or unzip it and give the file")

    def read(self, n: int = -1) -> bytes:
        try:
            return self._fh.read(n)
        except ZIP_DAMAGE as err:
            raise self._damaged(err) from err

    def close(self) -> None:
        for f in (self._fh, self._zf):
            if f is not None:
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    seen: set[str] = set()
    for src in found:
        if src.member in seen:  # zipfile opens the last of them; which was meant is a guess
            raise InputError(f"{p} holds two members named {src.member}; airq cannot tell which "
                             "is meant: unzip the one you mean and give the file")
        seen.add(src.member)
    if not found:
        inner = [n for n in names if n.lower().endswith(".zip")]
        if inner:
            raise InputError(f"{p} holds no grid file but {len(inner)} zip archive"
                             f"{'s' * (len(inner) != 1)} ({inner[0]}...): unzip it and give the "
                             "inner archive")
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
                    file_crs: str | None = None, file_units: str | None = None,
                    file_year: int | None = None,
                    file_pollutant: str | None = None) -> GridInfo:
    """Combine what the file name, the file and the user say into a GridInfo.

    Where the user, the LAEI file name and the file's content (a CSV's ``year`` column,
    a column or variable named after a pollutant) state the pollutant or the model
    year, they must agree: any contradiction is an error naming both, as is a PM10d
    (day count) grid offered as a PM10 concentration.
    """
    named = parse_laei_name(src.name)
    _agree(src, "pollutant", [("you gave", pollutant),
                              (f"the file name {src.name} says", named.pollutant),
                              ("the file's value column says", file_pollutant)])
    _agree(src, "model year", [("you gave", year),
                               (f"the file name {src.name} says", named.year),
                               (f"the file's year {_YEAR_HOLDER.get(src.suffix, 'column')} "
                                "says", file_year)])
    pollutant = pollutant or named.pollutant or file_pollutant
    if pollutant is None:
        raise InputError(f"cannot tell the pollutant of {src.display} from its name; "
                         "give it (--pollutant, or POLLUTANT:YEAR=PATH)")
    year = year or named.year or file_year
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
    units, file_units = normalise_units(units), normalise_units(file_units)
    # --units names the units of every --grid file; a day-count grid among them keeps days.
    _day_counts_apart(src, pollutant, [("you gave", None if pollutant == "pm10d" else units),
                                       ("the file states", file_units)])
    if units and file_units and units != file_units and pollutant != "pm10d":
        raise InputError(f"{src.display} states its units as {file_units} but you gave "
                         f"{units}; leave out --units or correct it")
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


#: Where a file states its model year, by format (a CSV's column, a NetCDF attribute).
_YEAR_HOLDER = {".nc": "attribute", ".nc4": "attribute"}


def _day_counts_apart(src: GridSource, pollutant: str, statements: list) -> None:
    """Refuse units that make a day count of a concentration, or a concentration of one.

    A PM10d grid counts days above 50 µg/m³; compared with an annual-mean objective
    (or a concentration read as a day count) it gives a plausible, wrong verdict.
    """
    for who, units in statements:
        if not units:
            continue
        if pollutant == "pm10d" and units != DAYS:
            raise InputError(
                f"{src.display}: {who} units {units}, a concentration, but pm10d is the number "
                "of days with daily-mean PM10 above 50 µg/m³; give a concentration grid as "
                "pm10 (or pm25, no2...)")
        if pollutant != "pm10d" and units == DAYS:
            raise InputError(
                f"{src.display}: {who} units {units}, a day count, not a {pollutant} "
                "concentration; a PM10 exceedance-day grid is given as pm10d "
                "(e.g. --grid pm10d:YEAR=FILE)")


def _agree(src: GridSource, what: str, statements: list) -> None:
    """Raise if two sources state different values of ``what`` (None says nothing)."""
    given = [(who, v) for who, v in statements if v is not None]
    for who, v in given[1:]:
        first_who, first = given[0]
        if v == first:
            continue
        if what == "pollutant" and "pm10d" in (v, first):
            raise InputError(
                f"{src.display} is a PM10d grid: the number of days with daily-mean PM10 above "
                f"50 µg/m³, not a concentration; give it as pm10d, not "
                f"{first if v == 'pm10d' else v}")
        raise InputError(f"{src.display}: {first_who} {what} {first} but {who} {v}; check "
                         f"the file or the {what} you gave")


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


def _refuse_degrees(info, display: str) -> None:
    """Refuse a grid in a geographic CRS: its cells are degrees, not the metres airq reports.

    Cell sizes, distances and the "20 m grid point" wording all assume a projected
    grid; a longitude/latitude grid must be projected first.
    """
    from pyproj import CRS

    try:
        geographic = CRS.from_user_input(info.crs).is_geographic
    except Exception:  # an unusual WKT that PROJ cannot read: left to the readers
        return
    if geographic:
        raise InputError(f"grid {display} is in degrees ({info.crs}), not metres; project it "
                         "first, e.g. `gdalwarp -t_srs EPSG:27700 -tr 20 20 in.tif out.tif`, "
                         "then use the projected file")


# --- readers -----------------------------------------------------------------------------

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
    from airq.read import grid_formats

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
            fr = grid_formats.read_points(src, bounds, pollutant or named)
        elif suffix == ".asc":
            fr = grid_formats.read_ascii(src, bounds)
        elif suffix in (".nc", ".nc4"):
            fr = grid_formats.read_netcdf(src, bounds, pollutant or named)
        else:
            fr = grid_formats.read_rasterio(src, bounds)
    except (InputError, CRSError):
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise InputError(f"cannot read grid {src.display}: {err}") from err
    if info is None:
        info = describe_source(src, pollutant=pollutant, year=year, edition=edition,
                               grid_crs=grid_crs, units=units, synthetic=bool(synthetic),
                               file_crs=canonical_crs(fr.crs) if fr.crs else None,
                               file_units=fr.units, file_year=fr.year,
                               file_pollutant=fr.pollutant)
        if synthetic is None:
            from airq.demo import is_demo_checksum, is_synthetic

            # Recognised by content: a renamed copy anywhere, or airq's own catalogue
            # copy (its tags carry the source's checksum), is still the demo data.
            found = (is_demo_checksum(info.member_sha256 or info.sha256)
                     or is_demo_checksum(fr.tags.get("airq_sha256"))
                     or is_synthetic(src.path, sha256=info.sha256))
            info = dataclasses.replace(info, synthetic=found)
    _refuse_degrees(info, src.display)
    if info.crs_assumed:
        # One wording for every grid, so a run over many grids reports it once.
        what = "Defra background map" if info.background else "LAEI grid"
        warnings.warn(f"the {what} files carry no CRS; {info.crs_note}", AssumedCRSWarning,
                      stacklevel=2)
    if info.units_assumed:
        warnings.warn(f"{Path(info.source).name}: the grid states no units; assumed "
                      f"{info.units} (give --units if that is wrong)", AssumedUnitsWarning,
                      stacklevel=2)
    return Grid(values=fr.values, transform=fr.transform, crs=info.crs, info=info,
                full_shape=tuple(fr.full_shape), window_offset=tuple(fr.offset),
                nan_cells=fr.nan_cells)


def write_cog(grid: Grid, path: str | Path) -> None:
    """Write a whole grid as a Cloud-Optimised GeoTIFF (float32, NODATA -9999, DEFLATE).

    NODATA is written as -9999 unless -9999 occurs as a value (an undeclared sentinel),
    then as the lowest float32; NaN the source did not declare NODATA is written as NaN.

    The provenance travels in the file's tags as well as in the catalogue index.
    """
    import rasterio

    values = grid.values.astype("float32")
    nodata = np.float32(-9999.0)
    if np.any(values == nodata):
        # -9999 here is a value (a sentinel the source did not declare NODATA): keep it a
        # value, so it is still refused as implausible when sampled, and mark NODATA so.
        nodata = np.finfo(np.float32).min
    data = np.where(np.isnan(values), nodata, values).astype("float32")
    if grid.nan_cells is not None:
        data[grid.nan_cells] = np.nan  # NaN not declared NODATA stays NaN (implausible)
    h, w = data.shape
    profile = dict(driver="COG", width=w, height=h, count=1, dtype="float32",
                   crs=grid.crs, transform=grid.transform, nodata=float(nodata),
                   compress="DEFLATE", predictor=3, blocksize=256)
    # COG is a copy-only driver; rasterio writes through an in-memory dataset.
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        info = grid.info
        dst.update_tags(airq_pollutant=info.pollutant, airq_year=str(info.year),
                        airq_edition=str(info.edition), airq_source=Path(info.source).name,
                        airq_sha256=info.sha256, units=info.units)
        dst.update_tags(1, units=info.units)
