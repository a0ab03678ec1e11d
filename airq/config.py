"""Settings: one frozen dataclass, its TOML loader, and the data directory."""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from airq.errors import CatalogueError, ConfigError

#: Environment variable that overrides the data directory.
AIRQ_HOME_ENV = "AIRQ_HOME"


def data_home(create: bool = True) -> Path:
    """Return the airq data directory (grid and layer catalogues).

    ``$AIRQ_HOME`` if set, else the platform's user data directory
    (``~/.local/share/airq`` on Linux).

    Parameters
    ----------
    create
        Create the folder if it does not exist (readers pass False: reading an
        empty catalogue must not need a writable home).

    Raises
    ------
    CatalogueError
        If the folder cannot be created (a read-only disk, a file in the way).
    """
    env = os.environ.get(AIRQ_HOME_ENV)
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("airq", appauthor=False))
    if create:
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CatalogueError(
                f"the airq data folder {home} cannot be created ({err.strerror or err}); "
                f"set {AIRQ_HOME_ENV} to a folder you can write"
            ) from err
    return home


Method = Literal["centre", "all-touched", "area-weighted"]
SdKind = Literal["population", "sample"]
METHODS: tuple[str, ...] = get_args(Method)
SD_KINDS: tuple[str, ...] = get_args(SdKind)


@dataclass(frozen=True)
class Settings:
    """Every setting of an assessment, with its default.

    The field types are the schema of a settings file: :func:`load_settings` checks
    every value against them (``per_boundary = "false"`` is an error, not true).

    Attributes
    ----------
    method
        Which grid points count: ``centre`` (cell centres inside or on the boundary,
        as in the published case and GIS zonal statistics), ``all-touched`` (every
        cell the boundary touches, GDAL's rule) or ``area-weighted`` (every touched
        cell weighted by the share of its area inside, from exactextract).
    sd
        ``population`` (divide by n, as GIS zonal statistics report it) or
        ``sample`` (divide by n - 1).
    objectives
        Objective sets to compare with; the first gives the ``objective`` column.
        A string is split at commas (``"uk,who-2021"``).
    bands_m
        Land-use search band edges in metres; 0 means on the site.
    strict
        Turn every airq warning into an error.
    per_boundary
        Add one row per boundary to the result.
    drop_implausible
        Leave out grid values that cannot be annual means (negative, NaN, inf, above
        the pollutant's ceiling), counted and warned about, instead of stopping.
    tile_source
        Historic map tiles for web maps: a built-in source id (see ``airq layers
        tiles``) or an XYZ URL template (which needs ``tile_attribution``).
    tile_attribution
        Attribution shown with a custom ``tile_source`` (required for one).
    tile_title
        Layer name of a custom ``tile_source`` on the map.
    maptiler_key_env
        Environment variable holding the MapTiler key for the NLS historic maps.
    maptiler_key
        The MapTiler key itself, where it cannot be set in the environment. Never
        printed or written to any output.
    address_columns
        A council gazetteer's column for each address field, e.g.
        ``{uprn = "UPRN", street = "STREET_DESCRIPTOR", number = "PAO_START_NUMBER",
        postcode = "POSTCODE_LOCATOR", x = "X_COORDINATE", y = "Y_COORDINATE"}``
        (``--address-columns`` wins); empty: recognise ONSUD, OS Open UPRN or common
        gazetteer names.
    """

    method: Method = "centre"
    sd: SdKind = "population"
    objectives: str | tuple[str, ...] = ("uk",)
    bands_m: tuple[float, ...] = (0.0, 50.0, 250.0, 500.0)
    strict: bool = False
    per_boundary: bool = False
    drop_implausible: bool = False
    tile_source: str | None = None
    tile_attribution: str | None = None
    tile_title: str | None = None
    maptiler_key_env: str = "MAPTILER_KEY"
    maptiler_key: str | None = field(default=None, repr=False)
    address_columns: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self):
        if isinstance(self.objectives, str):
            sets = tuple(s.strip() for s in self.objectives.split(",") if s.strip())
            object.__setattr__(self, "objectives", sets)
        object.__setattr__(self, "objectives", tuple(self.objectives))
        object.__setattr__(self, "bands_m", tuple(float(b) for b in self.bands_m))
        problems = []
        if self.method not in METHODS:
            problems.append(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.sd not in SD_KINDS:
            problems.append(f"sd must be one of {', '.join(SD_KINDS)}, not {self.sd!r}")
        if not self.objectives:
            problems.append("objectives must name at least one objective set")
        bands = list(self.bands_m)
        if (not bands or not all(math.isfinite(b) and b >= 0 for b in bands)
                or bands != sorted(set(bands))):
            problems.append(f"bands_m must be increasing distances >= 0, not {bands}")
        fields = ("uprn", "x", "y", "postcode", "street", "number")  # read.addresses
        if not isinstance(self.address_columns, dict) or any(
                k not in fields or not isinstance(v, str) or not v
                for k, v in self.address_columns.items()):
            problems.append(f"address_columns must map fields ({', '.join(fields)}) to "
                            f"column names, not {self.address_columns!r}")
        if problems:
            raise ConfigError("; ".join(problems))

    def replace(self, **changes) -> Settings:
        """Return a copy with ``changes`` applied (``None`` values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Return the settings as plain JSON-ready values (never the MapTiler key)."""
        d = dataclasses.asdict(self)
        d.pop("maptiler_key")
        d["objectives"] = list(self.objectives)
        d["bands_m"] = list(self.bands_m)
        return d


#: The keys a settings file may hold: the Settings fields.
SETTINGS_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Settings))


