"""The report's historic map extracts: one figure per sheet, the site drawn on it.

Each extract shows the sheet's window around the site warped to British National
Grid, the site boundary in orange, the land-use records dated to the sheet's epoch
(by their map epoch, or dates spanning it) with their numbers, a scale bar, a north
arrow and the sheet's attribution.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from airq.analyse.landuse.dated import records_at_epoch
from airq.render import figure_parts as fp
from airq.render.escape import figure_text
from airq.results import SYNTHETIC_BANNER

#: Size of an extract in inches (A4 text width).
EXTRACT_FIGSIZE = (6.5, 5.6)


def extract_records(a, sheet) -> list:
    """Return the land-use records drawn on a sheet's extract (those dated to its epoch)."""
    if a.land_use is None:
        return []
    return records_at_epoch(a.land_use.records, sheet.epoch)


def build_extract(a, sheet):
    """Draw one historic map extract (a matplotlib Figure)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    s = a.land_use
    site = a.boundaries_gdf.to_crs(fp.BNG)
    if s is not None and s.area is not None:
        base = s.band_area(s.search_m).bounds
    else:
        x0, y0, x1, y1 = site.total_bounds
        base = (x0 - 150, y0 - 150, x1 + 150, y1 + 150)
    fig = Figure(figsize=EXTRACT_FIGSIZE, dpi=100, layout="constrained")
    ax = fig.add_subplot()
    bounds = fp.frame(ax, base, aspect=1.25, pad_share=0.02, pad_m=5)
    ax.set_facecolor("#f2f2f2")
    fp.draw_basemap(ax, sheet, bounds)
    records = extract_records(a, sheet)
    fp.draw_records(ax, records, fp.records_sep_m(bounds), epoch_fill=True)
    fp.draw_site(ax, site, linewidth=1.6)
    fp.clean_axes(ax)
    fp.north_arrow(ax, size=9)
    fp.scale_bar(ax, fontsize=7.5)
    if a.synthetic or sheet.synthetic:
        fp.synthetic_banner(ax, SYNTHETIC_BANNER, fontsize=8)
    when = sheet.epoch if sheet.epoch is not None else "undated"
    fig.suptitle(figure_text(textwrap.fill(f"Historic map {when}: {sheet.title}", 90)),
                 fontsize=10,
                 x=0.01, ha="left", weight="bold")
    shown = (f"Land-use records dated to {when}: "
             + (", ".join(str(r.number) if r.number is not None else "on site" for r in records)
                if records else "none") + ". ")
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.95))
    fig.text(0.01, 0.004, figure_text(textwrap.fill(
        f"Site boundary in orange. {shown}Map: {sheet.attribution} ({sheet.format}, "
        f"{_source_name(sheet)}). Coordinates: {fp.crs_text(fp.BNG)}, grid north "
        f"up.", 125)), fontsize=6.5, va="bottom", ha="left", color="#333333")
    return fig


def _source_name(sheet) -> str:
    return sheet.source if sheet.format == "web tiles" else Path(sheet.source).name


def render_extract(a, sheet, fmt: str = "png", dpi: int = 150) -> bytes:
    """Render a historic map extract as PNG or SVG bytes."""
    from airq.render.figures import save_figure

    when = sheet.epoch if sheet.epoch is not None else "undated"
    return save_figure(build_extract(a, sheet), fmt, f"Historic map {when}: {sheet.title}", dpi)
