"""A ``.prj`` file shipped beside a grid file that cannot carry a CRS itself (point CSVs).

GDAL reads the ``.prj`` beside an ESRI ASCII grid on its own (also inside a zip);
a CSV of cell centres has no such convention, so airq looks for ``<stem>.prj`` in the
same folder, or the same folder of the zip archive, and uses it when one ships.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from airq.errors import CRSError


def sidecar_prj_text(path, member: str | None = None) -> tuple[str, str] | None:
    """Return (display name, text) of the ``.prj`` beside a file or zip member, or None."""
    from pathlib import Path

    if member:
        stem = PurePosixPath(member).with_suffix("").as_posix().lower()
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.lower() == f"{stem}.prj":
                    return f"{path}!{name}", zf.read(name).decode("utf-8", "replace")
        return None
    p = Path(path)
    for cand in p.parent.glob(f"{p.stem}.*"):
        if cand.suffix.lower() == ".prj" and cand.is_file():
            return str(cand), cand.read_text(encoding="utf-8", errors="replace")
    return None


def sidecar_crs(path, member: str | None = None) -> str | None:
    """Return the CRS (``EPSG:n`` or WKT) of the ``.prj`` beside a file, or None.

    Raises
    ------
    CRSError
        If a ``.prj`` ships but does not hold a CRS pyproj can read.
    """
    found = sidecar_prj_text(path, member)
    if found is None:
        return None
    name, text = found
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        crs = CRS.from_user_input(text.strip())
    except ProjCRSError as err:
        raise CRSError(f"{name} does not hold a CRS airq can read ({err}); remove it or pass "
                       "--grid-crs") from err
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()
