"""Read airq's own JSON results back into result objects, for reports built from them.

``airq case report`` and ``airq report --rates`` lay out figures that were computed
earlier and attached or saved as JSON: an area's result (``airq query -f json``, or the
same document embedded in a report or map) and a rate table (``airq rates -f json``).
Reading them back into :class:`~airq.results.Assessment` and
:class:`~airq.analyse.rates.RateResult` lets the same renderers lay them out, so there is
one copy of each table. Nothing is recomputed; the geometry (boundaries, grid points) is
not in the JSON, so a rebuilt Assessment has none.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from airq.errors import InputError

#: Schema versions of the query JSON this reader understands.
QUERY_SCHEMA_VERSIONS = ("1.0",)


def _build(cls, d: Mapping, where: str, **given):
    """Build a dataclass from a mapping: known keys only; a missing required key is an error."""
    if not isinstance(d, Mapping):
        raise InputError(f"{where}: expected an object, found {type(d).__name__}")
    values = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name in given:
            values[f.name] = given[f.name]
        elif f.name in d:
            values[f.name] = d[f.name]
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise InputError(f"{where}: no {f.name!r}; it is not an airq result this version "
                             "can read")
    return cls(**values)


def _stats(d: Mapping, where: str):
    from airq.results import Stats

    return _build(Stats, d, where)


def _objective(c: Mapping, pollutant: str, where: str, **extra):
    from airq.analyse.objectives import Objective

    return Objective(set=str(c.get("set", "")), pollutant=pollutant,
                     period=str(c.get("period", "annual")), value=c.get("value"),
                     unit=str(c.get("unit", "µg/m³")), jurisdiction="",
                     legal_source=str(c.get("legal_source", "")), date="", **extra)


def _pollutant_result(row: Mapping, inputs: list, where: str):
    from airq.analyse.objectives import Comparison
    from airq.read.grids import GridInfo
    from airq.results import PollutantResult

    comparisons = tuple(
        Comparison(_objective(c, row.get("pollutant"), f"{where}, comparison"),
                   row.get("mean"), c.get("exceeds"), c.get("margin"))
        for c in row.get("comparisons") or [])
    source = next((i for i in inputs if i.get("role") == "grid"
                   and row.get("grid_sha256") in (i.get("sha256"), i.get("member_sha256"))),
                  {})
    grid = _build(GridInfo, source, f"{where}, grid", pollutant=row.get("pollutant"),
                  year=row.get("year"), edition=row.get("edition"),
                  units=row.get("units", "µg/m³"), kind=source.get("kind", "concentration"),
                  layout=source.get("layout", ""), source=source.get("source", ""),
                  member=source.get("member"), sha256=row.get("grid_sha256", ""),
                  member_sha256=source.get("member_sha256"), crs=source.get("crs", ""),
                  crs_assumed=bool(source.get("crs_assumed")),
                  crs_note=source.get("crs_note", ""))
    return _build(PollutantResult, row, where, stats=_stats(row, where),
                  comparisons=comparisons, grid=grid)


def _unit_of(text: str, value) -> str:
    """Return the unit in an objective's text, e.g. ``µg/m³`` in ``200 µg/m³ 1-hour mean``."""
    m = re.match(rf"\s*{re.escape(f'{value:g}')}\s+(\S+)\s", text or "") if isinstance(
        value, int | float) else None
    return m.group(1) if m else "µg/m³"


def _short_term(row: Mapping, where: str):
    from airq.results import ShortTermResult

    obj = _objective({"set": row.get("set"), "period": row.get("period"),
                      "value": row.get("value"),
                      "unit": _unit_of(row.get("objective", ""), row.get("value"))},
                     row.get("pollutant"), where,
                     allowed_exceedances=row.get("allowed_exceedances"))
    days = _stats(row["days"], f"{where}, days") if row.get("days") else None
    return _build(ShortTermResult, row, where, objective=obj, days=days)


def _boundary_row(row: Mapping, where: str):
    from airq.results import BoundaryRow

    return _build(BoundaryRow, row, where, stats=_stats(row, where),
                  fallback=row.get("fallback") or "")


