"""Static map figures (PNG, SVG) of an Assessment with matplotlib; no network needed.

The figure draws the boundaries in orange and the sampled grid points of one
pollutant and model year coloured by value, with a colour bar in the grid's units
that marks the objective, a north arrow, a scale bar, a title and the data
attribution. There are no basemap tiles: a figure for a report must not depend on
a tile server (and tile licences rarely allow printing without terms).
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

import numpy as np

from airq.errors import InputError
from airq.read.grids import POLLUTANTS
from airq.render.maps import BOUNDARY_COLOUR, SCALE_COLOURS, data_attribution, objective_for
from airq.results import SYNTHETIC_BANNER, Assessment, Samples

#: Figure size in inches: the text width of an A4 page with 20 mm margins.
A4_FIGSIZE = (6.5, 6.8)
FORMATS = ("png", "svg")


def _background(a: Assessment, s: Samples) -> bool:
    return any(r.background for r in a.results if (r.pollutant, r.year) == (s.pollutant, s.year))


def pick_samples(a: Assessment, pollutant: str | None = None, year=None) -> Samples | None:
    """Choose the samples to draw: as asked, else NO2 (or the first) of the latest year.

    Raises
    ------
    InputError
        If no samples match the pollutant and year asked for.
    """
    if not a.samples:
        return None
    cands = [s for s in a.samples if (pollutant is None or s.pollutant == pollutant)
             and (year is None or s.year == year)]
    if not cands:
        have = ", ".join(f"{s.pollutant} {s.year}" for s in a.samples)
        raise InputError(f"no grid points for {pollutant or 'any pollutant'} "
                         f"{year or ''}; the assessment has {have}")
    if year is None:
        latest = max((s.year for s in cands if s.year is not None), default=None)
        cands = [s for s in cands if s.year == latest] or cands
    for s in cands:
        if s.pollutant == "no2":
            return s
    return cands[0]


def _nice_length(span_m: float) -> float:
    target = span_m / 4
    exp = 10 ** math.floor(math.log10(target))
    for f in (5, 2, 1):
        if f * exp <= target:
            return f * exp
    return exp


def build_figure(a: Assessment, *, pollutant: str | None = None, year=None):
    """Draw the static map of an Assessment.

    Parameters
    ----------
    a
        The assessment; needs ``boundaries_gdf``.
    pollutant, year
        The grid points to colour (default NO2 of the latest model year).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        If the assessment has no boundary geometry, or no such grid points.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.figure import Figure

    if a.boundaries_gdf is None or len(a.boundaries_gdf) == 0:
        raise InputError("the assessment has no boundary geometry to draw")
    gdf = a.boundaries_gdf
    s = pick_samples(a, pollutant, year)
    fig = Figure(figsize=A4_FIGSIZE, dpi=100, layout="constrained")
    ax = fig.add_subplot()
    gdf.boundary.plot(ax=ax, color=BOUNDARY_COLOUR, linewidth=1.4, zorder=2)
    gdf.plot(ax=ax, color=BOUNDARY_COLOUR, alpha=0.08, zorder=1)
    title = f"{a.area.name}: residential boundaries"
    if s is not None:
        vals = np.asarray(s.value, float)
        ok = np.isfinite(vals)
        cmap = LinearSegmentedColormap.from_list("airq", list(SCALE_COLOURS))
        lo, hi = (float(vals[ok].min()), float(vals[ok].max())) if ok.any() else (0.0, 1.0)
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        norm = Normalize(lo, hi)
        sc = ax.scatter(np.asarray(s.x)[ok], np.asarray(s.y)[ok], c=vals[ok], cmap=cmap,
                        norm=norm, s=28, edgecolors="#222222", linewidths=0.4, zorder=3)
        name = POLLUTANTS.get(s.pollutant, s.pollutant)
        obj, obj_text = objective_for(a, s.pollutant, s.year)
        cb = fig.colorbar(sc, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02,
                          aspect=40)
        if obj is not None and lo <= obj <= hi:
            cb.ax.axvline(obj, color="#d00000", linewidth=2)
            note = f"{obj_text} (red line)"
        elif obj is not None:
            note = f"{obj_text}: {'above' if obj > hi else 'below'} every value shown"
        else:
            note = obj_text
        if _background(a, s):  # a 1 km cell centre, often outside the boundaries
            cb.set_label(f"{name} {s.year}, {s.units}: Defra 1 km background, not roadside; "
                         f"{note}", fontsize=8)
            title = f"{a.area.name}: {name} {s.year}, the 1 km background cell (Defra)"
        else:
            cb.set_label(f"{name} modelled annual mean {s.year}, {s.units}, at "
                         f"{s.cellsize:g} m grid points; {note}", fontsize=8)
            title = f"{a.area.name}: {name} {s.year} at the grid points in the boundaries"
        cb.ax.tick_params(labelsize=8)
    _frame(ax, gdf.total_bounds)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.suptitle(textwrap.fill(title, 85), fontsize=10.5, x=0.01, ha="left", weight="bold")
    _north_arrow(ax)
    _scale_bar(ax)
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
    crs = str(gdf.crs)
    crs = "British National Grid (EPSG:27700)" if crs == "EPSG:27700" else crs
    fig.text(0.01, 0.005, textwrap.fill(f"Coordinates: {crs}, grid north up. "
                                        f"{data_attribution(a)}. No basemap. "
                                        f"airq {a.provenance.airq_version}.", 130),
             fontsize=7, va="bottom", ha="left", color="#333333")
    if a.synthetic:
        ax.text(0.5, 0.985, SYNTHETIC_BANNER, transform=ax.transAxes, fontsize=8.5,
                ha="center", va="top", color="white", weight="bold",
                bbox={"facecolor": "#b00000", "edgecolor": "none", "pad": 3})
    return fig


