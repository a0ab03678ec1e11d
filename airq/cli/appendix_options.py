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

appendix_options = _stack(map_opt, png_opt, svg_opt, report_opt, self_contained_opt,
                          query_text_opt)

_SUFFIXES = {"map_path": ((".html", ".htm"), "--map"), "png_path": ((".png",), "--png"),
             "svg_path": ((".svg",), "--svg"),
             "report_path": ((".html", ".htm", ".pdf"), "--report")}


def check_appendices(overwrite: bool, self_contained: bool = False, output_key: str = "",
                     **paths) -> list[Path]:
    """Check suffixes and that every output may be written, before any work is done.

    ``paths`` are ``map_path``, ``png_path``, ``svg_path``, ``report_path`` (None when
    not asked for); ``output_key`` names the one given as ``-o/--output``. Raises
    click.BadParameter naming the option for a wrong suffix.
    """
    from airq.outputs import check_writable

    out = []
    for key, path in paths.items():
        if not path:
            continue
        suffixes, opt = _SUFFIXES[key]
        opt = "-o/--output" if key == output_key else opt
        if Path(path).suffix.lower() not in suffixes:
            raise click.BadParameter(f"{path} must end in {' or '.join(suffixes)}",
                                     param_hint=opt)
        out.append(check_writable(path, overwrite))
    names = [str(p.resolve()) for p in out]
    if len(set(names)) != len(names):
        raise click.UsageError("two outputs have the same file name")
    if self_contained and paths.get("map_path"):
        from airq.render.assets import check_assets

        check_assets()
    return out


def write_appendices(result, *, overwrite: bool, config=None, self_contained: bool = False,
                     query_text: str | None = None, map_path=None, png_path=None,
                     svg_path=None, report_path=None, rates=()) -> None:
    """Write the map, figures and report asked for, and say so on stderr."""
    if map_path:
        from airq.cli.runner import build_settings
        from airq.render.maps import write_map

        write_map(result, map_path, overwrite=overwrite, self_contained=self_contained,
                  tile_settings=build_settings(config))
        click.echo(f"Wrote {map_path}", err=True)
    for path in (png_path, svg_path):
        if path:
            from airq.render.figures import write_figure

            write_figure(result, path, overwrite=overwrite)
            click.echo(f"Wrote {path}", err=True)
    if report_path:
        from airq.render.document import write_report

        write_report(result, report_path, overwrite=overwrite, query_text=query_text,
                     rates=rates)
        click.echo(f"Wrote {report_path}", err=True)
