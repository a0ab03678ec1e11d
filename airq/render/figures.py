"""Static map figures (PNG, SVG) of an Assessment with matplotlib; no network needed.

A figure has one or more panels. An air-quality panel draws the boundaries in
orange and the sampled grid points of one pollutant and model year coloured by
value, with a colour bar in the grid's units that marks the objective. The land-use
panel draws the site, the search bands (buffers of the site boundary) and every
record's true shape with its number, the same number as in the report's table and
the text output. By default a figure has one panel per pollutant for the latest
model year, and the land-use panel when land use was screened (``--figure`` chooses
others). A base map (a map sheet read by the pipeline) sits under every panel when
the run has one, with its attribution; there is never a network request here.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from airq.errors import InputError
from airq.read.grids import POLLUTANTS, normalise_pollutant
from airq.render import figure_parts as fp
from airq.render.escape import figure_text
from airq.render.maps import SCALE_COLOURS, data_attribution, objective_for
from airq.results import SYNTHETIC_BANNER, Assessment, Samples, run_warnings

#: Width of a figure in inches: the text width of an A4 page with 20 mm margins.
A4_WIDTH_IN = 6.5
#: Size of a one-panel figure in inches.
A4_FIGSIZE = (A4_WIDTH_IN, 6.8)
FORMATS = ("png", "svg")
#: Pollutants given a panel by default (day counts such as pm10d only when asked).
DEFAULT_POLLUTANTS = ("no2", "pm10", "pm25", "nox")
LANDUSE = "landuse"


@dataclass(frozen=True)
class Panel:
    """One panel of a figure: a pollutant and model year, or the land use."""

    pollutant: str
    year: int | None = None

    @property
    def is_landuse(self) -> bool:
        """Whether this is the land-use panel."""
        return self.pollutant == LANDUSE

    def __str__(self) -> str:
        return self.pollutant if self.year is None else f"{self.pollutant}:{self.year}"


def parse_panel(spec: str) -> Panel:
    """Parse ``--figure POLLUTANT[:YEAR]`` or ``landuse``.

    Raises
    ------
    InputError
        If the pollutant or year cannot be read.

    Examples
    --------
    >>> parse_panel("no2:2020")
    Panel(pollutant='no2', year=2020)
    """
    text = spec.strip().lower()
    if text in (LANDUSE, "land-use", "land_use"):
        return Panel(LANDUSE)
    m = re.fullmatch(r"([a-z0-9._ ]+?)(?::(\d{4}))?", text)
    if not m:
        raise InputError(f"--figure {spec!r} must be POLLUTANT[:YEAR] (e.g. no2:2020) or landuse")
    return Panel(normalise_pollutant(m.group(1)), int(m.group(2)) if m.group(2) else None)


def _latest(a: Assessment, pollutant: str | None = None):
    years = [s.year for s in a.samples if s.year is not None
             and (pollutant is None or s.pollutant == pollutant)]
    return max(years) if years else None


def default_panels(a: Assessment, landuse: bool = True) -> list[Panel]:
    """One panel per pollutant for the latest model year, then land use (if screened)."""
    year = _latest(a)
    present = {s.pollutant for s in a.samples if s.year == year}
    panels = [Panel(p, year) for p in DEFAULT_POLLUTANTS if p in present]
    if not panels and a.samples:
        panels = [Panel(a.samples[0].pollutant, a.samples[0].year)]
    if landuse and a.land_use is not None:
        panels.append(Panel(LANDUSE))
    return panels


def resolve_panels(a: Assessment, specs=(), *, landuse: bool = True) -> list[Panel]:
    """Turn ``--figure`` values into panels the assessment can draw (defaults when none).

    Raises
    ------
    InputError
        If a pollutant and year has no grid points, or land use was not screened.
    """
    if not specs:
        return default_panels(a, landuse)
    out = []
    for spec in specs:
        p = spec if isinstance(spec, Panel) else parse_panel(spec)
        if p.is_landuse:
            if a.land_use is None:
                raise InputError("--figure landuse: no land use was screened (drop --no-layers "
                                 "or catalogue a layer with `airq layers add`)")
        else:
            year = p.year if p.year is not None else _latest(a, p.pollutant)
            try:
                pick_samples(a, p.pollutant, year)  # raises when there is no such grid
            except InputError as err:
                shown = spec if isinstance(spec, str) else f"{p.pollutant}:{year}"
                raise InputError(f"--figure {shown}: {err}") from err
            p = Panel(p.pollutant, year)
        if p not in out:
            out.append(p)
    return out


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
        have = ", ".join(f"{s.pollutant}:{s.year}" for s in a.samples)
        raise InputError(f"no grid points for {pollutant or 'any pollutant'}"
                         f"{':' + str(year) if year else ''}; the assessment has {have}")
    if year is None:
        latest = max((s.year for s in cands if s.year is not None), default=None)
        cands = [s for s in cands if s.year == latest] or cands
    for s in cands:
        if s.pollutant == "no2":
            return s
    return cands[0]


def _aq_panel(fig, ax, a: Assessment, s: Samples, small: bool) -> str:
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    gdf = a.boundaries_gdf
    bounds = fp.frame(ax, gdf.total_bounds)
    if a.basemap is not None:
        fp.draw_basemap(ax, a.basemap, bounds, alpha=0.55, crs=str(gdf.crs))
    fp.draw_site(ax, gdf, linewidth=1.0 if small else 1.4)
    vals = np.asarray(s.value, float)
    ok = np.isfinite(vals)
    cmap = LinearSegmentedColormap.from_list("airq", list(SCALE_COLOURS))
    lo, hi = (float(vals[ok].min()), float(vals[ok].max())) if ok.any() else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    sc = ax.scatter(np.asarray(s.x)[ok], np.asarray(s.y)[ok], c=vals[ok], cmap=cmap,
                    norm=Normalize(lo, hi), s=12 if small else 28, edgecolors="#222222",
                    linewidths=0.3 if small else 0.4, zorder=4)
    name = POLLUTANTS.get(s.pollutant, s.pollutant)
    obj, obj_text = objective_for(a, s.pollutant, s.year)
    cb = fig.colorbar(sc, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02, aspect=40)
    if obj is not None and lo <= obj <= hi:
        cb.ax.axvline(obj, color="#d00000", linewidth=2)
        note = f"{obj_text} (red line)"
    elif obj is not None:
        note = f"{obj_text}: {'above' if obj > hi else 'below'} every value shown"
    else:
        note = obj_text
    if _background(a, s):  # a 1 km cell centre, often outside the boundaries
        label = f"{name} {s.year}, {s.units}: Defra 1 km background, not roadside; {note}"
    else:
        label = (f"{name} modelled annual mean {s.year}, {s.units}, at {s.cellsize:g} m grid "
                 f"points; {note}")
    cb.set_label(figure_text(textwrap.fill(label, 62 if small else 120)),
                 fontsize=6.5 if small else 8)
    cb.ax.tick_params(labelsize=6.5 if small else 8)
    panel = f"{name} {s.year}" + (" (Defra 1 km background)" if _background(a, s) else "")
    ax.set_title(panel, fontsize=9 if small else 10, loc="left", weight="bold")
    return panel


def _landuse_panel(ax, a: Assessment, small: bool) -> str:
    from matplotlib.patches import Patch

    from airq.render.landuse_style import record_colour

    s = a.land_use
    area = s.band_area(s.search_m) if s.area is not None else None
    base = area.bounds if area is not None else a.boundaries_gdf.to_crs(fp.BNG).total_bounds
    bounds = fp.frame(ax, base, aspect=1.15, pad_share=0.03, pad_m=5)
    if a.basemap is not None:
        fp.draw_basemap(ax, a.basemap, bounds, alpha=0.7)
    if s.area is not None:
        fp.draw_bands(ax, s)
    fp.draw_site(ax, a.boundaries_gdf.to_crs(fp.BNG), linewidth=1.0)
    fp.draw_records(ax, s.records, fp.records_sep_m(bounds) * (1.6 if small else 1.0))
    handles, seen = [], set()
    for r in s.records:
        key = (r.layer, r.epoch is not None)
        if r.geometry is None or key in seen or r.epoch is not None:
            continue
        seen.add(key)
        handles.append(Patch(facecolor=record_colour(r), edgecolor=record_colour(r), alpha=0.6,
                             label=figure_text(f"{r.layer} ({r.kind})")))
    if any(r.epoch is not None for r in s.records):
        handles.append(Patch(facecolor="#dddddd", edgecolor="#888888",
                             label="land use by map epoch"))
    handles.append(Patch(facecolor="none", edgecolor=fp.SITE_COLOUR, label="site"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=2,
              fontsize=6 if small else 7, frameon=False)
    ax.set_title("Land use: records and search bands", fontsize=9 if small else 10,
                 loc="left", weight="bold")
    return "land use"


def _title(a: Assessment, chosen, names) -> str:
    aq = [p for p in chosen if not p.is_landuse]
    years = sorted({p.year for p in aq if p.year is not None})
    if len(aq) == 1:
        text = f"{a.area.name}: {names[chosen.index(aq[0])]} at the grid points in the boundaries"
    elif aq:
        pols = ", ".join(POLLUTANTS.get(p.pollutant, p.pollutant) for p in aq)
        when = " and ".join(str(y) for y in years)
        text = f"{a.area.name}: modelled annual means {when} ({pols})"
    else:
        text = f"{a.area.name}"
    if any(p.is_landuse for p in chosen):
        text += " and land use" if aq else ": land use around the site"
    return text if chosen else f"{a.area.name}: residential boundaries"


def build_figure(a: Assessment, *, pollutant: str | None = None, year=None, panels=None):
    """Draw the static map figure of an Assessment.

    Parameters
    ----------
    a
        The assessment; needs ``boundaries_gdf``.
    pollutant, year
        Draw one panel of these grid points (the figure of earlier versions).
    panels
        ``--figure`` values or :class:`Panel` objects; default one panel per
        pollutant for the latest model year, then land use when it was screened.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        If the assessment has no boundary geometry, or a panel cannot be drawn.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    if a.boundaries_gdf is None or len(a.boundaries_gdf) == 0:
        raise InputError("the assessment has no boundary geometry to draw")
    if pollutant is not None or year is not None:
        s = pick_samples(a, pollutant, year)
        chosen = [Panel(s.pollutant, s.year)] if s is not None else []
    else:
        chosen = resolve_panels(a, panels or ())
    n = max(1, len(chosen))
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    height = A4_FIGSIZE[1] if n == 1 else 0.8 + nrows * 3.9
    fig = Figure(figsize=(A4_WIDTH_IN, height), dpi=100, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    small = n > 1
    names = []
    for ax, p in zip(axes, chosen, strict=False):
        ax.set_anchor("N")  # equal-aspect maps sit under their titles, not above them
        if p.is_landuse:
            names.append(_landuse_panel(ax, a, small))
        else:
            names.append(_aq_panel(fig, ax, a, pick_samples(a, p.pollutant, p.year), small))
        fp.clean_axes(ax)
        fp.north_arrow(ax, size=7 if small else 10)
        fp.scale_bar(ax, fontsize=6.5 if small else 8)
        if a.synthetic:
            fp.synthetic_banner(ax, "SYNTHETIC DEMO DATA" if small else SYNTHETIC_BANNER,
                                fontsize=6.5 if small else 8.5)
    for ax in axes[len(chosen):]:
        ax.set_axis_off()
    if not chosen:  # no grid points and no land use: the boundaries alone
        fp.frame(axes[0], a.boundaries_gdf.total_bounds)
        fp.draw_site(axes[0], a.boundaries_gdf)
        fp.clean_axes(axes[0])
        fp.north_arrow(axes[0])
        fp.scale_bar(axes[0])
        names = ["residential boundaries"]
    title = textwrap.fill(_title(a, chosen, names), 64)
    fig.suptitle(figure_text(title), fontsize=10.5, x=0.01, ha="left", weight="bold")
    footer = textwrap.fill(
        f"Coordinates: {fp.crs_text(a.boundaries_gdf.crs)}, grid north up. "
        f"{data_attribution(a)}. {fp.attribution_text(a.basemap)} "
        f"airq {a.provenance.airq_version}.", 130)
    said = _warnings_line(a)
    if said:  # a figure may travel alone: it says that warnings apply, and the first
        footer = textwrap.fill(said, 130, max_lines=3, placeholder=" ...") + "\n" + footer
    # keep the panels clear of the footer (the title has its own room)
    room = 0.2 + 0.11 * (footer.count("\n") + 1)
    fig.get_layout_engine().set(rect=(0, room / height, 1, 1 - 0.45 / height))
    fig.text(0.01, 0.004, figure_text(footer), fontsize=6.5, va="bottom", ha="left",
             color="#333333")
    return fig


def _warnings_line(a: Assessment) -> str:
    """Return the run's warnings (but the SYNTHETIC notice, which the banner says) as one line."""
    said = run_warnings(a.warnings)
    if not said:
        return ""
    return (f"Warnings ({len(said)}; all in the report and JSON): " + "; ".join(said))


def render_figure(a: Assessment, fmt: str = "png", *, pollutant: str | None = None,
                  year=None, dpi: int = 200, panels=None) -> bytes:
    """Render the static map as PNG or SVG bytes (see :func:`build_figure`).

    Raises
    ------
    InputError
        If the format is not one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown figure format {fmt!r}; choose one of {', '.join(FORMATS)}")
    fig = build_figure(a, pollutant=pollutant, year=year, panels=panels)
    return save_figure(fig, fmt, f"Air quality at {a.area.name}", dpi)


def save_figure(fig, fmt: str, title: str, dpi: int = 200) -> bytes:
    """Save a matplotlib figure as PNG or SVG bytes (SVG text kept as text)."""
    import matplotlib

    buf = io.BytesIO()
    meta = {"Title": title, "Software": "airq"} if fmt == "png" else {"Title": title}
    # SVG text stays text (searchable, selectable in the report) rather than paths.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "airq"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


def write_figure(a: Assessment, path, *, overwrite: bool = False, pollutant: str | None = None,
                 year=None, panels=None) -> Path:
    """Write the static map to ``path`` (format from its suffix, .png or .svg) atomically."""
    from airq.outputs import write_bytes

    fmt = Path(path).suffix.lower().lstrip(".")
    return write_bytes(path, render_figure(a, fmt, pollutant=pollutant, year=year,
                                           panels=panels), overwrite)
