"""Choose boundaries by address: join readers to the address analysis.

Like :mod:`airq.pipeline`, the one place where the boundary and address readers
meet :mod:`airq.analyse.addresses`: boundaries from a file (an INSPIRE zip, any
polygon file) with an address file, or from the boundaries catalogue
(``airq boundaries add``), selected by postcode, UPRN, street or distance. The
result is an ordinary :class:`~airq.read.boundaries.Boundaries`, so ``query``,
``map``, ``report``, ``screen`` and ``batch`` treat it as any other; it carries the
selection (``selection``) and the address file's provenance (``extra_inputs``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from airq.analyse.addresses import (
    AddressCriteria,
    group_parcels,
    join_addresses,
    parcel_summary,
    select_addresses,
)
from airq.errors import AirqWarning, InputError
from airq.read.boundaries import Boundaries

#: The CRS of address points (every layout airq reads is British National Grid).
ADDRESS_CRS = "EPSG:27700"


def read_joined(boundaries: str | Path, addresses: str | Path, *, where: Sequence[str] = (),
                crs: str | None = None, layer: str | None = None,
                address_columns: dict | None = None):
    """Read boundaries and address points and join them.

    Returns
    -------
    (Boundaries, Addresses, AddressJoin)
        The boundaries (any CRS), the addresses, and the join (in EPSG:27700).
    """
    from airq.read.addresses import read_addresses
    from airq.read.boundaries import read_boundaries, reproject_to

    b = read_boundaries(boundaries, where=where, crs=crs, layer=layer)
    a = read_addresses(addresses, columns=address_columns or None)
    geoms = np.asarray(reproject_to(b.gdf, ADDRESS_CRS).geometry.values, dtype=object)
    return b, a, join_addresses(geoms, a.frame)


def _with_selection(b: Boundaries, gdf, *, name: str | None, criteria: AddressCriteria,
                    sel, join_info: dict, address_input: dict, notes: list[str],
                    synthetic: bool, catalogue: dict | None = None) -> Boundaries:
    selection = {**sel.to_dict(), "join": join_info,
                 "addresses_source": Path(address_input["source"]).name}
    extra = [{"role": "addresses", **address_input}, *([catalogue] if catalogue else [])]
    return replace(b, gdf=gdf.reset_index(drop=True), name=name or criteria.label(),
                   n_selected=int(len(gdf)), selection=selection, extra_inputs=tuple(extra),
                   notes=tuple(dict.fromkeys([*b.notes, *notes])),
                   synthetic=b.synthetic or synthetic)


def _directory_hint(directory, criteria: AddressCriteria, have) -> str:
    """Extra words for a postcode error from a postcode directory (centroids only)."""
    if directory is None:
        return ""
    from airq.read.addresses import read_postcode_directory

    d = read_postcode_directory(directory)
    name = Path(d.source).name
    out = []
    for pc in criteria.postcodes:
        if pc in have:
            continue
        c = d.centroid(pc)
        if c is None:
            out.append(f"{pc} is not in {name} either; check it with the resident")
        elif c[2]:
            out.append(f"{name} lists {pc} as terminated")
        else:
            out.append(f"{name} puts the centroid of {pc} at {c[0]:.0f},{c[1]:.0f} "
                       f"(--near {c[0]:.0f},{c[1]:.0f} --radius 50 selects the boundaries "
                       "holding the addresses around it)")
    return ("; " + "; ".join(out)) if out else ""


def _select(links, criteria, *, source, has_postcodes, has_streets, layout_name, directory):
    try:
        return select_addresses(links, criteria, source=source, has_postcodes=has_postcodes,
                                has_streets=has_streets, layout_name=layout_name)
    except InputError as err:
        if directory is not None and criteria.postcodes:
            have = set(links["postcode"].dropna().unique()) if has_postcodes else set()
            hint = _directory_hint(directory, criteria, have)
            if hint:
                raise InputError(f"{err}{hint}") from err
        raise


def select_boundaries(boundaries: str | Path | None, criteria: AddressCriteria, *,
                      addresses: str | Path | None = None, where: Sequence[str] = (),
                      crs: str | None = None, layer: str | None = None,
                      name: str | None = None, address_columns: dict | None = None,
                      postcode_directory: str | Path | None = None) -> Boundaries:
    """Return the boundaries holding the addresses that meet ``criteria``.

    Parameters
    ----------
    boundaries
        A boundary file (an INSPIRE zip or GML, any polygon file) used with
        ``addresses``; or the name of catalogued boundaries; or None for the
        catalogue (the only entry, or the one holding the asked postcodes).
    criteria
        Postcodes, UPRNs, streets, a point and radius.
    addresses
        The address file (ONSUD, OS Open UPRN, a gazetteer); required with a file.
    where, crs, layer
        As :func:`airq.read.boundaries.read_boundaries`, for a file.
    name
        The area's name (default: the criteria, e.g. ``postcode RM6 6EA``).
    address_columns
        A gazetteer's ``{field: column}``.
    postcode_directory
        ONSPD or Code-Point Open, used only to explain a postcode that matches no
        address.

    Returns
    -------
    Boundaries
        The selected polygons with ``n_addresses``, ``postcodes``, ``streets``
        columns; ``selection`` and ``notes`` (warnings) set.

    Raises
    ------
    InputError
        As :func:`airq.analyse.addresses.select_addresses`; a file without
        ``addresses``.
    CatalogueError
        No catalogued boundaries, or an unknown name.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        if boundaries is not None and (addresses is not None or Path(
                str(boundaries).split("!", 1)[0]).exists()):
            if addresses is None:
                raise InputError(f"selecting by address needs the address points: add "
                                 f"--addresses FILE (ONSUD, OS Open UPRN or a gazetteer) to "
                                 f"{Path(str(boundaries)).name}, or catalogue both with "
                                 "`airq boundaries add`")
            b, a, join = read_joined(boundaries, addresses, where=where, crs=crs, layer=layer,
                                     address_columns=address_columns)
            from airq.read.addresses import LAYOUT_NAMES

            sel = _select(join.links, criteria, source=a.name, has_postcodes=a.has_postcodes,
                          has_streets=a.has_streets, layout_name=LAYOUT_NAMES[a.layout],
                          directory=postcode_directory)
            summary = parcel_summary(join.links, join.n_parcels)
            gdf = b.gdf.iloc[sel.parcels].copy()
            for c in ("n_addresses", "postcodes", "streets"):
                gdf[c] = summary[c].to_numpy()[sel.parcels]
            address_input, synthetic, join_info = a.to_dict(), a.synthetic, join.to_dict()
            catalogue = None
        else:
            from airq.read.catalogue.boundaries import read_selection

            b, sel, gdf, address_input, join_info, catalogue = read_selection(
                boundaries, criteria, directory=postcode_directory, select=_select)
            synthetic = b.synthetic
    notes = [str(w.message) for w in caught if issubclass(w.category, AirqWarning)]
    for w in caught:
        if not issubclass(w.category, AirqWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return _with_selection(b, gdf, name=name, criteria=criteria, sel=sel, join_info=join_info,
                           address_input=address_input, notes=notes, synthetic=synthetic,
                           catalogue=catalogue)


def grouped_boundaries(boundaries: str | Path | None, group_by: str, *,
                       addresses: str | Path | None = None, where: Sequence[str] = (),
                       crs: str | None = None, layer: str | None = None,
                       address_columns: dict | None = None):
    """Boundaries for ``airq batch --group-by postcode|street``: a polygon once per group.

    A polygon whose addresses span two postcodes (or streets) appears in both
    groups; polygons holding no address are left out.

    Returns
    -------
    (Boundaries, list of (str, str))
        Boundaries whose GeoDataFrame has a ``group_by`` column (one row per group
        and polygon), and groups that cannot be assessed with the reason (every
        address of the postcode on no boundary).

    Raises
    ------
    InputError
        ``group_by`` other than postcode or street, or a file lacking that field.
    """
    from airq.analyse.addresses import OUTSIDE
    from airq.read.addresses import LAYOUT_NAMES

    key = group_by.lower()
    if key not in ("postcode", "street"):
        raise InputError(f"with --addresses, --group-by is postcode or street, not {group_by!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        if boundaries is not None and Path(str(boundaries).split("!", 1)[0]).exists():
            if addresses is None:
                raise InputError("--group-by postcode or street needs --addresses FILE")
            b, a, join = read_joined(boundaries, addresses, where=where, crs=crs, layer=layer,
                                     address_columns=address_columns)
            has = a.has_postcodes if key == "postcode" else a.has_streets
            links, n_parcels = join.links, join.n_parcels
            address_input, join_info, catalogue = a.to_dict(), join.to_dict(), None
            source, layout_name, synthetic = a.name, LAYOUT_NAMES[a.layout], a.synthetic
        else:
            from airq.read.catalogue.boundaries import read_all

            b, links, n_parcels, address_input, join_info, catalogue = read_all(boundaries)
            has = bool(links[key].notna().any())
            source, layout_name, synthetic = (Path(address_input["source"]).name,
                                              address_input.get("name", ""), b.synthetic)
    if not has:
        raise InputError(f"{source} ({layout_name}) gives no {key}s to group by")
    pairs = group_parcels(links, key)
    if pairs.empty:
        held = links[links[key].notna()]
        n_out = int(held.loc[held["parcel"] == OUTSIDE, "uprn"].nunique())
        n_held = _plural(int(held["uprn"].nunique()), "address", "addresses")
        raise InputError(
            f"no address of {source} with a {key} lies on a boundary of "
            f"{Path(b.source).name} ({n_held} with a "
            f"{key}, {n_out} outside the boundaries' extent): do both files cover the same "
            "area, in British National Grid metres?")
    summary = parcel_summary(links, n_parcels)
    gdf = b.gdf.iloc[pairs["parcel"].to_numpy()].copy()
    gdf.insert(0, key, pairs["group"].to_numpy())
    for c in ("n_addresses", "postcodes", "streets"):
        gdf[c] = summary[c].to_numpy()[pairs["parcel"].to_numpy()]
    notes = [str(w.message) for w in caught if issubclass(w.category, AirqWarning)]
    lost, more_notes = _unassessed_groups(links, key, Path(b.source).name)
    notes += more_notes
    info = {"text": f"boundaries grouped by the {key} of the addresses they hold",
            "group_by": key, "n_groups": int(pairs["group"].nunique()),
            "n_boundaries": int(pairs["parcel"].nunique()),
            "n_addresses": int(links.loc[links["parcel"] >= 0, "uprn"].nunique()),
            "join": join_info, "addresses_source": Path(address_input["source"]).name}
    out = replace(b, gdf=gdf.reset_index(drop=True), n_selected=int(len(gdf)),
                  selection=info, extra_inputs=tuple([{"role": "addresses", **address_input},
                                                      *([catalogue] if catalogue else [])]),
                  notes=tuple(dict.fromkeys([*b.notes, *notes])),
                  synthetic=b.synthetic or synthetic, all_valid=b.all_valid)
    return out, lost


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _unassessed_groups(links, key: str, source: str):
    """Return groups none of whose addresses lies on a boundary, and notes on the rest.

    A group whose addresses all lie outside the boundaries' extent belongs to
    another area of the address file (a regional ONSUD): it is left out and
    counted. A group with addresses inside the extent but on no boundary cannot
    be assessed (an error row); a group with some addresses on no boundary is
    assessed without them (a warning).
    """
    from airq.analyse.addresses import OUTSIDE

    on = links[links[key].notna()]
    best = on.groupby(key)["parcel"].max()
    outside = best.index[best.to_numpy() == OUTSIDE]
    lost_idx = best.index[(best.to_numpy() < 0) & (best.to_numpy() != OUTSIDE)]
    lost = [(str(g), f"its {_plural(int((on[key] == g).sum()), 'address', 'addresses')} "
                     f"lie on no boundary of {source}") for g in lost_idx]
    notes = []
    if len(outside):
        listed = ", ".join(str(g) for g in outside[:5])
        notes.append(f"{_plural(len(outside), key)} of the address file lie wholly outside the "
                     f"extent of {source} ({listed}{' ...' if len(outside) > 5 else ''}): "
                     "another area's addresses, left out")
    off = on[(on["parcel"] == -1) & ~on[key].isin(set(lost_idx))]
    if len(off):
        per = off.groupby(key)["uprn"].nunique()
        listed = ", ".join(f"{g}: {n}" for g, n in per.head(10).items())
        n = int(per.sum())
        notes.append(f"{_plural(n, 'address', 'addresses')} of {_plural(len(per), key)} "
                     f"{'lies' if n == 1 else 'lie'} on no boundary of {source} ({listed}"
                     f"{' ...' if len(per) > 10 else ''}); the figures of those groups leave "
                     f"{'it' if n == 1 else 'them'} out")
    return lost, notes


def catalogue_boundaries(boundaries: str | Path, addresses: str | Path, *,
                         name: str | None = None, where: Sequence[str] = (),
                         crs: str | None = None, layer: str | None = None,
                         address_columns: dict | None = None, overwrite: bool = False):
    """Join boundaries to address points once and keep them in the boundaries catalogue.

    Returns
    -------
    (BoundaryEntry, list of str)
        The entry, and the warnings raised on the way (repairs, the join's counts).

    Raises
    ------
    InputError, CatalogueError
        Unreadable inputs; the name exists without ``overwrite``.
    """
    from airq.read.boundaries import reproject_to
    from airq.read.catalogue.boundaries import check_name, default_name, store_boundaries

    name = check_name(name or default_name(boundaries))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AirqWarning)
        b, a, join = read_joined(boundaries, addresses, where=where, crs=crs, layer=layer,
                                 address_columns=address_columns)
    notes = [str(w.message) for w in caught if issubclass(w.category, AirqWarning)]
    parcels = reproject_to(b.gdf, ADDRESS_CRS).reset_index(drop=True)
    summary = parcel_summary(join.links, join.n_parcels)
    for c in ("n_addresses", "postcodes", "streets"):
        parcels[c] = summary[c].to_numpy()
    bd = b.to_dict()
    bd["crs_note"] = (bd["crs_note"] if b.crs == ADDRESS_CRS else
                      f"{bd['crs_note']}; stored reprojected to {ADDRESS_CRS}")
    meta = {"boundaries": bd, "addresses": a.to_dict(), "join": join.to_dict(),
            "n_parcels": int(join.n_parcels), "n_addresses": int(join.n_addresses),
            "synthetic": bool(b.synthetic or a.synthetic), "warnings": notes}
    entry = store_boundaries(name, parcels, join.links, meta, overwrite=overwrite)
    return entry, notes


def _recorded_paths(boundaries, addresses, record: dict, address_record: dict):
    if record.get("member") and str(boundaries).lower().endswith(".zip"):
        boundaries = f"{boundaries}!{record['member']}"
    if address_record.get("member"):
        addresses = f"{addresses}!{address_record['member']}"
    columns = address_record.get("columns") if address_record.get("layout") == "gazetteer" \
        else None
    return boundaries, addresses, columns


def recorded_groups(boundaries: str | Path, addresses: str | Path, record: dict,
                    address_record: dict):
    """Group again as a recorded ``batch --group-by postcode|street`` did (``airq verify``)."""
    boundaries, addresses, columns = _recorded_paths(boundaries, addresses, record,
                                                     address_record)
    b, lost = grouped_boundaries(boundaries, record["selection"]["group_by"],
                                 addresses=addresses, where=record.get("where") or (),
                                 crs=record.get("crs_given"), layer=record.get("layer"),
                                 address_columns=columns)
    return replace(b, name=record.get("name") or b.name), lost


def recorded_selection(boundaries: str | Path, addresses: str | Path, record: dict,
                       address_record: dict, *, crs: str | None = None) -> Boundaries:
    """Select again as a recorded output did (``airq verify``), from the files found.

    ``record`` is the output's ``boundaries`` input (with its ``selection``) and
    ``address_record`` its ``addresses`` input.
    """
    c = record["selection"]["criteria"]
    criteria = AddressCriteria(postcodes=tuple(c.get("postcodes") or ()),
                               uprns=tuple(int(u) for u in c.get("uprns") or ()),
                               streets=tuple(c.get("streets") or ()),
                               near=tuple(c["near"]) if c.get("near") else None,
                               radius_m=c.get("radius_m"))
    boundaries, addresses, columns = _recorded_paths(boundaries, addresses, record,
                                                     address_record)
    return select_boundaries(boundaries, criteria, addresses=addresses,
                             where=record.get("where") or (), crs=crs,
                             layer=record.get("layer"), name=record.get("name"),
                             address_columns=columns)