def _read_toml(p: Path) -> dict:
    try:
        raw = p.read_bytes()
        # A byte-order mark (Windows Notepad writes one) is not part of the settings.
        return tomllib.loads(raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"config file {p} not found") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"config file {p} is not UTF-8 text (byte {err.object[err.start]:#04x} "
                          f"at offset {err.start}); save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {p} is not valid TOML: {err}") from err
    except OSError as err:
        raise ConfigError(f"config file {p} cannot be read ({err.strerror or err})") from err


def _file_values(p: Path) -> dict:
    """Return the settings table of a file: top level, or ``[airq]`` (not both)."""
    data = _read_toml(p)
    if "airq" not in data:
        return data
    section = data.pop("airq")
    if not isinstance(section, dict):
        raise ConfigError(f"config file {p}: 'airq' must be a table ([airq] followed by "
                          f"settings), not {section!r}")
    if data:
        raise ConfigError(f"config file {p}: settings both at top level ({', '.join(data)}) "
                          "and under [airq]; put them all in one place")
    return section


def _choices(key: str) -> tuple:
    """Return the values a ``Literal`` setting allows (empty for other settings)."""
    import typing

    hint = typing.get_type_hints(Settings).get(key)
    for t in (hint, *typing.get_args(hint)):  # Literal[...] or Optional[Literal[...]]
        if typing.get_origin(t) is typing.Literal:
            return typing.get_args(t)
    return ()


def read_settings_file(path: str | os.PathLike) -> Settings:
    """Read and validate a TOML settings file.

    Every key must be a :class:`Settings` field (``-`` may stand for ``_``) and every
    value of the field's type; the check uses the dataclass's own annotations.

    Raises
    ------
    ConfigError
        Naming the file and the key: unreadable, not UTF-8, not TOML, an unknown
        key, a value of the wrong type or an impossible value.
    """
    import msgspec

    p = Path(path)
    values = {str(k).replace("-", "_"): v for k, v in _file_values(p).items()}
    unknown = [k for k in values if k not in SETTINGS_KEYS]
    if unknown:
        raise ConfigError(f"config file {p}: unknown key {', '.join(map(repr, unknown))}; "
                          f"known keys: {', '.join(SETTINGS_KEYS)}")
    try:
        settings = msgspec.convert(values, Settings, strict=True)
    except msgspec.ValidationError as err:
        text, _, where = str(err).partition(" - at `$")
        key = where.rstrip("`").lstrip(".") or "?"
        allowed = _choices(key)
        hint = f"; one of {', '.join(map(repr, allowed))}" if allowed else ""
        raise ConfigError(f"config file {p}: key {key!r}: {text[:1].lower()}{text[1:]}"
                          f"{hint}") from err
    except ConfigError as err:
        raise ConfigError(f"config file {p}: {err}") from err
    if "{" in (settings.tile_source or "") and not (settings.tile_attribution or "").strip():
        raise ConfigError(f"config file {p}: tile_source is a URL template; add tile_attribution "
                          "saying whose tiles they are (tiles are always shown with it)")
    return settings


def load_settings(path: str | os.PathLike | None = None, **overrides) -> Settings:
    """Build Settings: ``overrides`` (command line) over the TOML file over defaults.

    Parameters
    ----------
    path
        A TOML file with keys named as the Settings attributes, at top level or
        under ``[airq]`` (see :func:`read_settings_file`).
    **overrides
        Values from the command line; ``None`` means "not given".

    Raises
    ------
    ConfigError
        If the file cannot be read or names an unknown key or a bad value.
    """
    settings = read_settings_file(path) if path is not None else Settings()
    try:
        return settings.replace(**overrides)
    except TypeError as err:
        raise ConfigError(f"bad setting: {err}") from err
