"""GeoJSON files without a ``crs`` member: longitude/latitude by RFC 7946.

GDAL reports such a file as EPSG:4326. Older files (and some exports) hold other
coordinates, usually British National Grid metres, without saying so; the readers of
boundaries and land-use layers let the user state the CRS for them (and only for them).
"""

from __future__ import annotations

import re
from pathlib import Path

#: Bytes read from each end of a GeoJSON file to find a top-level "crs" member.
GEOJSON_PEEK = 1 << 20


def geojson_without_crs(p: Path) -> bool:
    """Whether ``p`` is a GeoJSON file with no ``crs`` member (WGS84 by RFC 7946)."""
    if p.suffix.lower() not in (".geojson", ".json"):
        return False
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(GEOJSON_PEEK)
            tail = b""
            if size > 2 * GEOJSON_PEEK:
                fh.seek(size - GEOJSON_PEEK)
                tail = fh.read()
            elif size > GEOJSON_PEEK:
                tail = fh.read()
    except OSError:
        return False
    return re.search(rb'"crs"\s*:', head + tail) is None
