"""Read the stage 1 rate inputs: cases and person-years by area, and standard populations.

The only code that opens rate tables (CSV). It returns :class:`AreaCounts` and
:class:`StandardPopulation`, which :mod:`airq.analyse.rates` turns into the rate table.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from airq.errors import InputError

_ESP2013_RESOURCE = "esp2013.csv"
_MAX_LISTED_PROBLEMS = 12


@dataclass(frozen=True)
class StandardPopulation:
    """A standard population: age bands and their weights.

    Attributes
    ----------
    name
        Short name shown in outputs, e.g. ``ESP2013``.
    age_bands
        Normalised band labels (``0-4`` ... ``90+``), in order.
    population
        The standard population of each band.
    source, version
        Where the figures come from, as recorded in the file.
    """

    name: str
    age_bands: tuple[str, ...]
    population: tuple[float, ...]
    source: str = ""
    version: str = ""


@dataclass(frozen=True)
class AreaCounts:
    """Cases and person-years of one area, by age band or as totals.

    Attributes
    ----------
    area
        Name of the area.
    cases
        Cases in each age band (one value when there are no bands).
    person_years
        Person-years (or population) in each age band, in the same order.
    age_bands
        Normalised age-band labels in the same order, or None for totals only.
    denominator
        What the denominator is called in outputs: ``person-years`` or ``population``.
    """

    area: str
    cases: tuple[int, ...]
    person_years: tuple[float, ...]
    age_bands: tuple[str, ...] | None = None
    denominator: str = "person-years"

    def __post_init__(self):
        n = len(self.cases)
        bands = n if self.age_bands is None else len(self.age_bands)
        if n == 0 or len(self.person_years) != n or bands != n:
            raise InputError(
                f"area {self.area!r} needs the same, non-zero number of cases, "
                "person-years and age bands"
            )

    @property
    def total_cases(self) -> int:
        """All cases in the area."""
        return int(sum(self.cases))

    @property
    def total_person_years(self) -> float:
        """All person-years in the area."""
        return float(sum(self.person_years))



# --------------------------------------------------------------------------- age bands

_RANGE_RE = re.compile(r"^(\d+)\s*(?:-|–|—|to)\s*(\d+)$")
_OPEN_RE = re.compile(
    r"^(\d+)\s*(?:\+|plus|and over|and above|and older|or over|or older|or more)$"
)
_NOISE_RE = re.compile(r"\b(?:aged|ages|age|years|year|yrs|yr)\b")


def normalise_age_band(label: str) -> str:
    """Return the standard spelling of an age-band label.

    ``"0-4"``, ``"00-04"``, ``"0 to 4"`` and ``"0-4 years"`` become ``"0-4"``;
    ``"90+"``, ``"90 and over"`` and ``"90 plus"`` become ``"90+"``. A label that
    is not recognised comes back stripped, so that a mismatch can name it.

    Parameters
    ----------
    label
        An age-band label as written in a table.

    Returns
    -------
    str
        ``"<low>-<high>"`` or ``"<low>+"``, or the stripped label.

    Examples
    --------
    >>> [normalise_age_band(s) for s in ["00-04", "5 to 9", "90 and over", "Aged 85+"]]
    ['0-4', '5-9', '90+', '85+']
    """
    text = str(label).strip()
    key = " ".join(_NOISE_RE.sub(" ", text.lower()).split())
    if match := _RANGE_RE.match(key):
        return f"{int(match[1])}-{int(match[2])}"
    if match := _OPEN_RE.match(key):
        return f"{int(match[1])}+"
    return text


# --------------------------------------------------------------------------- readers


def _read_csv(path: str | os.PathLike, what: str) -> tuple[dict[str, str], list[str], list]:
    """Read a CSV file that may start with ``# key: value`` comment lines.

    Returns the comments as a dict, the header, and ``(line number, row)`` pairs.
    """
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            lines = list(enumerate(csv.reader(fh), start=1))
    except FileNotFoundError as err:
        raise InputError(f"{what} {p} not found") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{what} {p} is not UTF-8 text; save it as CSV UTF-8") from err
    except (OSError, csv.Error) as err:
        raise InputError(f"cannot read {what} {p}: {err}") from err
    comments: dict[str, str] = {}
    header: list[str] | None = None
    rows = []
    for line_no, row in lines:
        if not row or not any(cell.strip() for cell in row):
            continue
        if row[0].lstrip().startswith("#"):
            key, _, value = ",".join(row).lstrip().lstrip("#").partition(":")
            if value:
                comments[key.strip().lower()] = value.strip()
            continue
        if header is None:
            header = [cell.strip() for cell in row]
        else:
            rows.append((line_no, row))
    if header is None:
        raise InputError(f"{what} {p} is empty: it needs a header row and data rows")
    return comments, header, rows


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _find_column(
    header: list[str], names: tuple[str, ...], required: bool, p: Path, what: str
) -> int | None:
    keys = [_column_key(h) for h in header]
    found = [i for i, k in enumerate(keys) if k in names]
    if len(found) > 1:
        both = " and ".join(header[i] for i in found)
        raise InputError(f"{what} {p} has columns {both}, which mean the same; keep one")
    if not found:
        if required:
            raise InputError(
                f"{what} {p} has no {names[0]} column (also accepted: "
                f"{', '.join(names[1:]) or 'none'}); its columns are {', '.join(header)}"
            )
        return None
    return found[0]


def _parse_number(text: str) -> float:
    # Published tables write 8,234; a quoted CSV cell keeps the comma.
    return float(text.strip().replace(",", "").replace("_", ""))


def read_standard_population(path: str | os.PathLike | None = None) -> StandardPopulation:
    """Read a standard population: the packaged ESP 2013 by default, or a CSV file.

    The file has columns ``age_band`` and ``population`` (one row per band) and
    may start with ``# name:``, ``# source:`` and ``# version:`` comment lines.

    Parameters
    ----------
    path
        A CSV file; None for the European Standard Population 2013 shipped in
        ``airq/data/esp2013.csv``.

    Returns
    -------
    StandardPopulation
        Normalised band labels and weights, in file order.

    Raises
    ------
    InputError
        If the file is missing, lacks a column, repeats a band, or holds a
        population that is not a number 0 or more.

    Examples
    --------
    >>> esp = read_standard_population()
    >>> esp.name, len(esp.age_bands), sum(esp.population)
    ('ESP2013', 19, 100000.0)
    """
    what = "standard population"
    if path is None:
        with resources.as_file(resources.files("airq.data") / _ESP2013_RESOURCE) as res:
            return read_standard_population(res)
    p = Path(path)
    comments, header, rows = _read_csv(p, what)
    band_col = _find_column(header, ("age_band", "ageband", "age", "age_group"), True, p, what)
    pop_col = _find_column(header, ("population", "weight", "standard_population"), True, p, what)
    bands: list[str] = []
    weights: list[float] = []
    problems: list[str] = []
    for line_no, row in rows:
        cells = row + [""] * (len(header) - len(row))
        band = normalise_age_band(cells[band_col])
        try:
            weight = _parse_number(cells[pop_col])
        except ValueError:
            weight = float("nan")
        if not math.isfinite(weight) or weight < 0:
            problems.append(
                f"line {line_no}, column {header[pop_col]}: {cells[pop_col]!r} "
                "is not a population of 0 or more"
            )
        if not band:
            problems.append(f"line {line_no}, column {header[band_col]}: empty age band")
        elif band in bands:
            problems.append(f"line {line_no}: age band {band} appears twice")
        bands.append(band)
        weights.append(weight)
    if not rows:
        problems.append("no age bands")
    elif not problems and sum(weights) <= 0:
        problems.append("the populations add up to 0")
    if problems:
        raise InputError(f"{what} {p}: " + "; ".join(problems))
    return StandardPopulation(
        name=comments.get("name", p.stem),
        age_bands=tuple(bands),
        population=tuple(weights),
        source=comments.get("source", ""),
        version=comments.get("version", ""),
    )


def read_rates_table(path: str | os.PathLike) -> list[AreaCounts]:
    """Read cases and person-years by area (and age band) from a CSV file.

    Columns (names are case-insensitive; spaces and hyphens count as ``_``):
    ``area``; ``age_band`` (or ``ageband``, ``age``, ``age_group``), optional;
    ``cases`` (or ``count``); ``person_years`` or ``population``. With age bands,
    give one row per area and band; without, one row per area.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    list of AreaCounts
        One per area, in the order areas first appear.

    Raises
    ------
    InputError
        If the file is missing or unreadable, a column is missing, or a value is
        bad (counts must be whole numbers 0 or more, person-years greater than 0);
        every problem is listed with its line and column.

    Examples
    --------
    >>> areas = read_rates_table("cancers.csv")  # doctest: +SKIP
    >>> areas[0].area, areas[0].total_cases  # doctest: +SKIP
    ('LSOA of interest', 79)
    """
    what = "rates table"
    p = Path(path)
    _, header, rows = _read_csv(p, what)
    area_col = _find_column(header, ("area", "area_name"), True, p, what)
    band_col = _find_column(header, ("age_band", "ageband", "age", "age_group"), False, p, what)
    cases_col = _find_column(header, ("cases", "count"), True, p, what)
    py_col = _find_column(header, ("person_years", "population"), True, p, what)
    denominator = "population" if _column_key(header[py_col]) == "population" else "person-years"
    problems: list[str] = []
    data: dict[str, list[tuple[str | None, int, float]]] = {}
    seen: dict[tuple[str, str | None], int] = {}
    for line_no, row in rows:
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        where = f"line {line_no}"
        area = cells[area_col]
        band = normalise_age_band(cells[band_col]) if band_col is not None else None
        if not area:
            problems.append(f"{where}, column {header[area_col]}: empty area name")
        if band_col is not None and not band:
            problems.append(f"{where}, column {header[band_col]}: empty age band")
        cases = _parse_cell(cells[cases_col], header[cases_col], where, problems, whole=True)
        person_years = _parse_cell(cells[py_col], header[py_col], where, problems, whole=False)
        if cases is not None and person_years is not None and cases > person_years:
            problems.append(f"{where}: {cases:g} cases but {person_years:g} "
                            f"{denominator}: more cases than {denominator} (a rate above one "
                            "case per person-year) cannot be right; are the columns swapped, "
                            f"or the {denominator} in thousands?")
        if (area, band) in seen:
            again = f"age band {band} of " if band is not None else ""
            problems.append(
                f"{where}: {again}area {area!r} already given on line {seen[area, band]}"
            )
            continue
        seen[area, band] = line_no
        data.setdefault(area, []).append((band, cases, person_years))
    if not rows:
        problems.append("no data rows")
    if problems:
        shown = problems[:_MAX_LISTED_PROBLEMS]
        more = len(problems) - len(shown)
        tail = f"; and {more} more" if more else ""
        raise InputError(f"{what} {p}: " + "; ".join(shown) + tail)
    return [
        AreaCounts(
            area=area,
            cases=tuple(int(r[1]) for r in recs),
            person_years=tuple(float(r[2]) for r in recs),
            age_bands=tuple(r[0] for r in recs) if band_col is not None else None,
            denominator=denominator,
        )
        for area, recs in data.items()
    ]


def _parse_cell(text: str, column: str, where: str, problems: list[str], whole: bool):
    """Parse a count (``whole``) or a person-years cell, noting any problem."""
    place = f"{where}, column {column}"
    if not text:
        problems.append(f"{place}: empty value")
        return None
    try:
        value = _parse_number(text)
    except ValueError:
        problems.append(f"{place}: {text!r} is not a number")
        return None
    if not math.isfinite(value):
        problems.append(f"{place}: {text!r} is not a finite number")
    elif whole and value != int(value):
        problems.append(f"{place}: {text!r} is not a whole number of cases")
    elif whole and value < 0:
        problems.append(f"{place}: {text!r} is negative; counts are 0 or more")
    elif not whole and value <= 0:
        problems.append(f"{place}: {text!r} must be greater than 0")
    else:
        return value
    return None
