"""Check a command's outputs against its inputs and each other, before any work is done."""

from __future__ import annotations

from pathlib import Path

import click

#: Parameters naming input files, and the role each has in messages.
_INPUT_PARAMS = {"boundaries": "boundaries", "config": "settings file", "table": "rates table",
                 "standard": "standard population", "addresses": "addresses",
                 "output_file": "the output being verified", "rates_path": "rates table"}


def _grid_path(spec: str) -> str | None:
    """Return the file of a ``--grid POLLUTANT:YEAR=PATH`` value (None if it names none)."""
    return spec.split("=", 1)[1] if "=" in spec else None


def command_inputs(params: dict) -> list[tuple[str, str]]:
    """Return ``(role, path)`` of every input file a command's parameters name.

    Boundaries, settings, rates tables, ``--grid`` files (a zip for ``zip!member``)
    and ``--layer`` values that are files (catalogue names are not paths).
    """
    out = [(role, params[k]) for k, role in _INPUT_PARAMS.items() if params.get(k)]
    out += [("--grid", p) for p in map(_grid_path, params.get("grid_specs") or ()) if p]
    out += [("--layer", v) for v in params.get("layers") or () if Path(v).exists()]
    out += [("--historic-map", v.rsplit(":", 1)[0] if not Path(v).exists() else v)
            for v in params.get("historic_maps") or ()]
    return out


def check_command_outputs(outputs: dict, overwrite: bool, params: dict | None = None,
                          stdout_options=("-o/--output",), extra_inputs=()) -> dict:
    """Check the outputs of the running command (see :func:`airq.outputs.check_outputs`).

    ``outputs`` maps the option naming each output (``-o/--output``, ``--map``...)
    to its path or None. The inputs are taken from the command's parameters, and
    ``extra_inputs`` (``(role, path)``: a file a group option names, such as the case
    register); the airq data folder (the catalogues) takes no output.
    """
    from airq.config import data_home
    from airq.outputs import check_outputs

    if params is None:
        params = click.get_current_context().params
    return check_outputs(outputs, [*command_inputs(params), *extra_inputs], overwrite,
                         stdout_options=stdout_options,
                         protected=[("the airq data folder", data_home(create=False))])
