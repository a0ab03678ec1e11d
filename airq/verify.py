"""Re-run an airq output from the inputs it names and compare every figure (``airq verify``).

The output's provenance names every input with its SHA-256 and the selection made
(boundaries file, layer, filters, CRS given; each grid as given or the catalogue entry;
land-use layers; settings). Each input is found (where it was, or by checksum under
``--search`` folders) and its checksum checked; then the run is repeated with the
recorded settings on the files found, and every figure is compared with the one the
output holds (:mod:`airq.analyse.compare`). Like :mod:`airq.pipeline`, this module
joins readers to analysis.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from airq import __version__
from airq.analyse.compare import (
    CHANGED,
    MISSING,
    POLLUTANT_NAMES,
    SAME,
    Check,
    Verification,
    compare_query,
    compare_rows,
)
from airq.errors import AirqError, AirqWarning
from airq.read.locate import Finder, Found
from airq.read.recorded import RecordedOutput, read_recorded

_ROLE_ORDER = {"boundaries": 0, "grid": 1, "grid-part": 1, "layer": 2}


def verify_output(path: str | Path, search: Sequence[str | Path] = ()) -> Verification:
    """Check every input an output names and recompute every figure it holds.

    Parameters
    ----------
    path
        A JSON result, an HTML or PDF report or map, or a batch table (CSV,
        GeoPackage, GeoParquet) with its provenance.
    search
        Folders searched (recursively) for inputs that moved, by SHA-256.

    Returns
    -------
    Verification
        One check per input and per result; ``ok`` when all are the same.

    Raises
    ------
    InputError
        If the output cannot be read or carries no airq provenance.
    """
    rec = read_recorded(path)
    prov = rec.provenance
    finder = Finder(bases=(prov.get("working_dir"), os.getcwd(), rec.path.parent),
                    search=search)
    verifiers = {"batch": _verify_batch, "screen": _verify_screen, "query": _verify_query,
                 "rates": _verify_rates}
    checks = verifiers[rec.kind](rec, finder)
    synthetic = bool(prov.get("synthetic"))
    return Verification(output=str(path), kind=rec.kind, container=rec.container,
                        provenance_source=rec.provenance_source, run_at=prov.get("run_at"),
                        airq_version=prov.get("airq_version"), airq_version_now=__version__,
                        synthetic=synthetic, checks=tuple(checks))


# --------------------------------------------------------------------------- inputs

def _short(sha: str | None) -> str:
    return (sha or "none")[:12]


def _where(found: Found, source: str | None) -> str:
    if found.status == MISSING:
        return "not found (looked at " + ", ".join(found.looked or (str(source),)) + ")"
    parts = []
    if found.moved:
        parts.append(f"found by checksum at {found.path}")
    if found.differs is not None:
        parts.append(f"the file at {found.differs} differs")
    return "; ".join(parts)


def _name(source: str | None) -> str:
    """Return the file name of a recorded path (``archive.zip!member`` keeps the member)."""
    if not source:
        return ""
    path, sep, member = str(source).partition("!")
    return Path(path).name + (f"!{member}" if sep else "")


def _input_check(subject: str, source: str | None, recorded_sha: str | None,
                 found: Found, note: str = "") -> Check:
    notes = [n for n in (_where(found, source), note) if n]
    if found.status == CHANGED:
        notes.insert(0, f"SHA-256 {_short(recorded_sha)}... recorded, {_short(found.sha256)}... "
                        "now")
    return Check("input", found.status, subject, _name(source), note="; ".join(notes),
                 source=source, found_at=None if found.path is None else str(found.path))


@dataclasses.dataclass
class _Located:
    """An input found, with what verify will recompute from."""

    record: dict
    check: Check
    use: object = None       # what to recompute from (path, GridRequest, GridEntry, Layer)


def _grid_label(i: dict) -> str:
    return f"grid {POLLUTANT_NAMES.get(i.get('pollutant'), i.get('pollutant'))} {i.get('year')}"


def _source_text(i: dict) -> str:
    return str(i.get("source")) + (f"!{i['member']}" if i.get("member") else "")


def _locate_grid(i: dict, finder: Finder) -> _Located:
    """Check a grid's source file and, for catalogued grids, its stored copy."""
    from airq.pipeline import GridRequest

    src = finder.find(i.get("source"), i.get("sha256"))
    if src.status == CHANGED and i.get("member") and i.get("member_sha256"):
        # The archive differs but the member read may not: compare that.
        src = _member_same(src, i)
    copy = None
    cat_id = i.get("catalogue_id") or (i.get("request") or {}).get("catalogue_id")
    if i.get("catalogue_path") or cat_id:
        also = []
        if cat_id:
            try:
                from airq.read.catalogue.grids import get_grid

                also.append(get_grid(cat_id).path)
            except AirqError:
                pass
        copy = finder.find(i.get("catalogue_path"), i.get("catalogue_sha256"), also=also)
    req = i.get("request") or {}
    member = f"!{i['member']}" if i.get("member") else ""
    units = req.get("units")
    if cat_id and units is None and not i.get("units_assumed") and \
            i.get("kind") == "concentration":
        units = i.get("units")  # as the catalogue entry states them

    def request_for(path: Path):
        # Pollutant, year and edition as recorded (what the name and the user said): a
        # file found by checksum under another name holds the same grid.
        return GridRequest(pollutant=i.get("pollutant"), year=i.get("year"),
                           path=f"{path}{member}", edition=i.get("edition"),
                           grid_crs=req.get("grid_crs") if "grid_crs" in req
                           else _user_crs(i), units=units)

    subject = _grid_label(i)
    source = _source_text(i)
    if copy is None:  # a grid given with --grid
        use = request_for(src.path) if src.path is not None else None
        return _Located(i, _input_check(subject, source, i.get("sha256"), src), use)
    copy_state = {SAME: "same", CHANGED: "changed since the run", MISSING: "not found"}
    copy_note = f"catalogue copy {cat_id or i.get('catalogue_path')} {copy_state[copy.status]}"
    if copy.status == SAME and copy.moved and copy.path is not None:
        copy_note += f" (at {copy.path})"
    if src.status != MISSING:
        # The file the output names decides; a changed one is re-run to show what moved.
        return _Located(i, _input_check(subject, source, i.get("sha256"), src, copy_note),
                        request_for(src.path))
    if copy.status == SAME:
        note = f"the source file is not at hand; its catalogue copy {cat_id or ''} is the same"
        return _Located(i, Check("input", SAME, subject, _name(source),
                                 note=note.replace("  ", " "), source=source,
                                 found_at=str(copy.path)),
                        _entry_for(i, copy.path, cat_id))
    if copy.status == CHANGED:
        return _Located(i, _input_check(subject, str(copy.path), i.get("catalogue_sha256"),
                                        copy, f"the source {source} is not at hand"),
                        _entry_for(i, copy.path, cat_id))
    return _Located(i, _input_check(subject, source, i.get("sha256"), src, copy_note))


