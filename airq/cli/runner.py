"""Steps shared by the commands that assess an area: parse options, run, print."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import click

from airq.errors import InputError


def parse_bands(text: str | None):
    """Parse ``--bands 0,50,250,500`` into a tuple of floats (None if not given)."""
    if text is None:
        return None
    import math

    try:
        bands = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError as err:
        raise click.BadParameter("must be distances in metres, e.g. 0,50,250,500",
                                 param_hint="--bands") from err
    if not all(math.isfinite(b) for b in bands):
        raise click.BadParameter(f"{text!r}: every distance must be a finite number of "
                                 "metres, e.g. 0,50,250,500", param_hint="--bands")
    if not bands or any(b < 0 for b in bands) or list(bands) != sorted(set(bands)):
        raise click.BadParameter("must be increasing distances >= 0, e.g. 0,50,250,500",
                                 param_hint="--bands")
    return bands


def parse_objective_sets(values) -> tuple[str, ...] | None:
    """Split repeatable, comma-separated ``--objectives`` values; unknown sets: usage error."""
    from airq.analyse.objectives import load_objectives

    sets = tuple(s.strip() for v in values for s in v.split(",") if s.strip())
    if sets:
        try:
            load_objectives().select(sets)
        except InputError as err:
            raise click.BadParameter(str(err), param_hint="--objectives") from err
    return sets or None


def build_settings(config, **options):
    """Build Settings from --config and the options given (options win)."""
    from airq.config import load_settings

    return load_settings(config, **options)


def build_assessment(boundaries, *, where, name, boundaries_layer, boundaries_crs, grid_specs,
                     grid_crs, pollutants, years, edition, config, method, sd, objectives,
                     per_boundary, strict, bands, layers, no_layers, command, grid_units=None,
                     drop_implausible=None, historic_maps=(), no_historic_maps=False,
                     basemap=None, **address):
    """Read inputs named by the options and run the query pipeline.

    ``address`` holds the address options (:data:`airq.cli.address_options.ADDRESS_PARAMS`);
    with a postcode, UPRN, street or point the boundaries are chosen by address.
    ``historic_maps`` are ``--historic-map`` values (none: every catalogued historic
    map covering the site, unless ``no_historic_maps``); ``basemap`` is the
    ``--basemap`` value for figures (None: no base map).
    """
    from airq.analyse.objectives import load_objectives
    from airq.pipeline import choose_grids, run_query

    settings = build_settings(config, method=method, sd=sd,
                              objectives=parse_objective_sets(objectives),
                              per_boundary=per_boundary, strict=strict,
                              bands_m=parse_bands(bands), drop_implausible=drop_implausible)
    load_objectives().select(settings.objectives)  # fail early on an unknown set
    grid_requests(grid_specs, pollutants, years, edition, catalogue=False,
                  units=grid_units)  # usage first
    b = read_area(boundaries, where=where, name=name, boundaries_layer=boundaries_layer,
                  boundaries_crs=boundaries_crs, settings=settings, **address)
    requests = grid_requests(grid_specs, pollutants, years, edition, units=grid_units)
    requests, choice = choose_grids(b, requests, years_given=bool(years),
                                    edition_given=bool(edition))
    layer_objs = [] if no_layers else _layers(layers)
    sheets, base = map_sheet_requests(historic_maps, no_historic_maps, basemap)
    return run_query(b, requests, settings, grid_crs=grid_crs, layers=layer_objs,
                     command=command, notes=choice, sheets=sheets, basemap=base)


def map_sheet_requests(historic_maps, no_historic_maps: bool, basemap):
    """Check ``--historic-map``, ``--no-historic-maps`` and ``--basemap``; return requests.

    Returns ``(sheets, basemap)`` as :func:`airq.pipeline.run_query` takes them.
    """
    from airq.read.map_inputs import basemap_request, sheet_requests

    if historic_maps and no_historic_maps:
        raise click.UsageError("--historic-map and --no-historic-maps cannot be combined")
    try:
        sheets = sheet_requests(historic_maps) if historic_maps else \
            (() if no_historic_maps else None)
    except InputError as err:
        raise click.BadParameter(str(err).removeprefix("--historic-map "),
                                 param_hint="--historic-map") from err
    try:
        base = basemap_request(basemap)
    except InputError as err:
        raise click.BadParameter(str(err).removeprefix("--basemap "),
                                 param_hint="--basemap") from err
    return sheets, base


def read_area(boundaries, *, where=(), name=None, boundaries_layer=None, boundaries_crs=None,
              settings=None, **address):
    """Read the boundaries named by the options: from a file, or chosen by address."""
    from airq.cli.address_options import (
        check_boundaries_arg,
        criteria_from_params,
        parse_address_columns,
    )

    criteria = criteria_from_params(address)
    check_boundaries_arg(boundaries, criteria, address.get("addresses"))
    if criteria is None:
        from airq.read.boundaries import read_boundaries

        return read_boundaries(boundaries, where=where, crs=boundaries_crs,
                               layer=boundaries_layer, name=name)
    from airq.selection import select_boundaries

    columns = parse_address_columns(address.get("address_columns"),
                                    settings.address_columns if settings else None)
    return select_boundaries(boundaries, criteria, addresses=address.get("addresses"),
                             where=where, crs=boundaries_crs, layer=boundaries_layer, name=name,
                             address_columns=columns,
                             postcode_directory=address.get("postcode_directory"))


#: Command parameters that :func:`build_assessment` takes, shared by query, map and report.
ASSESS_PARAMS = ("where", "name", "boundaries_layer", "boundaries_crs", "grid_specs", "grid_crs",
                 "pollutants", "years", "edition", "config", "method", "sd", "objectives",
                 "per_boundary", "strict", "bands", "layers", "no_layers", "grid_units",
                 "drop_implausible")


def assessment_from_params(params: dict, *, figures: bool = False):
    """Run :func:`build_assessment` on a command's parsed parameters (click ``ctx.params``).

    ``figures`` says whether a figure or report is written (the base map is read only
    then).
    """
    import shlex
    import sys

    from airq.cli.address_options import ADDRESS_PARAMS

    return build_assessment(params["boundaries"], **{k: params[k] for k in ASSESS_PARAMS},
                            **{k: params.get(k) for k in ADDRESS_PARAMS},
                            command=shlex.join(["airq", *sys.argv[1:]]),
                            historic_maps=params.get("historic_maps", ()),
                            no_historic_maps=params.get("no_historic_maps", False),
                            basemap=params.get("basemap") if figures else None)


def grid_requests(grid_specs, pollutants, years, edition, catalogue: bool = True,
                  units: str | None = None):
    """Grids named by --grid, else chosen from the catalogue by --pollutant/--year/--edition.

    ``units`` (--units) applies to the --grid files. With ``catalogue=False`` only the
    options are checked (usage errors, exit 2).
    """
    from airq.pipeline import parse_grid_spec
    from airq.read.catalogue.grids import select_grids
    from airq.read.grids import normalise_pollutant

    if grid_specs and (pollutants or years or edition):
        raise click.UsageError("--pollutant, --year and --edition choose catalogue grids; "
                               "they cannot be combined with --grid")
    if units and not grid_specs:
        raise click.UsageError("--units gives the units of --grid files; catalogued grids "
                               "record theirs (airq grids add FILE --units ...)")
    try:
        requests = [replace(parse_grid_spec(s), units=units) for s in grid_specs]
    except InputError as err:
        raise click.BadParameter(str(err), param_hint="--grid") from err
    try:
        chosen = [normalise_pollutant(p) for p in pollutants]
    except InputError as err:
        raise click.BadParameter(str(err), param_hint="--pollutant") from err
    if requests or not catalogue:
        return requests
    return select_grids(chosen or None, list(years) or None, edition)


def _layers(names):
    import warnings

    from airq.errors import AirqWarning

    try:
        from airq.read.catalogue.layers import list_layers, load_layer
    except ImportError:  # land-use support not installed in this build
        return []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        layers = [load_layer(n) for n in names or [e.name for e in list_layers()]]
    # a layer file's warnings travel with it (Layer.notes): the assessment or batch
    # repeats them among its own, so each output records them; the rest are warned here
    kept = {n for layer in layers for n in getattr(layer, "notes", ())}
    for w in caught:
        if str(w.message) not in kept:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return layers


@contextlib.contextmanager
def echoed_warnings():
    """Run a block and print its airq warnings, once each, as ``Warning: ...`` lines."""
    import warnings

    from airq.errors import AirqWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        yield
    for w in caught:
        if not issubclass(w.category, AirqWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    echo_warnings(dict.fromkeys(str(w.message) for w in caught
                                if issubclass(w.category, AirqWarning)))


def echo_warnings(messages) -> None:
    """Print each warning, in order, to stderr as ``Warning: ...``."""
    from airq.render.escape import terminal_safe

    for text in messages:
        click.echo(terminal_safe(f"Warning: {text}"), err=True)


def write_or_echo(text: str, output: str | None, overwrite: bool) -> None:
    """Write ``text`` to ``output`` atomically (and say so on stderr), or print it (None, -)."""
    from airq.outputs import is_stdout, write_text

    if output and not is_stdout(output):
        write_text(output, text, overwrite)
        click.echo(f"Wrote {output}", err=True)
    else:
        import sys

        if sys.stdout.isatty():  # any format: no raw control character reaches a terminal
            from airq.render.escape import terminal_safe

            text = terminal_safe(text)
        click.echo(text, nl=False)


def emit(result, fmt: str, output: str | None, overwrite: bool) -> None:
    """Print warnings to stderr, then the rendered result to stdout or a file."""
    from airq.render.text import render

    echo_warnings(result.warnings)
    write_or_echo(render(result, fmt), output, overwrite)
