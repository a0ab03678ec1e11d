"""The tables of the officer's report and the stage 1 summary, as plain text cells.

One copy of each table: the air quality table per model year, the land-use timeline and
records, and the rate table with its confidence intervals. The HTML/PDF report
(:mod:`airq.render.document`) and the Word summary (:mod:`airq.render.case_document`)
lay out the same cells; neither computes a figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airq.render.text import _short_term_lines, fmt_mean, sd_text
from airq.results import Assessment


@dataclass(frozen=True)
class Table:
    """A table as text cells.

    Attributes
    ----------
    title
        Heading above the table, or None.
    headers
        Column headings.
    rows
        One tuple of cells per row.
    num
        Columns to right-align (numbers).
    flagged
        Per row: whether to highlight its last cell (an objective exceeded).
    notes
        Per row: a note printed under it, or None (land-use details).
    caption
        Text under the table, or None.
    nowrap
        Columns whose cells must not break across lines (a value with its interval).
    """

    title: str | None
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    num: frozenset[int] = frozenset()
    flagged: tuple[bool, ...] = ()
    notes: tuple[str | None, ...] = ()
    caption: str | None = None
    nowrap: frozenset[int] = frozenset()


def air_quality_tables(a: Assessment) -> list[Table]:
    """Return one table per model year: pollutant, mean, SD, n points, objective, verdict."""
    out = []
    for year in a.years:
        rows, flagged = [], []
        for r in a.results:
            if r.year != year:
                continue
            c = r.first
            obj = f"{c.objective.value:g} ({c.objective.set})" if c else "none"
            verdict = (f"no verdict: {r.no_verdict}" if r.no_verdict else
                       c.verdict if c else "n/a")
            rows.append((r.name, fmt_mean(r.stats.mean), sd_text(r),
                         str(r.stats.n_points), obj, verdict))
            flagged.append(bool(c is not None and c.exceeds))
        eds = "; ".join(sorted({r.edition_label for r in a.results if r.year == year}))
        out.append(Table(f"Model year {year} ({eds})",
                         ("Pollutant", "Mean (µg/m³)", "SD", "n points",
                          "Annual-mean objective (µg/m³)", "Verdict"),
                         tuple(rows), frozenset({1, 2, 3}), tuple(flagged)))
    return out


def short_term_lines(a: Assessment) -> list[str]:
    """Return one sentence per short-term objective (tested from PM10d, or not testable)."""
    return _short_term_lines(a)


def land_use_intro(a: Assessment) -> str | None:
    """Return the sentence saying how far the land-use search went, or None without one."""
    s = a.land_use
    if s is None:
        return None
    return (f"Searched the site and up to {s.search_m:g} m from its boundary "
            f"(bands: {', '.join(s.band_labels)}).")


def land_use_tables(a: Assessment) -> list[Table]:
    """Return the land-use timeline by map epoch and the records on the site and nearby."""
    from airq.render.landuse_text import _share_text, dates_cell, notes_cell, number_cell

    s = a.land_use
    if s is None:
        return []
    out = []
    if s.timeline:
        out.append(Table("Land use on the site by map epoch",
                         ("Epoch", "Layer", "Land use covering the site"),
                         tuple((str(t.epoch), t.layer, _share_text(t)) for t in s.timeline)))
    others = [r for r in s.records if r.epoch is None]
    if others:
        rows, notes = [], []
        for r in others:
            name = r.name + (f" ({r.reference})" if r.reference else "") if r.name else \
                (r.reference or "")
            rows.append((number_cell(r), f"{r.distance_m:.0f} m", r.direction or "-", r.band,
                         r.layer, r.category or "", name, dates_cell(r)))
            notes.append(notes_cell(r, width=None) or None)
        out.append(Table("Records on the site and nearby",
                         ("No.", "Distance", "Dir.", "Band", "Layer", "Category", "Name",
                          "Dates"),
                         tuple(rows), frozenset({0, 1}), notes=tuple(notes),
                         caption="No.: the number on the maps. Distance from the site "
                                 "boundary to the feature; direction from the centre of "
                                 "the site."))
    return out


def rate_table(results: Sequence) -> Table:
    """Return the rate table laid out as ``airq rates`` prints it, with its notes as caption.

    Parameters
    ----------
    results
        Lines of the table (:class:`~airq.analyse.rates.RateResult`).
    """
    from airq.render.rates_text import _columns, _notes, _title

    cols = _columns(results)
    return Table(_title(results), tuple(h for h, _, _ in cols),
                 tuple(tuple(fn(r) for _, fn, _ in cols) for r in results),
                 frozenset(i for i, (_, _, right) in enumerate(cols) if right),
                 caption=" ".join(_notes(results)),
                 nowrap=frozenset(i for i, (h, _, _) in enumerate(cols) if "CI)" in h))
