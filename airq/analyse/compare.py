"""Compare the figures an output recorded with the figures recomputed from its inputs.

Pure functions on JSON documents and tables. A figure is the *same* when it is
equal as the output stores it; numbers may differ by at most :data:`TOLERANCE`
(one unit in the sixth decimal, the precision of JSON results and batch tables),
which absorbs a rounding of the last stored digit. Everything else (counts, verdicts,
names, flags) must be equal. Paths, run times and the command line are not
figures and are not compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Largest difference between two numbers that still counts as the same figure.
TOLERANCE = 1e-6
#: Said in every verdict.
TOLERANCE_TEXT = ("numbers compared as stored, to 6 decimals: a difference of at most 1e-6 "
                  "counts as the same")
SAME, CHANGED, MISSING = "same", "changed", "missing"
#: Keys that record where or when, not what: never compared.
NOT_FIGURES = frozenset({"source", "source_path", "catalogue_path", "catalogue_file", "added",
                         "catalogue_sha256", "run_at", "command", "working_dir",
                         "airq_version"})
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    """One figure that differs: the value the output holds and the value recomputed."""

    figure: str
    recorded: object
    recomputed: object

    def to_dict(self) -> dict:
        """Return the change as JSON-ready values (``None`` for an absent value)."""
        def plain(v):
            return None if v is _ABSENT else v
        return {"figure": self.figure, "recorded": plain(self.recorded),
                "recomputed": plain(self.recomputed)}

    @property
    def absent(self) -> tuple[bool, bool]:
        """Whether the figure is absent from the output, and from the recomputation."""
        return self.recorded is _ABSENT, self.recomputed is _ABSENT


@dataclass(frozen=True)
class Check:
    """The verdict on one input or one result.

    Attributes
    ----------
    kind
        ``input``, ``result`` or ``output`` (the file's own checksum).
    status
        ``same``, ``changed`` or ``missing``.
    subject
        What was checked, e.g. ``grid NO2 2020`` or ``NO2 2020``.
    detail
        The input's file, or the recorded figures, in words.
    changes
        The figures that differ.
    note
        Anything else to say (moved, checked checksum only, why not recomputed).
    more_changes
        Further changes not listed (a large table keeps the first few).
    source, found_at
        For inputs: the path the output records, and the file checked (None if missing).
    """

    kind: str
    status: str
    subject: str
    detail: str = ""
    changes: tuple[Change, ...] = ()
    note: str = ""
    more_changes: int = 0
    source: str | None = None
    found_at: str | None = None

    def to_dict(self) -> dict:
        """Return the check as JSON-ready values."""
        d = {"kind": self.kind, "status": self.status, "subject": self.subject,
             "detail": self.detail, "changes": [c.to_dict() for c in self.changes],
             "more_changes": self.more_changes, "note": self.note}
        if self.kind == "input":
            d.update(source=self.source, found_at=self.found_at)
        return d


@dataclass(frozen=True)
class Verification:
    """Every check made on one output; ``ok`` only when all are the same."""

    output: str
    kind: str
    container: str
    provenance_source: str
    run_at: str | None
    airq_version: str | None
    airq_version_now: str
    synthetic: bool
    checks: tuple[Check, ...] = field(default=())
    tolerance: str = TOLERANCE_TEXT

    @property
    def ok(self) -> bool:
        """True when every input and figure is the same."""
        return bool(self.checks) and all(c.status == SAME for c in self.checks)

    def counts(self) -> dict[str, int]:
        """Return the number of checks per status."""
        out = {SAME: 0, CHANGED: 0, MISSING: 0}
        for c in self.checks:
            out[c.status] = out.get(c.status, 0) + 1
        return out

    def to_dict(self) -> dict:
        """Return the verdict as JSON-ready values."""
        return {"output": self.output, "kind": self.kind, "container": self.container,
                "provenance_from": self.provenance_source, "ok": self.ok,
                "synthetic_demo_data": self.synthetic, "run_at": self.run_at,
                "airq_version_recorded": self.airq_version,
                "airq_version_now": self.airq_version_now, "tolerance": self.tolerance,
                "counts": self.counts(), "checks": [c.to_dict() for c in self.checks]}


# --------------------------------------------------------------------------- values

def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def same_value(a, b) -> bool:
    """Whether two stored values are the same figure (numbers within :data:`TOLERANCE`)."""
    if _is_number(a) and _is_number(b):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        a, b = float(a), float(b)
        # Two ulps of slack: 6-decimal values are not exact in binary.
        return abs(a - b) <= TOLERANCE + 2 * math.ulp(max(abs(a), abs(b)))
    return a == b and type(a) is type(b) or (a is None and b is None)


def _label(item, i: int) -> str:
    if isinstance(item, dict):
        for key in ("set", "category", "boundary_id", "layer"):
            if item.get(key) is not None:
                extra = f" {item['period']}" if key == "set" and item.get("period") else ""
                return f"[{item[key]}{extra}]"
    return f"[{i}]"


def diff(recorded, recomputed, path: str = "") -> list[Change]:
    """Every figure that differs between two JSON values, by dotted path.

    Dictionaries are compared key by key (keys in :data:`NOT_FIGURES` skipped), lists
    item by item, numbers within :data:`TOLERANCE`, anything else exactly.
    """
    if isinstance(recorded, dict) and isinstance(recomputed, dict):
        out = []
        for k in dict.fromkeys([*recorded, *recomputed]):
            if k in NOT_FIGURES:
                continue
            out += diff(recorded.get(k, _ABSENT), recomputed.get(k, _ABSENT),
                        f"{path}.{k}" if path else str(k))
        return out
    if isinstance(recorded, list) and isinstance(recomputed, list):
        out = []
        if len(recorded) != len(recomputed):
            out.append(Change(f"{path} (number)", len(recorded), len(recomputed)))
        for i, (a, b) in enumerate(zip(recorded, recomputed, strict=False)):
            out += diff(a, b, f"{path}{_label(a, i)}")
        return out
    if recorded is _ABSENT or recomputed is _ABSENT or not same_value(recorded, recomputed):
        return [Change(path, recorded, recomputed)]
    return []


# --------------------------------------------------------------------------- query

POLLUTANT_NAMES = {"no2": "NO2", "nox": "NOx", "pm10": "PM10", "pm25": "PM2.5",
                   "pm10d": "PM10d"}


def _fmt(v, nd: int = 1) -> str:
    return "n/a" if v is None else (f"{v:.{nd}f}" if _is_number(v) else str(v))


def _fmt_sd(v) -> str:
    """Two significant figures, as reports print an SD."""
    if not _is_number(v):
        return "n/a"
    return f"{float(f'{v:.2g}'):g}"


def result_subject(row: dict) -> str:
    """``NO2 2020`` for a results row."""
    return f"{POLLUTANT_NAMES.get(row.get('pollutant'), row.get('pollutant'))} {row.get('year')}"


def _result_detail(row: dict) -> str:
    verdict = ""
    if row.get("objective") is not None:
        verdict = (f", objective {row['objective']:g}: "
                   f"{'exceeded' if row.get('exceeds') else 'not exceeded'}")
    return (f"mean {_fmt(row.get('mean'))} {row.get('units', '')} (SD {_fmt_sd(row.get('sd'))}, "
            f"n {row.get('n_points')}){verdict}")


def _short_subject(row: dict) -> str:
    name = POLLUTANT_NAMES.get(row.get("pollutant"), row.get("pollutant"))
    year = f" {row['year']}" if row.get("year") is not None else ""
    return f"{name} {row.get('period')} objective ({row.get('set')}){year}"


def _short_detail(row: dict) -> str:
    if not row.get("testable"):
        return "not testable from annual means"
    days = row.get("days") or {}
    return (f"days over 50 µg/m³: mean {_fmt(days.get('mean'))}, max {_fmt(days.get('max'))}; "
            f"{'exceeded' if row.get('exceeds') else 'not exceeded'}")


def _keyed(rows: Iterable[dict], key) -> dict:
    out: dict = {}
    for r in rows or ():
        out.setdefault(key(r), r)
    return out


def _row_checks(recorded: Sequence[dict], recomputed: Sequence[dict] | None, key, subject,
                detail, missing_keys=frozenset(), why_missing: str = "") -> list[Check]:
    new = _keyed(recomputed or (), key)
    out = []
    for row in recorded or ():
        k = key(row)
        if k in missing_keys or recomputed is None:
            out.append(Check("result", MISSING, subject(row), detail(row), note=why_missing))
        elif k not in new:
            out.append(Check("result", CHANGED, subject(row), detail(row),
                             note="not in the recomputation"))
        else:
            changes = tuple(diff(row, new[k]))
            out.append(Check("result", CHANGED if changes else SAME, subject(row), detail(row),
                             changes))
    old = {key(r) for r in recorded or ()}
    for k, row in new.items():
        if k not in old:
            out.append(Check("result", CHANGED, subject(row), detail(row),
                             note="in the recomputation, not in the output"))
    return out


def compare_query(recorded: dict, recomputed: dict | None, *, failure: str | None = None,
                  missing_grids=frozenset(), missing_layers=frozenset(),
                  incomplete: bool = False) -> list[Check]:
    """Check every result of a query document against its recomputation.

    Parameters
    ----------
    recorded
        The document the output holds.
    recomputed
        The document recomputed from the inputs, or None when it could not be.
    failure
        Why it could not be recomputed (an error from the run), if so.
    missing_grids
        ``(pollutant, year)`` of grids that were missing: their results are ``missing``.
    missing_layers
        Names of land-use layers that were missing.
    incomplete
        Whether some input was missing (the notes then cannot be compared fully).

    Returns
    -------
    list of Check
        One per result row and short-term objective, then the per-boundary values,
        the area, each land-use layer, and the warnings and caveats.
    """
    why = failure or "an input it needs is missing"
    status_all = CHANGED if failure and not incomplete else MISSING

    def none_check(subject, detail=""):
        note = f"not recomputed: {why}"
        return Check("result", status_all, subject, detail, note=note)

    if recomputed is None:
        out = [none_check(result_subject(r), _result_detail(r))
               for r in recorded.get("results") or ()]
        out += [none_check(_short_subject(r), _short_detail(r))
                for r in recorded.get("short_term") or () if r.get("testable")]
        if recorded.get("per_boundary"):
            out.append(none_check("per-boundary values", f"{len(recorded['per_boundary'])} rows"))
        out.append(none_check("area"))
        out += [none_check(f"land use {p.get('name')}")
                for p in (recorded.get("land_use") or {}).get("layers") or ()]
        out.append(none_check("warnings and caveats"))
        return out
    out = _row_checks(recorded.get("results"), recomputed.get("results"),
                      lambda r: (r.get("pollutant"), r.get("year")), result_subject,
                      _result_detail, missing_grids, "not recomputed: its grid is missing")
    pm10d_missing = {(p, y) for p, y in missing_grids if p == "pm10d"}
    out += _row_checks(recorded.get("short_term"), recomputed.get("short_term"),
                       lambda r: (r.get("pollutant"), r.get("period"), r.get("year"),
                                  r.get("set")),
                       _short_subject, _short_detail,
                       {("pm10", "24-hour", y, s) for _, y in pm10d_missing
                        for s in {r.get("set") for r in recorded.get("short_term") or ()}},
                       "not recomputed: its PM10d grid is missing")
    out.append(_per_boundary_check(recorded.get("per_boundary") or [],
                                   recomputed.get("per_boundary") or [], missing_grids))
    area_changes = tuple(diff(recorded.get("area"), recomputed.get("area"), "area")
                         + diff({k: recorded.get(k) for k in ("synthetic_demo_data", "notice",
                                                               "schema_version")},
                                {k: recomputed.get(k) for k in ("synthetic_demo_data", "notice",
                                                                 "schema_version")}))
    area = recorded.get("area") or {}
    out.append(Check("result", CHANGED if area_changes else SAME, "area",
                     f"{area.get('n_boundaries')} boundaries, "
                     f"{_fmt((area.get('area_m2') or 0) / 10_000, 2)} ha", area_changes))
    out += _land_use_checks(recorded.get("land_use"), recomputed.get("land_use"),
                            missing_layers)
    notes = tuple(diff(sorted(recorded.get("warnings") or []),
                       sorted(recomputed.get("warnings") or []), "warnings")
                  + diff(recorded.get("caveats") or [], recomputed.get("caveats") or [],
                         "caveats"))
    status = SAME if not notes else (MISSING if incomplete else CHANGED)
    out.append(Check("result", status, "warnings and caveats",
                     f"{len(recorded.get('warnings') or [])} warnings, "
                     f"{len(recorded.get('caveats') or [])} caveats", notes,
                     "some inputs are missing" if notes and incomplete else ""))
    return [c for c in out if c is not None]


def _per_boundary_check(recorded: list, recomputed: list, missing_grids) -> Check | None:
    if not recorded and not recomputed:
        return None

    def key(r):
        return (r.get("boundary_id"), r.get("pollutant"), r.get("year"))

    new = _keyed(recomputed, key)
    changes, n_missing = [], 0
    for row in recorded:
        k = key(row)
        if (row.get("pollutant"), row.get("year")) in missing_grids:
            n_missing += 1
            continue
        label = f"{row.get('boundary_id')} {result_subject(row)}"
        if k not in new:
            changes.append(Change(label, "in the output", _ABSENT))
            continue
        changes += [Change(f"{label} {c.figure}", c.recorded, c.recomputed)
                    for c in diff(row, new[k])]
    old = {key(r) for r in recorded}
    changes += [Change(f"{k[0]} {result_subject(r)}", _ABSENT, "in the recomputation")
                for k, r in new.items() if k not in old]
    status = CHANGED if changes else (MISSING if n_missing else SAME)
    return Check("result", status, "per-boundary values", f"{len(recorded)} rows",
                 tuple(changes), f"{n_missing} rows not recomputed: their grid is missing"
                 if n_missing else "")


def _land_use_checks(recorded: dict | None, recomputed: dict | None,
                     missing_layers) -> list[Check]:
    if recorded is None and recomputed is None:
        return []
    if recorded is None or recomputed is None:
        return [Check("result", CHANGED, "land-use screening",
                      "in the output" if recomputed is None else "not in the output",
                      note="in the recomputation, not in the output" if recorded is None
                      else "not in the recomputation")]
    out = []
    top = tuple(diff({"bands_m": recorded.get("bands_m")}, {"bands_m": recomputed.get("bands_m")}))
    names = [p.get("name") for p in recorded.get("layers") or []]
    names += [p.get("name") for p in recomputed.get("layers") or [] if p.get("name") not in names]

    def part(doc, name):
        def mine(rows):
            return [r for r in rows or [] if r.get("layer") == name]
        return {"layer": next((p for p in doc.get("layers") or [] if p.get("name") == name),
                              None),
                "records": mine(doc.get("records")), "timeline": mine(doc.get("timeline")),
                "verdicts": mine(doc.get("verdicts"))}

    for name in names:
        a, b = part(recorded, name), part(recomputed, name)
        detail = (f"{len(a['records'])} records" + (f", {len(a['timeline'])} epochs"
                                                     if a["timeline"] else ""))
        if name in missing_layers:
            out.append(Check("result", MISSING, f"land use {name}", detail,
                             note="not recomputed: the layer is missing"))
            continue
        changes = tuple(diff(a, b, ""))
        out.append(Check("result", CHANGED if changes else SAME, f"land use {name}", detail,
                         changes + (top if not out else ())))
    if not names and top:
        out.append(Check("result", CHANGED, "land-use screening", "", top))
    return out


def screening_checks(recorded: dict, recomputed: dict | None, missing_layers=frozenset(),
                     *, why: str = "", status: str = MISSING) -> list[Check]:
    """Check an ``airq screen`` document against its recomputation, one check per layer.

    With ``recomputed`` None every layer gets ``status`` and the reason ``why``.
    """
    if recomputed is None:
        return [Check("result", status, f"land use {p.get('name')}", note=why)
                for p in recorded.get("layers") or ()] or [
            Check("result", status, "land-use screening", note=why)]
    out = _land_use_checks(recorded, recomputed, missing_layers)
    flags = tuple(diff({"synthetic_demo_data": recorded.get("synthetic_demo_data")},
                       {"synthetic_demo_data": recomputed.get("synthetic_demo_data")}))
    if flags:
        out.append(Check("result", CHANGED, "synthetic demo data flag", "", flags))
    return out


def rate_checks(recorded: Sequence[dict], recomputed: Sequence[dict] | None, *, why: str = "",
                status: str = MISSING) -> list[Check]:
    """Check each area's row of an ``airq rates`` table against its recomputation."""
    def subject(r):
        return f"rates {r.get('area')}"

    def detail(r):
        rate = r.get("crude_rate")
        return f"{r.get('cases')} cases, crude rate {_fmt(rate)}"

    if recomputed is None:
        return [Check("result", status, subject(r), detail(r), note=why) for r in recorded]
    return _row_checks(recorded, recomputed, lambda r: r.get("area"), subject, detail)


# --------------------------------------------------------------------------- batch tables

def compare_rows(recorded, recomputed, keys: Sequence[str], *,
                 missing_grids=frozenset(), wide: bool = False) -> list[Check]:
    """Check a batch table against its recomputation, one check per pollutant and year.

    Parameters
    ----------
    recorded, recomputed
        DataFrames of the rows as stored (floats rounded as written).
    keys
        Columns identifying a row: ``group`` (and ``airq_id`` per boundary).
    missing_grids
        ``(pollutant, year)`` whose grid is missing: their rows are ``missing``.
    wide
        Whether the table is wide (``<pollutant>_<year>_<stat>`` columns).
    """
    import pandas as pd

    rec, new = recorded.copy(), recomputed.copy()
    for df in (rec, new):
        for k in keys:
            if k in df.columns:
                df[k] = df[k].astype("string").fillna("(no value)")
    if not wide:
        for df in (rec, new):
            df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
            df["pollutant"] = df["pollutant"].astype("string")
        ident = [*keys, "pollutant", "year"]
        pairs = pd.concat([rec[["pollutant", "year"]], new[["pollutant", "year"]]])
        parts = sorted({(p, None if pd.isna(y) else int(y))
                        for p, y in pairs.drop_duplicates().itertuples(index=False)},
                       key=lambda t: (list(POLLUTANT_NAMES).index(t[0])
                                      if t[0] in POLLUTANT_NAMES else 9, t[1] or 0))
        out = []
        for p, y in parts:
            def pick(df, p=p, y=y):
                m = (df["pollutant"] == p) & (df["year"] == y if y is not None
                                              else df["year"].isna())
                return df[m.fillna(False).to_numpy(bool)]
            subject = result_subject({"pollutant": p, "year": y})
            a, b = pick(rec), pick(new)
            if (p, y) in missing_grids:
                out.append(Check("result", MISSING, subject, f"{len(a)} rows",
                                 note="not recomputed: its grid is missing"))
                continue
            out.append(_frame_check(subject, a, b, ident, keys))
        extra = [c for c in rec.columns if c not in new.columns] + \
                [c for c in new.columns if c not in rec.columns]
        if extra:
            out.append(Check("result", CHANGED, "columns", "",
                             tuple(Change(c, "in the output" if c in rec.columns else _ABSENT,
                                          "in the recomputation" if c in new.columns
                                          else _ABSENT) for c in extra)))
        return out
    return [_frame_check("table", rec, new, list(keys), keys,
                         missing_columns=[c for c in rec.columns
                                          if any(c.startswith(f"{p}_{y}_")
                                                 for p, y in missing_grids)])]


def _cell(v):
    if v is None:
        return None
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, str) and v in ("True", "False"):
        return v == "True"
    if isinstance(v, str) and v == "":
        return None  # CSV cannot tell an empty text from a missing one
    return v


