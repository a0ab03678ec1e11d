"""The boundaries catalogue: property boundaries joined to address points, stored once.

``airq boundaries add INSPIRE.zip --addresses ONSUD.csv`` keeps, under
``data_home()/boundaries/<name>/``:

- ``parcels.parquet``: GeoParquet (EPSG:27700) of every polygon, with ``pid``,
  ``airq_id``, the source's attributes, ``n_addresses``, ``postcodes`` and ``streets``,
  ordered by the first postcode each holds (so one postcode's polygons share a few
  row groups);
- ``addresses.parquet``: one row per address and polygon holding it (``uprn``,
  ``x``, ``y``, ``postcode``, ``street``, ``number``, ``parcel`` = the polygon's
  ``pid``, -1 on no polygon, -2 outside the polygons' extent), ordered by postcode:
  its row-group statistics are the postcode index, so a postcode query reads only
  the row groups that can hold it (pyarrow filters), then only those polygons.

``index.json`` records, per entry, both sources with their SHA-256, the join's counts,
and the SHA-256 of the stored files. Entries are written into a temporary folder and
renamed into place; the index is rewritten atomically.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from airq.config import data_home
from airq.errors import CatalogueError, InputError
from airq.outputs import write_text
from airq.read.catalogue.index import locked, unwritable

INDEX_NAME = "index.json"
INDEX_VERSION = 1
PARCELS_FILE = "parcels.parquet"
LINKS_FILE = "addresses.parquet"
#: Rows per Parquet row group: small groups let a postcode filter skip the rest.
PARCEL_ROW_GROUP = 2048
LINK_ROW_GROUP = 4096
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class BoundaryEntry:
    """One catalogued set of boundaries joined to addresses."""

    name: str
    meta: dict

    @property
    def folder(self) -> Path:
        """The entry's folder."""
        return catalogue_dir() / self.name

    @property
    def parcels_path(self) -> Path:
        """The stored polygons (GeoParquet)."""
        return self.folder / PARCELS_FILE

    @property
    def links_path(self) -> Path:
        """The stored address-to-polygon links (Parquet)."""
        return self.folder / LINKS_FILE

    @property
    def addresses(self) -> dict:
        """Provenance of the address file."""
        return self.meta["addresses"]

    def to_dict(self) -> dict:
        """Return the entry as JSON-ready values."""
        return {"name": self.name, **self.meta}


def catalogue_dir() -> Path:
    """Return ``data_home()/boundaries``, creating it."""
    d = data_home() / "boundaries"
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise unwritable(d, "boundaries", err) from err
    return d


