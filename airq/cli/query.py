"""``airq query``: air quality (and land use) for one area."""

from __future__ import annotations

import click

from airq.cli import cli
from airq.cli.address_options import address_options
from airq.cli.appendix_options import appendix_options, sheet_options
from airq.cli.options import (
    area_options,
    format_opt,
    grid_options,
    output_opt,
    overwrite_opt,
    settings_options,
)


@cli.command("query")
@click.argument("boundaries", type=click.Path(dir_okay=False), required=False)
@area_options
@address_options
@grid_options
@settings_options
@click.option("--layer", "layers", multiple=True, metavar="NAME|FILE",
              help="Land-use layer to screen (repeatable; default: every catalogued layer).")
@click.option("--no-layers", is_flag=True, help="Skip the land-use screening.")
@format_opt()
@output_opt
@appendix_options
@sheet_options
@overwrite_opt
def query(boundaries, where, name, boundaries_layer, boundaries_crs, grid_specs, grid_crs,
          pollutants, years, edition, config, method, sd, objectives, per_boundary, strict,
          bands, layers, no_layers, fmt, output, map_path, png_path, svg_path, report_path,
          self_contained, query_text, historic_maps, no_historic_maps, basemap, figures,
          overwrite, grid_units, drop_implausible, **address):
    """Modelled annual-mean NO2, PM10 and PM2.5 inside a street's property boundaries.

    Pools the grid points (20 m cell centres of the LAEI grids) inside the union
    of the selected boundaries, reports n, mean, SD, min, max and median per
    pollutant and model year in µg/m³, compares each mean with the annual-mean
    objectives, and screens the catalogued land-use layers. Grids come from the
    catalogue (airq grids add, airq demo) or from --grid.

    \b
    Example:
      airq query boundaries/demo/residential_plots.gpkg \\
          --where "street=Woodlands Avenue" --format json -o maps/woodlands.json \\
          --map maps/woodlands.html --report maps/woodlands.pdf
    """
    from airq.cli.appendix_options import check_appendices, write_appendices
    from airq.cli.runner import assessment_from_params, emit

    check_appendices(overwrite, self_contained, output=output, map_path=map_path,
                     png_path=png_path, svg_path=svg_path, report_path=report_path)
    result = assessment_from_params(click.get_current_context().params,
                                    figures=bool(png_path or svg_path or report_path))
    emit(result, fmt, output, overwrite)
    write_appendices(result, overwrite=overwrite, config=config, self_contained=self_contained,
                     query_text=query_text, map_path=map_path, png_path=png_path,
                     svg_path=svg_path, report_path=report_path, figures=figures)
