"""Join address points to property boundaries and select boundaries as an officer asks.

Pure analysis on in-memory objects: a GeoDataFrame of polygons (INSPIRE title
extents) and a table of address points (UPRN, x, y, postcode, street).

Rules (docs/addresses.md):

- an address point belongs to every polygon that *covers* it (inside or on the
  edge): a point on an edge shared by two titles, or inside overlapping titles,
  belongs to each of them; such points are counted (``n_shared``) and said;
- a point inside the polygons' extent but on no polygon (unregistered land, a
  missing title) is counted and reported, never dropped silently; points outside
  the extent (another borough of a regional ONSUD file) are counted apart;
- a polygon holding many addresses (a block of flats) is one boundary, counted
  once; polygons holding no address (roads, depots, open land) are never selected
  by address.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from airq.errors import AirqWarning, InputError

#: ``parcel`` value of an address inside the polygons' extent that lies on no polygon.
NO_PARCEL = -1
#: ``parcel`` value of an address outside the polygons' extent.
OUTSIDE = -2
#: Columns of the links table (one row per address and polygon holding it).
LINK_COLUMNS = ("uprn", "x", "y", "postcode", "street", "number", "parcel")


class AddressWarning(AirqWarning):
    """Selected addresses lie on no boundary, or on more than one."""


@dataclass(frozen=True, eq=False)
class AddressJoin:
    """Address points joined to polygons.

    Attributes
    ----------
    links
        One row per (address, polygon holding it); an address on no polygon has one
        row with ``parcel`` :data:`NO_PARCEL` (or :data:`OUTSIDE` the extent).
    n_parcels
        Polygons joined to.
    counts
        Addresses held by each polygon (``len == n_parcels``).
    n_addresses, n_unmatched, n_outside, n_shared
        Address points; those on no polygon inside the extent; those outside the
        extent; those on more than one polygon.
    """

    links: pd.DataFrame
    n_parcels: int
    counts: np.ndarray
    n_addresses: int
    n_unmatched: int
    n_outside: int
    n_shared: int

    def to_dict(self) -> dict:
        """Return the join's counts as JSON-ready values."""
        return {"n_boundaries": self.n_parcels,
                "n_boundaries_with_addresses": int((self.counts > 0).sum()),
                "n_addresses": self.n_addresses, "n_on_no_boundary": self.n_unmatched,
                "n_outside_extent": self.n_outside, "n_on_several_boundaries": self.n_shared}


