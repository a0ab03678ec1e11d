"""Which catalogued grids to use for a site: the LAEI where it covers the site, else Defra.

The catalogue may hold LAEI grids (20 m, London, roads modelled) and Defra background
maps (1 km, all England, backgrounds only) for the same pollutant and year. For a site
both cover, the LAEI is used; Defra's maps are used where no LAEI grid covers the site
(or when asked for by edition). The choice is returned as sentences every output states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from airq.read.catalogue.grids import GridEntry
from airq.read.grids import POLLUTANTS

Bounds = tuple[float, float, float, float]


def _covers(entry: GridEntry, site: Bounds) -> bool:
    xmin, ymin, xmax, ymax = entry.bounds
    sx0, sy0, sx1, sy1 = site
    return sx0 < xmax and sx1 > xmin and sy0 < ymax and sy1 > ymin


def _names(keys) -> str:
    return ", ".join(f"{POLLUTANTS.get(p, p)} {y}" for p, y in keys)


def choose_for_site(entries: Sequence, site_bounds: Callable[[str], Bounds], *,
                    years_given: bool = False,
                    edition_given: bool = False) -> tuple[list, list[str]]:
    """Keep the grids to use for a site, preferring the LAEI to Defra background maps.

    Parameters
    ----------
    entries
        Catalogue entries chosen by pollutant, year and edition (other requests pass
        through unchanged).
    site_bounds
        Returns the site's (xmin, ymin, xmax, ymax) in a CRS it is given.
    years_given
        Model years were asked for: a year only Defra holds is then used even where
        the LAEI covers the site (for other years).
    edition_given
        An edition was asked for: nothing is dropped for preference.

    Returns
    -------
    tuple
        The entries to use, and the sentences that state the choice (empty when the
        catalogue offered no Defra background map).
    """
    grids = [e for e in entries if isinstance(e, GridEntry)]
    if not any(e.info.background for e in grids) or edition_given:
        return list(entries), []
    covering = [e for e in grids if _covers(e, site_bounds(e.info.crs))]
    if not covering:
        return list(entries), []  # assess names the grids and their extents
    laei = [e for e in covering if not e.info.background]
    keys_laei = {(e.info.pollutant, e.info.year) for e in laei}
    keep, dropped_same, dropped_other = [], [], []
    for e in covering:
        key = (e.info.pollutant, e.info.year)
        if not e.info.background:
            keep.append(e)
        elif key in keys_laei:
            dropped_same.append(key)
        elif laei and not years_given:
            dropped_other.append(key)
        else:
            keep.append(e)
    others = [r for r in entries if not isinstance(r, GridEntry)]
    used_bg = sorted({(e.info.pollutant, e.info.year) for e in keep if e.info.background},
                     key=lambda k: (k[1] or 0, k[0]))
    eds = ", ".join(sorted({e.info.edition or "?" for e in laei}))
    notes = []
    if dropped_same or dropped_other:
        skipped = sorted(set(dropped_same + dropped_other), key=lambda k: (k[1] or 0, k[0]))
        notes.append(
            f"Grid choice: {eds} used. Defra background maps also cover the site "
            f"({_names(skipped)}) and were not used: where both cover a site, the LAEI "
            "(modelled at 20 m, roads included) is used; ask for the background maps with "
            "--edition \"Defra background maps\".")
    if used_bg:
        notes.append(f"Grid choice: Defra background maps used for {_names(used_bg)}: no LAEI "
                     "grid of the same pollutant and model year covers the site.")
    return keep + others, notes
