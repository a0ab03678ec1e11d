"""Air quality objectives and limit values, and comparison of annual means with them.

The values live in ``airq/data/objectives.toml`` (versioned), not in code.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from airq.errors import ConfigError, InputError

PERIODS = ("annual", "24-hour", "1-hour")


@dataclass(frozen=True)
class Objective:
    """One objective or limit value with its legal source."""

    set: str
    pollutant: str
    period: str
    value: float
    unit: str
    jurisdiction: str
    legal_source: str
    date: str
    notes: str = ""
    allowed_exceedances: int | None = None

    @property
    def text(self) -> str:
        """A short description, e.g. ``40 µg/m³ annual mean``."""
        v = f"{self.value:g} {self.unit} {self.period} mean"
        if self.allowed_exceedances is not None:
            v += f", not more than {self.allowed_exceedances} times a year"
        return v

    def to_dict(self) -> dict:
        """Return the objective as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class ObjectiveTable:
    """All objectives of one version of the data file."""

    version: str
    source: str
    objectives: tuple[Objective, ...]

    @property
    def sets(self) -> tuple[str, ...]:
        """Set names in file order."""
        return tuple(dict.fromkeys(o.set for o in self.objectives))

    def select(self, sets) -> tuple[Objective, ...]:
        """Objectives of the named sets, in the order the sets are given.

        Raises
        ------
        InputError
            If a set is unknown (the message lists the known sets).
        """
        unknown = [s for s in sets if s not in self.sets]
        if unknown:
            raise InputError(f"unknown objective set {', '.join(map(repr, unknown))}; "
                             f"known sets: {', '.join(self.sets)}")
        return tuple(o for s in sets for o in self.objectives if o.set == s)


def load_objectives(path: str | Path | None = None) -> ObjectiveTable:
    """Read the objectives data file (the packaged one by default).

    Raises
    ------
    ConfigError
        If the file is malformed (the message names the row and key).
    """
    if path is None:
        ref = resources.files("airq") / "data" / "objectives.toml"
        text, source = ref.read_text(encoding="utf-8"), "airq/data/objectives.toml"
    else:
        text, source = Path(path).read_text(encoding="utf-8"), str(path)
    data = tomllib.loads(text)
    rows = []
    for i, row in enumerate(data.get("objective", []), start=1):
        try:
            obj = Objective(**row)
        except TypeError as err:
            raise ConfigError(f"{source}: objective {i}: {err}") from err
        if obj.period not in PERIODS:
            raise ConfigError(f"{source}: objective {i}: period must be one of "
                              f"{', '.join(PERIODS)}")
        rows.append(obj)
    return ObjectiveTable(version=str(data.get("version", "unversioned")), source=source,
                          objectives=tuple(rows))


def annual_objective(objectives, pollutant: str) -> Objective | None:
    """Return the first annual-mean objective for ``pollutant`` among ``objectives``."""
    return next((o for o in objectives if o.pollutant == pollutant and o.period == "annual"),
                None)


@dataclass(frozen=True)
class Comparison:
    """An annual mean set against one objective.

    ``exceeds`` is ``mean > value`` on the unrounded mean; ``margin`` is
    ``mean - value`` (negative: below the objective).
    """

    objective: Objective
    mean: float | None
    exceeds: bool | None
    margin: float | None

    @property
    def verdict(self) -> str:
        """``exceeded``, ``not exceeded`` or ``not assessed``."""
        if self.exceeds is None:
            return "not assessed"
        return "exceeded" if self.exceeds else "not exceeded"

    def to_dict(self) -> dict:
        """Return the comparison as JSON-ready values."""
        return {"set": self.objective.set, "period": self.objective.period,
                "value": self.objective.value, "unit": self.objective.unit,
                "exceeds": self.exceeds,
                "margin": None if self.margin is None else round(self.margin, 6),
                "verdict": self.verdict,
                "legal_source": self.objective.legal_source}


def compare(mean: float | None, objective: Objective) -> Comparison:
    """Compare an annual mean with an annual-mean objective.

    Examples
    --------
    >>> o = Objective("uk", "no2", "annual", 40, "µg/m³", "England", "SI 2000/928", "2005")
    >>> compare(26.2, o).verdict
    'not exceeded'
    """
    if objective.period != "annual":
        raise InputError(f"only annual-mean objectives can be compared with an annual mean, "
                         f"not {objective.text}")
    if mean is None:
        return Comparison(objective, None, None, None)
    return Comparison(objective, mean, bool(mean > objective.value), mean - objective.value)
