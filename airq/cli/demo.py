"""``airq demo``: write and register the synthetic demo data."""

from __future__ import annotations

from pathlib import Path

import click

from airq.cli import cli


@cli.command("demo")
@click.option("--dir", "root", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Folder to write grids/demo and boundaries/demo into.")
@click.option("--no-register", is_flag=True,
              help="Only write the files; do not add them to the catalogues.")
@click.option("--overwrite", is_flag=True, help="Replace demo files and catalogue entries.")
def demo(root, no_register, overwrite):
    """Write SYNTHETIC demo data in the published LAEI layouts, and catalogue it.

    Generates, deterministically, LAEI 2013 (update) style grids of NO2, PM10,
    PM2.5 (µg/m³) and PM10d (days) for model years 2013 and 2020 around Chadwell
    Heath, residential plots along six fictional streets, and historic land-use
    layers. Every output made from them says SYNTHETIC DEMO DATA. A zip in the
    LAEI 2022 layout (model year 2022), two Defra background map CSVs (2021) and
    a national brownfield-land.csv are written but not catalogued: add them with
    `airq grids add` and `airq layers add`.

    \b
    Example:
      airq demo
      airq query boundaries/demo/residential_plots.gpkg --where "street=Woodlands Avenue"
    """
    from airq.demo import write_demo

    files = write_demo(Path(root), overwrite=overwrite)
    click.echo(f"Wrote SYNTHETIC DEMO DATA under {files.root}: {len(files.grids)} grids, "
               f"boundaries {files.boundaries}, {len(files.layers)} land-use layers, a "
               f"historic map sheet {files.historic_map}; not "
               f"catalogued: {files.laei2022_zip} (LAEI 2022 layout), "
               f"{files.defra[0].parent} (Defra background maps), "
               f"{files.brownfield_national} (national brownfield layout)", err=True)
    if no_register:
        return
    from airq.read.catalogue.grids import add_grid

    for g in files.grids:
        if g.suffix.lower() != ".asc":
            continue
        for e in add_grid(g, synthetic=True, overwrite=True):
            click.echo(f"Catalogued grid {e.id}", err=True)
    from airq.demo import DEMO_LAYER_MAPPINGS
    from airq.read.catalogue.layers import add_layer

    for layer in files.layers:
        kind, mapping = DEMO_LAYER_MAPPINGS.get(layer.stem, (None, None))
        e = add_layer(layer, kind=kind, mapping=mapping, overwrite=True)
        click.echo(f"Catalogued land-use layer {e.name}", err=True)
    if files.historic_map is not None:
        from airq.demo import maps as demo_maps
        from airq.read.catalogue.map_sheets import add_map_sheet

        sheet = add_map_sheet(files.historic_map, name=demo_maps.SHEET_NAME, kind="historic-map",
                              epoch=demo_maps.SHEET_EPOCH, title=demo_maps.SHEET_TITLE,
                              attribution=demo_maps.SHEET_ATTRIBUTION, overwrite=True)
        click.echo(f"Catalogued historic map {sheet.name} ({sheet.epoch})", err=True)
    if files.inspire_zip is not None:
        from airq.selection import catalogue_boundaries

        entry, _ = catalogue_boundaries(files.inspire_zip, files.addresses, name="demo",
                                        overwrite=True)
        j = entry.meta["join"]
        click.echo(f"Catalogued boundaries demo: {j['n_boundaries']} INSPIRE-layout polygons "
                   f"joined to {j['n_addresses']} ONSUD-layout addresses", err=True)
