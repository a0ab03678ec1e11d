"""The CRS every land-use layer is held in, and checks of CRSs given for layers."""

from __future__ import annotations

from typing import Any

from airq.errors import CRSError

#: The CRS every layer is held in, and the CRS areas must be given in.
BNG = "EPSG:27700"


def check_crs(crs: Any, source: Any):
    """Return ``crs`` as a pyproj CRS, or raise a CRSError naming ``source``."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        return CRS.from_user_input(crs)
    except ProjCRSError as err:
        raise CRSError(
            f"--crs {crs!r} for {source} is not a CRS pyproj knows; try EPSG:27700"
        ) from err


def crs_label(crs) -> str:
    """Return ``AUTHORITY:CODE`` for a CRS, or its name when it has no code."""
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.name
