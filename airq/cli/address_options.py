"""Options that choose boundaries by address (postcode, UPRN, street, near a point)."""

from __future__ import annotations

import click

from airq.cli.options import _stack
from airq.cli.types import FiniteFloat

#: Parameters these options add to a command.
ADDRESS_PARAMS = ("addresses", "address_columns", "postcodes", "uprns", "streets", "near",
                  "radius", "postcode_directory")


addresses_opt = click.option(
    "--addresses", type=click.Path(dir_okay=False), default=None, metavar="FILE",
    help="Address points: ONS UPRN Directory (ONSUD), OS Open UPRN or a council gazetteer "
         "CSV (or a zip holding one).")
address_columns_opt = click.option(
    "--address-columns", default=None, metavar="FIELD=COLUMN,...",
    help="A gazetteer's column names, e.g. uprn=UPRN,street=STREET,number=PAON,"
         "postcode=POSTCODE,x=EASTING,y=NORTHING.")

address_options = _stack(
    addresses_opt,
    address_columns_opt,
    click.option("--postcode", "postcodes", multiple=True, metavar="POSTCODE",
                 help="Boundaries holding the addresses of this postcode (repeatable; "
                      "rm66ea is read as RM6 6EA)."),
    click.option("--uprn", "uprns", multiple=True, type=click.IntRange(min=1), metavar="N",
                 help="Boundaries holding this UPRN (repeatable)."),
    click.option("--street", "streets", multiple=True, metavar="NAME",
                 help="Boundaries holding the addresses on this street (repeatable; needs "
                      "addresses with street names)."),
    click.option("--near", default=None, metavar="EASTING,NORTHING",
                 help="Boundaries holding the addresses within --radius of this point "
                      "(British National Grid metres)."),
    click.option("--radius", type=FiniteFloat(min=0, min_open=True), default=None, metavar="M",
                 help="Distance in metres for --near."),
    click.option("--postcode-directory", type=click.Path(dir_okay=False), default=None,
                 metavar="FILE", help="ONSPD or Code-Point Open: postcode centroids, used only "
                                      "to explain a postcode that matches no address."),
)


def parse_address_columns(text: str | None, settings_columns: dict | None = None) -> dict:
    """Parse ``--address-columns uprn=A,x=B`` over the settings' ``address_columns``."""
    out = dict(settings_columns or {})
    if not text:
        return out
    from airq.read.addresses import ADDRESS_FIELDS

    for item in text.split(","):
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in ADDRESS_FIELDS or not value:
            raise click.BadParameter(f"{item.strip()!r} must be FIELD=COLUMN with FIELD one of "
                                     f"{', '.join(ADDRESS_FIELDS)}",
                                     param_hint="--address-columns")
        out[key] = value
    return out


def criteria_from_params(params: dict):
    """Return the :class:`~airq.analyse.addresses.AddressCriteria` the options ask for.

    Returns None when no address option selects anything. Usage problems
    (a malformed postcode, ``--near`` without ``--radius``) are click errors naming
    the option.
    """
    from airq.analyse.addresses import AddressCriteria
    from airq.read.addresses import normalise_postcode

    postcodes = []
    for text in params.get("postcodes") or ():
        pc = normalise_postcode(text)
        if pc is None:
            raise click.BadParameter(f"{text!r} is not a UK postcode (outward and inward code, "
                                     "e.g. RM6 6EA)", param_hint="--postcode")
        postcodes.append(pc)
    near, radius = params.get("near"), params.get("radius")
    point = None
    if near is not None:
        try:
            e, n = (float(v) for v in near.split(","))
        except ValueError as err:
            raise click.BadParameter(f"{near!r} must be EASTING,NORTHING in metres, e.g. "
                                     "547390,187500", param_hint="--near") from err
        if not (0 <= e <= 700_000 and 0 <= n <= 1_300_000):
            raise click.BadParameter(f"{near!r} lies outside Great Britain's British National "
                                     "Grid extent", param_hint="--near")
        if radius is None or radius <= 0:
            raise click.UsageError("--near needs --radius M, a distance in metres above 0")
        point = (e, n)
    elif radius is not None:
        raise click.UsageError("--radius goes with --near EASTING,NORTHING")
    streets = tuple(" ".join(s.split()) for s in params.get("streets") or () if s.strip())
    criteria = AddressCriteria(postcodes=tuple(dict.fromkeys(postcodes)),
                               uprns=tuple(dict.fromkeys(params.get("uprns") or ())),
                               streets=tuple(dict.fromkeys(streets)), near=point,
                               radius_m=radius if point else None)
    return None if criteria.empty else criteria


def check_boundaries_arg(boundaries: str | None, criteria, addresses: str | None) -> None:
    """Usage checks: BOUNDARIES may be left out only to select catalogued boundaries."""
    if boundaries is None and criteria is None:
        raise click.UsageError("give BOUNDARIES (a file, or the name of catalogued "
                               "boundaries), or choose catalogued boundaries by --postcode, "
                               "--uprn, --street or --near")
    if addresses is not None and criteria is None:
        raise click.UsageError("--addresses selects boundaries by --postcode, --uprn, --street "
                               "or --near; give one of them")
    if boundaries is None and addresses is not None:
        raise click.UsageError("--addresses goes with BOUNDARIES (the INSPIRE zip or polygon "
                               "file the addresses are joined to)")