def join_addresses(geoms, addresses: pd.DataFrame) -> AddressJoin:
    """Assign each address point to the polygons covering it (vectorised, STRtree).

    Parameters
    ----------
    geoms
        Polygons (array of shapely geometries) in the addresses' CRS (EPSG:27700).
    addresses
        A table with ``uprn``, ``x``, ``y`` and optionally ``postcode``, ``street``,
        ``number`` (as :func:`airq.read.addresses.read_addresses` gives).

    Returns
    -------
    AddressJoin

    Examples
    --------
    >>> import shapely
    >>> j = join_addresses([shapely.box(0, 0, 10, 10)],
    ...                    pd.DataFrame({"uprn": [1, 2], "x": [5.0, 10.0], "y": [5.0, 20.0]}))
    >>> j.links["parcel"].tolist(), j.n_outside
    ([0, -2], 1)
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    n = len(addresses)
    x = addresses["x"].to_numpy(dtype=np.float64)
    y = addresses["y"].to_numpy(dtype=np.float64)
    parcel = np.full(n, OUTSIDE, dtype=np.int64)
    a_idx = np.empty(0, dtype=np.int64)
    p_idx = np.empty(0, dtype=np.int64)
    if len(geoms):
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
        parcel[inside] = NO_PARCEL
        sel = np.flatnonzero(inside)
        tree = shapely.STRtree(geoms)
        # "intersects" with a point is "covers": inside or on the edge.
        qa, qp = tree.query(shapely.points(x[sel], y[sel]), predicate="intersects")
        order = np.lexsort((qp, sel[qa]))
        a_idx, p_idx = sel[qa][order], qp[order]
    held = np.zeros(n, dtype=np.int64)
    np.add.at(held, a_idx, 1)
    # One row per (address, polygon); addresses on no polygon keep their one row.
    lone = np.flatnonzero(held == 0)
    rows = np.concatenate([a_idx, lone])
    parcels = np.concatenate([p_idx, parcel[lone]])
    order = np.lexsort((parcels, rows))
    rows, parcels = rows[order], parcels[order]
    cols = {c: addresses[c].to_numpy()[rows] for c in LINK_COLUMNS[:-1] if c in addresses}
    for c in ("postcode", "street", "number"):
        if c not in cols:
            cols[c] = pd.Series(pd.NA, index=pd.RangeIndex(len(rows)), dtype="string").array
    links = pd.DataFrame({**cols, "parcel": parcels})
    for c in ("postcode", "street", "number"):
        links[c] = links[c].astype("string")
    counts = np.bincount(p_idx, minlength=len(geoms)) if len(geoms) else np.zeros(0, np.int64)
    return AddressJoin(links=links, n_parcels=len(geoms), counts=counts, n_addresses=n,
                       n_unmatched=int((parcel[lone] == NO_PARCEL).sum()),
                       n_outside=int((parcel[lone] == OUTSIDE).sum()),
                       n_shared=int((held > 1).sum()))


def parcel_summary(links: pd.DataFrame, n_parcels: int) -> pd.DataFrame:
    """Per polygon: ``n_addresses``, ``postcodes`` and ``streets`` (``; ``-joined, sorted).

    Returns
    -------
    pandas.DataFrame
        Indexed 0..n_parcels-1; polygons holding no address have 0 and empty text.
    """
    held = links[links["parcel"] >= 0]
    out = pd.DataFrame(index=pd.RangeIndex(n_parcels))
    out["n_addresses"] = np.bincount(held["parcel"].to_numpy(), minlength=n_parcels)
    for col, name in (("postcode", "postcodes"), ("street", "streets")):
        pairs = held[["parcel", col]].dropna().drop_duplicates().sort_values(["parcel", col])
        text = pairs.groupby("parcel", sort=True)[col].agg("; ".join)
        out[name] = text.reindex(out.index).fillna("").astype("string")
    return out


# --------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class AddressCriteria:
    """What the officer asked for: postcodes, UPRNs, streets, or addresses near a point.

    Values of one kind are alternatives (postcode A or B); different kinds must all
    hold (postcode A and street S).
    """

    postcodes: tuple[str, ...] = ()
    uprns: tuple[int, ...] = ()
    streets: tuple[str, ...] = ()
    near: tuple[float, float] | None = None
    radius_m: float | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing was asked for."""
        return not (self.postcodes or self.uprns or self.streets or self.near is not None)

    def parts(self) -> list[str]:
        """Phrases naming each kind of criterion."""
        out = []
        if self.postcodes:
            s = "s" if len(self.postcodes) > 1 else ""
            out.append(f"postcode{s} {', '.join(self.postcodes)}")
        if self.uprns:
            s = "s" if len(self.uprns) > 1 else ""
            out.append(f"UPRN{s} {', '.join(str(u) for u in self.uprns)}")
        if self.streets:
            out.append(" / ".join(self.streets))
        if self.near is not None:
            out.append(f"within {self.radius_m:g} m of {self.near[0]:.0f},{self.near[1]:.0f}")
        return out

    def label(self) -> str:
        """Return a short name for the area: ``postcode RM6 6EA``, ``Woodlands Avenue``..."""
        return "; ".join(self.parts())

    def describe(self) -> str:
        """Return the selection in words: ``boundaries holding the addresses of postcode X``."""
        phrases = []
        if self.postcodes:
            phrases.append(f"of {self.parts()[0]}")
        if self.uprns:
            phrases.append(f"with {self.parts()[len(phrases)]}")
        if self.streets:
            phrases.append(f"on {' / '.join(self.streets)}")
        if self.near is not None:
            phrases.append(f"within {self.radius_m:g} m of {self.near[0]:.0f},"
                           f"{self.near[1]:.0f}")
        return "boundaries holding the addresses " + " and ".join(phrases)

    def to_dict(self) -> dict:
        """Return the criteria as JSON-ready values."""
        return {"postcodes": list(self.postcodes), "uprns": [int(u) for u in self.uprns],
                "streets": list(self.streets),
                "near": None if self.near is None else [float(v) for v in self.near],
                "radius_m": self.radius_m}


