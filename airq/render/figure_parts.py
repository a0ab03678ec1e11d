"""Parts every static map figure shares: frame, base map, site, records, bands, scale, north.

Used by the air-quality and land-use panels (``figures``) and the report's historic
map extracts (``sheet_figures``), so a record has the same number, colour and shape
in each. Coordinates are British National Grid (EPSG:27700) metres.
"""

from __future__ import annotations

import math

import numpy as np

from airq.render.landuse_style import label_points, record_style

#: Colour of the site boundary (the case's maps draw it in orange).
SITE_COLOUR = "#ff7f00"
BAND_COLOUR = "#c51b7d"
BNG = "EPSG:27700"


def frame(ax, bounds, aspect: float = 1.15, pad_share: float = 0.10, pad_m: float = 10.0):
    """Frame ``bounds`` with a margin in a box about ``aspect`` wide per unit high.

    Returns the framed ``(minx, miny, maxx, maxy)``. Call it after drawing with
    geopandas, which labels the axes.
    """
    minx, miny, maxx, maxy = bounds
    w, h = maxx - minx, maxy - miny
    pad = max(w, h) * pad_share + pad_m
    w, h = w + 2 * pad, h + 2 * pad
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def draw_basemap(ax, sheet, bounds, alpha: float = 1.0, zorder: float = 0.5,
                 crs: str = BNG) -> bool:
    """Draw a map sheet warped to ``crs`` under the axes; False if it misses ``bounds``."""
    from airq.render.sheet_images import warp_sheet

    rgba, b = warp_sheet(sheet, crs, bounds, max_side=1600)
    if rgba is None:
        return False
    ax.imshow(rgba, extent=(b[0], b[2], b[1], b[3]), origin="upper", alpha=alpha,
              zorder=zorder, interpolation="bilinear")
    return True


def draw_site(ax, gdf, linewidth: float = 1.4) -> None:
    """Draw the site's boundaries in orange with a faint fill."""
    gdf.plot(ax=ax, color=SITE_COLOUR, alpha=0.10, zorder=2)
    gdf.boundary.plot(ax=ax, color=SITE_COLOUR, linewidth=linewidth, zorder=3)


def draw_bands(ax, screening) -> None:
    """Draw the search bands as dashed outlines: buffers of the site boundary."""
    import geopandas as gpd

    for edge in screening.bands_m:
        if edge <= 0:
            continue
        shape = gpd.GeoSeries([screening.band_area(edge)], crs=BNG)
        shape.boundary.plot(ax=ax, color=BAND_COLOUR, linewidth=0.9, linestyle=(0, (5, 3)),
                            zorder=2.5)
        x0, y0, x1, y1 = shape.total_bounds
        cy = screening.area.centroid.y
        ax.text(x1, cy, f"{edge:g} m", color=BAND_COLOUR, fontsize=6.5,
                ha="right", va="center", zorder=6, clip_on=True,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5})


def draw_records(ax, records, sep_m: float, numbers: bool = True,
                 epoch_fill: bool = False) -> None:
    """Draw records' shapes in their layer colours, with their numbers.

    Map-epoch land use (fields, housing... often large) is outlined only, unless
    ``epoch_fill`` (on an extract of that epoch's map).
    """
    import geopandas as gpd

    for r in records:
        if r.geometry is None or r.geometry.is_empty:
            continue
        st = record_style(r)
        g = gpd.GeoSeries([r.geometry], crs=BNG)
        kind = r.geometry.geom_type
        if r.epoch is not None and not epoch_fill:
            if kind in ("Point", "MultiPoint"):
                g.plot(ax=ax, color=st["color"], markersize=14, zorder=3.1)
            else:
                g.boundary.plot(ax=ax, color=st["color"], linewidth=0.9,
                                linestyle=(0, (2, 1.5)), zorder=3.1)
            continue
        if kind in ("Point", "MultiPoint"):
            g.plot(ax=ax, color=st["fillColor"], edgecolor=st["color"], markersize=28,
                   zorder=4, linewidth=1.2)
        elif kind in ("LineString", "MultiLineString"):
            g.plot(ax=ax, color=st["color"], linewidth=2.2, zorder=3.5)
        else:
            g.plot(ax=ax, color=st["fillColor"], alpha=min(st["fillOpacity"] + 0.1, 0.6),
                   zorder=3.2)
            g.boundary.plot(ax=ax, color=st["color"], linewidth=st["weight"] * 0.55,
                            zorder=3.4)
    if not numbers:
        return
    for n, p in label_points(records, sep_m).items():
        ax.text(p.x, p.y, str(n), fontsize=6.5, weight="bold", ha="center", va="center",
                zorder=7, clip_on=True,
                bbox={"boxstyle": "circle,pad=0.25", "facecolor": "white",
                      "edgecolor": "#222222", "linewidth": 0.8})