#: Changes kept per check of a table (the rest are counted).
KEEP_CHANGES = 50


def _same_columns(x, y):
    """Return, element-wise, whether two columns' values are the same figure."""
    import pandas as pd

    def numeric(col, other):
        if pd.api.types.is_bool_dtype(col.dtype):
            return None
        if pd.api.types.is_numeric_dtype(col.dtype):
            return col.astype(float).to_numpy(dtype=float, na_value=np.nan)
        if not pd.api.types.is_numeric_dtype(other.dtype) or \
                pd.api.types.is_bool_dtype(other.dtype):
            return None  # text on both sides: compared as text, no slow parse
        num = pd.to_numeric(col, errors="coerce")
        if (num.isna() != col.isna()).any():  # text somewhere
            return None
        return num.astype(float).to_numpy(dtype=float, na_value=np.nan)

    nx, ny = numeric(x, y), numeric(y, x)
    if nx is not None and ny is not None:
        both_nan = np.isnan(nx) & np.isnan(ny)
        with np.errstate(invalid="ignore"):
            close = np.abs(nx - ny) <= TOLERANCE + 2 * np.spacing(np.maximum(np.abs(nx),
                                                                              np.abs(ny)))
        return both_nan | close

    def text(col):  # CSV cannot tell an empty text from a missing one
        return col.astype("string").fillna("").to_numpy(dtype=object)
    return text(x) == text(y)


