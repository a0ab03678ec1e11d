"""Render the boundaries catalogue (``airq boundaries add|list|info``) as text."""

from __future__ import annotations

from pathlib import Path

from airq.results import SYNTHETIC_BANNER


def _file(d: dict) -> str:
    name = Path(d["source"]).name
    return f"{name}!{d['member']}" if d.get("member") else name


def render_added(entry) -> str:
    """Render what was joined, and what was left over."""
    m, j = entry.meta, entry.meta["join"]
    a = m["addresses"]
    lines = [f"Added boundaries {entry.name!r}: {j['n_boundaries']} polygons from "
             f"{_file(m['boundaries'])}, {j['n_addresses']} addresses from {_file(a)} "
             f"({a['name']})",
             f"  {j['n_boundaries_with_addresses']} polygons hold at least one address; "
             f"{j['n_on_several_boundaries']} addresses lie on more than one polygon; "
             f"{j['n_on_no_boundary']} lie on no polygon; {j['n_outside_extent']} lie "
             "outside the polygons' extent"]
    if m.get("synthetic"):
        lines.insert(0, f"*** {SYNTHETIC_BANNER} ***")
    return "\n".join(lines) + "\n"


def render_list(entries) -> str:
    """Render one line per catalogued set of boundaries."""
    out = []
    for e in entries:
        m, j = e.meta, e.meta["join"]
        synth = "  SYNTHETIC DEMO DATA" if m.get("synthetic") else ""
        out.append(f"{e.name:<24} {j['n_boundaries']:>8} polygons {j['n_addresses']:>8} "
                   f"addresses  {_file(m['boundaries'])} + {_file(m['addresses'])}{synth}")
    return "\n".join(out) + "\n"


def render_info(entry) -> str:
    """Render the entry: sources with SHA-256, the join's counts, the stored files."""
    m, j = entry.meta, entry.meta["join"]
    b, a = m["boundaries"], m["addresses"]
    lines = [f"Boundaries {entry.name}"]
    if m.get("synthetic"):
        lines.append(f"  *** {SYNTHETIC_BANNER} ***")
    lines += [f"  boundaries: {_file(b)}, sha256 {b['sha256']}, CRS {b['crs']} ({b['crs_note']})",
              f"  addresses:  {_file(a)} ({a['name']}), sha256 {a['sha256']}; columns "
              + ", ".join(f"{k}={v}" for k, v in a["columns"].items()),
              f"  polygons {j['n_boundaries']} ({j['n_boundaries_with_addresses']} holding "
              f"addresses); addresses {j['n_addresses']} ({j['n_on_several_boundaries']} on "
              f"more than one polygon, {j['n_on_no_boundary']} on none, "
              f"{j['n_outside_extent']} outside the polygons' extent)",
              f"  added {m['added']}; stored in {entry.folder}"]
    lines += [f"  {f}: sha256 {s}" for f, s in m.get("files", {}).items()]
    lines += [f"  warning: {w}" for w in m.get("warnings", [])]
    return "\n".join(lines) + "\n"


def site_dict(boundaries) -> dict:
    """Return the site chosen by address: the selection, both files with their SHA-256."""
    b = boundaries.to_dict()
    return {"name": boundaries.name, "selection": b["selection"]["summary"],
            "n_boundaries": b["selection"]["n_boundaries"],
            "n_addresses": b["selection"]["n_addresses"],
            "inputs": [{"role": "boundaries", **b}, *boundaries.extra_inputs],
            "warnings": list(boundaries.notes)}


def with_site(text: str, fmt: str, boundaries) -> str:
    """Add the address selection (and its warnings) to a land-use screening's output."""
    import json

    site = site_dict(boundaries)
    if fmt == "json":
        doc = json.loads(text)
        return json.dumps({"site": site, **doc}, indent=2, ensure_ascii=False) + "\n"
    files = (f"{_file(site['inputs'][0])}; addresses from {_file(site['inputs'][1])}, "
             f"sha256 {site['inputs'][1]['sha256']}")
    lines = [f"Site: {site['selection']} ({files})"]
    lines += [f"Warning: {w}" for w in site["warnings"]]
    if fmt == "markdown":
        lines = [f"- {x}" for x in lines]
    return "\n".join(lines) + "\n\n" + text
