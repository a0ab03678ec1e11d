"""``airq boundaries``: property boundaries joined to address points, catalogued once."""

from __future__ import annotations

import json

import click

from airq.cli import cli
from airq.cli.address_options import address_columns_opt
from airq.cli.options import format_opt
from airq.cli.types import CRS_TYPE, check_where


@cli.group("boundaries")
def boundaries():
    """Property boundaries joined to address points, kept in the data directory.

    `airq boundaries add` reads HM Land Registry INSPIRE Index Polygons (the
    council zip as downloaded, or any polygon file) and address points (ONS UPRN
    Directory, OS Open UPRN or a council gazetteer), assigns every address to the
    polygon holding it, and stores both as GeoParquet under $AIRQ_HOME/boundaries
    with the SHA-256 of both sources. Then `airq query --postcode "RM6 6EA"` needs
    no file arguments.
    """


@boundaries.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--addresses", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Address points: ONSUD, OS Open UPRN or a gazetteer CSV (or a zip).")
@address_columns_opt
@click.option("--name", default=None,
              help="Name in the catalogue [default: from the file name].")
@click.option("--where", multiple=True, metavar="COLUMN=VALUE", callback=check_where,
              help="Keep only these polygons (repeatable; all must hold).")
@click.option("--boundaries-layer", default=None, help="Layer of a multi-layer file.")
@click.option("--boundaries-crs", default=None, metavar="CRS", type=CRS_TYPE,
              help="CRS of a boundaries file that has none, e.g. EPSG:27700.")
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML settings file (address_columns).")
@click.option("--overwrite", is_flag=True, help="Replace catalogued boundaries of that name.")
def add(file, addresses, address_columns, name, where, boundaries_layer, boundaries_crs,
        config, overwrite):
    """Join boundaries to address points and add them to the catalogue.

    Every address point is assigned to each polygon covering it (inside or on
    the edge); points on no polygon are counted and kept (a query naming their
    postcode says so). A block of flats is one polygon holding many addresses.

    \b
    Example:
      airq boundaries add Barking_and_Dagenham.zip --addresses ONSUD_MAY_2025_LN.csv
      airq query --postcode "RM6 6EA"
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.cli.address_options import parse_address_columns
    from airq.cli.runner import build_settings, echo_warnings
    from airq.render.addresses_text import render_added
    from airq.selection import catalogue_boundaries

    settings = build_settings(config)
    columns = parse_address_columns(address_columns, settings.address_columns)
    entry, notes = catalogue_boundaries(file, addresses, name=name, where=where,
                                        crs=boundaries_crs, layer=boundaries_layer,
                                        address_columns=columns, overwrite=overwrite)
    echo_warnings(notes)
    click.echo(render_added(entry), err=True, nl=False)


@boundaries.command("list")
@format_opt(choices=("text", "json"))
def list_(fmt):
    """List the catalogued boundaries: name, polygons, addresses, sources.

    \b
    Example:
      airq boundaries list
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.read.catalogue.boundaries import list_boundaries
    from airq.render.addresses_text import render_list

    entries = list_boundaries()
    if fmt == "json":
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
    elif not entries:
        click.echo("No boundaries yet; add some with `airq boundaries add INSPIRE.zip "
                   "--addresses FILE`.", err=True)
    else:
        click.echo(render_list(entries), nl=False)


@boundaries.command("info")
@click.argument("name")
@format_opt(choices=("text", "json"))
def info(name, fmt):
    """Show catalogued boundaries' provenance: both sources, SHA-256, the join's counts.

    \b
    Example:
      airq boundaries info demo
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.read.catalogue.boundaries import get_boundaries
    from airq.render.addresses_text import render_info

    entry = get_boundaries(name)
    if fmt == "json":
        click.echo(json.dumps(entry.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_info(entry), nl=False)


@boundaries.command("remove")
@click.argument("name")
def remove(name):
    """Remove catalogued boundaries and their stored files.

    The source files they were added from are not touched.

    \b
    Example:
      airq boundaries remove demo
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.read.catalogue.boundaries import remove_boundaries

    entry = remove_boundaries(name)
    click.echo(f"Removed boundaries {entry.name!r}.", err=True)