def _read_index() -> dict[str, BoundaryEntry]:
    path = catalogue_dir() / INDEX_NAME
    if not path.exists():
        return {}

    def damaged(problem) -> CatalogueError:
        return CatalogueError(f"the boundaries catalogue index {path} is damaged ({problem}); "
                              "move it aside and add the boundaries again with `airq "
                              "boundaries add`")

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {n: BoundaryEntry(n, m) for n, m in data["boundaries"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise damaged(err) from err
    for name, entry in entries.items():
        # the name is a folder that `remove` deletes: it must be one inside this folder
        if not _NAME_RE.match(name) or not isinstance(entry.meta, dict):
            raise damaged(f"entry {name!r} is not a catalogue name and folder")
    return entries


def _write_index(entries: dict[str, BoundaryEntry]) -> None:
    data = {"version": INDEX_VERSION,
            "boundaries": {n: entries[n].meta for n in sorted(entries)}}
    write_text(catalogue_dir() / INDEX_NAME,
               json.dumps(data, indent=2, ensure_ascii=False) + "\n", overwrite=True)


def default_name(source: str | Path) -> str:
    """Return a name for a file: ``Barking_and_Dagenham.zip`` gives ``barking-and-dagenham``."""
    stem = Path(str(source).split("!", 1)[0]).stem
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:64] or "boundaries"


def check_name(name: str) -> str:
    """Return ``name`` if it is allowed (lower-case letters, digits, ``_ - .``)."""
    if not _NAME_RE.match(name):
        raise InputError(f"boundaries name {name!r} is not allowed; use up to 64 lower-case "
                         "letters, digits, '_', '-' or '.', starting with a letter or digit")
    return name


def list_boundaries() -> list[BoundaryEntry]:
    """Every catalogued set of boundaries, by name."""
    entries = _read_index()
    return [entries[n] for n in sorted(entries)]


def get_boundaries(name: str) -> BoundaryEntry:
    """Return the entry called ``name``.

    Raises
    ------
    CatalogueError
        If there is none (the message lists the names).
    """
    entries = _read_index()
    if name in entries:
        return entries[name]
    known = ", ".join(sorted(entries)) or ("none yet; add some with `airq boundaries add "
                                           "INSPIRE.zip --addresses FILE`")
    raise CatalogueError(f"no boundaries {name!r} in the catalogue; catalogued: {known}")


def remove_boundaries(name: str) -> BoundaryEntry:
    """Remove an entry and its files; return it."""
    entry = get_boundaries(name)
    with locked(catalogue_dir(), "boundaries"):  # other processes may add or remove
        entries = _read_index()
        if name in entries:
            del entries[name]
            _write_index(entries)
            shutil.rmtree(entry.folder, ignore_errors=True)
    return entry


def store_boundaries(name: str, parcels, links, meta: dict, *,
                     overwrite: bool = False) -> BoundaryEntry:
    """Write joined boundaries and their address links as a catalogue entry.

    Parameters
    ----------
    name
        The entry's name (see :func:`check_name`).
    parcels
        GeoDataFrame of every polygon in EPSG:27700, with ``airq_id``,
        ``n_addresses``, ``postcodes``, ``streets``; its row order is the ``parcel``
        index of ``links``.
    links
        The links table (:data:`airq.analyse.addresses.LINK_COLUMNS`).
    meta
        Provenance: sources, SHA-256, counts; stored in the index.
    overwrite
        Replace an entry of the same name.

    Raises
    ------
    CatalogueError
        The name exists and ``overwrite`` is false.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_name(name)
    entries = _read_index()
    if name in entries and not overwrite:
        raise CatalogueError(f"boundaries {name!r} are already catalogued; pass --overwrite to "
                             "replace them or --name to add them under another name")
    # Polygons ordered by the first postcode they hold: pid is the new position.
    first = links[links["parcel"] >= 0].sort_values(["postcode", "uprn"], na_position="last")
    first = first.drop_duplicates("parcel")
    order = np.concatenate([first["parcel"].to_numpy(),
                            np.setdiff1d(np.arange(len(parcels)), first["parcel"].to_numpy())])
    pid = np.empty(len(parcels), dtype=np.int64)
    pid[order] = np.arange(len(parcels))
    stored = parcels.iloc[order].reset_index(drop=True)
    stored.insert(0, "pid", np.arange(len(stored), dtype=np.int32))
    stored.insert(1, "source_row", order.astype(np.int32))  # the polygon's row in the source
    lk = links.copy()
    held = lk["parcel"].to_numpy() >= 0
    lk.loc[held, "parcel"] = pid[lk["parcel"].to_numpy()[held]]
    lk["parcel"] = lk["parcel"].astype(np.int32)
    lk = lk.sort_values(["postcode", "uprn", "parcel"], na_position="last").reset_index(drop=True)
    root = catalogue_dir()
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        stored.to_parquet(tmp / PARCELS_FILE, index=False, row_group_size=PARCEL_ROW_GROUP,
                          compression="zstd")
        table = pa.Table.from_pandas(lk, preserve_index=False)
        pq.write_table(table, tmp / LINKS_FILE, row_group_size=LINK_ROW_GROUP,
                       compression="zstd")
        from airq.read.grids import sha256_file

        files = {f: sha256_file(tmp / f) for f in (PARCELS_FILE, LINKS_FILE)}
        meta = {**meta, "files": files, "added": datetime.now(UTC).isoformat(timespec="seconds")}
        with locked(root, "boundaries"):  # read, change and write the index in one hold
            entries = _read_index()
            if name in entries and not overwrite:
                raise CatalogueError(f"boundaries {name!r} are already catalogued; pass "
                                     "--overwrite to replace them")
            final = root / name
            old = None
            if final.exists():
                old = root / f".{name}.old.{os.getpid()}"
                os.replace(final, old)
            os.replace(tmp, final)
            entries[name] = BoundaryEntry(name, meta)
            _write_index(entries)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entries[name]


# --------------------------------------------------------------------------- reading


def _links(entry: BoundaryEntry, postcodes=None):
    import pyarrow.parquet as pq

    try:
        filters = [("postcode", "in", list(postcodes))] if postcodes else None
        df = pq.read_table(entry.links_path, filters=filters).to_pandas()
    except (OSError, ValueError) as err:
        raise CatalogueError(f"the catalogued boundaries {entry.name!r} cannot be read ({err}); "
                             f"add them again with `airq boundaries add --overwrite`") from err
    for c in ("postcode", "street", "number"):
        df[c] = df[c].astype("string")
    df["parcel"] = df["parcel"].astype(np.int64)
    return df


def _parcels(entry: BoundaryEntry, pids=None):
    import geopandas as gpd

    try:
        filters = [("pid", "in", [int(p) for p in pids])] if pids is not None else None
        gdf = gpd.read_parquet(entry.parcels_path, filters=filters)
    except (OSError, ValueError) as err:
        raise CatalogueError(f"the catalogued boundaries {entry.name!r} cannot be read ({err}); "
                             f"add them again with `airq boundaries add --overwrite`") from err
    return gdf.sort_values("pid").reset_index(drop=True)


def _boundaries(entry: BoundaryEntry, gdf):
    from airq.read.boundaries import Boundaries

    m = entry.meta
    b = m["boundaries"]
    return Boundaries(gdf=gdf, name=entry.name, source=b["source"], sha256=b["sha256"],
                      crs="EPSG:27700", crs_note=b["crs_note"], n_features=m["n_parcels"],
                      n_selected=len(gdf), repaired=b.get("repaired", 0),
                      dropped_empty=b.get("dropped_empty", 0), id_column=b.get("id_column"),
                      layer=b.get("layer"), synthetic=bool(m.get("synthetic")),
                      all_valid=True, member=b.get("member"))


def catalogue_input(entry: BoundaryEntry) -> dict:
    """Return the ``catalogue`` input of a result read from catalogued boundaries.

    The figures are made from the stored copy, so it is an input of its own
    (source: the stored polygons; SHA-256 of both stored files, as stored).
    """
    files = entry.meta.get("files", {})
    return {"role": "catalogue", "name": f"boundaries {entry.name!r}",
            "source": str(entry.parcels_path), "sha256": files.get(PARCELS_FILE),
            "files": dict(files), "added": entry.meta.get("added"), "crs": "EPSG:27700",
            "crs_note": "stored by `airq boundaries add` in EPSG:27700"}


def _choose(name: str | None, criteria) -> BoundaryEntry:
    if name is not None:
        return get_boundaries(str(name))
    entries = list_boundaries()
    if not entries:
        raise CatalogueError("no boundaries are catalogued: give BOUNDARIES and --addresses "
                             "FILE, or catalogue them once with `airq boundaries add "
                             "INSPIRE.zip --addresses FILE`")
    if len(entries) == 1:
        return entries[0]
    names = ", ".join(e.name for e in entries)
    if criteria is not None and criteria.postcodes:
        hits = [e for e in entries if len(_links(e, criteria.postcodes[:1]))]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(e.name for e in hits)
    raise CatalogueError(f"several boundary sets are catalogued ({names}); name one as "
                         "BOUNDARIES, e.g. `airq query " + entries[0].name + " --postcode ...`")


def read_selection(name: str | None, criteria, *, directory=None, select):
    """Select catalogued boundaries by address, reading only what the criteria need.

    ``select`` is the selection function (``links, criteria, **kw -> AddressSelection``).

    Returns
    -------
    (Boundaries, AddressSelection, GeoDataFrame, dict, dict, dict)
        Boundaries of the entry, the selection, the selected polygons
        (``n_addresses``, ``postcodes``, ``streets``), the address file's provenance,
        the join's counts and the catalogue input (:func:`catalogue_input`).
    """
    entry = _choose(name, criteria)
    a = entry.addresses
    only_postcodes = criteria.postcodes and not (criteria.uprns or criteria.streets
                                                 or criteria.near is not None)
    kw = {"source": Path(a["source"]).name, "has_postcodes": "postcode" in a["columns"],
          "has_streets": "street" in a["columns"], "layout_name": a["name"],
          "directory": directory}
    if only_postcodes and kw["has_postcodes"]:
        links = _links(entry, criteria.postcodes)
        if set(criteria.postcodes) - set(links["postcode"].dropna()):
            links = _links(entry)  # a postcode with no address: the error lists its sector
    else:
        links = _links(entry)
    sel = select(links, criteria, **kw)
    gdf = _parcels(entry, sel.parcels)
    if len(gdf) != len(sel.parcels):
        raise CatalogueError(f"the catalogued boundaries {entry.name!r} are damaged (polygons "
                             "missing); add them again with `airq boundaries add --overwrite`")
    # In the source's order, as when the files are given directly.
    gdf = gdf.sort_values("source_row").drop(columns=["pid", "source_row"])
    return (_boundaries(entry, gdf), sel, gdf.reset_index(drop=True), dict(a),
            dict(entry.meta.get("join", {})), catalogue_input(entry))


def read_all(name: str | None):
    """Every catalogued polygon and link of an entry (for batch work).

    Returns
    -------
    (Boundaries, DataFrame, int, dict, dict, dict)
        Boundaries (row ``i`` is ``pid`` ``i``), links, polygon count, the address
        file's provenance, the join's counts, the catalogue input.
    """
    entry = _choose(name, None)
    gdf = _parcels(entry)
    links = _links(entry)
    return (_boundaries(entry, gdf.drop(columns=["pid", "source_row"])), links, len(gdf),
            dict(entry.addresses), dict(entry.meta.get("join", {})), catalogue_input(entry))
