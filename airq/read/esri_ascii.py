"""Strict reader for ESRI ASCII grids (``.asc``, the layout of every LAEI grid).

GDAL's AAIGrid driver is lenient: it reads ``abc`` as 0, tolerates short rows and a
wrong ``ncols``, so a damaged file gives a plausible wrong number. airq parses the text
itself: the header key by key, then every row, which must hold exactly ``ncols``
numbers (or the declared NODATA), and exactly ``nrows`` rows. The whole text is
parsed at once by pandas' C parser (about a second for the 70 MB LAEI 2019 grid);
only when something is wrong is the text walked line by line to name the first bad
line.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass

import numpy as np
from affine import Affine

from airq.errors import InputError
from airq.read.cells import cell_centre_text

#: Header keys (lower case) and what they set. ``xllcenter``/``yllcenter`` give the
#: centre of the lower-left cell, ``dx``/``dy`` are accepted only when equal.
HEADER_KEYS = {
    "ncols": "ncols", "nrows": "nrows", "xllcorner": "xll", "xllcenter": "xll",
    "yllcorner": "yll", "yllcenter": "yll", "cellsize": "cellsize", "dx": "dx", "dy": "dy",
    "nodata_value": "nodata",
}  # fmt: skip
#: NODATA when the header declares none: the ESRI default (and the LAEI's value).
DEFAULT_NODATA = -9999.0
#: Spellings of NaN that parse as a number (NaN is then an implausible value, not NODATA,
#: unless the header declares NODATA_value nan).
NAN_TOKENS = ("nan", "NaN", "NAN", "-nan", "-NaN", "+nan")
# One number as the parser accepts it: decimal with optional exponent, inf, nan.
_NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity)", re.IGNORECASE)
_NAN = re.compile(r"[+-]?nan", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class AsciiGrid:
    """An ESRI ASCII grid as parsed: float64 values (NaN = NODATA) and where they lie.

    Attributes
    ----------
    values
        (nrows, ncols) float64, the numbers as written; NODATA cells are NaN.
    transform
        Affine transform of the top-left corner, square cells.
    nodata
        The NODATA value the header declares (or the ESRI default when it declares none).
    nodata_declared
        Whether the header has a ``NODATA_value`` line.
    nan_cells
        Where the text holds ``nan`` but NODATA is another value (None when nowhere):
        such cells are implausible, not NODATA.
    """

    values: np.ndarray
    transform: Affine
    nodata: float
    nodata_declared: bool
    nan_cells: np.ndarray | None


def _is_number(token: str) -> bool:
    return bool(_NUMBER.fullmatch(token) or _NAN.fullmatch(token))


def _header_error(display: str, line_no: int, text: str) -> InputError:
    return InputError(f"{display} line {line_no}: {text}")


def quoted_cut(text: str, limit: int = 60) -> str:
    """Quote a header token or line for a message, cut short.

    A binary file, or CR-only line ends, would otherwise put the whole file on one line.
    """
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _parse_header(raw: bytes, display: str) -> tuple[dict, int, int]:
    """Return (header values, byte offset of the first data line, its line number)."""
    header: dict = {}
    pos, line_no = 0, 1
    if raw.startswith(b"\xef\xbb\xbf"):
        pos = 3  # a UTF-8 byte-order mark some editors add
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        tokens = raw[pos:end].split()
        if tokens:
            first = tokens[0].decode("latin-1")
            key = first.lower()
            keylike = len(tokens) == 2 and re.fullmatch(r"[A-Za-z_]\w*", first) is not None
            if _is_number(first) or (key not in HEADER_KEYS and _complete(header)
                                     and not keylike):
                break  # the first data row
            if key not in HEADER_KEYS:
                raise _header_error(display, line_no, (
                    f"unknown header key {quoted_cut(first)}; an ESRI ASCII header holds ncols, "
                    "nrows, xllcorner (or xllcenter), yllcorner (or yllcenter), cellsize and "
                    "NODATA_value"))
            if len(tokens) != 2:
                raise _header_error(display, line_no, (
                    f"header line {quoted_cut(raw[pos:end].decode('latin-1').strip())} must be "
                    "one key and one value"))
            name = HEADER_KEYS[key]
            if name in header:
                raise _header_error(display, line_no, (
                    f"header key {first!r} repeats (or contradicts) an earlier line; "
                    "each key may appear once"))
            header[name] = (_header_value(name, tokens[1].decode("latin-1"), display,
                                          line_no, first), key)
        pos, line_no = end + 1, line_no + 1
    return header, pos, line_no


def _complete(header: dict) -> bool:
    return {"ncols", "nrows", "xll", "yll"} <= header.keys() and (
        "cellsize" in header or {"dx", "dy"} <= header.keys())


def _header_value(name: str, text: str, display: str, line_no: int, key: str):
    if name in ("ncols", "nrows"):
        if not re.fullmatch(r"\+?\d+", text) or int(text) <= 0:
            raise _header_error(display, line_no, (
                f"{key} must be a whole number above 0, not {text!r}"))
        return int(text)
    if not _is_number(text):
        raise _header_error(display, line_no, f"{key} must be a number, not {text!r}")
    value = float(text)
    if name == "nodata":
        return value
    if not math.isfinite(value):
        raise _header_error(display, line_no, f"{key} must be a finite number, not {text!r}")
    if name in ("cellsize", "dx", "dy") and value <= 0:
        raise _header_error(display, line_no, f"{key} must be above 0, not {text!r}")
    return value


def _geometry(header: dict, display: str) -> tuple[int, int, float, float, float]:
    missing = [k for k in ("ncols", "nrows", "xll", "yll") if k not in header]
    if "cellsize" not in header and not {"dx", "dy"} & header.keys():
        missing.append("cellsize")
    if missing:
        names = {"xll": "xllcorner (or xllcenter)", "yll": "yllcorner (or yllcenter)"}
        raise InputError(f"{display}: the ESRI ASCII header lacks "
                         f"{', '.join(names.get(m, m) for m in missing)}; is this an .asc grid?")
    if "cellsize" in header and {"dx", "dy"} & header.keys():
        raise InputError(f"{display}: the header gives both cellsize and dx/dy; give one")
    if "cellsize" in header:
        cs = header["cellsize"][0]
    else:
        if not {"dx", "dy"} <= header.keys():
            raise InputError(f"{display}: the header gives only one of dx and dy")
        dx, dy = header["dx"][0], header["dy"][0]
        if dx != dy:
            raise InputError(f"{display}: cells are not square (dx {dx:g}, dy {dy:g}); airq "
                             "reads square cells only")
        cs = dx
    ncols, nrows = header["ncols"][0], header["nrows"][0]
    xll, xkey = header["xll"]
    yll, ykey = header["yll"]
    # Corner of the lower-left cell; *center keys give its centre.
    x0 = xll - cs / 2 if xkey == "xllcenter" else xll
    y0 = yll - cs / 2 if ykey == "yllcenter" else yll
    return ncols, nrows, x0, y0, cs


def parse_esri_ascii(raw: bytes, display: str) -> AsciiGrid:
    """Parse the bytes of an ESRI ASCII grid, checking structure before any number is used.

    Parameters
    ----------
    raw
        The whole file.
    display
        The file's name for messages (``archive.zip!member`` for zip members).

    Returns
    -------
    AsciiGrid

    Raises
    ------
    InputError
        A header key unknown, repeated, missing, non-numeric or not positive; a row
        without exactly ``ncols`` values; not exactly ``nrows`` rows; a value that is not
        a number. The message names the file and the line (and the cell's coordinates).

    Examples
    --------
    >>> g = parse_esri_ascii(b"ncols 2\\nnrows 1\\nxllcorner 0\\nyllcorner 0\\n"
    ...                      b"cellsize 20\\nNODATA_value -9999\\n1.5 -9999\\n", "a.asc")
    >>> g.values.tolist()
    [[1.5, nan]]
    """
    header, start, first_line = _parse_header(raw, display)
    ncols, nrows, x0, y0, cs = _geometry(header, display)
    declared = "nodata" in header
    nodata = header["nodata"][0] if declared else DEFAULT_NODATA
    transform = Affine(cs, 0.0, x0, 0.0, -cs, y0 + nrows * cs)
    body = raw[start:]
    # Every value needs at least one character and one separator: a header promising
    # more cells than the text can hold is refused before anything is allocated.
    if nrows * ncols > (len(body) + 1) // 2:
        raise InputError(f"{display}: the header says {nrows} rows x {ncols} columns, but the "
                         f"file holds only {len(body):,} bytes of values; check nrows and ncols")
    values = _parse_body(body, ncols, nrows)
    if values is None:
        _locate_problem(body, first_line, ncols, nrows, nodata, transform, display)
        raise InputError(f"{display}: the values cannot be read as {nrows} rows of {ncols} "
                         "numbers")
    _check_last_value(body, nodata, display, first_line)
    nan_cells = None
    if math.isnan(nodata):
        pass  # NaN is the declared NODATA
    else:
        nan = np.isnan(values)
        if nan.any():
            nan_cells = nan
        values[values == nodata] = np.nan
    return AsciiGrid(values, transform, nodata, declared, nan_cells)


def fewer_decimals(last: bytes, before: bytes) -> bool:
    """Tell whether the token ``last`` has fewer decimals than ``before`` (a cut value)."""
    def decimals(t: bytes) -> int:
        t = t.strip()
        return len(t) - t.index(b".") - 1 if b"." in t else 0
    return decimals(last) < decimals(before)


def _check_last_value(body: bytes, nodata: float, display: str, first_line: int) -> None:
    """Refuse a grid whose last value looks cut short (a truncated download).

    A file cut inside its last value (``18.629`` to ``1``) still holds nrows x ncols
    numbers. When the file ends without a line break, its last value must have as
    many decimals as the last value before it that is not NODATA.
    """
    end = body.rstrip(b" \t")
    if not end or end.endswith(b"\n"):
        return
    tokens = end[-4096:].split()
    if len(tokens) < 2:
        return

    def is_nodata(t: bytes) -> bool:
        try:
            return float(t) == nodata
        except ValueError:
            return False

    if is_nodata(tokens[-1]):
        return
    before = next((t for t in reversed(tokens[:-1]) if not is_nodata(t)), None)
    if before is not None and fewer_decimals(tokens[-1], before):
        line = first_line + body.count(b"\n")
        raise InputError(
            f"{display} line {line}: the last value ({tokens[-1].decode(errors='replace')}) "
            f"has fewer decimals than those before it ({before.decode(errors='replace')}) "
            "and the file ends without a line break: a truncated download? Download it "
            "again (if the value is complete, end the file with a line break)")


def _parse_body(body: bytes, ncols: int, nrows: int) -> np.ndarray | None:
    """All values as (nrows, ncols) float64, or None if any row or token is wrong."""
    import pandas as pd

    try:
        df = pd.read_csv(io.BytesIO(body), sep=r"\s+", header=None, names=range(ncols),
                         dtype=np.float64, engine="c", keep_default_na=False,
                         na_values=list(NAN_TOKENS), quoting=csv.QUOTE_NONE,
                         skip_blank_lines=True, index_col=False)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        # A short row leaves an empty field (''), a long one a tokenising error, a bad
        # token a conversion error: each is located by _locate_problem.
        return None
    if df.shape != (nrows, ncols):
        return None
    return np.ascontiguousarray(df.to_numpy(dtype=np.float64))


def _locate_problem(body: bytes, first_line: int, ncols: int, nrows: int, nodata: float,
                    transform: Affine, display: str) -> None:
    """Walk the rows to name the first wrong one; only run when the fast parse failed."""
    row = 0
    nd = f"{nodata:g}"
    for offset, line in enumerate(body.split(b"\n")):
        tokens = line.split()
        if not tokens:
            continue
        line_no = first_line + offset
        if row >= nrows:
            raise InputError(f"{display} line {line_no}: more rows than the header's nrows "
                             f"{nrows}; check nrows")
        if len(tokens) != ncols:
            raise InputError(
                f"{display} line {line_no}: row {row + 1} holds {len(tokens)} values, the "
                f"header's ncols is {ncols}; every row must hold exactly ncols values "
                f"(NODATA {nd} for empty cells)")
        for col, tok in enumerate(tokens):
            text = tok.decode("latin-1")
            if not _is_number(text):
                raise InputError(
                    f"{display} line {line_no}, value {col + 1} (cell centre "
                    f"{cell_centre_text(transform, row, col)}): {text!r} is not a number; "
                    f"empty cells must hold the NODATA value {nd}")
        row += 1
    if row < nrows:
        raise InputError(f"{display}: {row} rows of values, the header's nrows is {nrows}; "
                         "the file is truncated or nrows is wrong")
