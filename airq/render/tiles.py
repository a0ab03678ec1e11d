"""Historic map tile sources for web maps: the built-in catalogue and custom templates.

The catalogue is ``airq/data/historic_tiles.toml``: the National Library of Scotland
historic Ordnance Survey layers served through MapTiler, which need a key. Any
other XYZ source (a council's own tiles, or a keyless set the user has permission
to use) is given as a URL template with its attribution. Nothing here touches the
network: a source is only a URL template.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources

from airq.config import Settings
from airq.errors import CatalogueError, ConfigError

#: The environment variable read for the MapTiler key unless settings name another.
DEFAULT_KEY_ENV = "MAPTILER_KEY"
#: The source used when a key is set and no source is chosen.
DEFAULT_SOURCE_ID = "uk-osgb10k1888"
CATALOGUE_RESOURCE = "historic_tiles.toml"
_REQUIRED = ("id", "title", "url", "attribution")


@dataclass(frozen=True)
class TileSource:
    """A historic map tile source.

    Attributes
    ----------
    id
        Short identifier (the MapTiler variant for NLS layers, e.g. ``uk-osgb10k1888``).
    title
        What the maps are, with their scale and years.
    epoch_start, epoch_end
        Years the maps were surveyed or revised (None when not known).
    url
        XYZ template with ``{z}``, ``{x}``, ``{y}`` and, for keyed sources, ``{key}``.
    attribution
        Text that must be shown with the tiles.
    coverage
        Where the maps cover.
    needs_key
        Whether the URL needs a MapTiler key.
    max_zoom, min_zoom
        Zoom levels served.
    attribution_url
        Link for the attribution, or None.
    xyzservices
        The matching ``xyzservices.providers`` name, or None.
    key_set
        Whether a key was found when the source was listed.
    """

    id: str
    title: str
    epoch_start: int | None
    epoch_end: int | None
    url: str
    attribution: str
    coverage: str = ""
    needs_key: bool = False
    max_zoom: int = 18
    min_zoom: int = 0
    attribution_url: str | None = None
    xyzservices: str | None = None
    key_set: bool = False

    @property
    def ready(self) -> bool:
        """Whether the source can be used now (needs no key, or a key is set)."""
        return not self.needs_key or self.key_set

    @property
    def epochs(self) -> str:
        """The years as text, e.g. ``1888-1913``."""
        if self.epoch_start is None and self.epoch_end is None:
            return "unknown"
        if self.epoch_start == self.epoch_end or self.epoch_end is None:
            return str(self.epoch_start)
        if self.epoch_start is None:
            return f"until {self.epoch_end}"
        return f"{self.epoch_start}-{self.epoch_end}"

    def to_dict(self) -> dict:
        """Return JSON-ready values (the template keeps ``{key}``, never the key)."""
        return {**dataclasses.asdict(self), "ready": self.ready}


@dataclass(frozen=True)
class ResolvedTileSource:
    """A tile source ready for a web map: the URL with the key filled in.

    Attributes
    ----------
    source
        The catalogue entry.
    url
        The XYZ URL to give a map library; holds the key for keyed sources, so do not
        write it into reports (use ``url_redacted``).
    """

    source: TileSource
    url: str

    @property
    def attribution(self) -> str:
        """Text that must be shown with the tiles."""
        return self.source.attribution

    @property
    def url_redacted(self) -> str:
        """The URL with the key replaced by ``<KEY>``, for logs and provenance."""
        return self.source.url.replace("{key}", "<KEY>")


def _settings_and_key(settings_or_key) -> tuple[Settings | None, str | None]:
    if settings_or_key is None or isinstance(settings_or_key, str):
        settings, explicit = None, settings_or_key
    elif isinstance(settings_or_key, Settings):
        settings, explicit = settings_or_key, None
    else:
        raise ConfigError(
            f"expected Settings or a key string, not {type(settings_or_key).__name__}"
        )
    return settings, explicit


def maptiler_key(settings_or_key: Settings | str | None = None) -> str | None:
    """Find the MapTiler key for the NLS historic layers.

    Parameters
    ----------
    settings_or_key
        A key (returned as is), or Settings: the key is read from the environment
        variable ``settings.maptiler_key_env`` (default ``MAPTILER_KEY``), else from
        ``settings.maptiler_key``. None reads ``MAPTILER_KEY``.

    Returns
    -------
    str or None
        The key, or None when none is set.
    """
    settings, explicit = _settings_and_key(settings_or_key)
    if explicit:
        return explicit
    env = settings.maptiler_key_env if settings is not None else DEFAULT_KEY_ENV
    key = os.environ.get(env, "").strip()
    if key:
        return key
    if settings is not None:
        return (settings.maptiler_key or "").strip() or None
    return None


def key_env_name(settings: Settings | None = None) -> str:
    """Return the environment variable the key is read from."""
    return settings.maptiler_key_env if settings is not None else DEFAULT_KEY_ENV


def _check_template(url: str, where: str) -> None:
    if not re.match(r"^https?://", url):
        raise ConfigError(f"{where}: tile URL {url!r} must start with http:// or https://")
    missing = [p for p in ("{z}", "{x}") if p not in url]
    if "{y}" not in url and "{-y}" not in url:
        missing.append("{y}")
    if missing:
        raise ConfigError(f"{where}: tile URL {url!r} lacks {', '.join(missing)}")
    unknown = set(re.findall(r"\{([^}]*)\}", url)) - {"z", "x", "y", "-y", "s", "r", "key"}
    if unknown:
        raise ConfigError(
            f"{where}: tile URL {url!r} has unknown placeholder(s) "
            f"{', '.join('{' + u + '}' for u in sorted(unknown))}"
        )


def builtin_tile_sources() -> tuple[TileSource, ...]:
    """Read the built-in catalogue ``airq/data/historic_tiles.toml``.

    Raises
    ------
    ConfigError
        If the data file is damaged (a bug in the package).
    """
    text = resources.files("airq").joinpath("data", CATALOGUE_RESOURCE).read_text("utf-8")
    data = tomllib.loads(text)
    known = {f.name for f in dataclasses.fields(TileSource)} - {"key_set"}
    out = []
    for i, entry in enumerate(data.get("source", [])):
        where = f"{CATALOGUE_RESOURCE} source {i + 1}"
        missing = [k for k in _REQUIRED if k not in entry]
        extra = sorted(set(entry) - known)
        if missing or extra:
            raise ConfigError(f"{where}: missing {missing}, unknown {extra}")
        _check_template(entry["url"], where)
        out.append(TileSource(**entry))
    return tuple(out)


def custom_tile_source(
    url: str,
    attribution: str,
    *,
    id: str = "custom",
    title: str | None = None,
    epoch_start: int | None = None,
    epoch_end: int | None = None,
    coverage: str = "",
    max_zoom: int = 19,
    min_zoom: int = 0,
) -> TileSource:
    """Make a tile source from an XYZ URL template the user supplies.

    Parameters
    ----------
    url
        XYZ template with ``{z}``, ``{x}``, ``{y}`` (or ``{-y}``); ``{key}`` if it
        needs the MapTiler key.
    attribution
        Text that must be shown with the tiles (required: always attribute).
    id, title, epoch_start, epoch_end, coverage, max_zoom, min_zoom
        Description of the source.

    Returns
    -------
    TileSource

    Raises
    ------
    ConfigError
        If the template lacks a placeholder or the attribution is empty.

    Examples
    --------
    >>> src = custom_tile_source(
    ...     "https://tiles.example.org/os25/{z}/{x}/{y}.png",
    ...     "Historic OS maps: Example Archive",
    ...     epoch_start=1892, epoch_end=1914,
    ... )
    >>> src.ready
    True
    """
    _check_template(url, f"tile source {id!r}")
    if not attribution or not attribution.strip():
        raise ConfigError(
            f"tile source {id!r} needs an attribution: historic map tiles must always "
            "be attributed to their provider"
        )
    return TileSource(
        id=id,
        title=title or f"Custom tiles ({url.split('/')[2]})",
        epoch_start=epoch_start,
        epoch_end=epoch_end,
        url=url,
        attribution=attribution.strip(),
        coverage=coverage,
        needs_key="{key}" in url,
        max_zoom=max_zoom,
        min_zoom=min_zoom,
    )


def _custom_from_settings(settings: Settings | None) -> TileSource | None:
    if settings is None or not settings.tile_source or "{" not in settings.tile_source:
        return None
    return custom_tile_source(
        settings.tile_source,
        settings.tile_attribution or "",
        title=settings.tile_title,
    )


def list_tile_sources(settings_or_key: Settings | str | None = None) -> tuple[TileSource, ...]:
    """List the historic tile sources, noting whether each can be used now.

    Parameters
    ----------
    settings_or_key
        A MapTiler key, or Settings (key from its environment variable or
        ``maptiler_key``; a URL template in ``tile_source`` with
        ``tile_attribution`` adds a ``custom`` source). None reads
        ``MAPTILER_KEY``.

    Returns
    -------
    tuple of TileSource
        The built-in sources, oldest first, then any custom one; ``key_set`` says
        whether a key was found.

    Raises
    ------
    ConfigError
        If a custom template in the settings is unusable.
    """
    settings, _ = _settings_and_key(settings_or_key)
    has_key = maptiler_key(settings_or_key) is not None
    sources = sorted(builtin_tile_sources(), key=lambda s: (s.epoch_start or 0, s.id))
    custom = _custom_from_settings(settings)
    if custom is not None:
        sources.append(custom)
    return tuple(dataclasses.replace(s, key_set=has_key) for s in sources)


def resolve_tile_source(
    id: str,
    key: str | None = None,
    *,
    settings: Settings | None = None,
) -> ResolvedTileSource:
    """Return a usable URL for a tile source, or say what is missing.

    Parameters
    ----------
    id
        A source id from :func:`list_tile_sources`, or ``custom`` for the template
        in the settings.
    key
        The MapTiler key; when None it is looked up as :func:`maptiler_key` does.
    settings
        Settings for the key's environment variable and a custom template.

    Returns
    -------
    ResolvedTileSource

    Raises
    ------
    CatalogueError
        If there is no source with that id (the message lists them).
    ConfigError
        If the source needs a key and none is set.

    Examples
    --------
    >>> resolve_tile_source("uk-osgb10k1888", key="abc").url
    'https://api.maptiler.com/tiles/uk-osgb10k1888/{z}/{x}/{y}.jpg?key=abc'
    """
    sources = {s.id: s for s in list_tile_sources(settings)}
    if id not in sources:
        raise CatalogueError(
            f"no historic tile source {id!r}; sources: {', '.join(sources)} "
            "(or give a URL template with its attribution)"
        )
    source = sources[id]
    url = source.url
    found = key or maptiler_key(settings)
    if source.needs_key:
        if not found:
            raise ConfigError(
                f"tile source {id!r} ({source.attribution}) needs a MapTiler key: set "
                f"{key_env_name(settings)} to your key (free tier at maptiler.com), "
                "or choose a source that needs none"
            )
        url = url.replace("{key}", found)
    return ResolvedTileSource(source=dataclasses.replace(source, key_set=bool(found)), url=url)


def choose_tile_source(settings_or_key: Settings | str | None = None) -> ResolvedTileSource | None:
    """Pick the historic tiles for a map: the configured source, else NLS when a key is set.

    Parameters
    ----------
    settings_or_key
        Settings (``tile_source`` is an id or a URL template) or a MapTiler key.

    Returns
    -------
    ResolvedTileSource or None
        None when no source is configured and no key is set (no historic layer).

    Raises
    ------
    ConfigError, CatalogueError
        If the configured source is unusable or unknown.
    """
    settings, explicit = _settings_and_key(settings_or_key)
    if settings is not None and settings.tile_source:
        chosen = "custom" if "{" in settings.tile_source else settings.tile_source
        return resolve_tile_source(chosen, explicit, settings=settings)
    key = maptiler_key(settings_or_key)
    if key is None:
        return None
    return resolve_tile_source(DEFAULT_SOURCE_ID, key, settings=settings)