def _land_use(d: Mapping, area_m2: float, synthetic: bool, where: str):
    from airq.analyse.landuse import (
        ClassShare,
        LandUseRecord,
        LandUseScreening,
        LayerVerdict,
        TimelineEntry,
        band_labels,
    )
    from airq.read.layers.core import LayerProvenance

    records = tuple(_build(LandUseRecord, r, f"{where}, record {i}",
                           details=dict(r.get("details") or {}))
                    for i, r in enumerate(d.get("records") or [], start=1))
    timeline = tuple(_build(TimelineEntry, t, f"{where}, timeline", classes=tuple(
        _build(ClassShare, c, f"{where}, timeline class") for c in t.get("classes") or []))
        for t in d.get("timeline") or [])
    verdicts = tuple(_build(LayerVerdict, v, f"{where}, verdict", counts_by_band=tuple(
        (str(k), int(n)) for k, n in (v.get("counts_by_band") or {}).items()))
        for v in d.get("verdicts") or [])
    bands = tuple(float(b) for b in d.get("bands_m") or ())
    if not bands:
        raise InputError(f"{where}: no bands_m")
    return LandUseScreening(
        records=records, timeline=timeline, verdicts=verdicts, bands_m=bands,
        band_labels=band_labels(bands),
        layers=tuple(LayerProvenance.from_dict(p) for p in d.get("layers") or []),
        area_m2=area_m2, synthetic=bool(d.get("synthetic_demo_data", synthetic)))


def assessment_from_document(doc: Mapping, source: str = "the result"):
    """Rebuild an Assessment (without geometry) from the ``airq query -f json`` document.

    Parameters
    ----------
    doc
        The parsed JSON document (schema_version 1.0).
    source
        Where it came from, for messages.

    Returns
    -------
    airq.results.Assessment
        With every figure as recorded; ``boundaries_gdf`` None and no samples.

    Raises
    ------
    InputError
        If the document is not a query result this airq can read (the message names
        the missing part).
    """
    from airq.results import AreaSummary, Assessment, Provenance

    if not isinstance(doc, Mapping) or "results" not in doc or "provenance" not in doc:
        raise InputError(f"{source} is not an airq query result (no results and provenance)")
    version = str(doc.get("schema_version"))
    if version not in QUERY_SCHEMA_VERSIONS:
        raise InputError(f"{source} has schema_version {version}; this airq reads "
                         f"{', '.join(QUERY_SCHEMA_VERSIONS)}")
    prov = doc["provenance"] or {}
    inputs = [i for i in prov.get("inputs") or [] if isinstance(i, Mapping)]
    area_d = dict(doc.get("area") or {})
    area = _build(AreaSummary, area_d, f"{source}, area",
                  no_centre_ids=tuple(area_d.get("no_centre_ids") or ()),
                  share_outside=float(area_d.get("share_outside_grid") or 0.0),
                  boundaries=dict(area_d.get("boundaries") or {}))
    synthetic = bool(doc.get("synthetic_demo_data"))
    provenance = _build(Provenance, prov, f"{source}, provenance",
                        inputs=tuple(inputs), settings=dict(prov.get("settings") or {}),
                        synthetic=bool(prov.get("synthetic", synthetic)))
    land_use = doc.get("land_use")
    return Assessment(
        area=area,
        results=tuple(_pollutant_result(r, inputs, f"{source}, result {i}")
                      for i, r in enumerate(doc["results"] or [], start=1)),
        short_term=tuple(_short_term(s, f"{source}, short-term objective")
                         for s in doc.get("short_term") or []),
        per_boundary=tuple(_boundary_row(b, f"{source}, boundary")
                           for b in doc.get("per_boundary") or []),
        warnings=tuple(str(w) for w in doc.get("warnings") or []),
        provenance=provenance,
        caveats=tuple(str(c) for c in doc.get("caveats") or []),
        land_use=None if not land_use else _land_use(land_use, area.area_m2, synthetic,
                                                     f"{source}, land use"),
    )


@dataclass(frozen=True)
class RatesDocument:
    """A rate table read back from ``airq rates -f json``.

    Attributes
    ----------
    results
        The lines of the table.
    provenance
        What the table was made from (inputs, settings, airq version), or {}.
    source
        The file (or attachment) name.
    sha256
        SHA-256 of the bytes read.
    """

    results: tuple
    provenance: dict
    source: str
    sha256: str


