"""Options and steps shared by query, map and report for the map appendices and the report."""

from __future__ import annotations

from pathlib import Path

import click

from airq.cli.options import _stack

map_opt = click.option("--map", "map_path", type=click.Path(dir_okay=False), default=None,
                       metavar="FILE.html", help="Also write the interactive map (HTML).")
png_opt = click.option("--png", "png_path", type=click.Path(dir_okay=False), default=None,
                       metavar="FILE.png", help="Also write the static A4 figure as PNG.")
svg_opt = click.option("--svg", "svg_path", type=click.Path(dir_okay=False), default=None,
                       metavar="FILE.svg", help="Also write the static A4 figure as SVG.")
report_opt = click.option("--report", "report_path", type=click.Path(dir_okay=False),
                          default=None, metavar="FILE.{html,pdf}",
                          help="Also write the officer's report (HTML or A4 PDF).")
self_contained_opt = click.option(
    "--self-contained", is_flag=True, default=False,
    help="Inline every script and stylesheet in the map so it works with no internet "
         "(Leaflet and its plugins ship with airq; tile layers then show nothing).")
query_text_opt = click.option("--query-text", default=None, metavar="TEXT",
                              help="The resident's query as received, quoted in the report.")

landuse_options = _stack(
    click.option("--layer", "layers", multiple=True, metavar="NAME|FILE",
                 help="Land-use layer to screen (repeatable; default: every catalogued layer)."),
    click.option("--no-layers", is_flag=True, help="Skip the land-use screening."),
)

def _parse_figures(values):
    """Parse ``--figure`` values into panels (a usage error names the option)."""
    from airq.errors import InputError
    from airq.render.figures import parse_panel

    try:
        return tuple(parse_panel(v) for v in values)
    except InputError as err:
        raise click.BadParameter(str(err).removeprefix("--figure "),
                                 param_hint="--figure") from err


sheet_options = _stack(
    click.option("--historic-map", "historic_maps", multiple=True, metavar="FILE[:EPOCH]|NAME",
                 help="Historic map sheet to show, e.g. sheet.tif:1896: GeoTIFF, JPEG/PNG with "
                      "world file and .prj, MBTiles or a {z}/{x}/{y} folder, or a catalogued "
                      "sheet (repeatable; default: every catalogued historic map covering the "
                      "site)."),
    click.option("--no-historic-maps", is_flag=True,
                 help="Show no catalogued historic map sheet."),
    click.option("--basemap", default="auto", show_default=True,
                 metavar="auto|none|osm|NAME|FILE",
                 help="Base map under the figures: auto (a catalogued base map, else the "
                      "newest historic sheet), none, osm (OpenStreetMap tiles, fetched once "
                      "and cached under $AIRQ_HOME), or a map sheet."),
    click.option("--figure", "figures", multiple=True, metavar="POLLUTANT[:YEAR]|landuse",
                 callback=lambda _ctx, _param, values: _parse_figures(values),
                 help="A panel of the static figure, e.g. no2:2020 (repeatable; default one "
                      "panel per pollutant for the latest year, and land use)."),
)

appendix_options = _stack(map_opt, png_opt, svg_opt, report_opt, self_contained_opt,
                          query_text_opt)

_SUFFIXES = {"map_path": ((".html", ".htm"), "--map"), "png_path": ((".png",), "--png"),
             "svg_path": ((".svg",), "--svg"),
             "report_path": ((".html", ".htm", ".pdf"), "--report")}


def check_appendices(overwrite: bool, self_contained: bool = False, output_key: str = "",
                     output: str | None = None, **paths) -> dict:
    """Check suffixes, and every output against the inputs and each other, before any work.

    ``paths`` are ``map_path``, ``png_path``, ``svg_path``, ``report_path`` (None when
    not asked for); ``output_key`` names the one given as ``-o/--output`` (which may
    be ``-``, standard output), or ``output`` is the text output of ``airq query``.
    Raises click.BadParameter naming the option for a wrong suffix.
    """
    from airq.cli.output_checks import check_command_outputs
    from airq.outputs import is_stdout

    outputs = {"-o/--output": output} if output_key == "" else {}
    for key, path in paths.items():
        opt = "-o/--output" if key == output_key else _SUFFIXES[key][1]
        outputs[opt] = path
        if not path or is_stdout(path):  # - is checked with the other outputs
            continue
        suffixes = _SUFFIXES[key][0]
        if Path(path).suffix.lower() not in suffixes:
            raise click.BadParameter(f"{path} must end in {' or '.join(suffixes)}",
                                     param_hint=opt)
    checked = check_command_outputs(outputs, overwrite)
    if self_contained and paths.get("map_path"):
        from airq.render.assets import check_assets

        check_assets()
    return checked


def _write(path, write, render) -> None:
    """Write an appendix to ``path`` with ``write(path)``, or ``render()`` to stdout for -."""
    from airq.outputs import is_stdout

    if is_stdout(path):
        click.echo(render(), nl=False)
        return
    write(path)
    click.echo(f"Wrote {path}", err=True)


def write_appendices(result, *, overwrite: bool, config=None, self_contained: bool = False,
                     query_text: str | None = None, map_path=None, png_path=None,
                     svg_path=None, report_path=None, rates=(), figures=()) -> None:
    """Write the map, figures and report asked for, and say so on stderr.

    A map or report path of ``-`` (``airq map -o -``, ``airq report -o -``) writes
    the HTML to standard output. The ``--figure`` panels are checked against the
    result before anything is written.
    """
    if figures and (png_path or svg_path or report_path):
        from airq.render.figures import resolve_panels

        resolve_panels(result, figures)
    if map_path:
        from airq.cli.runner import build_settings
        from airq.render.maps import render_map_html, write_map

        tiles = build_settings(config)
        _write(map_path,
               lambda p: write_map(result, p, overwrite=overwrite, self_contained=self_contained,
                                   tile_settings=tiles),
               lambda: render_map_html(result, self_contained=self_contained,
                                       tile_settings=tiles))
        _say_key_in_map(tiles, map_path)
    for path in (png_path, svg_path):
        if path:
            from airq.render.figures import write_figure

            write_figure(result, path, overwrite=overwrite, panels=figures)
            click.echo(f"Wrote {path}", err=True)
    if report_path:
        from airq.render.document import render_report_html, write_report

        _write(report_path,
               lambda p: write_report(result, p, overwrite=overwrite, query_text=query_text,
                                      rates=rates, panels=figures),
               lambda: render_report_html(result, query_text=query_text, rates=rates,
                                          panels=figures))


def _say_key_in_map(tiles, map_path) -> None:
    """Say that the MapTiler key travels inside the map page (its tile URLs need it)."""
    from airq.render.tiles import key_env_name, maptiler_key

    if maptiler_key(tiles):
        where = "standard output" if map_path == "-" else map_path
        click.echo(f"Note: the MapTiler key (from ${key_env_name(tiles)} or the settings file) "
                   f"is written into {where}, because the historic tile addresses need it; "
                   "publish such a map only with a key restricted to your council's web "
                   "domains (MapTiler keys are meant to be domain-restricted). No other airq "
                   "output holds the key.", err=True)
