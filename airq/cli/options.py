"""Click options shared by several commands, defined once."""

from __future__ import annotations

import click

output_opt = click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file (atomically) instead of standard output.",
)
overwrite_opt = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace an existing output file."
)


def format_opt(choices=("text", "markdown", "json", "csv"), default="text"):
    """Return a ``--format`` option with the given choices."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )
