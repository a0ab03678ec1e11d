"""``airq layers`` for map sheets: add, list, show and remove historic maps and base maps."""

from __future__ import annotations

import json

import click

from airq.cli.runner import echoed_warnings

#: Kinds of ``airq layers add`` that are map sheets, not land-use layers.
SHEET_KIND_CHOICES = ("historic-map", "basemap")


def add_sheet(file, *, name, kind, epoch, title, attribution, overwrite, **land_use_options):
    """Add a map sheet to the catalogue and say so on stderr.

    ``land_use_options`` are the land-use options given (``--crs``, ``--category-field``
    ...); any set is a usage error, naming the option.
    """
    from airq.read.catalogue.layers import list_layers
    from airq.read.catalogue.map_sheets import add_map_sheet

    given = [k for k, v in land_use_options.items() if v]
    if given:
        opt = "--" + given[0].replace("_", "-").replace("source-layer", "layer")
        raise click.BadParameter(f"is for land-use layers, not a {kind}", param_hint=opt)
    with echoed_warnings():
        entry = add_map_sheet(file, name=name, kind=kind, epoch=epoch, title=title,
                              attribution=attribution, overwrite=overwrite,
                              taken={e.name for e in list_layers()})
    what = "historic map" if entry.kind == "historic-map" else "base map"
    when = f" {entry.epoch}" if entry.epoch is not None else ""
    x0, y0, x1, y1 = entry.extent_bng
    click.echo(f"Added {what} {entry.name!r}{when} ({entry.format}, {entry.crs}): covers "
               f"{x0:.0f}-{x1:.0f} E, {y0:.0f}-{y1:.0f} N (EPSG:27700); stored unchanged.",
               err=True)


def check_sheet_options(kind, epoch, title, attribution) -> None:
    """Refuse ``--epoch``, ``--title`` and ``--attribution`` for a land-use layer."""
    if kind in SHEET_KIND_CHOICES:
        return
    for opt, value in (("--epoch", epoch), ("--title", title), ("--attribution", attribution)):
        if value is not None:
            raise click.BadParameter("is for map sheets: give --kind historic-map or basemap",
                                     param_hint=opt)


def sheet_rows_text(entries) -> str:
    """Return the catalogued map sheets as a text table."""
    from airq.render.landuse_text import _table

    headers = ["name", "kind", "epoch", "title", "format", "CRS", "added", "source"]
    rows = [[e.name, e.kind, "-" if e.epoch is None else str(e.epoch), e.title, e.format,
             e.crs, e.added[:10], e.source] for e in entries]
    return "\n".join(_table(headers, rows, right={2})) + "\n"


def sheet_info_text(entry) -> str:
    """Return one catalogued map sheet with its provenance, as text."""
    x0, y0, x1, y1 = entry.extent_bng
    rows = [("name", entry.name), ("kind", entry.kind),
            ("epoch", "-" if entry.epoch is None else str(entry.epoch)),
            ("title", entry.title), ("attribution", entry.attribution),
            ("format", entry.format), ("CRS", entry.crs),
            ("extent", f"{x0:.1f}, {y0:.1f}, {x1:.1f}, {y1:.1f} (EPSG:27700)"),
            ("source", entry.source), ("sha256", entry.sha256),
            ("stored as", str(entry.path)), ("added", entry.added),
            ("synthetic", "yes: airq's demo data" if entry.synthetic else "no")]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows) + "\n"


def list_sheets(fmt: str, layer_dicts: list) -> bool:
    """Print the map sheets after the layers (text) or with them (JSON); True if any."""
    from airq.read.catalogue.map_sheets import list_map_sheets

    sheets = list_map_sheets()
    if fmt == "json":
        click.echo(json.dumps(layer_dicts + [e.to_dict() for e in sheets], indent=2))
        return True
    if sheets:
        click.echo("\nMap sheets" if layer_dicts else "Map sheets")
        click.echo(sheet_rows_text(sheets), nl=False)
    return bool(sheets)
