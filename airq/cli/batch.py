"""``airq batch``: statistics for every group of boundaries (every street) in one run."""

from __future__ import annotations

import contextlib
import json
import shlex
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import click

from airq.cli import cli
from airq.cli.address_options import address_columns_opt, addresses_opt
from airq.cli.options import area_options, grid_options, overwrite_opt, settings_options


class _Progress:
    """A rich progress bar on stderr, shown only on a terminal and after one second."""

    #: Seconds of work before the bar appears (short runs stay quiet).
    DELAY_S = 1.0

    def __init__(self):
        self.start = time.monotonic()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or time.monotonic() - self.start < self.DELAY_S:
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
@click.argument("boundaries", type=click.Path(dir_okay=False), required=False)
@click.option("--group-by", required=True, metavar="COLUMN",
              help="Column naming each boundary's group, e.g. street; with --addresses, "
                   "postcode or street.")
@area_options
@addresses_opt
@address_columns_opt
@grid_options
@settings_options
@click.option("--layer", "layers", multiple=True, metavar="NAME|FILE",
              help="Land-use layer: each group gets the nearest record (repeatable).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Results file: .csv, .gpkg or .parquet (GeoParquet), written atomically; "
                   "- for CSV on standard output.")
@click.option("--wide", is_flag=True, help="One row per group instead of per pollutant-year.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), default=None,
              help="Also write an HTML map of the groups coloured by their worst margin.")
