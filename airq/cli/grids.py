"""``airq grids``: the grid catalogue."""

from __future__ import annotations

import json

import click

from airq.cli import cli
from airq.cli.catalogue_check import add_check_command
from airq.cli.types import CRS_TYPE


@cli.group("grids")
def grids():
    """Manage the grid catalogue: LAEI grids converted once to Cloud-Optimised GeoTIFF.

    The catalogue lives in the airq data directory ($AIRQ_HOME, or the platform's
    user data folder) and records each grid's source file, SHA-256, edition,
    model year, pollutant, units and CRS.
    """


@grids.command("add")
@click.argument("paths", metavar="FILE|ZIP|FOLDER...", nargs=-1, required=True)
@click.option("--pollutant", default=None, help="Pollutant, where the file name does not say.")
@click.option("--year", type=int, default=None, help="Model year, where the name does not say.")
@click.option("--edition", default=None, help="Inventory edition, e.g. 'LAEI 2019'.")
@click.option("--grid-crs", default=None, metavar="CRS", type=CRS_TYPE,
              help="CRS of a non-LAEI grid that carries none.")
@click.option("--units", default=None, help="Units of a non-LAEI grid without a units tag.")
@click.option("--overwrite", is_flag=True, help="Replace an entry for the same grid.")
def add(paths, pollutant, year, edition, grid_crs, units, overwrite):
    """Add grid files, or every LAEI grid in a GLA zip archive, to the catalogue.

    Reads .asc, LAEI point .csv, .tif and .nc files, and zips of them without
    unpacking. Pollutant, model year and edition come from the LAEI file names
    unless given. Defra background map CSVs (1 km, µg/m³) are recognised by their
    header; several authorities' files, or a folder of them, are combined into one
    grid per pollutant and year.

    \b
    Example:
      airq grids add LAEI2019-Concentrations-Data-ASCII.zip
      airq grids add my_no2.tif --pollutant no2 --year 2022 --edition "Council model"
      airq grids add defra/barking_no2_2021.csv defra/havering_no2_2021.csv
    """
    from airq.cli.runner import echoed_warnings
    from airq.read.catalogue.grids import add_grid

    with echoed_warnings():
        entries = add_grid(list(paths), pollutant=pollutant, year=year, edition=edition,
                           grid_crs=grid_crs, units=units, overwrite=overwrite)
    for e in entries:
        note = " (CRS assumed EPSG:27700)" if e.info.crs_assumed else ""
        if e.info.background:
            files = len(e.info.parts)
            note += (f"; 1 km background, not roadside, from {files} file"
                     f"{'s' if files != 1 else ''}")
        click.echo(f"Added {e.id}: {e.info.label}, {e.shape[1]} x {e.shape[0]} cells{note}",
                   err=True)


@grids.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_(as_json):
    """List the catalogued grids.

    \b
    Example:
      airq grids list
    """
    from airq.read.catalogue.grids import list_grids

    entries = list_grids()
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo("The grid catalogue is empty: run `airq demo` or `airq grids add FILE`.",
                   err=True)
        return
    click.echo(f"{'id':<34} {'pollutant':<9} {'year':<5} {'units':<6} {'edition':<20} source")
    for e in entries:
        demo = "  [SYNTHETIC DEMO DATA]" if e.info.synthetic else ""
        from pathlib import Path

        src = e.info.member or Path(e.info.source).name
        click.echo(f"{e.id:<34} {e.info.pollutant:<9} {e.info.year!s:<5} {e.info.units:<6} "
                   f"{e.info.edition!s:<20} {Path(src).name}{demo}")


@grids.command("info")
@click.argument("grid_id", metavar="ID")
def info(grid_id):
    """Show one grid's provenance as JSON (source, SHA-256, CRS, extent).

    \b
    Example:
      airq grids info laei-2013-update/no2-2020
    """
    from airq.read.catalogue.grids import get_grid

    click.echo(json.dumps(get_grid(grid_id).to_dict(), indent=2, ensure_ascii=False))


@grids.command("remove")
@click.argument("grid_id", metavar="ID")
def remove(grid_id):
    """Remove a grid from the catalogue (the source file is not touched).

    \b
    Example:
      airq grids remove laei-2013-update/no2-2013
    """
    from airq.read.catalogue.grids import remove_grid

    e = remove_grid(grid_id)
    click.echo(f"Removed {e.id}", err=True)


add_check_command(grids, "grid", "airq.read.catalogue.grids:check_grids")
