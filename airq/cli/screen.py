"""``airq screen``: land-use history around an area, without the air-quality part."""

from __future__ import annotations

import shlex
import sys
import warnings

import click

from airq.cli import cli
from airq.cli.address_options import address_options
from airq.cli.options import format_opt, output_opt, overwrite_opt
from airq.cli.types import CRS_TYPE, check_where


@cli.command("screen")
@click.argument("boundaries", type=click.Path(dir_okay=False), required=False)
@click.option("--where", multiple=True, metavar="COLUMN=VALUE", callback=check_where,
              help="Select boundaries (repeatable; all must hold).")
@click.option("--boundaries-layer", default=None,
              help="Layer of a multi-layer boundaries file (GeoPackage, GML).")
@click.option("--boundaries-crs", default=None, metavar="CRS", type=CRS_TYPE,
              help="CRS of a boundaries file that has none, e.g. EPSG:27700.")
@click.option("--layer", "layers", multiple=True, metavar="NAME|FILE",
              help="Land-use layer to search (repeatable; default: every catalogued layer).")
@click.option("--bands", default=None, metavar="M,M,...",
              help="Search band edges in metres [default: 0,50,250,500].")
@address_options
@format_opt(choices=("text", "markdown", "json"))
@output_opt
@overwrite_opt
def screen(boundaries, where, boundaries_layer, boundaries_crs, layers, bands, fmt, output,
           overwrite, **address):
    """Historic land use on and around a site: landfill, industry, brownfield, map epochs.

    Lists every feature of the land-use layers on the site (the union of the
    selected boundaries) and within the search bands, with its distance in metres
    from the site boundary to the feature's nearest edge (0 when on the site), its
    8-point compass direction from the site's centre, band, category, name and
    dates; a sentence per layer a resident can read; and, for layers with map
    epochs, the land use covering the site at each epoch as a share of its area.

    \b
    Example:
      airq screen plots.gpkg --where "street=Woodlands Avenue" --layer ea-landfill
      airq screen plots.gpkg --bands 0,100,250,1000 -f markdown -o screening.md
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.analyse.landuse import DEFAULT_BANDS_M, area_from_boundaries, screen_landuse
    from airq.cli.output_checks import check_command_outputs
    from airq.cli.runner import (
        build_settings,
        echo_warnings,
        parse_bands,
        read_area,
        write_or_echo,
    )
    from airq.errors import AirqWarning
    from airq.read.catalogue.layers import load_layers
    from airq.record import screen_provenance
    from airq.render.landuse_text import render_landuse

    bands_m = parse_bands(bands) or DEFAULT_BANDS_M
    check_command_outputs({"-o/--output": output}, overwrite)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        b = read_area(boundaries, where=where, boundaries_crs=boundaries_crs,
                      boundaries_layer=boundaries_layer,
                      settings=build_settings(None), **address)
        layer_objs = load_layers(layers)
        result = screen_landuse(area_from_boundaries(b.gdf), layer_objs, bands_m)
        if b.synthetic and not result.synthetic:
            import dataclasses

            result = dataclasses.replace(result, synthetic=True)
    said = list(dict.fromkeys([*b.notes, *(str(w.message) for w in caught)]))
    echo_warnings(said)
    provenance = screen_provenance(b, layer_objs, bands_m, shlex.join(["airq", *sys.argv[1:]]),
                                   synthetic=result.synthetic, warnings=said)
    text = render_landuse(result, fmt, provenance)
    if b.selection is not None:  # chosen by address: name the selection in the output
        from airq.render.addresses_text import with_site

        text = with_site(text, fmt, b)
    write_or_echo(text, output, overwrite)
