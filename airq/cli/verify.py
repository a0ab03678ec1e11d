"""``airq verify``: re-run an output from the inputs it names and compare every figure."""

from __future__ import annotations

import click

from airq.cli import cli
from airq.cli.options import format_opt, output_opt, overwrite_opt


@cli.command("verify")
@click.argument("output_file", metavar="OUTPUT", type=click.Path(dir_okay=False))
@click.option("--search", "search", multiple=True, metavar="DIR",
              type=click.Path(file_okay=False),
              help="Folder to search for inputs that moved, by SHA-256 (repeatable).")
@format_opt(choices=("text", "json"))
@output_opt
@overwrite_opt
@click.pass_context
def verify(ctx, output_file, search, fmt, output, overwrite):
    """Check that an airq output reproduces from the inputs it names.

    Reads the provenance of OUTPUT (a JSON result, an HTML or PDF report or map,
    or a batch table: CSV, GeoPackage or GeoParquet), finds every input it names
    and checks its SHA-256, repeats the run with the recorded settings and
    compares every figure. Prints one line per input and per result: same,
    changed (naming the file or the figure, recorded -> recomputed) or missing.
    Inputs that moved are found by checksum under the --search folders. Exit
    status 0 only when everything is the same, 1 otherwise.

    \b
    Example:
      airq verify maps/woodlands.pdf --search /mnt/archive/laei
    """  # noqa: D301  (click's \b marker must be a real backspace)
    from airq.cli.output_checks import check_command_outputs
    from airq.cli.runner import write_or_echo
    from airq.render.verify_text import render_verification
    from airq.verify import verify_output

    for d in search:
        from pathlib import Path

        if not Path(d).is_dir():
            raise click.BadParameter(f"folder {d} does not exist", param_hint="--search")
    check_command_outputs({"-o/--output": output}, overwrite)
    result = verify_output(output_file, search=search)
    write_or_echo(render_verification(result, fmt), output, overwrite)
    if not result.ok:
        ctx.exit(1)
