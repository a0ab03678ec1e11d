"""Render a rate table (RateResult objects) as text, markdown, CSV or JSON.

Renderers only lay out what :func:`airq.analyse.rates.rate_table` computed; they never
recompute a statistic. Numbers are rounded for display in text and markdown
(rates to one decimal place, as published) and kept at full precision in CSV and
JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import fields

from airq.analyse.rates import RateResult
from airq.render.escape import markdown_text

#: Formats :func:`render_rates` can write.
FORMATS = ("text", "markdown", "csv", "json")

_BASIS_SHORT = {
    "age-standardised rate": "age-standardised rates",
    "standardised ratio": "age-standardised ratio",
    "crude rate": "crude rates",
}


def _level(level: float) -> str:
    return f"{level * 100:g}%"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def _with_ci(value: float | None, lower: float | None, upper: float | None, fmt=_rate) -> str:
    return f"{fmt(value)} ({fmt(lower)}, {fmt(upper)})"


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _isr_cell(r: RateResult) -> str:
    return "" if r.isr is None else _with_ci(r.isr, r.isr_lower, r.isr_upper, _ratio)


def _comparison_cell(r: RateResult) -> str:
    if r.comparison is None:
        return ""
    if r.significance is None:
        return f"({r.comparison})"
    return f"{r.comparison} ({_BASIS_SHORT.get(r.comparison_basis, r.comparison_basis)})"


def _columns(results: Sequence[RateResult]) -> list[tuple[str, Callable, bool]]:
    """Choose the columns: (header, cell function, right-aligned)."""
    first = results[0]
    lvl = _level(first.level)
    cols: list[tuple[str, Callable, bool]] = [
        ("area", lambda r: r.area, False),
        ("cases", lambda r: _count(r.cases), True),
        (first.denominator, lambda r: _count(r.person_years), True),
        (
            f"crude rate ({lvl} CI)",
            lambda r: _with_ci(r.crude_rate, r.crude_lower, r.crude_upper),
            False,
        ),
    ]
    if any(r.standard is not None for r in results):
        cols.append(
            (
                f"age-standardised rate ({lvl} CI)",
                lambda r: r.dsr_note or _with_ci(r.dsr, r.dsr_lower, r.dsr_upper),
                False,
            )
        )
    if any(r.isr is not None for r in results):
        cols.append(
            (
                f"ratio to reference ({lvl} CI)",
                _isr_cell,
                False,
            )
        )
    if any(r.comparison is not None for r in results):
        cols.append(("comparison", _comparison_cell, False))
    return cols


def _title(results: Sequence[RateResult]) -> str:
    first = results[0]
    return (
        f"Rates per {_count(first.multiplier)} {first.denominator}, "
        f"{_level(first.level)} confidence intervals"
    )


def _notes(results: Sequence[RateResult]) -> list[str]:
    """Explain the methods and the comparison in plain words."""
    lvl = _level(results[0].level)
    notes = []
    methods = {r.method for r in results}
    if methods == {"byar"}:
        crude = "Byar's method"
    elif methods == {"exact"}:
        crude = "exact Poisson limits"
    else:
        crude = "Byar's method for 10 or more cases, exact Poisson limits for fewer"
    notes.append(f"Crude rate intervals: {crude}.")
    standards = sorted({r.standard for r in results if r.standard})
    if standards:
        dsr_methods = {r.dsr_method for r in results if r.dsr_method}
        limits = "exact" if dsr_methods == {"dobson-exact"} else "Byar"
        notes.append(
            f"Age-standardised rates: directly standardised to the {', '.join(standards)} "
            f"standard population; intervals by Dobson's method ({limits} limits of the "
            "total count); not calculated for fewer than 10 cases."
        )
    elif any(r.dsr_note for r in results):
        notes.append(
            "Age-standardised rates: not calculated, because no age bands were given "
            "(give cases and person-years by age band in a table to get them)."
        )
    if any(r.isr is not None for r in results):
        ref = next(r.reference for r in results if r.isr is not None)
        notes.append(
            "Ratio to reference: observed cases divided by the cases expected at "
            f"{ref}'s age-specific rates; 1.00 means as many as expected."
        )
    if any(r.significance is not None for r in results):
        notes.append(
            f"'Significantly higher' or 'lower' means the area's whole {lvl} confidence "
            "interval lies above or below the reference value; 'not significantly "
            "different' means the interval includes it, so the difference could be chance."
        )
    if any(r.comparison_basis == "standardised ratio" for r in results):
        notes.append(
            "Where an area has too few cases for an age-standardised rate, it is compared "
            "by its ratio to the reference: higher or lower if the interval of the ratio "
            "lies wholly above or below 1."
        )
    if any(r.comparison_basis == "crude rate" for r in results):
        notes.append(
            "Crude rates do not allow for differences in age: an area with more older "
            "residents has more cancers for that reason alone. Compare age-standardised "
            "rates where they are available."
        )
    return notes


def rates_text(results: Sequence[RateResult]) -> str:
    """Render the rate table as aligned plain text, laid out like the published table.

    Parameters
    ----------
    results
        Lines of the table, from :func:`airq.analyse.rates.rate_table`.

    Returns
    -------
    str
        A title, the table and notes on the methods, ending in a newline.
    """
    if not results:
        return "No areas.\n"
    cols = _columns(results)
    cells = [[fn(r) for _, fn, _ in cols] for r in results]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, (h, _, _) in enumerate(cols)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, (_, _, right) in zip(values, widths, cols, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [_title(results), "", line([h for h, _, _ in cols]), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    out += ["", "Notes:"] + [f"- {n}" for n in _notes(results)]
    return "\n".join(out) + "\n"


def rates_markdown(results: Sequence[RateResult]) -> str:
    """Render the rate table as a markdown pipe table followed by notes.

    Parameters
    ----------
    results
        Lines of the table, from :func:`airq.analyse.rates.rate_table`.

    Returns
    -------
    str
        Markdown text ending in a newline.
    """
    if not results:
        return "No areas.\n"
    cols = _columns(results)

    def row(values: list[str]) -> str:
        return "| " + " | ".join(markdown_text(v) for v in values) + " |"

    out = [f"{_title(results)}:", "", row([h for h, _, _ in cols])]
    out.append("|" + "|".join("---:" if right else "---" for _, _, right in cols) + "|")
    out += [row([fn(r) for _, fn, _ in cols]) for r in results]
    out += [""] + [f"- {n}" for n in _notes(results)]
    return "\n".join(out) + "\n"


def rates_csv(results: Sequence[RateResult]) -> str:
    """Render the rate table as CSV with one column per RateResult field.

    Parameters
    ----------
    results
        Lines of the table.

    Returns
    -------
    str
        CSV text with a header row; empty cells where a value is None.
    """
    from airq.render.escape import SafeDictWriter

    names = [f.name for f in fields(RateResult)]
    buf = io.StringIO()
    writer = SafeDictWriter(buf, fieldnames=names)
    writer.writeheader()
    for r in results:
        writer.writerow({k: ("" if v is None else v) for k, v in r.to_dict().items()})
    return buf.getvalue()


def rates_json(results: Sequence[RateResult]) -> str:
    """Render the rate table as a JSON array of objects, one per area.

    Parameters
    ----------
    results
        Lines of the table.

    Returns
    -------
    str
        JSON text (null where a value is None), ending in a newline.
    """
    return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"


_RENDERERS: dict[str, Callable[[Sequence[RateResult]], str]] = {
    "text": rates_text,
    "markdown": rates_markdown,
    "csv": rates_csv,
    "json": rates_json,
}


def _provenance_lines(provenance: dict) -> list[str]:
    lines = [f"airq {provenance['airq_version']}, run {provenance['run_at']}"]
    for i in provenance["inputs"]:
        sha = f", sha256 {i['sha256']}" if i.get("sha256") else ""
        lines.append(f"{i['role']}: {i['source']}{sha}")
    opts = ", ".join(f"{k} {v}" for k, v in provenance["settings"].items() if v is not None)
    lines.append(f"settings: {opts}")
    return lines


def render_rates(results: Sequence[RateResult], fmt: str = "text",
                 provenance: dict | None = None) -> str:
    """Render the rate table in one of :data:`FORMATS`.

    Parameters
    ----------
    results
        Lines of the table, from :func:`airq.analyse.rates.rate_table`.
    fmt
        ``text``, ``markdown``, ``csv`` or ``json``.

    Returns
    -------
    str
        The rendered table.

    Raises
    ------
    ValueError
        If ``fmt`` is not one of :data:`FORMATS`.
    """
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    text = renderer(results)
    if provenance is None:
        return text
    lines = _provenance_lines(provenance)
    if fmt == "json":
        rows = json.loads(text)
        return json.dumps([dict(r, provenance=provenance) for r in rows], indent=2,
                          ensure_ascii=False) + "\n"
    if fmt == "csv":
        # Provenance as extra columns, so the file stays a plain table.
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        table = next((i for i in provenance["inputs"] if i["role"] == "table"), {})
        extra = {"airq_version": provenance["airq_version"], "run_at": provenance["run_at"],
                 "table_sha256": table.get("sha256", "")}
        buf = io.StringIO()
        from airq.render.escape import SafeDictWriter

        # The rows were neutralised when first written; numbers are text here.
        w = SafeDictWriter(buf, fieldnames=[*(rows[0] if rows else {}), *extra],
                           neutralise=False)
        w.writeheader()
        for r in rows:
            w.writerow(r | extra)
        return buf.getvalue()
    if fmt == "markdown":
        return text + "\n## Provenance\n\n" + "".join(f"- {x}\n" for x in lines)
    return text + "\nProvenance:\n" + "".join(f"  {x}\n" for x in lines)