def clean_axes(ax) -> None:
    """Remove the axis labels and ticks geopandas adds: a map has a scale bar instead."""
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])


def nice_length(span_m: float) -> float:
    """Return a round scale-bar length about a quarter of ``span_m`` (1, 2 or 5 x 10^n)."""
    target = span_m / 4
    exp = 10 ** math.floor(math.log10(target))
    for f in (5, 2, 1):
        if f * exp <= target:
            return f * exp
    return exp


def north_arrow(ax, size: float = 10) -> None:
    """Draw a north arrow (grid north; true north differs by under 2 degrees across GB)."""
    ax.annotate("N", xy=(0.95, 0.92), xytext=(0.95, 0.80), xycoords="axes fraction",
                ha="center", va="center", fontsize=size, weight="bold", zorder=8,
                arrowprops={"facecolor": "black", "width": size * 0.4,
                            "headwidth": size * 1.1, "headlength": size * 0.9},
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5})


def scale_bar(ax, fontsize: float = 8) -> None:
    """Draw a black-and-white scale bar in metres at the bottom right."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    bx = x1 - (x1 - x0) * 0.05 - length
    by = y0 + (y1 - y0) * 0.05
    h = (y1 - y0) * 0.008
    ax.fill_between([bx, bx + length / 2], by, by + h, color="black", zorder=8)
    ax.fill_between([bx + length / 2, bx + length], by, by + h, color="white",
                    edgecolor="black", zorder=8)
    ax.plot([bx, bx + length, bx + length, bx, bx], [by, by, by + h, by + h, by],
            color="black", linewidth=0.8, zorder=9)
    ax.text(bx + length / 2, by + h * 2.5, f"{length:g} m", ha="center", va="bottom",
            fontsize=fontsize, zorder=9,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})


def crs_text(crs) -> str:
    """Name the coordinate system for a footer."""
    text = str(crs)
    return "British National Grid (EPSG:27700)" if text == "EPSG:27700" else text


def attribution_text(sheet) -> str:
    """Credit for a base map or extract (always shown with it)."""
    if sheet is None:
        return "No base map."
    when = f", {sheet.epoch}" if sheet.epoch is not None else ""
    return f"Base map: {sheet.title}{when}, {sheet.attribution}."


def synthetic_banner(ax, text: str, fontsize: float = 8.5) -> None:
    """Draw the SYNTHETIC DEMO DATA banner across the top of the axes."""
    ax.text(0.5, 0.985, text, transform=ax.transAxes, fontsize=fontsize, ha="center",
            va="top", color="white", weight="bold", zorder=10,
            bbox={"facecolor": "#b00000", "edgecolor": "none", "pad": 3})


def records_sep_m(bounds) -> float:
    """Least distance between two record numbers for a frame of ``bounds``."""
    return max(4.0, (bounds[2] - bounds[0]) / 28)


def finite(values) -> np.ndarray:
    """Return the finite values of an array as float."""
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v)]
