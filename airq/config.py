"""Settings: one frozen dataclass, its TOML loader, and the data directory."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from airq.errors import ConfigError

#: Environment variable that overrides the data directory.
AIRQ_HOME_ENV = "AIRQ_HOME"


def data_home() -> Path:
    """Return the airq data directory (grid and layer catalogues), creating it.

    ``$AIRQ_HOME`` if set, else the platform's user data directory
    (``~/.local/share/airq`` on Linux).
    """
    env = os.environ.get(AIRQ_HOME_ENV)
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("airq", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


METHODS = ("centre", "all-touched", "area-weighted")
SD_KINDS = ("population", "sample")


@dataclass(frozen=True)
class Settings:
    """Every setting of an assessment, with its default.

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
    bands_m
        Land-use search band edges in metres; 0 means on the site.
    strict
        Turn every airq warning into an error.
    per_boundary
        Add one row per boundary to the result.
    """

    method: str = "centre"
    sd: str = "population"
    objectives: tuple[str, ...] = ("uk",)
    bands_m: tuple[float, ...] = (0.0, 50.0, 250.0, 500.0)
    strict: bool = False
    per_boundary: bool = False
    tile_source: str | None = None
    maptiler_key_env: str = "MAPTILER_KEY"
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        problems = []
        if self.method not in METHODS:
            problems.append(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.sd not in SD_KINDS:
            problems.append(f"sd must be one of {', '.join(SD_KINDS)}, not {self.sd!r}")
        if not self.objectives:
            problems.append("objectives must name at least one objective set")
        bands = list(self.bands_m)
        if not bands or any(b < 0 for b in bands) or bands != sorted(set(bands)):
            problems.append(f"bands_m must be increasing distances >= 0, not {bands}")
        if problems:
            raise ConfigError("; ".join(problems))

    def replace(self, **changes) -> Settings:
        """Return a copy with ``changes`` applied (``None`` values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Return the settings as plain JSON-ready values."""
        d = dataclasses.asdict(self)
        d.pop("extra")
        d["objectives"] = list(self.objectives)
        d["bands_m"] = list(self.bands_m)
        return d


def load_settings(path: str | os.PathLike | None = None, **overrides) -> Settings:
    """Build Settings: ``overrides`` (command line) over the TOML file over defaults.

    Parameters
    ----------
    path
        A TOML file with keys named as the Settings attributes, at top level or
        under ``[airq]``.
    **overrides
        Values from the command line; ``None`` means "not given".

    Raises
    ------
    ConfigError
        If the file cannot be read or names an unknown key or a bad value.
    """
    values: dict = {}
    if path is not None:
        p = Path(path)
        try:
            with p.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError as err:
            raise ConfigError(f"config file {p} not found") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"config file {p} is not valid TOML: {err}") from err
        data = data.get("airq", data)
        known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
        for key, value in data.items():
            k = key.replace("-", "_")
            if k not in known:
                raise ConfigError(
                    f"config file {p}: unknown key {key!r}; known keys: {', '.join(sorted(known))}"
                )
            if k in ("objectives", "bands_m"):
                if not isinstance(value, list):
                    raise ConfigError(f"config file {p}: {key} must be a list")
                value = tuple(value)
            values[k] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except TypeError as err:
        raise ConfigError(f"bad setting: {err}") from err