@click.option("--self-contained", is_flag=True, default=False,
              help="Inline the --map page's scripts so it works with no internet.")
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
          strict, bands, layers, output, wide, map_path, self_contained, errors_path, workers,
          dask_address, overwrite, addresses, address_columns, grid_units, drop_implausible):
    """Air quality for every group of boundaries (every street of a ward) in one table.

    Writes one row per group x pollutant x model year (n_points, mean, SD, min,
    max, median in µg/m³, or days for PM10d; the objective, whether it is
    exceeded and the margin), sampled as `airq query` samples one group. With
    --per-boundary, one row per boundary; a boundary holding no grid point uses
    the cell it lies in (fallback=containing-cell). Groups that cannot be
    assessed are listed with the reason in the errors file; the run then exits
    with status 3 (partial) after writing the rest. Exit 0: all groups done;
    1: nothing could be done.

    With --addresses (ONSUD, OS Open UPRN, a gazetteer), --group-by postcode or
    street groups INSPIRE polygons by the addresses they hold: a polygon whose
    addresses span two postcodes belongs to both; BOUNDARIES may then be the name
    of catalogued boundaries (airq boundaries add), or left out.

    \b
    Examples:
      airq batch boundaries/demo/residential_plots.gpkg --group-by street \\
          -o streets.gpkg --map streets.html
      airq batch demo --group-by postcode -o postcodes.csv
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.analyse.batch import EXIT_PARTIAL, batch_stats
    from airq.cli.output_checks import check_command_outputs
    from airq.cli.runner import (
        _layers,
        build_settings,
        echo_warnings,
        parse_bands,
        parse_objective_sets,
    )
    from airq.errors import AirqError, AirqWarning
    from airq.outputs import is_stdout
    from airq.render.batch_output import (
        default_errors_path,
        errors_csv,
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
                              bands_m=parse_bands(bands), drop_implausible=drop_implausible)
    if layers and settings.per_boundary:
        # The nearest record is found for each group, not for each boundary.
        raise click.BadParameter("the nearest land-use record is found for each group, not "
                                 "for each boundary: run with --layer but without "
                                 "--per-boundary", param_hint="--layer")
    to_stdout = is_stdout(output)
    try:
        fmt = "csv" if to_stdout else output_format(output)
    except AirqError as err:
        raise click.BadParameter(str(err), param_hint="-o/--output") from err
    if errors_path is None and not to_stdout:
        errors_path = str(default_errors_path(output))
    check_command_outputs({"-o/--output": output, "the provenance record of -o/--output":
                           None if to_stdout else provenance_path(output),
                           "--errors": errors_path, "--map": map_path}, overwrite)
    if self_contained and map_path:
        from airq.render.assets import check_assets

        check_assets()
    spatial = bool(map_path) or fmt != "csv"
    # One row per boundary: rows go to the file grid by grid (London is 18M rows).
    stream = settings.per_boundary and not wide and not (dask_address or workers)
    progress = _Progress()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        b, lost, address_lost = _read(boundaries, group_by, where, boundaries_crs,
                                      boundaries_layer, name, addresses, address_columns,
                                      settings)
        read_warnings = [str(w.message) for w in caught if issubclass(w.category, AirqWarning)]
        if settings.strict and read_warnings:
            raise AirqError(f"{read_warnings[0]} (--strict turns warnings into errors)")
        requests = _grid_requests(grid_specs, pollutants, years, edition, grid_units)
        keys = ("group", "airq_id") if settings.per_boundary else ("group",)
        with _file_or_stdout(output) as target, \
                open_batch_writer(target, overwrite, keys=keys, synthetic=b.synthetic) as writer:
            try:
                result = batch_stats(b, requests, settings, group_by, grid_crs=grid_crs,
                                     layers=_layers(layers) if layers else (),
                                     lost_groups=lost, with_geometry=spatial,
                                     progress=progress, dask=dask_address, workers=workers,
                                     command=shlex.join(["airq", *sys.argv[1:]]),
                                     sink=writer if stream else None)
            finally:
                progress.close()
            result = _with_address_errors(result, b, address_lost)
            if not stream:
                # Demo grids mark the table too, not only demo boundaries.
                writer.synthetic = writer.synthetic or bool(result.provenance.get("synthetic"))
                writer.write(result.wide() if wide else result.rows, geometry=result.geometry)
            recorded = finish_batch(writer, result, wide=wide)
    read_warnings = [str(w.message) for w in caught if issubclass(w.category, AirqWarning)]
    echo_warnings(dict.fromkeys([*read_warnings, *result.warnings]))  # each once
    n_groups, n_rows = recorded["n_groups"], recorded["n_rows"]
    click.echo(f"Wrote {'standard output' if to_stdout else output}: {n_rows} rows, "
               f"{n_groups} groups (provenance in "
               f"{'the record above' if to_stdout else provenance_path(output).name})", err=True)
    if map_path:
        write_batch_map(result, map_path, overwrite=overwrite, self_contained=self_contained)
        click.echo(f"Wrote {map_path}", err=True)
    if result.partial:
        if errors_path:
            write_errors(result, errors_path, overwrite=overwrite)
        else:  # -o - and no --errors: the failed groups go to standard error
            click.echo(errors_csv(result), err=True, nl=False)
        failed = len({e.group for e in result.errors})
        click.echo(f"Partial: {failed} group(s) failed ({len(result.errors)} error rows); see "
                   f"{errors_path or 'the rows above'}", err=True)
        ctx.exit(EXIT_PARTIAL)


@contextlib.contextmanager
def _file_or_stdout(output: str):
    """Yield the file to write: ``output``, or for ``-o -`` a temporary CSV.

    The temporary CSV's rows go to standard output, and its provenance record to
    standard error, when the block ends.
    """
    from airq.outputs import is_stdout
    from airq.render.batch_output import provenance_path

    if not is_stdout(output):
        yield output
        return
    with tempfile.TemporaryDirectory(prefix="airq-batch-") as tmp:
        path = Path(tmp) / "batch.csv"
        yield str(path)
        sys.stdout.flush()
        with path.open("rb") as fh:
            shutil.copyfileobj(fh, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        record = json.loads(provenance_path(path).read_text("utf-8"))
        record["output"]["file"] = "<standard output>"
        click.echo("Provenance of the rows on standard output:\n"
                   + json.dumps(record, indent=2, ensure_ascii=False), err=True)


def _grid_requests(grid_specs, pollutants, years, edition, grid_units=None):
    from airq.cli.runner import grid_requests

    return grid_requests(grid_specs, pollutants, years, edition, units=grid_units)


def _read(boundaries, group_by, where, crs, layer, name, addresses, address_columns, settings):
    """Boundaries for the batch: grouped by a column, or by the addresses they hold."""
    from airq.analyse.batch import read_batch_boundaries

    by_address = addresses is not None or (
        group_by.lower() in ("postcode", "street") and not _is_file(boundaries))
    if not by_address:
        if boundaries is None:
            raise click.UsageError("give BOUNDARIES, or --group-by postcode|street to group "
                                   "catalogued boundaries (airq boundaries add) by address")
        return (*read_batch_boundaries(boundaries, group_by, where=where, crs=crs, layer=layer,
                                       name=name), [])
    from airq.cli.address_options import parse_address_columns
    from airq.selection import grouped_boundaries

    if boundaries is None and addresses is not None:
        raise click.UsageError("--addresses goes with BOUNDARIES (the INSPIRE zip or polygon "
                               "file the addresses are joined to)")
    columns = parse_address_columns(address_columns, settings.address_columns)
    b, lost = grouped_boundaries(boundaries, group_by, addresses=addresses, where=where,
                                 crs=crs, layer=layer, address_columns=columns)
    if name:
        import dataclasses

        b = dataclasses.replace(b, name=name)
    for note in b.notes:
        import warnings

        from airq.analyse.addresses import AddressWarning

        warnings.warn(note, AddressWarning, stacklevel=2)
    return b, [], lost


def _is_file(path) -> bool:
    from pathlib import Path

    return path is not None and Path(str(path).split("!", 1)[0]).exists()


def _with_address_errors(result, boundaries, lost):
    """Add the address groups that could not be assessed, and the selection's warnings."""
    import dataclasses

    from airq.analyse.batch import BatchError

    errors = (*result.errors, *(BatchError(g, reason) for g, reason in lost))
    messages = tuple(dict.fromkeys([*result.warnings, *boundaries.notes]))
    return dataclasses.replace(result, errors=errors, warnings=messages)
