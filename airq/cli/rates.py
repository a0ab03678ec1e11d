"""The ``airq rates`` command: the cancer-rate table of a stage 1 cluster screening."""

from __future__ import annotations

import click

from airq.cli import cli
from airq.cli.options import format_opt, output_opt, overwrite_opt
from airq.cli.types import FiniteFloat


def _check_forms(table, cases, person_years, standard, reference, reference_rate) -> None:
    """Refuse option combinations that cannot work (usage errors, exit 2)."""
    if table is not None and (cases is not None or person_years is not None):
        raise click.UsageError("give either TABLE or --cases and --person-years, not both")
    if reference is not None and reference_rate is not None:
        raise click.UsageError("give --reference or --reference-rate, not both")
    if table is not None:
        return
    if cases is None and person_years is None:
        raise click.UsageError("give a TABLE.csv, or --cases and --person-years for one area")
    if person_years is None:
        raise click.UsageError("--cases needs --person-years (the population at risk)")
    if cases is None:
        raise click.UsageError("--person-years needs --cases (the observed count)")
    if standard is not None:
        raise click.UsageError("--standard needs a TABLE with cases by age band")
    if reference is not None:
        raise click.UsageError(
            "--reference names an area in TABLE; for one area use --reference-rate"
        )


@cli.command("rates")
@click.argument("table", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--cases", type=click.IntRange(min=0), help="Observed cases (one-area form).")
@click.option(
    "--person-years",
    type=FiniteFloat(min=0, min_open=True),
    help="Person-years at risk, or population (one-area form).",
)
@click.option("--area", default="area", show_default=True, help="Name for the one-area form.")
@click.option(
    "--multiplier",
    type=FiniteFloat(min=0, min_open=True),
    default=100_000,
    show_default=True,
    help="Rates per this many person-years.",
)
@click.option(
    "--level",
    type=click.Choice(["0.95", "0.998"]),
    default="0.95",
    show_default=True,
    help="Confidence level of every interval.",
)
@click.option(
    "--ci-method",
    type=click.Choice(["auto", "byar", "exact"]),
    default="auto",
    show_default=True,
    help="Poisson limits: auto is Byar's for 10 or more cases, exact below.",
)
@click.option(
    "--standard",
    type=click.Path(exists=True, dir_okay=False),
    help="Standard population CSV (age_band,population) instead of ESP 2013.",
)
@click.option("--reference", metavar="AREA", help="Area in TABLE to compare every area with.")
@click.option(
    "--reference-rate",
    type=FiniteFloat(min=0),
    metavar="RATE",
    help="Compare crude rates with this rate (per --multiplier).",
)
@format_opt()
@output_opt
@overwrite_opt
def rates(
    table,
    cases,
    person_years,
    area,
    multiplier,
    level,
    ci_method,
    standard,
    reference,
    reference_rate,
    fmt,
    output,
    overwrite,
):
    """Crude and age-standardised rates with confidence intervals.

    Give one area as --cases and --person-years, or many in TABLE.csv with
    columns area, age_band (optional), cases and person_years (or population).
    Rates are per 100,000 person-years (--multiplier). Crude-rate intervals use
    Byar's method for 10 or more cases and exact Poisson limits below that.
    Age-standardised rates use the European Standard Population 2013 (19 bands,
    0-4 to 90+) with Dobson's method, and are not calculated for fewer than 10
    cases. With --reference, each area is significantly higher or lower than
    the reference only if its whole interval lies above or below the
    reference's rate (age-standardised where possible; with age bands but
    under 10 cases, the ratio to the cases expected at the reference's rates).

    \b
    Examples:
      airq rates --cases 79 --person-years 21507 --area "LSOA of interest"
      airq rates cancers.csv --reference "Barking and Dagenham CCG"
      airq rates cancers.csv --level 0.998 -f json -o rates.json
    """  # noqa: D301  (click's \b marker must be a real backspace, not a raw string)
    from airq.analyse import rates as lib
    from airq.cli.output_checks import check_command_outputs
    from airq.cli.runner import write_or_echo
    from airq.render.rates_text import render_rates

    _check_forms(table, cases, person_years, standard, reference, reference_rate)
    check_command_outputs({"-o/--output": output}, overwrite)
    if table is None:
        areas = [lib.area_totals(area, cases, person_years)]
    else:
        areas = lib.read_rates_table(table)
    results = lib.rate_table(
        areas,
        lib.read_standard_population(standard) if standard else None,
        multiplier=multiplier,
        level=float(level),
        method=ci_method,
        reference=reference,
        reference_rate=reference_rate,
    )
    provenance = lib.rates_provenance(
        table, standard, multiplier=multiplier, level=float(level), ci_method=ci_method,
        reference=reference, reference_rate=reference_rate)
    write_or_echo(render_rates(results, fmt, provenance), output, overwrite)
