"""``airq grids check`` and ``airq layers check``: one command, made for each catalogue."""

from __future__ import annotations

import importlib

import click

_HELP = """Re-hash every stored {noun} and compare it with the SHA-256 recorded when it was added.

Prints one line per {noun}: ok, changed (edited or replaced under the data
directory) or missing, with the command that adds it again. Exit status 1 if
any is not ok. (Before each use airq compares size and times, and re-hashes a
{noun} whose size or times changed.)

\b
Example:
  airq {group} check
"""


def add_check_command(group: click.Group, noun: str, checker: str) -> None:
    """Add ``check`` to ``group``, running ``checker`` (``module:function``) of the library."""

    @group.command("check", help=_HELP.format(noun=noun, group=group.name))
    def check():
        from airq.render.catalogue_text import check_summary, render_copy_checks

        module, _, name = checker.partition(":")
        checks = getattr(importlib.import_module(module), name)()
        click.echo(render_copy_checks(checks), nl=False)
        ok, summary = check_summary(checks, noun)
        if not ok:
            raise click.ClickException(summary)
        click.echo(summary, err=True)