def _locate_grid_part(i: dict, finder: Finder) -> _Located:
    """Check a further file of a combined grid (Defra maps); re-read it with the first."""
    from airq.pipeline import GridRequest

    found = finder.find(i.get("source"), i.get("sha256"))
    use = None
    if found.path is not None:
        use = GridRequest(pollutant=i.get("pollutant"), year=i.get("year"),
                          path=str(found.path), edition=i.get("edition"))
    return _Located(i, _input_check(f"{_grid_label(i)} (also combined from)", _source_text(i),
                                    i.get("sha256"), found), use)


def _member_same(found: Found, i: dict) -> Found:
    import hashlib
    import zipfile

    try:
        h = hashlib.sha256()
        with zipfile.ZipFile(found.path) as zf, zf.open(i["member"]) as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    except (OSError, KeyError, zipfile.BadZipFile):
        return found
    if h.hexdigest() == i["member_sha256"]:
        return dataclasses.replace(found, status=SAME)
    return found


def _user_crs(i: dict) -> str | None:
    note = i.get("crs_note") or ""
    return i.get("crs") if note.startswith("stated by the user") else None


def _entry_for(i: dict, path: Path, cat_id: str | None):
    from airq.read.catalogue.grids import GridEntry
    from airq.read.grids import GridInfo

    fields = {k: i[k] for k in GridInfo.__dataclass_fields__ if k in i}
    return GridEntry(id=cat_id or "", info=GridInfo(**fields), path=Path(path), added="",
                     shape=(0, 0), bounds=(0.0, 0.0, 0.0, 0.0))


