"""Click options shared by several commands, defined once."""

from __future__ import annotations

import click

from airq.cli.types import CRS_TYPE, check_where

output_opt = click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default=None,
    help="Write to this file (atomically) instead of standard output (- or nothing).",
)
overwrite_opt = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace an existing output file."
)


def format_opt(choices=("text", "markdown", "json", "csv"), default="text"):
    """Return a ``--format`` option with the given choices."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def _stack(*decorators):
    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f
    return apply


area_options = _stack(
    click.option("--where", multiple=True, metavar="COLUMN=VALUE", callback=check_where,
                 help="Select boundaries (repeatable; all must hold)."),
    click.option("--name", default=None, help="Name of the area in reports "
                 "(default: the --where value or the file name)."),
    click.option("--boundaries-layer", default=None,
                 help="Layer of a multi-layer boundaries file (GeoPackage, GML)."),
    click.option("--boundaries-crs", default=None, metavar="CRS", type=CRS_TYPE,
                 help="CRS of a boundaries file that has none, e.g. EPSG:27700."),
)

grid_options = _stack(
    click.option("--grid", "grid_specs", multiple=True, metavar="POLLUTANT:YEAR=PATH",
                 help="Use this grid file or zip instead of the catalogue (repeatable)."),
    click.option("--grid-crs", default=None, metavar="CRS", type=CRS_TYPE,
                 help="CRS of non-LAEI grid files that carry none."),
    click.option("--pollutant", "pollutants", multiple=True,
                 help="Catalogue pollutants to use: no2, pm10, pm25, nox, pm10d "
                      "(repeatable; default no2, pm10, pm25 and pm10d)."),
    click.option("--year", "years", multiple=True, type=int,
                 help="Catalogue model years to use (repeatable; default all)."),
    click.option("--edition", default=None,
                 help="Catalogue inventory edition, e.g. 'LAEI 2019'."),
    click.option("--units", "--grid-units", "grid_units", default=None, metavar="UNITS",
                 help="Units of the --grid files: µg/m³ (LAEI's), ppb (NO2 and NOx: converted "
                      "at 20 °C and 1013 hPa), mg/m³, ng/m³; others get no verdict."),
)

settings_options = _stack(
    click.option("--config", type=click.Path(dir_okay=False), default=None,
                 help="TOML settings file; command-line options win over it."),
    click.option("--method", type=click.Choice(["centre", "all-touched", "area-weighted"]),
                 default=None, help="Which grid cells count [default: centre]."),
    click.option("--sd", type=click.Choice(["population", "sample"]), default=None,
                 help="Standard deviation with n (population) or n-1 (sample) "
                      "[default: population]."),
    click.option("--objectives", multiple=True, metavar="SET",
                 help="Objective sets (repeatable or comma-separated; the first gives the "
                      "objective column) [default: uk]. See `airq objectives`."),
    click.option("--per-boundary", is_flag=True, default=None,
                 help="Figures per boundary: beside the area's (query, map, report); in "
                      "place of one row per group (batch)."),
    click.option("--strict", is_flag=True, default=None,
                 help="Treat every warning as an error."),
    click.option("--drop-implausible", is_flag=True, default=None,
                 help="Leave out grid values that cannot be annual means (negative, NaN, "
                      "inf, above the pollutant's ceiling), counted and warned about, "
                      "instead of stopping."),
    click.option("--bands", default=None, metavar="M,M,...",
                 help="Land-use search bands in metres [default: 0,50,250,500]."),
)
