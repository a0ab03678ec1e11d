"""Render the verdict of ``airq verify``: one line per input and per result, or JSON."""

from __future__ import annotations

import json

from airq.analyse.compare import Change, Verification
from airq.results import SYNTHETIC_BANNER

FORMATS = ("text", "json")
#: Changes listed on one line before "and N more".
MAX_CHANGES = 6
_KIND = {"query": "airq query result", "batch": "airq batch table",
         "screen": "airq screen result", "rates": "airq rates table"}
_CONTAINER = {"json": "JSON", "html": "HTML", "pdf": "PDF", "csv": "CSV", "gpkg": "GeoPackage",
              "parquet": "GeoParquet"}


def _number(a: float, b: float) -> tuple[str, str]:
    """Both numbers with the fewest decimals (1 to 6) that show them apart."""
    for nd in range(1, 7):
        x, y = f"{a:.{nd}f}", f"{b:.{nd}f}"
        if x != y:
            return x, y
    return repr(a), repr(b)


def _value(v) -> str:
    if isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v):
        return v[:12] + "..."  # a SHA-256
    if isinstance(v, float):
        return f"{v:g}"
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str | list | dict) else str(v)


def change_text(c: Change) -> str:
    """``mean 26.4 -> 27.1``: the figure, the value the output holds, the value recomputed."""
    absent_rec, absent_new = c.absent
    if absent_rec or absent_new:
        rec = "(absent)" if absent_rec else _value(c.recorded)
        new = "(absent)" if absent_new else _value(c.recomputed)
    elif isinstance(c.recorded, int | float) and isinstance(c.recomputed, int | float) and \
            not isinstance(c.recorded, bool) and not isinstance(c.recomputed, bool) and \
            (isinstance(c.recorded, float) or isinstance(c.recomputed, float)):
        rec, new = _number(float(c.recorded), float(c.recomputed))
    else:
        rec, new = _value(c.recorded), _value(c.recomputed)
    return f"{c.figure} {rec} -> {new}".strip()


def render_verification_text(v: Verification) -> str:
    """Render the verdict: a line per check (``same``, ``changed``, ``missing``) and a total."""
    lines = []
    if v.synthetic:
        lines += [f"*** {SYNTHETIC_BANNER} ***"]
    version = f" with airq {v.airq_version}" if v.airq_version else ""
    lines.append(f"Verifying {v.output}: {_KIND.get(v.kind, v.kind)} "
                 f"({_CONTAINER.get(v.container, v.container)}), run {v.run_at}{version}; "
                 f"provenance from {v.provenance_source}")
    if v.airq_version and v.airq_version != v.airq_version_now:
        lines.append(f"Note: recomputed with airq {v.airq_version_now}")
    width = max((len(c.subject) for c in v.checks), default=10) + 2
    for c in v.checks:
        parts = [c.detail] if c.detail else []
        if c.changes:
            shown = [change_text(x) for x in c.changes[:MAX_CHANGES]]
            more = len(c.changes) - len(shown) + c.more_changes
            parts.append(", ".join(shown) + (f" and {more} more" if more > 0 else ""))
        if c.note:
            parts.append(c.note)
        lines.append(f"{c.status:<8} {c.subject:<{width}}{'; '.join(parts)}".rstrip())
    n = v.counts()
    if v.ok:
        lines.append(f"Verified: every input and figure is the same ({len(v.checks)} checks; "
                     f"{v.tolerance}).")
    else:
        lines.append(f"Not verified: {n['changed']} changed, {n['missing']} missing, "
                     f"{n['same']} same ({v.tolerance}).")
    return "\n".join(lines) + "\n"


def render_verification(v: Verification, fmt: str = "text") -> str:
    """Render the verdict as ``text`` or ``json``."""
    if fmt == "json":
        return json.dumps(v.to_dict(), indent=1, ensure_ascii=False) + "\n"
    return render_verification_text(v)