def _join(a, b, ident):
    """Rows of both tables side by side (``<col>\\x00rec``, ``<col>\\x00new``), matched by key.

    A re-run writes its rows in the order of the output, so that common case is checked
    first and needs no merge (millions of per-boundary rows).
    """
    import pandas as pd

    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if len(a) == len(b) and all((a[k].astype("string").fillna("\x00") ==
                                 b[k].astype("string").fillna("\x00")).all() for k in ident):
        rest = [c for c in a.columns if c not in ident]
        return pd.concat([a[ident], a[rest].add_suffix("\x00rec"), b[rest].add_suffix("\x00new"),
                          pd.Series("both", index=a.index, name="_merge")], axis=1)
    return a.merge(b, on=ident, how="outer", suffixes=("\x00rec", "\x00new"), indicator=True)


def _frame_check(subject, a, b, ident, keys, missing_columns=()) -> Check:
    cols = [c for c in a.columns if c in b.columns and c not in ident
            and c not in missing_columns]
    m = _join(a[[*ident, *cols]], b[[*ident, *cols]], ident)
    changes: list[Change] = []
    more = 0
    key_values = m[list(keys)].to_numpy(dtype=object)

    def label(i: int) -> str:  # made only for rows that differ: tables run to millions
        return " ".join(str(_cell(v)) for v in key_values[i])

    def keep(rows, make) -> None:
        nonlocal more
        room = max(0, KEEP_CHANGES - len(changes))
        changes.extend(make(i) for i in rows[:room])
        more += max(0, len(rows) - room)

    kind = m["_merge"].to_numpy(dtype=object)
    keep(np.flatnonzero(kind == "left_only"), lambda i: Change(label(i), "in the output", _ABSENT))
    keep(np.flatnonzero(kind == "right_only"),
         lambda i: Change(label(i), _ABSENT, "in the recomputation"))
    both = kind == "both"
    for c in cols:
        x, y = m[f"{c}\x00rec"], m[f"{c}\x00new"]
        keep(np.flatnonzero(both & ~_same_columns(x, y)),
             lambda i, c=c, x=x, y=y: Change(f"{label(i)} {c}", _cell(x.iat[i]), _cell(y.iat[i])))
    n_rows = int((kind != "right_only").sum())
    what = "groups" if list(keys) == ["group"] else "rows"
    note = (f"{len(missing_columns)} columns not recomputed: their grids are missing"
            if missing_columns else "")
    status = CHANGED if changes or more else (MISSING if missing_columns else SAME)
    return Check("result", status, subject, f"{n_rows} {what}", tuple(changes), note, more)
