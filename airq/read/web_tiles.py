"""Web map tiles for figure base maps, fetched only when the user asks and cached.

``--basemap osm`` reads OpenStreetMap's standard tiles around the site: each tile
comes from the cache under ``$AIRQ_HOME/tiles/<source>/{z}/{x}/{y}.png`` or is fetched
once (with airq's User-Agent, as the OpenStreetMap tile usage policy asks) and kept.
A run never depends on it: a failed fetch is a warning and the figure is drawn
without a base map. Tests pass a fake fetcher; nothing here runs without a request.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from airq.config import data_home
from airq.errors import AirqError
from airq.read.historic_maps import BNG, WEB_MERCATOR, MapSheet, MapSheetWarning

log = logging.getLogger(__name__)

Fetcher = Callable[[str], bytes]


@dataclass(frozen=True)
class WebTileSource:
    """An XYZ tile service a figure may use as its base map."""

    id: str
    title: str
    url: str
    attribution: str
    max_zoom: int


#: Services ``--basemap`` can name. OpenStreetMap's tiles need no key; its usage policy
#: asks for a User-Agent naming the application and for caching, both done here.
WEB_SOURCES = {
    "osm": WebTileSource("osm", "OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                         "© OpenStreetMap contributors (openstreetmap.org/copyright)", 19),
}

#: Most tiles along one side of a base-map mosaic (about 2000 pixels).
MAX_SIDE_TILES = 8


def cache_dir(source_id: str) -> Path:
    """Return the tile cache of a source: ``$AIRQ_HOME/tiles/<source>``."""
    return data_home() / "tiles" / source_id


def _user_agent() -> str:
    from airq import __version__

    return f"airq/{__version__} (environmental health reports; python-urllib)"


def http_fetch(url: str, timeout: float = 20.0) -> bytes:
    """Fetch one tile over HTTPS with airq's User-Agent; raise OSError on failure."""
    req = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (https only)
        return resp.read()


def cached_getter(source: WebTileSource, fetcher: Fetcher | None = None):
    """Return a tile getter: the cached tile, else the fetched one (then cached)."""
    from airq.outputs import write_bytes

    fetch = fetcher or http_fetch
    root = cache_dir(source.id)

    def get(z: int, x: int, y: int) -> bytes | None:
        path = root / str(z) / str(x) / f"{y}.png"
        if path.is_file():
            return path.read_bytes()
        url = source.url.format(z=z, x=x, y=y)
        data = fetch(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, data, overwrite=True)
        return data

    return get


def fetch_basemap(source_id: str, around, *, fetcher: Fetcher | None = None) -> MapSheet | None:
    """Read a web base map around an area, from the cache or the network.

    Parameters
    ----------
    source_id
        A key of :data:`WEB_SOURCES` (``osm``).
    around
        The area, a shapely geometry in EPSG:27700.
    fetcher
        Function returning a URL's bytes (default: HTTPS with airq's User-Agent).

    Returns
    -------
    MapSheet or None
        None (with a :class:`MapSheetWarning`) when the tiles cannot be had: a figure
        never needs its base map.
    """
    from rasterio.warp import transform_bounds

    from airq.read.xyz_tiles import choose_zoom, mosaic

    source = WEB_SOURCES[source_id]
    want = transform_bounds(BNG, WEB_MERCATOR, *around.bounds, densify_pts=21)
    z = choose_zoom(want, range(0, source.max_zoom + 1), max_side=MAX_SIDE_TILES)
    try:
        m = mosaic(cached_getter(source, fetcher), want, z, source.title)
    except (OSError, urllib.error.URLError, AirqError) as err:
        warnings.warn(f"the {source.title} base map could not be had ({err}); the figures are "
                      "drawn without it", MapSheetWarning, stacklevel=2)
        return None
    return MapSheet(kind="basemap", epoch=None, title=f"{source.title} tiles",
                    attribution=source.attribution, source=source.url, sha256=m.sha256,
                    format="web tiles", crs=WEB_MERCATOR, image=m.image, transform=m.transform,
                    extent_bng=tuple(transform_bounds(WEB_MERCATOR, BNG, *want)),
                    crs_note=f"Web Mercator tiles, zoom {z}, {len(m.tiles)} tiles "
                             f"(cached under {cache_dir(source.id)})")
