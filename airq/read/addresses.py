"""Read address points (ONSUD, OS Open UPRN, a council gazetteer) and postcode directories.

The only module that opens address files. Layouts (``DATA.md``):

- **ONS UPRN Directory (ONSUD)**: ``UPRN, GRIDGB1E, GRIDGB1N, PCDS, ...`` (eastings
  and northings in EPSG:27700, ``PCDS`` the postcode);
- **OS Open UPRN**: ``UPRN, X_COORDINATE, Y_COORDINATE, LATITUDE, LONGITUDE``; it has
  no postcode, and a postcode centroid cannot say which UPRNs share a postcode, so
  postcode selection is refused for it (see :mod:`airq.analyse.addresses`);
- **a council gazetteer** (LLPG, AddressBase): UPRN, street, house number, postcode,
  X, Y under the council's own column names, given as ``FIELD=COLUMN`` pairs
  (``--address-columns`` or ``address_columns`` in the settings) or recognised from
  common names.

Postcode directories give postcode centroids, never addresses: the ONS Postcode
Directory (``pcds`` with ``oseast1m``/``osnrth1m`` in older releases,
``east1m``/``north1m`` in 2025-26 releases; ``doterm`` set for terminated postcodes)
and Code-Point Open (header-less CSVs under ``Data/CSV/`` with the names in
``Doc/Code-Point_Open_Column_Headers.csv``).

Every reader checks structure (columns by name, duplicate UPRNs) and plausibility
(whole-number UPRNs, coordinates inside Great Britain's BNG extent, well-formed
postcodes) and stops with a one-line error naming the file, row and value.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from airq.errors import InputError

#: Fields of an address point; ``uprn``, ``x`` and ``y`` are required.
ADDRESS_FIELDS = ("uprn", "x", "y", "postcode", "street", "number")
#: British National Grid extent of Great Britain (EPSG:27700 metres).
GB_EXTENT = (0.0, 0.0, 700_000.0, 1_300_000.0)
#: Largest UPRN (12 digits).
MAX_UPRN = 999_999_999_999
#: Published column names of each layout (case is ignored when matching).
LAYOUTS = {
    "onsud": {"uprn": "UPRN", "x": "GRIDGB1E", "y": "GRIDGB1N", "postcode": "PCDS"},
    "os-open-uprn": {"uprn": "UPRN", "x": "X_COORDINATE", "y": "Y_COORDINATE"},
}
LAYOUT_NAMES = {"onsud": "ONS UPRN Directory (ONSUD)", "os-open-uprn": "OS Open UPRN",
                "gazetteer": "address gazetteer"}
# Column names a gazetteer often uses, compared without case, spaces or underscores.
_GAZETTEER_NAMES = {
    "uprn": ("uprn",),
    "x": ("x", "easting", "eastings", "xcoordinate", "xcoord", "gridgb1e"),
    "y": ("y", "northing", "northings", "ycoordinate", "ycoord", "gridgb1n"),
    "postcode": ("postcode", "postcodelocator", "pcds", "pcd"),
    "street": ("street", "streetname", "streetdescription", "streetdescriptor"),
    "number": ("number", "housenumber", "paon", "pao", "paostartnumber", "buildingnumber"),
}
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


# --------------------------------------------------------------------------- postcodes


def normalise_postcode(text: str) -> str | None:
    """Return a UK postcode as outward code, one space, inward code; None if malformed.

    Case and spaces are forgiven (``rm66ea``, `` RM6 6EA ``, ``RM6  6EA``).

    Examples
    --------
    >>> normalise_postcode(" rm66ea ")
    'RM6 6EA'
    >>> normalise_postcode("SW1A1AA")
    'SW1A 1AA'
    >>> normalise_postcode("RM6") is None
    True
    """
    compact = re.sub(r"\s+", "", str(text)).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else None


def postcode_sector(postcode: str) -> str:
    """Return the sector of a normalised postcode: outward code, space, inward digit."""
    return postcode[:-2]


def _mask(arr) -> np.ndarray:
    """Return a pyarrow boolean array as a numpy mask (null counts as false)."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _normalise_column(values) -> tuple[pd.Series, np.ndarray]:
    """Normalise postcodes (pyarrow text); return them (NA where blank) and a malformed mask."""
    import pyarrow.compute as pc

    text = pc.replace_substring_regex(pc.utf8_upper(values), r"\s+", "")
    blank = _mask(pc.equal(text, ""))
    ok = _mask(pc.match_substring_regex(text, "^" + _POSTCODE.pattern.strip("^$") + "$")) | \
        _mask(pc.equal(text, "GIR0AA"))
    bad = ~blank & ~ok
    norm = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, -3),
                                       pc.utf8_slice_codeunits(text, -3), " ")
    out = pd.Series(norm.to_pandas(), dtype="string")
    return out.mask(blank | bad), bad


