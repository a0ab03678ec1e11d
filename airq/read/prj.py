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

    from airq.read.grids import ZIP_DAMAGE  # (grids reads .prj files through this module)

    if member:
        stem = PurePosixPath(member).with_suffix("").as_posix().lower()
        base = PurePosixPath(stem).name
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            beside = [n for n in names if n.lower() == f"{stem}.prj"]
            # Archives sometimes keep the .prj in a folder of its own: one .prj of the
            # grid's name elsewhere is its CRS; several that disagree are not a guess.
            found = beside or [n for n in names if PurePosixPath(n.lower()).name
                               == f"{base}.prj"]
            try:
                texts = {n: zf.read(n).decode("utf-8", "replace") for n in found}
            except (*ZIP_DAMAGE, OSError, ValueError) as err:
                raise CRSError(f"{path}!{found[0]} cannot be read from the archive ({err}); "
                               "download it again or pass --grid-crs") from err
        if len({t.strip() for t in texts.values()}) > 1:
            raise CRSError(f"{path} holds {len(texts)} .prj files named like {member} that "
                           f"differ ({', '.join(texts)}); airq cannot tell which is its CRS: "
                           "pass --grid-crs")
        return next(((f"{path}!{n}", t) for n, t in texts.items()), None)
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