@dataclass(frozen=True, eq=False)
class AddressSelection:
    """Boundaries chosen by address, and the addresses that chose them.

    Attributes
    ----------
    parcels
        Indices of the polygons selected (sorted, each once).
    links
        The selected addresses' rows of the links table (also those on no polygon).
    criteria
        What was asked for.
    n_addresses
        Addresses matched (each UPRN once), whether or not on a boundary.
    unmatched
        UPRNs of matched addresses on no boundary (left out of the figures).
    shared
        UPRNs of matched addresses on more than one boundary.
    """

    parcels: np.ndarray
    links: pd.DataFrame
    criteria: AddressCriteria
    n_addresses: int
    unmatched: tuple[int, ...]
    shared: tuple[int, ...]

    @property
    def n_boundaries(self) -> int:
        """Boundaries selected."""
        return int(len(self.parcels))

    @property
    def text(self) -> str:
        """The selection in words."""
        return self.criteria.describe()

    def summary(self) -> str:
        """``boundaries holding the addresses of postcode X: 31 boundaries, 44 addresses``."""
        b = "boundary" if self.n_boundaries == 1 else "boundaries"
        a = "address" if self.n_addresses == 1 else "addresses"
        return f"{self.text}: {self.n_boundaries} {b}, {self.n_addresses} {a}"

    def to_dict(self) -> dict:
        """Return the selection as JSON-ready values."""
        return {"text": self.text, "summary": self.summary(),
                "criteria": self.criteria.to_dict(), "n_boundaries": self.n_boundaries,
                "n_addresses": self.n_addresses, "n_on_no_boundary": len(self.unmatched),
                "on_no_boundary_uprns": [int(u) for u in self.unmatched[:50]],
                "n_on_several_boundaries": len(self.shared)}


def _close_postcodes(wanted: str, have: np.ndarray, n: int = 6) -> list[str]:
    from airq.read.addresses import postcode_sector

    sector = postcode_sector(wanted)
    same = sorted({p for p in have if isinstance(p, str) and p.startswith(sector)})
    same.sort(key=lambda p: (-difflib.SequenceMatcher(None, wanted, p).ratio(), p))
    return same[:n]


def _no_match(kind: str, value, source: str, links: pd.DataFrame) -> InputError:
    if kind == "postcode":
        from airq.read.addresses import postcode_sector

        close = _close_postcodes(value, links["postcode"].dropna().unique())
        sector = postcode_sector(value)
        hint = (f"; postcodes of sector {sector} in it: {', '.join(close)}" if close else
                f"; it has no postcode of sector {sector}")
        return InputError(f"no address in {source} has postcode {value}{hint}")
    if kind == "street":
        streets = sorted(links["street"].dropna().unique())
        close = difflib.get_close_matches(value, streets, n=5, cutoff=0.5)
        hint = f"; closest: {', '.join(close)}" if close else ""
        return InputError(f"no address in {source} is on a street named {value!r}{hint}")
    return InputError(f"no address in {source} has UPRN {value}")


def _street_key(s: pd.Series) -> pd.Series:
    return s.str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()