# --------------------------------------------------------------------------- addresses


@dataclass(frozen=True, eq=False)
class Addresses:
    """Address points read from one file, checked.

    Attributes
    ----------
    frame
        One row per address: ``uprn`` (int64), ``x``, ``y`` (EPSG:27700 metres),
        ``postcode`` (normalised, NA if none), ``street`` and ``number`` (NA if the
        file has none), ``row`` (the line in the file).
    source, sha256
        The file read and the SHA-256 of its bytes.
    layout
        ``onsud``, ``os-open-uprn`` or ``gazetteer``.
    columns
        The file's column for each field used.
    member
        The zip member read, or None.
    """

    frame: pd.DataFrame
    source: str
    sha256: str
    layout: str
    columns: dict
    member: str | None = None
    synthetic: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """The file name (with ``!member``)."""
        n = Path(self.source).name
        return f"{n}!{self.member}" if self.member else n

    @property
    def has_postcodes(self) -> bool:
        """Whether the file gives addresses postcodes."""
        return "postcode" in self.columns

    @property
    def has_streets(self) -> bool:
        """Whether the file gives addresses street names."""
        return "street" in self.columns

    def to_dict(self) -> dict:
        """Return provenance as JSON-ready values (an ``inputs`` entry without ``role``)."""
        return {"source": self.source, "sha256": self.sha256, "member": self.member,
                "name": LAYOUT_NAMES[self.layout], "layout": self.layout,
                "columns": dict(self.columns), "n_addresses": int(len(self.frame)),
                "crs": "EPSG:27700",
                "crs_note": "British National Grid eastings and northings, as published",
                "synthetic": self.synthetic}


def _split_member(path) -> tuple[Path, str | None]:
    from airq.read.inspire import split_member

    return split_member(path)


@contextlib.contextmanager
def _zip_member(p: Path, member: str):
    with zipfile.ZipFile(p) as zf, zf.open(member) as fh:
        yield fh


def _open_text(path, what: str, suffixes=(".csv",)):
    """Return (file path, member, opener) for a CSV or a CSV inside a zip.

    ``opener()`` opens a new binary stream each time: the header is read first,
    then the file is streamed to the CSV parser (an ONSUD region or the ONSPD is
    too large to hold twice).
    """
    p, member = _split_member(path)
    if not p.exists():
        raise InputError(f"{what} file {p} not found")
    if p.is_dir():
        raise InputError(f"{p} is a folder; give the {what} CSV file (or its zip)")
    if p.suffix.lower() != ".zip":
        return p, None, lambda: p.open("rb")
    try:
        with zipfile.ZipFile(p) as zf:
            all_names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"{p.name} is not a readable zip archive: {err}") from err
    names = [n for n in all_names if PurePosixPath(n).suffix.lower() in suffixes
             and not PurePosixPath(n).name.startswith("._")]
    if member is None:
        if len(names) != 1:
            listed = ", ".join(names[:8]) or "none"
            raise InputError(f"{p.name} holds {len(names)} CSV files ({listed}); name one as "
                             f"{p.name}!MEMBER")
        member = names[0]
    if member not in all_names:
        raise InputError(f"{p.name} has no member {member!r}")
    return p, member, lambda: _zip_member(p, member)