def _locate_layer(i: dict, finder: Finder) -> _Located:
    """Check a land-use layer's source file; use the catalogue copy if it is the same layer."""
    name = i.get("name")
    found = finder.find(i.get("source"), i.get("sha256") or None)
    subject = f"layer {name}"
    note, use = "", None
    if i.get("catalogued"):
        try:
            from airq.read.catalogue.layers import get_layer, load_layer

            entry = get_layer(name)
            if entry.provenance.sha256 == i.get("sha256"):
                use = load_layer(name)
                if found.status == MISSING:
                    note = "the source file is not at hand; used the catalogued copy of it"
                    found = dataclasses.replace(found, status=SAME)
                elif found.status == CHANGED:
                    note = ("the land use below is re-run from the catalogued copy, which "
                            "holds the layer as it was added")
        except AirqError:
            pass
    if use is None and found.path is not None:
        from airq.read.layers import read_layer

        try:
            use = read_layer(found.path, name=name, kind=i.get("kind"),
                             mapping=i.get("mapping") or None, layer=i.get("source_layer"))
        except AirqError as err:
            note = f"cannot be read: {err}"
    return _Located(i, _input_check(subject, i.get("source"), i.get("sha256"), found, note),
                    use)


def _locate_inputs(inputs: list[dict], finder: Finder) -> list[_Located]:
    out = []
    for i in inputs:
        role = i.get("role")
        if role == "grid":
            out.append(_locate_grid(i, finder))
        elif role == "grid-part":  # another file of a combined Defra grid
            out.append(_locate_grid_part(i, finder))
        elif role == "layer":
            out.append(_locate_layer(i, finder))
        else:
            found = finder.find(i.get("source"), i.get("sha256"))
            note = "" if role == "boundaries" else "checked checksum only"
            out.append(_Located(i, _input_check(str(role), i.get("source"), i.get("sha256"),
                                                 found, note), found.path))
    return out


@dataclasses.dataclass
class _Inputs:
    """Every input of an output, located and checked, split by role."""

    located: list[_Located]
    checks: list[Check]

    def role(self, role: str) -> list[_Located]:
        """Return the inputs of one role."""
        return [x for x in self.located if x.record.get("role") == role]

    def one(self, role: str) -> _Located | None:
        """Return the input of a role named once (boundaries, addresses), or None."""
        return next(iter(self.role(role)), None)

    @property
    def missing_grids(self) -> set:
        """(pollutant, year) of the grids not found."""
        return {(x.record.get("pollutant"), x.record.get("year")) for x in self.role("grid")
                if x.use is None}

    @property
    def missing_layers(self) -> set:
        """Names of the layers not found."""
        return {x.record.get("name") for x in self.role("layer") if x.use is None}

    @property
    def incomplete(self) -> bool:
        """Whether some input is missing."""
        return any(x.check.status == MISSING for x in self.located)


