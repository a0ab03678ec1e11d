"""Put a command's ``--help`` text into a Markdown page, for cog (docs cannot go stale).

In a page::

    <!-- [[[cog import cog_help; cog_help.show("query") ]]] -->
    <!-- [[[end]]] -->

``python -m cogapp -r -I tools README.md docs/*.md`` fills in (or refreshes) the text
between the markers; tests/test_docs_examples.py runs cog with ``--check`` and fails
when a page shows a help text that differs from the command's.
"""

from __future__ import annotations


def help_text(command: str) -> str:
    """Return ``airq COMMAND --help`` as a 100-column terminal shows it.

    A terminal's help is wrapped at its width less 2 (``COLUMNS=100``, as the docs test
    runs the command, gives 98), while a ``terminal_width`` given to the test runner is
    used as it is: 98 here makes the text the one ``airq COMMAND --help`` prints.
    """
    from click.testing import CliRunner

    from airq.cli import cli

    args = [*command.split(), "--help"] if command else ["--help"]
    res = CliRunner().invoke(cli, args, prog_name="airq", terminal_width=100 - 2)
    if res.exit_code != 0:
        raise RuntimeError(f"airq {command} --help failed: {res.output}")
    return res.output.rstrip("\n")


def show(command: str) -> None:
    """Write ``airq COMMAND --help`` into the page as a fenced text block."""
    import cog

    cog.outl("```console")
    cog.outl(f"$ airq {command} --help".replace("  ", " "))
    cog.outl(help_text(command))
    cog.outl("```")