def rates_from_document(doc, source: str = "the rate table", sha256: str = "") -> RatesDocument:
    """Rebuild the rate table from the ``airq rates -f json`` document.

    Raises
    ------
    InputError
        If the document is not a list of rate-table rows.
    """
    from airq.analyse.rates import RateResult

    if not isinstance(doc, list) or not doc or not all(isinstance(r, Mapping) for r in doc):
        raise InputError(f"{source} is not an airq rate table (airq rates -f json writes a "
                         "list of rows)")
    results = tuple(_build(RateResult, r, f"{source}, row {i}")
                    for i, r in enumerate(doc, start=1))
    seen: dict = {}
    for i, r in enumerate(results, start=1):
        _check_rate_row(r, f"{source}, row {i} ({r.area!r})")
        if r.area in seen:
            raise InputError(f"{source}: area {r.area!r} is in rows {seen[r.area]} and {i}; "
                             "airq rates writes each area once: the file was changed; make it "
                             "again with airq rates")
        seen[r.area] = i
    provenance = doc[0].get("provenance") or {}
    return RatesDocument(results, dict(provenance), source, sha256)


def _check_rate_row(r, where: str) -> None:
    """Refuse a rate-table row whose figures do not follow from its counts.

    The crude rate and its limits are recomputed from the cases and person-years
    (by the method, level and multiplier the row names); the standardised figures,
    which need the age bands the file does not keep, must be finite with the value
    inside its limits; the comparison must follow from the limits it names.
    """
    from airq.analyse.rates import crude_rate
    from airq.analyse.rates.table import compare

    edited = "the file was changed after airq wrote it; make it again with airq rates"
    try:
        est = crude_rate(r.cases, r.person_years, r.multiplier, r.level, r.method)
    except (InputError, TypeError, ValueError) as err:
        raise InputError(f"{where}: {err}; {edited}") from err
    if isinstance(r.cases, bool) or r.cases > r.person_years:
        raise InputError(f"{where}: {r.cases} cases in {r.person_years:g} {r.denominator} "
                         f"cannot be right; {edited}")
    for name, want in (("crude_rate", est.value), ("crude_lower", est.lower),
                       ("crude_upper", est.upper)):
        got = getattr(r, name)
        if not isinstance(got, int | float) or isinstance(got, bool) or not math.isclose(
                got, want, rel_tol=1e-9, abs_tol=1e-12):
            raise InputError(f"{where}: {name} is {got!r}, but {r.cases} cases in "
                             f"{r.person_years:g} {r.denominator} give {want:.6g} "
                             f"({est.method}, {r.level:g}); {edited}")
    for stem in ("dsr", "isr"):
        vals = [getattr(r, f"{stem}{part}") for part in ("", "_lower", "_upper")]
        if vals[0] is None:
            continue
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                   and v >= 0 for v in vals) or not vals[1] <= vals[0] <= vals[2]:
            raise InputError(f"{where}: {stem} {vals[0]!r} with limits {vals[1]!r} to "
                             f"{vals[2]!r} is not a rate inside its interval; {edited}")
    if r.significance is not None:
        limits = {"age-standardised rate": ("dsr_lower", "dsr_upper"),
                  "standardised ratio": ("isr_lower", "isr_upper"),
                  "crude rate": ("crude_lower", "crude_upper")}.get(r.comparison_basis)
        lo, hi = (getattr(r, f) for f in limits) if limits else (None, None)
        if lo is None or hi is None or not isinstance(r.reference_value, int | float) or \
                compare(lo, hi, r.reference_value) != r.significance:
            raise InputError(f"{where}: the comparison '{r.significance}' does not follow "
                             f"from the {r.comparison_basis} limits and the reference value "
                             f"{r.reference_value!r}; {edited}")


def read_json_bytes(data: bytes, source: str):
    """Parse JSON bytes (UTF-8), naming ``source`` in the error."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise InputError(f"{source} is not JSON: {err}") from err


def read_rates_json(path: str | Path) -> RatesDocument:
    """Read a rate table written by ``airq rates -f json``.

    Raises
    ------
    InputError
        If the file is missing, not JSON, or not a rate table.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read the rate table {p}: {err.strerror or err}") from err
    return rates_from_document(read_json_bytes(data, str(p)), str(p),
                               hashlib.sha256(data).hexdigest())