def _frame(ax, bounds, aspect: float = 1.15) -> None:
    """Frame the boundaries with a margin in a box about ``aspect`` wide per unit high."""
    minx, miny, maxx, maxy = bounds
    w, h = maxx - minx, maxy - miny
    pad = max(w, h) * 0.10 + 10
    w, h = w + 2 * pad, h + 2 * pad
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal")


def _north_arrow(ax) -> None:
    # BNG grid north; true north differs by under 2 degrees across Great Britain.
    ax.annotate("N", xy=(0.95, 0.92), xytext=(0.95, 0.80), xycoords="axes fraction",
                ha="center", va="center", fontsize=10, weight="bold",
                arrowprops={"facecolor": "black", "width": 4, "headwidth": 11,
                            "headlength": 9})


def _scale_bar(ax) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx = x1 - (x1 - x0) * 0.05 - length
    by = y0 + (y1 - y0) * 0.05
    h = (y1 - y0) * 0.008
    ax.fill_between([bx, bx + length / 2], by, by + h, color="black", zorder=5)
    ax.fill_between([bx + length / 2, bx + length], by, by + h, color="white",
                    edgecolor="black", zorder=5)
    ax.plot([bx, bx + length, bx + length, bx, bx], [by, by, by + h, by + h, by], color="black",
            linewidth=0.8, zorder=6)
    ax.text(bx + length / 2, by + h * 2.5, f"{length:g} m", ha="center", va="bottom",
            fontsize=8, zorder=6,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})


def render_figure(a: Assessment, fmt: str = "png", *, pollutant: str | None = None,
                  year=None, dpi: int = 200) -> bytes:
    """Render the static map as PNG or SVG bytes (see :func:`build_figure`).

    Raises
    ------
    InputError
        If the format is not one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown figure format {fmt!r}; choose one of {', '.join(FORMATS)}")
    fig = build_figure(a, pollutant=pollutant, year=year)
    buf = io.BytesIO()
    meta = ({"Title": f"Air quality at {a.area.name}", "Software": "airq"} if fmt == "png"
            else {"Title": f"Air quality at {a.area.name}"})
    import matplotlib

    # SVG text stays text (searchable, selectable in the report) rather than paths.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "airq"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


def write_figure(a: Assessment, path, *, overwrite: bool = False, pollutant: str | None = None,
                 year=None) -> Path:
    """Write the static map to ``path`` (format from its suffix, .png or .svg) atomically."""
    from airq.outputs import write_bytes

    fmt = Path(path).suffix.lower().lstrip(".")
    return write_bytes(path, render_figure(a, fmt, pollutant=pollutant, year=year), overwrite)
