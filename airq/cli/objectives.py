"""``airq objectives``: the objectives table with its sources."""

from __future__ import annotations

import click

from airq.cli import cli
from airq.cli.options import format_opt


@cli.command("objectives")
@click.option("--set", "sets", multiple=True, metavar="SET",
              help="Show only these sets (repeatable).")
@format_opt(choices=("text", "markdown", "json", "csv"))
def objectives(sets, fmt):
    """Print the air quality objectives airq compares with, with their legal sources.

    Values are in µg/m³. Sets: uk (default for comparisons), england-2040,
    scotland, eu-stage2, who-2021. The table is a versioned data file in the
    package; reports record its version.

    \b
    Example:
      airq objectives --set uk --set who-2021
    """
    from airq.analyse.objectives import load_objectives
    from airq.render.objectives_text import render_objectives

    table = load_objectives()
    rows = table.select(sets) if sets else table.objectives
    click.echo(render_objectives(table.version, rows, fmt), nl=False)