def _read_text_columns(opener, display: str, columns: list[str],
                       names: list[str] | None = None):
    """Stream the CSV to pyarrow; return ``columns`` as a table of text (checked later).

    ``names`` gives the column names of a header-less file (Code-Point Open).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        with opener() as fh:
            table = pacsv.read_csv(
                fh, read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
                convert_options=pacsv.ConvertOptions(
                    include_columns=columns, column_types={c: pa.string() for c in columns},
                    strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowKeyError) as err:
        raise InputError(f"cannot read {display} as CSV: {err}") from err
    return table


def _head(opener) -> bytes:
    with opener() as fh:
        return fh.read(1 << 16)


def _header(data: bytes, display: str) -> list[str]:
    line = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip("\r")
    try:
        names = next(csv.reader([line]))
    except (csv.Error, StopIteration) as err:
        raise InputError(f"{display}: cannot read the header row ({err})") from err
    return [n.strip() for n in names]


def _find(names: list[str], wanted: str) -> str | None:
    by_lower = {n.lower(): n for n in names}
    return by_lower.get(wanted.lower())


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def detect_layout(names: list[str], columns: dict | None = None) -> tuple[str, dict]:
    """Return the layout and the field-to-column mapping for a header.

    Parameters
    ----------
    names
        The file's column names.
    columns
        ``{field: column}`` given by the user (a gazetteer's own names); fields are
        those of :data:`ADDRESS_FIELDS`.

    Raises
    ------
    InputError
        A named column is missing, or no layout fits (the message lists the columns
        and the option that names them).
    """
    dupes = sorted({n for n in names if sum(_squash(m) == _squash(n) for m in names) > 1})
    if columns:
        unknown = sorted(set(columns) - set(ADDRESS_FIELDS))
        if unknown:
            raise InputError(f"address columns: unknown field {unknown[0]!r}; fields are "
                             f"{', '.join(ADDRESS_FIELDS)}")
        mapping = {}
        for fld, col in columns.items():
            found = _find(names, col)
            if found is None:
                raise InputError(f"no column {col!r} (for {fld}); its columns are "
                                 f"{', '.join(names)}")
            mapping[fld] = found
        missing = [f for f in ("uprn", "x", "y") if f not in mapping]
        if missing:
            auto = {} if dupes else _guess(names)
            for f in missing:
                if f not in auto:
                    raise InputError(f"address columns: say which column holds {f} "
                                     f"(e.g. --address-columns {f}=COLUMN); the file's "
                                     f"columns are {', '.join(names)}")
                mapping[f] = auto[f]
        return "gazetteer", mapping
    for layout, cols in LAYOUTS.items():
        found = {f: _find(names, c) for f, c in cols.items()}
        if all(found.values()):
            return layout, found
    mapping = _guess(names)
    if all(f in mapping for f in ("uprn", "x", "y")):
        return "gazetteer", mapping
    raise InputError(
        "cannot tell the address layout from the columns " + ", ".join(names[:15])
        + ("..." if len(names) > 15 else "") + "; expected ONSUD (UPRN, GRIDGB1E, GRIDGB1N, "
        "PCDS), OS Open UPRN (UPRN, X_COORDINATE, Y_COORDINATE) or a gazetteer whose columns "
        "you name with --address-columns uprn=COL,x=COL,y=COL,postcode=COL,street=COL")


def _guess(names: list[str]) -> dict:
    """Fields found under a gazetteer's common column names."""
    squashed = {}
    for n in names:
        squashed.setdefault(_squash(n), n)
    mapping = {}
    for fld, options in _GAZETTEER_NAMES.items():
        hit = next((squashed[o] for o in options if o in squashed), None)
        if hit is not None:
            mapping[fld] = hit
    return mapping


def _row_error(display: str, rows: np.ndarray, column: str, values, what: str) -> InputError:
    first = int(np.flatnonzero(rows)[0])
    n = int(rows.sum())
    more = f" (and {n - 1} more rows)" if n > 1 else ""
    return InputError(f"{display} row {first + 2}: {column} {values[first]!r} {what}{more}")


_NUMBER = r"^[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?$"


def _values(arr) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)


