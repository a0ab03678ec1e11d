"""``airq batch``: statistics for every group of boundaries (every street) in one run."""

from __future__ import annotations

import shlex
import sys
import time
import warnings

import click

from airq.cli import cli
from airq.cli.options import area_options, grid_options, overwrite_opt, settings_options


class _Progress:
    """A rich progress bar on stderr, shown only on a terminal and after one second."""

    def __init__(self):
        self.start = time.monotonic()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or time.monotonic() - self.start < 1.0:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("airq batch", total=total)
        self.bar.update(self.task, completed=done, description=label)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@cli.command("batch")
@click.argument("boundaries", type=click.Path(dir_okay=False))
@click.option("--group-by", required=True, metavar="COLUMN",
              help="Column naming each boundary's group, e.g. street.")
@area_options
@grid_options
@settings_options
@click.option("--layer", "layers", multiple=True, metavar="NAME|FILE",
              help="Land-use layer: each group gets the nearest record (repeatable).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Results file: .csv, .gpkg or .parquet (GeoParquet), written atomically.")
@click.option("--wide", is_flag=True, help="One row per group instead of per pollutant-year.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), default=None,
              help="Also write an HTML map of the groups coloured by their worst margin.")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False), default=None,
              help="CSV of the groups that failed [default: OUTPUT.errors.csv].")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run on a local Dask cluster with this many workers.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run on this Dask scheduler, e.g. tcp://10.0.0.5:8786.")
@overwrite_opt
@click.pass_context
def batch(ctx, boundaries, group_by, where, name, boundaries_layer, boundaries_crs, grid_specs,
          grid_crs, pollutants, years, edition, config, method, sd, objectives, per_boundary,
          strict, bands, layers, output, wide, map_path, errors_path, workers, dask_address,
          overwrite):
    """Air quality for every group of boundaries (every street of a ward) in one table.

    Writes one row per group x pollutant x model year (n_points, mean, SD, min,
    max, median in µg/m³, or days for PM10d; the objective, whether it is
    exceeded and the margin), sampled as `airq query` samples one group. With
    --per-boundary, one row per boundary; a boundary holding no grid point uses
    the cell it lies in (fallback=containing-cell). Groups that cannot be
    assessed are listed with the reason in the errors file; the run then exits
    with status 3 (partial) after writing the rest. Exit 0: all groups done;
    1: nothing could be done.

    \b
    Example:
      airq batch boundaries/demo/residential_plots.gpkg --group-by street \\
          -o streets.gpkg --map streets.html
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.analyse.batch import EXIT_PARTIAL, batch_stats, read_batch_boundaries
    from airq.cli.runner import (
        _layers,
        build_settings,
        echo_warnings,
        parse_bands,
        parse_objective_sets,
    )
    from airq.errors import AirqError, AirqWarning
    from airq.outputs import check_writable
    from airq.render.batch_output import (
        default_errors_path,
        finish_batch,
        open_batch_writer,
        output_format,
        provenance_path,
        write_batch_map,
        write_errors,
    )

    settings = build_settings(config, method=method, sd=sd,
                              objectives=parse_objective_sets(objectives),
                              per_boundary=per_boundary, strict=strict,
                              bands_m=parse_bands(bands))
    fmt = output_format(output)
    errors_path = errors_path or str(default_errors_path(output))
    for path in (output, provenance_path(output), map_path, errors_path):
        if path:
            check_writable(path, overwrite)
    spatial = bool(map_path) or fmt != "csv"
    # One row per boundary: rows go to the file grid by grid (London is 18M rows).
    stream = settings.per_boundary and not wide and not (dask_address or workers)
    progress = _Progress()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        b, lost = read_batch_boundaries(boundaries, group_by, where=where, crs=boundaries_crs,
                                        layer=boundaries_layer, name=name)
        read_warnings = [str(w.message) for w in caught if issubclass(w.category, AirqWarning)]
        if settings.strict and read_warnings:
            raise AirqError(f"{read_warnings[0]} (--strict turns warnings into errors)")
        requests = _grid_requests(grid_specs, pollutants, years, edition)
        keys = ("group", "airq_id") if settings.per_boundary else ("group",)
        with open_batch_writer(output, overwrite, keys=keys, synthetic=b.synthetic) as writer:
            try:
                result = batch_stats(b, requests, settings, group_by, grid_crs=grid_crs,
                                     layers=_layers(layers) if layers else (),
                                     lost_groups=lost, with_geometry=spatial,
                                     progress=progress, dask=dask_address, workers=workers,
                                     command=shlex.join(["airq", *sys.argv[1:]]),
                                     sink=writer if stream else None)
            finally:
                progress.close()
            if not stream:
                # Demo grids mark the table too, not only demo boundaries.
                writer.synthetic = writer.synthetic or bool(result.provenance.get("synthetic"))
                writer.write(result.wide() if wide else result.rows, geometry=result.geometry)
            finish_batch(writer, result)
    read_warnings = [str(w.message) for w in caught if issubclass(w.category, AirqWarning)]
    echo_warnings(dict.fromkeys([*read_warnings, *result.warnings]))  # each once
    n_groups, n_rows = result.provenance["n_groups"], result.provenance["n_rows"]
    click.echo(f"Wrote {output}: {n_rows} rows, {n_groups} groups (provenance in "
               f"{provenance_path(output).name})", err=True)
    if map_path:
        write_batch_map(result, map_path, overwrite=overwrite)
        click.echo(f"Wrote {map_path}", err=True)
    if result.partial:
        write_errors(result, errors_path, overwrite=overwrite)
        failed = len({e.group for e in result.errors})
        click.echo(f"Partial: {failed} group(s) failed ({len(result.errors)} error rows); see "
                   f"{errors_path}", err=True)
        ctx.exit(EXIT_PARTIAL)


def _grid_requests(grid_specs, pollutants, years, edition):
    from airq.cli.runner import grid_requests

    return grid_requests(grid_specs, pollutants, years, edition)
