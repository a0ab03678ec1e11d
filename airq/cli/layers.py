"""``airq layers``: the land-use layer catalogue and the historic map tile sources."""

from __future__ import annotations

import json

import click

from airq.cli import cli
from airq.cli.catalogue_check import add_check_command
from airq.cli.map_sheets import (
    SHEET_KIND_CHOICES,
    add_sheet,
    check_sheet_options,
    list_sheets,
    sheet_info_text,
)
from airq.cli.options import format_opt
from airq.cli.runner import echoed_warnings
from airq.cli.types import CRS_TYPE

# Kept literal so `airq --help` need not import geopandas; tests check it matches
# airq.read.layers.KINDS.
KIND_CHOICES = ("landfill", "industry", "epochs", "brownfield", "generic")


@cli.group("layers")
def layers():
    """Land-use layers kept in the data directory, and historic map tiles.

    A layer is checked and converted once to a GeoPackage in British National Grid
    (EPSG:27700) under the data directory ($AIRQ_HOME/layers), with its source
    file, SHA-256, feature count, CRS, kind and field mapping. `airq screen` and
    `airq query` search every catalogued layer unless told which.
    """


@layers.command("add")
@click.argument("file", type=click.Path(exists=True))
@click.option("--name", default=None, help="Name in the catalogue [default: the file name].")
@click.option("--kind", type=click.Choice(KIND_CHOICES + SHEET_KIND_CHOICES), default=None,
              help="What the layer records [default: detected, else generic]; historic-map or "
                   "basemap for a georeferenced map sheet.")
@click.option("--crs", default=None, metavar="CRS", type=CRS_TYPE,
              help="CRS of a file that declares none, e.g. EPSG:27700.")
@click.option("--layer", "source_layer", default=None,
              help="Layer of a multi-layer file [default: the first].")
@click.option("--category-field", default=None, help="Field holding the land-use category.")
@click.option("--name-field", default=None, help="Field holding the site name.")
@click.option("--start-field", default=None, help="Field holding the start date.")
@click.option("--end-field", default=None, help="Field holding the end date.")
@click.option("--epoch-field", default=None,
              help="Field holding the map epoch (year): makes a land-use timeline.")
@click.option("--epoch", type=int, default=None,
              help="Map sheets: the year the historic map was surveyed or revised.")
@click.option("--title", default=None, help="Map sheets: the title shown on maps and reports.")
@click.option("--attribution", default=None,
              help="Map sheets: whose map it is, shown wherever it is drawn.")
@click.option("--overwrite", is_flag=True, default=False,
              help="Replace a catalogued layer of the same name.")
