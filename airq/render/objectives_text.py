"""Render the objectives table as text, Markdown, JSON or CSV."""

from __future__ import annotations

import io
import json

from airq.read.grids import POLLUTANTS

_COLS = ("set", "pollutant", "period", "value", "unit", "allowed_exceedances", "jurisdiction",
         "legal_source", "date", "notes")


def render_objectives(version: str, rows, fmt: str) -> str:
    """Render objective rows with the data file's version."""
    if fmt == "json":
        return json.dumps({"version": version, "objectives": [o.to_dict() for o in rows]},
                          indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        from airq.render.escape import SafeDictWriter

        w = SafeDictWriter(buf, fieldnames=_COLS)
        w.writeheader()
        for o in rows:
            w.writerow(o.to_dict())
        return buf.getvalue()
    if fmt == "markdown":
        out = [f"Objectives data version {version}", "",
               "| set | pollutant | objective | legal source | date |", "|---|---|---|---|---|"]
        out += [f"| {o.set} | {POLLUTANTS.get(o.pollutant, o.pollutant)} | {o.text} | "
                f"{o.legal_source} | {o.date} |" for o in rows]
        return "\n".join(out) + "\n"
    out = [f"Objectives data version {version}"]
    current = None
    for o in rows:
        if o.set != current:
            current = o.set
            out += ["", f"[{o.set}] {o.jurisdiction}"]
        out.append(f"  {POLLUTANTS.get(o.pollutant, o.pollutant):<6} {o.text}")
        out.append(f"         {o.legal_source}; by {o.date}")
    return "\n".join(out) + "\n"