def _check_inputs(inputs: list[dict], finder: Finder, prov: dict | None = None) -> _Inputs:
    """Locate and check every input, in role order; with ``prov``, the objectives data too."""
    located = _locate_inputs(inputs, finder)
    checks = [loc.check for loc in sorted(located, key=lambda x: _ROLE_ORDER.get(
        x.record.get("role"), 9))]
    if prov is not None:
        checks.append(_objectives_check(prov.get("objectives_version")))
    return _Inputs(located, checks)


def _objectives_check(recorded_version: str | None) -> Check:
    from airq.analyse.objectives import load_objectives

    now = load_objectives().version
    if recorded_version in (None, now):
        return Check("input", SAME, "objectives", f"airq objectives data {now}")
    return Check("input", CHANGED, "objectives", f"airq objectives data {recorded_version}",
                 note=f"this airq has objectives data {now}")


def _settings(recorded: dict):
    from airq.config import Settings

    known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    values = {k: v for k, v in (recorded or {}).items() if k in known}
    for k in ("objectives", "bands_m"):
        if k in values and values[k] is not None:
            values[k] = tuple(values[k])
    values["strict"] = False  # warnings are compared, not raised
    return Settings(**values)


def _read_boundaries(loc: _Located, addresses: _Located | None = None, **extra):
    from airq.read.boundaries import read_boundaries

    b = loc.record
    crs = b.get("crs_given")
    if crs is None and (b.get("crs_note") or "").startswith("stated by the user"):
        crs = b.get("crs")
    criteria = (b.get("selection") or {}).get("criteria")
    if criteria and addresses is not None and addresses.use is not None:
        # Chosen by address: select again from the same two files.
        from airq.selection import recorded_selection

        return recorded_selection(loc.use, addresses.use, b, addresses.record, crs=crs)
    return read_boundaries(loc.use, where=b.get("where") or (), crs=crs,
                           layer=b.get("layer"), name=b.get("name"), **extra)


# --------------------------------------------------------------------------- query

def _verify_query(rec: RecordedOutput, finder: Finder) -> list[Check]:
    doc, prov = rec.document, rec.provenance
    inputs = list(prov.get("inputs") or [])
    if not any(i.get("role") == "layer" for i in inputs) and doc.get("land_use"):
        # Outputs written before layers were listed as inputs name them in land_use.
        inputs += [{"role": "layer", "source": p.get("source_path"), "catalogued":
                    p.get("added") is not None, **p} for p in doc["land_use"].get("layers", [])]
    found = _check_inputs(inputs, finder, prov)
    checks, boundaries = found.checks, found.one("boundaries")
    grids, layers = found.role("grid"), found.role("layer")
    from airq.pipeline import GridRequest

    by_file = {(x.record.get("pollutant"), x.record.get("year")) for x in grids
               if isinstance(x.use, GridRequest)}
    grids += [x for x in found.role("grid-part") if x.use is not None
              and (x.record.get("pollutant"), x.record.get("year")) in by_file]
    if boundaries is None or boundaries.use is None or all(x.use is None for x in grids):
        return checks + compare_query(doc, None) + _report_rates(doc, finder)
    failure, recomputed = None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AirqWarning)  # run_query collects them itself
            from airq.pipeline import run_query

            b = _read_boundaries(boundaries, found.one("addresses"))
            result = run_query(b, [x.use for x in grids if x.use is not None],
                               _settings(prov.get("settings")),
                               layers=[x.use for x in layers if x.use is not None],
                               command=prov.get("command"))
        recomputed = result.to_dict()
    except AirqError as err:
        failure = f"the run failed: {err}"
        if found.incomplete:  # most likely for want of the missing input
            failure += " (some inputs are missing)"
    return checks + compare_query(doc, recomputed, failure=failure,
                                  missing_grids=found.missing_grids,
                                  missing_layers=found.missing_layers,
                                  incomplete=found.incomplete) + _report_rates(doc, finder)


# --------------------------------------------------------------------------- screen

