"""``airq report``: the officer's report (HTML or A4 PDF) for one area."""

from __future__ import annotations

import click

from airq.cli import cli
from airq.cli.address_options import address_options
from airq.cli.appendix_options import (
    check_appendices,
    landuse_options,
    map_opt,
    png_opt,
    query_text_opt,
    self_contained_opt,
    sheet_options,
    svg_opt,
    write_appendices,
)
from airq.cli.options import area_options, grid_options, settings_options


@cli.command("report")
@click.argument("boundaries", type=click.Path(dir_okay=False), required=False)
@area_options
@address_options
@grid_options
@settings_options
@landuse_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              metavar="FILE.{html,pdf}",
              help="The report to write: .html or .pdf (A4); - for HTML on standard output.")
@query_text_opt
@click.option("--rates", "rates_path", type=click.Path(exists=True, dir_okay=False),
              metavar="FILE.json", help="A rate table from `airq rates -f json`, shown beside "
              "the air quality: the stage 1 report's health track.")
@map_opt
@png_opt
@svg_opt
@self_contained_opt
@sheet_options
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def report(boundaries, where, name, boundaries_layer, boundaries_crs, grid_specs, grid_crs,
           pollutants, years, edition, config, method, sd, objectives, per_boundary, strict,
           bands, layers, no_layers, output, query_text, rates_path, map_path, png_path,
           svg_path, self_contained, historic_maps, no_historic_maps, basemap, figures,
           overwrite, grid_units, drop_implausible, **address):
    """Write the environmental health report for a resident's query, as HTML or A4 PDF.

    Writes the appendix an officer attaches to the answer: the query as received,
    a plain-language summary, land contamination findings with the land-use
    timeline, the modelled annual means (µg/m³) against the objectives per model
    year with a map figure, methods, caveats, and every data source with its
    licence and SHA-256. Page numbers, the airq version and run date are in the
    footer. With --rates, the cancer-rate table of a stage 1 investigation (from
    `airq rates -f json`, with its confidence intervals) gets a section of its own.

    \b
    Example:
      airq report boundaries/demo/residential_plots.gpkg --where "street=Woodlands Avenue" \\
          --query-text "Is the land or the air the cause?" -o maps/woodlands.pdf
    """
    from airq.cli.runner import assessment_from_params, echo_warnings

    check_appendices(overwrite, self_contained, "report_path", report_path=output,
                     map_path=map_path, png_path=png_path, svg_path=svg_path)
    rates = ()
    if rates_path:
        from airq.read.results_json import read_rates_json

        rates = (read_rates_json(rates_path),)
    result = assessment_from_params(click.get_current_context().params, figures=True)
    echo_warnings(result.warnings)
    write_appendices(result, overwrite=overwrite, config=config, self_contained=self_contained,
                     query_text=query_text, report_path=output, map_path=map_path,
                     png_path=png_path, svg_path=svg_path, rates=rates, figures=figures)