def select_addresses(links: pd.DataFrame, criteria: AddressCriteria, *, source: str,
                     has_postcodes: bool = True, has_streets: bool = True,
                     layout_name: str = "the address file") -> AddressSelection:
    """Select the boundaries holding the addresses that meet the criteria.

    Parameters
    ----------
    links
        The links table of an :class:`AddressJoin` (or the rows of it read back from
        the catalogue).
    criteria
        Postcodes (normalised), UPRNs, street names, a point and radius.
    source
        The address file's name, for messages.
    has_postcodes, has_streets
        Whether the address file carries postcodes and street names.
    layout_name
        The address layout's name, for messages.

    Returns
    -------
    AddressSelection

    Raises
    ------
    InputError
        Nothing asked; a postcode, UPRN or street matching no address (naming it,
        with the postcodes of its sector or the closest street names); postcodes or
        streets asked of a file without them; every matched address on no boundary.

    Warns
    -----
    AddressWarning
        Some matched addresses lie on no boundary, or on more than one.
    """
    if criteria.empty:
        raise InputError("say which addresses: --postcode, --uprn, --street or --near")
    if criteria.postcodes and not has_postcodes:
        raise InputError(
            f"{source} ({layout_name}) gives no postcodes, and a postcode centroid cannot "
            "tell which UPRNs share a postcode; use the ONS UPRN Directory (ONSUD) or the "
            "council gazetteer, or select with --uprn or --near EASTING,NORTHING --radius M")
    if criteria.streets and not has_streets:
        raise InputError(f"{source} ({layout_name}) gives no street names; use a gazetteer "
                         "with a street column (--address-columns street=COLUMN) or "
                         "--postcode")
    keep = np.ones(len(links), dtype=bool)
    if criteria.postcodes:
        pc = links["postcode"].to_numpy(dtype=object, na_value=None)
        hit = np.isin(pc, list(criteria.postcodes))
        for p in criteria.postcodes:
            if not (pc == p).any():
                raise _no_match("postcode", p, source, links)
        keep &= hit
    if criteria.uprns:
        u = links["uprn"].to_numpy()
        for v in criteria.uprns:
            if not (u == v).any():
                raise _no_match("uprn", v, source, links)
        keep &= np.isin(u, np.asarray(criteria.uprns, dtype=np.int64))
    if criteria.streets:
        key = _street_key(links["street"]).fillna("").to_numpy(dtype=object)
        wanted = [" ".join(s.split()).casefold() for s in criteria.streets]
        for s, w in zip(criteria.streets, wanted, strict=True):
            if not (key == w).any():
                raise _no_match("street", s, source, links)
        keep &= np.isin(key, wanted)
    if criteria.near is not None:
        if criteria.radius_m is None or not criteria.radius_m > 0:
            raise InputError("--near needs --radius M, a distance in metres above 0")
        d = np.hypot(links["x"].to_numpy() - criteria.near[0],
                     links["y"].to_numpy() - criteria.near[1])
        inside = d <= criteria.radius_m
        if not inside.any():
            i = int(np.argmin(d)) if len(d) else None
            hint = (f"; the nearest is UPRN {links['uprn'].iat[i]}, {d[i]:.0f} m away"
                    if i is not None else "")
            raise InputError(f"no address in {source} lies within {criteria.radius_m:g} m of "
                             f"{criteria.near[0]:.0f},{criteria.near[1]:.0f}{hint}")
        keep &= inside
    sel = links[keep]
    if sel.empty:
        raise InputError(f"no address in {source} matches {' and '.join(criteria.parts())} "
                         "together")
    parcel = sel["parcel"].to_numpy()
    on = parcel >= 0
    uprn = sel["uprn"].to_numpy()
    n_addresses = int(len(np.unique(uprn)))
    unmatched = tuple(int(u) for u in np.unique(uprn[~on]))
    counts = pd.Series(uprn[on]).value_counts()
    shared = tuple(int(u) for u in sorted(counts.index[counts.to_numpy() > 1]))
    parcels = np.unique(parcel[on])
    what = " and ".join(criteria.parts())
    if len(parcels) == 0:
        outside = bool((parcel == OUTSIDE).all())
        where = ("outside the extent of the boundaries" if outside else
                 "on no boundary (unregistered land, or a title missing from the file)")
        one = n_addresses == 1
        raise InputError(f"the {n_addresses} address{'' if one else 'es'} of {what} "
                         f"{'lies' if one else 'lie'} {where}; no boundary holds "
                         f"{'it' if one else 'them'}")
    if unmatched:
        ids = ", ".join(str(u) for u in unmatched[:10])
        more = " ..." if len(unmatched) > 10 else ""
        verb = "lies" if len(unmatched) == 1 else "lie"
        warnings.warn(f"{len(unmatched)} of the {n_addresses} addresses of {what} {verb} on no "
                      f"boundary (unregistered land, or a title missing from the boundaries "
                      f"file): UPRN {ids}{more}; the figures leave "
                      f"{'it' if len(unmatched) == 1 else 'them'} out", AddressWarning,
                      stacklevel=2)
    if shared:
        ids = ", ".join(str(u) for u in shared[:10])
        verb = "lies" if len(shared) == 1 else "lie"
        warnings.warn(f"{len(shared)} of the {n_addresses} addresses of {what} {verb} on more "
                      f"than one boundary (on a shared edge or in overlapping titles): UPRN "
                      f"{ids}; every boundary holding them is included", AddressWarning,
                      stacklevel=2)
    return AddressSelection(parcels=parcels, links=sel, criteria=criteria,
                            n_addresses=n_addresses, unmatched=unmatched, shared=shared)


def group_parcels(links: pd.DataFrame, by: str) -> pd.DataFrame:
    """Pairs (group, polygon) for batch work: each polygon once per postcode or street.

    A polygon whose addresses span two postcodes belongs to both groups.

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (the postcode or street) and ``parcel``, sorted.
    """
    if by not in ("postcode", "street"):
        raise InputError(f"addresses are grouped by postcode or street, not {by!r}")
    held = links[(links["parcel"] >= 0) & links[by].notna()]
    pairs = pd.DataFrame({"group": held[by].to_numpy(dtype=object),
                          "parcel": held["parcel"].to_numpy()}).drop_duplicates()
    return pairs.sort_values(["group", "parcel"], kind="stable").reset_index(drop=True)