def _parse_uprn(text, display: str, column: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(text)
    blank = _mask(pc.equal(s, ""))
    if blank.any():
        raise _row_error(display, blank, column, _values(s), "is empty; every address "
                         "needs its UPRN")
    digits = _mask(pc.match_substring_regex(s, r"^[0-9]{1,12}([.]0+)?$"))
    if not digits.all():
        raise _row_error(display, ~digits, column, _values(s),
                         "is not a whole number of up to 12 digits (a spreadsheet may have "
                         "written it in scientific notation and lost digits); export the "
                         "UPRNs as text")
    u = pc.cast(pc.replace_substring_regex(s, r"[.]0+$", ""), pa.int64()).to_numpy()
    bad = u <= 0
    if bad.any():
        raise _row_error(display, bad, column, _values(s), "is not a UPRN (must be 1 or more)")
    return u


def _parse_coord(text, display: str, column: str, lo: float, hi: float,
                 axis: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(text)
    ok = _mask(pc.match_substring_regex(s, _NUMBER))
    if not ok.all():
        raise _row_error(display, ~ok, column, _values(s),
                         f"is not a number; {column} is the {axis} in metres (EPSG:27700)")
    v = pc.cast(s, pa.float64()).to_numpy()
    out = (v < lo) | (v > hi)
    if out.any():
        raise _row_error(display, out, column, _values(s),
                         f"lies outside Great Britain's British National Grid extent "
                         f"({axis} {lo:.0f}-{hi:.0f} m); are these {axis}s in EPSG:27700 "
                         "metres (not latitude/longitude, not swapped)?")
    return v


def _check_not_degrees(frame: pd.DataFrame, display: str, mapping: dict) -> None:
    """Refuse positions that are degrees (or 0,0), not British National Grid metres.

    No address in Great Britain lies within 180 m east and 90 m north of the
    grid's false origin (open sea south-west of the Isles of Scilly), so such a
    pair is longitude/latitude in the easting/northing columns, or a missing
    position written as zeros: never a place to pool figures at.
    """
    deg = ((frame["x"].abs() <= 180) & (frame["y"].abs() <= 90)).to_numpy()
    if deg.any():
        shown = np.full(len(frame), "", dtype=object)
        shown[deg] = [f"{x:g},{y:g}" for x, y in zip(frame["x"].to_numpy()[deg],
                                                    frame["y"].to_numpy()[deg], strict=True)]
        raise _row_error(display, deg, f"{mapping['x']},{mapping['y']}", shown,
                         "looks like longitude/latitude in degrees (or a missing position "
                         "written as 0), not an easting and northing in EPSG:27700 metres; "
                         "give the columns that hold British National Grid metres")


def read_addresses(path: str | Path, *, columns: dict | None = None) -> Addresses:
    """Read address points from ONSUD, OS Open UPRN or a council gazetteer CSV.

    Parameters
    ----------
    path
        A CSV file, a zip holding one, or ``archive.zip!member.csv``.
    columns
        ``{field: column}`` for a gazetteer's own column names (fields
        ``uprn, x, y, postcode, street, number``); default: recognise the layout.

    Returns
    -------
    Addresses

    Raises
    ------
    InputError
        Missing file, unknown layout, a missing column, an empty or non-integer
        UPRN, a duplicate UPRN, a coordinate outside Great Britain, a malformed
        postcode; each names the row.

    Examples
    --------
    >>> a = read_addresses("ONSUD_MAY_2025_LN.csv")  # doctest: +SKIP
    >>> a.frame[["uprn", "postcode"]].head(1)  # doctest: +SKIP
    """
    from airq.demo import is_synthetic
    from airq.read.grids import sha256_file

    p, member, opener = _open_text(path, "address")
    display = f"{p.name}!{member}" if member else p.name
    head = _head(opener)
    if not head.strip():
        raise InputError(f"{display} is empty")
    names = _header(head, display)
    try:
        layout, mapping = detect_layout(names, columns)
    except InputError as err:
        raise InputError(f"{display}: {err}") from err
    wanted = list(dict.fromkeys(mapping.values()))
    table = _read_text_columns(opener, display, wanted)
    n = table.num_rows
    if n == 0:
        raise InputError(f"{display} holds a header but no address")

    def col(fld):
        return table.column(mapping[fld])

    frame = pd.DataFrame({
        "uprn": _parse_uprn(col("uprn"), display, mapping["uprn"]),
        "x": _parse_coord(col("x"), display, mapping["x"], GB_EXTENT[0], GB_EXTENT[2],
                          "easting"),
        "y": _parse_coord(col("y"), display, mapping["y"], GB_EXTENT[1], GB_EXTENT[3],
                          "northing"),
    })
    _check_not_degrees(frame, display, mapping)
    if "postcode" in mapping:
        pcs, bad = _normalise_column(col("postcode"))
        if bad.any():
            raise _row_error(display, bad, mapping["postcode"], _values(col("postcode")),
                             "is not a well-formed UK postcode (outward code, inward code, "
                             "e.g. RM6 6EA)")
        frame["postcode"] = pcs.to_numpy()
    else:
        frame["postcode"] = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="string").array
    for fld in ("street", "number"):
        if fld in mapping:
            v = pd.Series(col(fld).to_pandas(), dtype="string").str.strip().str.replace(
                r"\s+", " ", regex=True)
            frame[fld] = v.where(v != "", pd.NA).to_numpy()
        else:
            frame[fld] = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="string").array
    for c in ("postcode", "street", "number"):
        frame[c] = frame[c].astype("string")
    frame["row"] = np.arange(2, n + 2, dtype=np.int64)
    dup = frame["uprn"].duplicated(keep=False).to_numpy()
    if dup.any():
        first = frame["uprn"].to_numpy()[dup][0]
        rows = frame["row"].to_numpy()[frame["uprn"].to_numpy() == first]
        raise InputError(f"{display}: UPRN {first} appears on rows "
                         f"{', '.join(str(r) for r in rows[:5])} ({int(dup.sum())} rows share a "
                         "UPRN); each address point must appear once")
    return Addresses(frame=frame, source=str(p), sha256=sha256_file(p), layout=layout,
                     columns=mapping, member=member, synthetic=is_synthetic(p))


