"""Click parameter types that refuse what no airq option can mean: usage errors, exit 2."""

from __future__ import annotations

import math

import click


class FiniteFloat(click.FloatRange):
    """A float option in a range; ``inf``, ``-inf`` and ``nan`` are usage errors.

    Python's ``float()`` reads ``inf`` and ``nan``, and ``nan`` passes every range
    check (it compares false with everything); no distance, rate or count is either.
    """

    name = "finite float"

    def convert(self, value, param, ctx):  # noqa: D102
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


class CRSType(click.ParamType):
    """A coordinate reference system PROJ knows (``EPSG:27700``, WKT, a PROJ string).

    The value is returned as given; only its meaning is checked here, so that a typing
    error is a usage error naming the option, not a PROJ message after the files are read.
    """

    name = "crs"

    def convert(self, value, param, ctx):  # noqa: D102
        if value is None or not isinstance(value, str):
            return value
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(value.strip())
        except CRSError:
            self.fail(f"{value!r} is not a coordinate reference system PROJ knows; give an "
                      "EPSG code such as EPSG:27700 (British National Grid) or EPSG:4326 "
                      "(longitude/latitude)", param, ctx)
        return value.strip()


def check_where(_ctx, param, values):
    """Click callback: each ``--where`` is ``COLUMN=VALUE`` (a usage error otherwise)."""
    for v in values or ():
        column, sep, _value = v.partition("=")
        if not sep or not column.strip():
            raise click.BadParameter(f"{v!r} must be COLUMN=VALUE, e.g. "
                                     "street=Woodlands Avenue", param=param)
    return values


#: Shared instance for every ``--...-crs`` option.
CRS_TYPE = CRSType()
