"""Run the airq command-line tool with ``python -m airq``."""

from airq.cli import cli

if __name__ == "__main__":
    cli(prog_name="airq")