# --------------------------------------------------------------------------- postcodes


#: Column names of each postcode directory layout (case ignored).
POSTCODE_LAYOUTS = {
    "onspd": {"postcode": "pcds", "x": "oseast1m", "y": "osnrth1m", "terminated": "doterm"},
    "onspd-2025": {"postcode": "pcds", "x": "east1m", "y": "north1m", "terminated": "doterm"},
}
CODE_POINT_HEADERS = "Code-Point_Open_Column_Headers.csv"
_CODE_POINT_NAMES = {"postcode": "Postcode", "x": "Eastings", "y": "Northings"}


@dataclass(frozen=True, eq=False)
class PostcodeDirectory:
    """Postcode centroids (not addresses): ``postcode``, ``x``, ``y``, ``terminated``."""

    frame: pd.DataFrame
    source: str
    sha256: str
    layout: str

    def centroid(self, postcode: str) -> tuple[float, float, bool] | None:
        """Return (x, y, terminated) of a normalised postcode, or None if unknown."""
        hit = self.frame[self.frame["postcode"] == postcode]
        if hit.empty:
            return None
        r = hit.iloc[0]
        return float(r["x"]), float(r["y"]), bool(r["terminated"])

    def to_dict(self) -> dict:
        """Return provenance as JSON-ready values."""
        return {"source": self.source, "sha256": self.sha256, "layout": self.layout,
                "name": {"onspd": "ONS Postcode Directory",
                         "onspd-2025": "ONS Postcode Directory (2025 column names)",
                         "code-point-open": "OS Code-Point Open"}[self.layout],
                "n_postcodes": int(len(self.frame)), "crs": "EPSG:27700",
                "crs_note": "postcode centroids, British National Grid"}


def _code_point_names(p: Path) -> list[str] | None:
    """Column names from Code-Point Open's header file, found beside ``Data/CSV/x.csv``."""
    for folder in [p.parent, *p.parents][:4]:
        f = folder / "Doc" / CODE_POINT_HEADERS
        if f.is_file():
            return _code_point_header(f.read_bytes())
    return None


