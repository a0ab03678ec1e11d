"""``airq map``: the interactive map (and static figures) of one area."""

from __future__ import annotations

import click

from airq.cli import cli
from airq.cli.address_options import address_options
from airq.cli.appendix_options import (
    check_appendices,
    landuse_options,
    png_opt,
    report_opt,
    self_contained_opt,
    sheet_options,
    svg_opt,
    write_appendices,
)
from airq.cli.options import area_options, grid_options, settings_options


@cli.command("map")
@click.argument("boundaries", type=click.Path(dir_okay=False), required=False)
@area_options
@address_options
@grid_options
@settings_options
@landuse_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              metavar="FILE.html", help="The map to write (HTML; - for standard output).")
@png_opt
@svg_opt
@report_opt
@self_contained_opt
@sheet_options
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def map_(boundaries, where, name, boundaries_layer, boundaries_crs, grid_specs, grid_crs,
         pollutants, years, edition, config, method, sd, objectives, per_boundary, strict,
         bands, layers, no_layers, output, png_path, svg_path, report_path, self_contained,
         historic_maps, no_historic_maps, basemap, figures, overwrite, grid_units,
         drop_implausible, **address):
    """Write an interactive map of a street: boundaries, grid points by year, land use.

    Draws the residential boundaries in orange over OpenStreetMap, a light grey
    map, aerial imagery and (with a MapTiler key or a configured source) historic
    OS maps; the sampled grid points coloured by modelled annual mean (µg/m³), one
    layer per pollutant and model year, with a legend marking the objective; and
    the land-use records and search bands. --self-contained inlines every script
    so the file works with no internet.

    \b
    Example:
      airq map boundaries/demo/residential_plots.gpkg --where "street=Woodlands Avenue" \\
          --per-boundary --self-contained -o maps/woodlands.html --png maps/woodlands.png
    """
    from airq.cli.runner import assessment_from_params, echo_warnings

    check_appendices(overwrite, self_contained, "map_path", map_path=output, png_path=png_path,
                     svg_path=svg_path, report_path=report_path)
    result = assessment_from_params(click.get_current_context().params,
                                    figures=bool(png_path or svg_path or report_path))
    echo_warnings(result.warnings)
    write_appendices(result, overwrite=overwrite, config=config, self_contained=self_contained,
                     map_path=output, png_path=png_path, svg_path=svg_path,
                     report_path=report_path, figures=figures)
