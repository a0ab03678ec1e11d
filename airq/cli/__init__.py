"""The ``airq`` command-line tool: a thin Click layer over the airq library."""

from __future__ import annotations

import logging
import os

import click

from airq import __version__

# Arrow's own allocator keeps freed buffers for itself; with the system allocator the
# memory of a large boundary file, once read, serves numpy and GEOS too (all of
# London's parcels: peak 1.2 GB instead of 1.4 GB while reading). Set before any
# Arrow allocation; a value the user set wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


#: Libraries whose own progress messages (``INFO distributed.scheduler: ...``) reach the
#: officer only with -v.
CHATTY_LOGGERS = ("distributed", "bokeh", "tornado", "asyncio")


class _LibraryFilter(logging.Filter):
    """Drop chatty libraries' records below WARNING unless -v asked for them."""

    def __init__(self, verbosity: int):
        super().__init__()
        self.verbosity = verbosity

    def filter(self, record):  # noqa: D102
        if self.verbosity > 0 or record.levelno >= logging.WARNING:
            return True
        return record.name.split(".", 1)[0] not in CHATTY_LOGGERS


class _Formatter(logging.Formatter):
    """Log lines: airq's own warnings as ``Warning: ...``, like every other warning.

    Other records keep their level and logger (``INFO airq.case.store: ...``).
    """

    def format(self, record):  # noqa: D102
        if record.levelno == logging.WARNING and record.name.split(".", 1)[0] == "airq":
            return f"Warning: {record.getMessage()}"
        return super().format(record)


def configure_logging(verbosity: int) -> None:
    """Set the root log level from counted -v/-q flags (WARNING by default).

    Libraries that set their own loggers to INFO (Dask's distributed does on import)
    are filtered at airq's handler, so their messages need -v.
    """
    level = max(10, min(50, logging.WARNING - 10 * verbosity))
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_Formatter("%(levelname)s %(name)s: %(message)s"))
        for f in [f for f in handler.filters if isinstance(f, _LibraryFilter)]:
            handler.removeFilter(f)
        handler.addFilter(_LibraryFilter(verbosity))


class AirqGroup(click.Group):
    """A group that turns library errors into one-line messages (see airq.cli.guard)."""

    def invoke(self, ctx):  # noqa: D102
        from airq.cli.guard import invoke_guarded

        return invoke_guarded(super().invoke, ctx)

    def parse_args(self, ctx, args):  # noqa: D102
        from airq.cli.guard import check_utf8_arguments

        check_utf8_arguments(args)
        return super().parse_args(ctx, args)


@click.group(cls=AirqGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="airq")
@click.option("-v", "--verbose", count=True, help="More log messages (repeatable).")
@click.option("-q", "--quiet", count=True, help="Fewer log messages (repeatable).")
@click.pass_context
def cli(ctx, verbose, quiet):
    """Modelled air quality and land-use history for a street, for UK environmental health officers.

    airq samples the London Atmospheric Emissions Inventory (LAEI) modelled
    annual-mean grids inside residential property boundaries, compares them with
    the UK air quality objectives, screens historic land-use layers, and writes
    maps and reports that record every input.
    """
    configure_logging(verbose - quiet)
    ctx.ensure_object(dict)


def _register() -> None:
    from airq.cli import commands  # noqa: F401  (commands attach themselves to `cli`)


_register()
