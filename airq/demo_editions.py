"""SYNTHETIC demo files in the newer published grid layouts: an LAEI 2022 zip.

:mod:`airq.demo` writes the main demo (LAEI 2013 update grids, plots, land-use
layers) and calls in here for the layouts added later. The files are written but not
catalogued by ``airq demo``, so the demo's main example keeps its model years;
``airq grids add`` catalogues them.

The LAEI 2022 zip holds ``ASCII/LAEI2022_V1_<P>.asc`` (P = NO2, PM10m, PM10d, PM25) and
``CSV/LAEI2022_V1_NO2.csv`` (``x,y,conc``), the names the GLA publishes; no ``.prj``
ships in it. Values are the demo's 2020 fields scaled down a little: invented, like
every other demo value.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: The LAEI 2022 zip, relative to the demo root.
LAEI2022_ZIP_REL = Path("grids", "demo", "LAEI2022-Concentrations-Data.zip")
#: Model year of the LAEI 2022 demo grids (its base year).
LAEI2022_YEAR = 2022
#: Pollutants as spelt in the LAEI 2022 file names, with the demo field each comes from.
LAEI2022_POLLUTANTS = {"NO2": "NO2", "PM10m": "PM10", "PM10d": "PM10d", "PM25": "PM25"}
# 2022 against 2020: NO2 down about 10% (ULEZ, fleet turnover), PM a few per cent.
_SCALE_2022 = {"NO2": 0.90, "PM10": 0.97, "PM25": 0.96, "PM10d": 0.85}
# Fixed member timestamp so that two runs give byte-identical archives.
_ZIP_DATE = (2022, 1, 1, 0, 0, 0)


def laei2022_fields(fields_2020: dict[str, np.ndarray], nodata: float) -> dict[str, np.ndarray]:
    """Return the LAEI 2022 demo grids, keyed by the pollutant spelling in the file names.

    Parameters
    ----------
    fields_2020
        The demo's 2020 grids (``NO2``, ``PM10``, ``PM25``, ``PM10d``), float32 with
        NODATA cells set to ``nodata``.
    nodata
        The NODATA value; those cells stay NODATA.
    """
    out = {}
    for spelt, field in LAEI2022_POLLUTANTS.items():
        src = fields_2020[field].astype(np.float64)
        arr = np.round(src * _SCALE_2022[field], 3).astype(np.float32)
        arr[src == nodata] = np.float32(nodata)
        out[spelt] = arr
    return out


def laei2022_description() -> str:
    """Return the manifest description of the LAEI 2022 demo zip."""
    members = ", ".join(f"ASCII/LAEI2022_V1_{p}.asc" for p in LAEI2022_POLLUTANTS)
    return (f"SYNTHETIC LAEI 2022 layout, model year {LAEI2022_YEAR}: zip holding {members} "
            "(ESRI ASCII, float32, NODATA -9999, 20 m cells, no .prj) and "
            "CSV/LAEI2022_V1_NO2.csv (x,y,conc); not catalogued by `airq demo`")


def _write_points_csv(path: Path, values: np.ndarray, centres, nodata: float) -> None:
    """Write one grid as ``x,y,conc`` points at cell centres, NODATA cells left out."""
    x, y = centres
    keep = values != np.float32(nodata)
    table = np.column_stack([x[keep], y[keep], values[keep].astype(np.float64)])
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("x,y,conc\n")
        np.savetxt(fh, table, fmt=["%d", "%d", "%.3f"], delimiter=",")


def write_laei2022_zip(path: Path, fields: dict[str, np.ndarray],
                       write_asc: Callable[[Path, np.ndarray], None], centres,
                       nodata: float) -> None:
    """Write the LAEI 2022 demo zip at ``path`` (byte-identical from run to run).

    Parameters
    ----------
    path
        The zip to write; its folder is created.
    fields
        Grids from :func:`laei2022_fields`.
    write_asc
        The demo's writer of one grid as ESRI ASCII (no ``.prj``).
    centres
        Cell-centre coordinates (x, y) as 2-D arrays, north row first.
    nodata
        The NODATA value (cells left out of the CSV).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.parts")
    scratch.mkdir(exist_ok=True)
    members = [(f"ASCII/LAEI2022_V1_{p}.asc", v) for p, v in fields.items()]
    members.append(("CSV/LAEI2022_V1_NO2.csv", fields["NO2"]))
    try:
        with zipfile.ZipFile(path, "w") as zf:
            for name, values in members:
                part = scratch / Path(name).name
                if name.endswith(".asc"):
                    write_asc(part, values)
                else:
                    _write_points_csv(part, values, centres, nodata)
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, part.read_bytes(), compresslevel=9)
                part.unlink()
    finally:
        for left in scratch.glob("*"):
            left.unlink()
        scratch.rmdir()