def _code_point_header(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"))))
    for row in rows:
        if any(c.strip().lower() == "eastings" for c in row):
            return [c.strip() for c in row]
    raise InputError(f"{CODE_POINT_HEADERS} has no row naming Postcode, Eastings, Northings")


def read_postcode_directory(path: str | Path) -> PostcodeDirectory:
    """Read postcode centroids from ONSPD (either column naming) or Code-Point Open.

    Parameters
    ----------
    path
        An ONSPD CSV (or zip member), Code-Point Open's zip (``Doc/`` header file and
        ``Data/CSV/*.csv``), or one of its header-less ``Data/CSV`` files inside the
        extracted folder (the header file is found in ``Doc/`` above it).

    Raises
    ------
    InputError
        Unknown layout, missing columns, malformed postcodes or coordinates.
    """
    from airq.read.grids import sha256_file

    p, member = _split_member(path)
    if not p.exists():
        raise InputError(f"postcode directory {p} not found")
    frames = []
    layout = None
    if p.suffix.lower() == ".zip" and member is None:
        with zipfile.ZipFile(p) as zf:
            heads = [n for n in zf.namelist() if PurePosixPath(n).name == CODE_POINT_HEADERS]
            if heads:
                names = _code_point_header(zf.read(heads[0]))
                layout = "code-point-open"
                for n in zf.namelist():
                    if "/data/csv/" in f"/{n.lower()}" and n.lower().endswith(".csv"):
                        frames.append(_read_points(lambda n=n: _zip_member(p, n),
                                                   f"{p.name}!{n}", names, header=False))
                if not frames:
                    raise InputError(f"{p.name} holds no Data/CSV/*.csv file")
    if layout is None:
        p, member, opener = _open_text(path, "postcode directory")
        display = f"{p.name}!{member}" if member else p.name
        names = _header(_head(opener), display)
        if any(n.lower() in ("pcds", "pcd", "pcd7") for n in names):
            layout = ("onspd-2025" if _find(names, "east1m") else "onspd")
            frames.append(_read_points(opener, display, names, header=True, layout=layout))
        else:
            cp = _code_point_names(p)
            if cp is None:
                raise InputError(f"{display} is neither ONSPD (pcds, oseast1m/east1m...) nor "
                                 "Code-Point Open (no Doc/" + CODE_POINT_HEADERS + " above it); "
                                 "give the Code-Point Open zip")
            layout = "code-point-open"
            frames.append(_read_points(opener, display, cp, header=False))
    frame = pd.concat(frames, ignore_index=True).drop_duplicates("postcode", keep="first")
    return PostcodeDirectory(frame=frame.reset_index(drop=True), source=str(p),
                             sha256=sha256_file(p), layout=layout)


def _read_points(opener, display: str, names: list[str], *, header: bool,
                 layout: str = "code-point-open") -> pd.DataFrame:

    if layout == "code-point-open":
        cols = {f: _find(names, c) for f, c in _CODE_POINT_NAMES.items()}
    else:
        cols = {f: _find(names, c) for f, c in POSTCODE_LAYOUTS[layout].items()}
        if cols["postcode"] is None:
            cols["postcode"] = _find(names, "pcd7") or _find(names, "pcd")
    missing = [POSTCODE_LAYOUTS.get(layout, _CODE_POINT_NAMES).get(f, f)
               for f, c in cols.items() if c is None and f != "terminated"]
    if missing:
        raise InputError(f"{display} has no column {missing[0]!r}; its columns are "
                         f"{', '.join(names[:20])}")
    use = [c for c in cols.values() if c is not None]
    table = _read_text_columns(opener, display, use, None if header else names)
    pcs, bad = _normalise_column(table.column(cols["postcode"]))
    if bad.any():
        raise _row_error(display, bad, cols["postcode"], _values(table.column(cols["postcode"])),
                         "is not a well-formed UK postcode")
    keep = pcs.notna().to_numpy()
    df = table.to_pandas()
    x = pd.to_numeric(df[cols["x"]], errors="coerce").to_numpy(float)
    y = pd.to_numeric(df[cols["y"]], errors="coerce").to_numpy(float)
    if cols.get("terminated"):
        term = (df[cols["terminated"]].astype("string").str.strip() != "").to_numpy(bool)
    else:
        term = np.zeros(len(df), dtype=bool)
    return pd.DataFrame({"postcode": pcs.to_numpy()[keep], "x": x[keep], "y": y[keep],
                         "terminated": term[keep]})