def add(file, name, kind, crs, source_layer, category_field, name_field, start_field,
        end_field, epoch_field, epoch, title, attribution, overwrite):
    """Check a land-use layer and add it to the catalogue.

    Any vector format GDAL reads (polygons, lines or points, any CRS), or a CSV.
    The Environment Agency Historic Landfill Sites schema and brownfield land
    register CSVs are recognised without a field mapping; for other layers map
    their fields once here, or leave them unmapped and their attributes are shown
    as they are. Distances are later measured in metres in EPSG:27700.

    A map sheet (--kind historic-map with --epoch, or --kind basemap) is a
    georeferenced GeoTIFF, a JPEG/PNG with world file and .prj, MBTiles or a
    {z}/{x}/{y} tile folder; it is checked and kept unchanged.

    \b
    Examples:
      airq layers add historic_landfill.gpkg --name ea-landfill
      airq layers add uses.shp --crs EPSG:27700 --category-field USE --start-field FROM
      airq layers add landuse_by_epoch.gpkg --epoch-field MAP_YEAR --category-field CLASS
      airq layers add os_sheet_90SW.tif --kind historic-map --epoch 1896 --title "OS 25 inch"
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.read.catalogue.layers import add_layer

    check_sheet_options(kind, epoch, title, attribution)
    if kind in SHEET_KIND_CHOICES:
        add_sheet(file, name=name, kind=kind, epoch=epoch, title=title, attribution=attribution,
                  overwrite=overwrite, crs=crs, source_layer=source_layer,
                  category_field=category_field, name_field=name_field,
                  start_field=start_field, end_field=end_field, epoch_field=epoch_field)
        return

    mapping = {"category": category_field, "name": name_field, "start": start_field,
               "end": end_field, "epoch": epoch_field}
    with echoed_warnings():
        entry = add_layer(file, name=name, kind=kind, crs=crs, layer=source_layer,
                          mapping={k: v for k, v in mapping.items() if v} or None,
                          overwrite=overwrite)
    p = entry.provenance
    schema = f", {p.schema} schema recognised" if p.schema else ""
    plural = "" if p.feature_count == 1 else "s"
    click.echo(f"Added layer {entry.name!r} ({p.kind}{schema}): {p.feature_count} feature{plural} "
               f"from {p.source_crs}, stored in EPSG:27700.", err=True)


@layers.command("list")
@format_opt(choices=("text", "json"))
def list_(fmt):
    """List the catalogued land-use layers.

    One line per layer: name, kind, feature count, geometry, source CRS, date
    added and source file.

    \b
    Example:
      airq layers list --format json
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.read.catalogue.layers import list_layers
    from airq.render.landuse_text import render_layer_list

    entries = list_layers()
    if fmt == "json":
        list_sheets(fmt, [e.to_dict() for e in entries])
        return
    if entries:
        click.echo(render_layer_list(entries), nl=False)
    if not list_sheets(fmt, [e.name for e in entries]) and not entries:
        click.echo("No layers yet; add one with `airq layers add FILE`.", err=True)


@layers.command("info")
@click.argument("name")
@format_opt(choices=("text", "json"))
def info(name, fmt):
    """Show one layer's provenance: source, SHA-256, counts, CRS, mapping.

    \b
    Example:
      airq layers info ea-landfill
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.read.catalogue.layers import get_layer
    from airq.read.catalogue.map_sheets import get_map_sheet
    from airq.render.landuse_text import render_layer_info

    sheet = get_map_sheet(name)
    if sheet is not None:
        click.echo(json.dumps(sheet.to_dict(), indent=2) if fmt == "json"
                   else sheet_info_text(sheet), nl=fmt == "json")
        return
    entry = get_layer(name)
    if fmt == "json":
        click.echo(json.dumps(entry.to_dict(), indent=2))
    else:
        click.echo(render_layer_info(entry), nl=False)


@layers.command("remove")
@click.argument("name")
def remove(name):
    """Remove a layer and its stored copy from the catalogue.

    The source file it was added from is not touched.

    \b
    Example:
      airq layers remove ea-landfill
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.read.catalogue.layers import remove_layer
    from airq.read.catalogue.map_sheets import remove_map_sheet

    sheet = remove_map_sheet(name)
    if sheet is not None:
        click.echo(f"Removed map sheet {sheet.name!r}.", err=True)
        return
    entry = remove_layer(name)
    click.echo(f"Removed layer {entry.name!r}.", err=True)


add_check_command(layers, "layer", "airq.read.catalogue.layers:check_layers")


@layers.command("tiles")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), default=None,
              help="TOML settings file (maptiler_key_env, tile_source).")
@format_opt(choices=("text", "json"))
def tiles(config, fmt):
    """List historic Ordnance Survey map tile sources by epoch.

    The National Library of Scotland layers need a MapTiler key in the
    MAPTILER_KEY environment variable (free tier). Another XYZ source can be set
    as tile_source (a URL template) with tile_attribution in the settings. Years
    are survey and revision years; tiles are always shown with their attribution.

    \b
    Example:
      MAPTILER_KEY=... airq layers tiles
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.config import load_settings
    from airq.render.landuse_text import render_tile_sources
    from airq.render.tiles import key_env_name, list_tile_sources

    settings = load_settings(config) if config else None
    sources = list_tile_sources(settings)
    if fmt == "json":
        click.echo(json.dumps([s.to_dict() for s in sources], indent=2))
    else:
        click.echo(render_tile_sources(sources, key_env_name(settings)), nl=False)
