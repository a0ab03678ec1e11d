"""Run the airq command-line tool from a checkout: ``python cli.py ...``."""

from airq.cli import cli

if __name__ == "__main__":
    cli(prog_name="airq")