def _verify_screen(rec: RecordedOutput, finder: Finder) -> list[Check]:
    from airq.analyse.compare import screening_checks

    doc, prov = rec.document, rec.provenance
    found = _check_inputs(list(prov.get("inputs") or []), finder)
    checks, boundaries, layers = found.checks, found.one("boundaries"), found.role("layer")
    missing_layers = found.missing_layers
    if boundaries is None or boundaries.use is None:
        return checks + screening_checks(doc, None, why="not recomputed: the boundaries are "
                                                         "missing")
    bands = tuple((prov.get("settings") or {}).get("bands_m") or doc.get("bands_m") or ())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AirqWarning)
            from airq.analyse.landuse import area_from_boundaries, screen_landuse

            b = _read_boundaries(boundaries, found.one("addresses"))
            result = screen_landuse(area_from_boundaries(b.gdf),
                                    [x.use for x in layers if x.use is not None], bands)
    except AirqError as err:
        return checks + screening_checks(doc, None, why=f"not recomputed: the run failed: {err}",
                                         status=MISSING if missing_layers else CHANGED)
    new = result.to_dict()
    new["synthetic_demo_data"] = bool(new.get("synthetic_demo_data") or b.synthetic)
    return checks + screening_checks(doc, new, missing_layers)


# --------------------------------------------------------------------------- rates

def _verify_rates(rec: RecordedOutput, finder: Finder) -> list[Check]:
    return _rate_table_checks(rec.document["rows"], rec.provenance, finder)


def _report_rates(doc: dict, finder: Finder) -> list[Check]:
    """Check the rate tables a report shows: each file read, then its figures re-run."""
    checks = []
    for table in doc.get("rates") or []:
        found = finder.find(table.get("source"), table.get("sha256"))
        checks.append(_input_check("rate table", table.get("source"), table.get("sha256"),
                                   found, "the airq rates -f json file the report shows"))
        rows = table.get("rows") or []
        prov = (rows[0].get("provenance") if rows else None) or {}
        checks += _rate_table_checks([{k: v for k, v in r.items() if k != "provenance"}
                                      for r in rows], prov, finder)
    return checks


def _rate_table_checks(rows: list[dict], prov: dict, finder: Finder) -> list[Check]:
    from airq.analyse import rates as lib
    from airq.analyse.compare import rate_checks

    checks, table, standard = [], None, None
    for i in prov.get("inputs") or []:
        role = i.get("role")
        if role == "standard_population" and not i.get("sha256"):
            checks.append(Check("input", SAME, "standard population", str(i.get("source")),
                                note="packaged with airq"))
            continue
        found = finder.find(i.get("source"), i.get("sha256"))
        note = "" if role in ("table", "standard_population") else "checked checksum only"
        checks.append(_input_check(str(role).replace("_", " "), i.get("source"),
                                   i.get("sha256"), found, note))
        if role == "table":
            table = found
        elif role == "standard_population":
            standard = found
    if table is None:
        checks.append(Check("input", SAME, "counts", f"{len(rows)} area(s)",
                            note="given on the command line; taken from the output"))
    if (table is not None and table.path is None) or (standard is not None
                                                      and standard.path is None):
        return checks + rate_checks(rows, None, why="not recomputed: an input it needs is "
                                                    "missing")
    s = prov.get("settings") or {}
    try:
        areas = (lib.read_rates_table(table.path) if table is not None else
                 [lib.area_totals(r["area"], r["cases"], r["person_years"],
                                  r.get("denominator") or "person-years") for r in rows])
        results = lib.rate_table(
            areas, lib.read_standard_population(standard.path) if standard else None,
            multiplier=s.get("multiplier", lib.DEFAULT_MULTIPLIER),
            level=float(s.get("level", 0.95)), method=s.get("ci_method", "auto"),
            reference=s.get("reference"), reference_rate=s.get("reference_rate"))
    except (AirqError, KeyError, TypeError) as err:
        return checks + rate_checks(rows, None, why=f"not recomputed: the run failed: {err}",
                                    status=CHANGED)
    return checks + rate_checks(rows, [r.to_dict() for r in results])


