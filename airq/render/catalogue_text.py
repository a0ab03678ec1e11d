"""Text for catalogue checks: one line per stored copy (``airq grids check``, ``layers check``)."""

from __future__ import annotations

from collections.abc import Sequence

from airq.read.catalogue.index import CopyCheck


def render_copy_checks(checks: Sequence[CopyCheck]) -> str:
    """One line per entry: ``ok``, ``changed`` or ``missing``, the entry, and what to do.

    Examples
    --------
    >>> print(render_copy_checks(checks), end="")  # doctest: +SKIP
    ok       laei-2013-update/no2-2013
    changed  laei-2013-update/no2-2020: SHA-256 now 5e1c..., recorded 03a4...; re-add it: ...
    """
    lines = []
    for c in checks:
        if c.status == "ok":
            lines.append(f"{c.status:<8} {c.entry}")
        elif c.status == "missing":
            lines.append(f"{c.status:<8} {c.entry}: {c.path} is gone; re-add it: {c.readd}")
        else:
            lines.append(f"{c.status:<8} {c.entry}: SHA-256 now {c.sha256}, recorded "
                         f"{c.recorded}; re-add it: {c.readd}")
    return "".join(f"{line}\n" for line in lines)


def check_summary(checks: Sequence[CopyCheck], noun: str) -> tuple[bool, str]:
    """Return whether every copy is ok, and one sentence saying so or counting the others."""
    bad = [c for c in checks if not c.ok]
    plural = noun if len(checks) == 1 else f"{noun}s"
    if not bad:
        return True, f"{len(checks)} catalogued {plural} checked: all match their SHA-256"
    return False, (f"{len(bad)} of {len(checks)} catalogued {plural} changed or missing; "
                   "re-add them with the commands shown")
