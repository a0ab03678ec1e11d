"""Sentences a resident can read: one verdict per layer, and how a record is described."""

from __future__ import annotations

from collections.abc import Sequence

from airq.analyse.landuse.bands import DIRECTION_WORDS, fmt_m
from airq.analyse.landuse.results import (
    NO_CLASS,
    NOT_MAPPED,
    LandUseRecord,
    LayerVerdict,
    TimelineEntry,
)
from airq.read.layers.core import Layer

KIND_NOUNS = {
    "landfill": ("historic landfill site", "historic landfill sites", "historic landfill"),
    "brownfield": ("brownfield site", "brownfield sites", "brownfield land"),
    "industry": ("former industrial site", "former industrial sites", "former industrial use"),
    "epochs": ("mapped land-use feature", "mapped land-use features", "mapped land use"),
}


def _fmt_distance(d: float) -> str:
    return "less than 1 m" if d < 0.5 else f"{d:.0f} m"


def _fmt_pct(p: float) -> str:
    return "<1%" if 0 < p < 0.5 else f"{p:.0f}%"


def _date_text(value: str | None, raw: str | None) -> str | None:
    if value:
        return value[:4]
    if raw:
        return repr(raw.strip())
    return None


def date_range_text(record: LandUseRecord) -> str | None:
    """Return the record's dates for a sentence: ``1931-1948``, ``from 1931``, ``until 1948``."""
    s = _date_text(record.start, record.start_raw)
    e = _date_text(record.end, record.end_raw)
    if s and e:
        if record.start and record.end:
            return s if s == e else f"{s}-{e}"
        return f"from {s} to {e}"
    if s:
        return f"from {s}"
    if e:
        return f"until {e}"
    return None


def describe_record(record: LandUseRecord) -> str:
    """Return name and dates for a sentence, e.g. ``Clay Pit, waste accepted 1931-1948``."""
    category = record.category if record.category != NO_CLASS else None
    if record.epoch is not None:
        label = record.name or record.reference
        if label and category:
            label = f"{label} ({category})"
        return f"{label or category or 'unnamed'}, on the {record.epoch} map"
    label = record.name or record.reference or category or "unnamed"
    dates = date_range_text(record)
    if dates is None:
        return label
    if record.kind == "landfill":
        return f"{label}, waste accepted {dates}"
    if record.kind == "brownfield":
        if dates[0].isdigit():  # both dates known: a range, or one year
            return f"{label}, on the register {dates if '-' in dates else 'in ' + dates}"
        return f"{label}, on the register {dates}"
    return f"{label}, {dates if not dates[0].isdigit() else 'dated ' + dates}"


def _where(record: LandUseRecord) -> str:
    if record.on_site:
        return "on the site"
    if record.direction is None:
        return f"{_fmt_distance(record.distance_m)} away"
    return f"{_fmt_distance(record.distance_m)} to the {DIRECTION_WORDS[record.direction]}"


def unscreened_verdict(layer, edges) -> LayerVerdict:
    """Return the verdict of a layer that could not be screened (``layer.reason`` says why)."""
    return LayerVerdict(
        layer=layer.name, kind=layer.kind, count=0, on_site=0, nearest_m=None,
        search_m=edges[-1], counts_by_band=(), screened=False,
        text=f"Layer '{layer.name}' could not be screened ({layer.reason}); it is not "
             "included in this search.",
    )


def layer_verdict(layer: Layer, found, entries, edges, labels) -> LayerVerdict:
    """Return the layer's verdict: counts by band and a sentence a resident can read."""
    search = edges[-1]
    within = "on the site" if search == 0 else f"within {fmt_m(search)} m"
    nouns = KIND_NOUNS.get(layer.kind)
    if nouns is None:
        one, many, what = (
            f"record in layer '{layer.name}'",
            f"records in layer '{layer.name}'",
            None,
        )
    else:
        one, many, what = nouns
    n = len(found)
    on_site = sum(r.on_site for r in found)
    if n == 0:
        text = f"No records of {what} {within}." if what else f"No {many} {within}."
    elif n == 1:
        r = found[0]
        text = f"1 {one} {_where(r)} ({describe_record(r)})."
    elif on_site == n:
        text = f"{n} {many} on the site, including {describe_record(found[0])}."
    elif on_site:
        including = "" if on_site == 1 else "including "
        text = (
            f"{n} {many} {within}, {on_site} of them on the site "
            f"({including}{describe_record(found[0])})."
        )
    else:
        r = found[0]
        text = f"{n} {many} {within}; the nearest is {_where(r)} ({describe_record(r)})."
    if entries:
        # for epoch layers the timeline says what was on the site; add what was around it
        off_site = [r for r in found if not r.on_site]
        text = _timeline_sentence(entries)
        if off_site:
            r = off_site[0]
            text += (
                f" Around it, {len(off_site)} mapped feature{'s' if len(off_site) > 1 else ''}"
                f" {within}; the nearest is {_where(r)} ({describe_record(r)})."
            )
    counts = tuple((label, sum(r.band == label for r in found)) for label in labels)
    return LayerVerdict(
        layer=layer.name,
        kind=layer.kind,
        count=n,
        on_site=on_site,
        nearest_m=found[0].distance_m if found else None,
        search_m=search,
        counts_by_band=counts,
        text=text,
    )


def _timeline_sentence(entries: Sequence[TimelineEntry]) -> str:
    parts = []
    for t in entries:
        shares = [(c.category, c.share_pct) for c in t.classes]
        if t.unmapped_pct >= 0.5:
            shares.append((NOT_MAPPED, t.unmapped_pct))
        if len(shares) == 1:
            parts.append(f"{t.epoch} {shares[0][0]}")
        else:
            parts.append(f"{t.epoch} " + ", ".join(f"{c} ({_fmt_pct(p)})" for c, p in shares))
    return "Land use on the site by map epoch: " + "; ".join(parts) + "."