# --------------------------------------------------------------------------- batch

def _batch_inputs(prov: dict) -> list[dict]:
    if prov.get("inputs"):
        return list(prov["inputs"])
    # Batch provenance written before inputs were listed: boundaries and grids only.
    return ([{"role": "boundaries", **(prov.get("boundaries") or {})}]
            + [{"role": "grid", **g} for g in prov.get("grids") or []])


def _output_check(rec: RecordedOutput, finder: Finder) -> Check | None:
    if not rec.output_record or not rec.output_record.get("sha256"):
        return None
    now = finder.sha256(rec.path)
    recorded = rec.output_record["sha256"]
    if now == recorded:
        return Check("output", SAME, "output file", rec.path.name,
                     note=f"SHA-256 as recorded in {rec.provenance_source}")
    return Check("output", CHANGED, "output file", rec.path.name,
                 note=f"SHA-256 {_short(recorded)}... recorded in {rec.provenance_source}, "
                      f"{_short(now)}... now: the file was changed after it was written")


def _verify_batch(rec: RecordedOutput, finder: Finder) -> list[Check]:
    from airq.render.batch_output import plain_rows

    prov = rec.provenance
    own = _output_check(rec, finder)
    found = _check_inputs(_batch_inputs(prov), finder, prov)
    checks = ([own] if own is not None else []) + found.checks
    boundaries, grids, layers = found.one("boundaries"), found.role("grid"), found.role("layer")
    missing = found.missing_grids
    rows = rec.rows
    wide = "worst_margin" in rows.columns
    settings = _settings(prov.get("settings"))
    keys = ["group", "airq_id"] if "airq_id" in rows.columns else ["group"]
    if boundaries is None or boundaries.use is None or all(x.use is None for x in grids) \
            or any(x.use is None for x in layers):
        why = "not recomputed: an input it needs is missing"
        return checks + [Check("result", MISSING, "table", f"{len(rows)} rows", note=why)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AirqWarning)
            from airq.analyse.batch import batch_stats, read_batch_boundaries

            addresses = found.one("addresses")
            by_address = (boundaries.record.get("selection") or {}).get("group_by")
            address_lost = []
            if by_address and addresses is not None and addresses.use is not None:
                from airq.selection import recorded_groups

                b, address_lost = recorded_groups(boundaries.use, addresses.use,
                                                  boundaries.record, addresses.record)
                lost = []
            else:
                b, lost = read_batch_boundaries(
                    boundaries.use, prov["group_by"],
                    where=boundaries.record.get("where") or (),
                    crs=boundaries.record.get("crs_given"),
                    layer=boundaries.record.get("layer"), name=boundaries.record.get("name"))
            result = batch_stats(b, [x.use for x in grids if x.use is not None], settings,
                                 prov["group_by"], layers=[x.use for x in layers],
                                 per_boundary=len(keys) == 2, lost_groups=lost)
            if address_lost:
                from airq.analyse.batch import BatchError

                result = dataclasses.replace(result, errors=(
                    *result.errors, *(BatchError(g, r) for g, r in address_lost)))
    except AirqError as err:
        return checks + [Check("result", CHANGED, "table", f"{len(rows)} rows",
                               note=f"not recomputed: the run failed: {err}")]
    table = result.wide() if wide else result.rows
    new = plain_rows(table, bool(result.provenance.get("synthetic")))
    checks += compare_rows(rows, new, keys, missing_grids=missing, wide=wide)
    failed_then = sorted(prov.get("failed_groups") or [])
    failed_now = sorted({e.group for e in result.errors})
    from airq.analyse.compare import diff

    changes = tuple(diff(failed_then, failed_now, "failed groups"))
    checks.append(Check("result", CHANGED if changes else SAME, "failed groups",
                        f"{len(failed_then)} failed" if failed_then else "none failed",
                        changes))
    return checks
