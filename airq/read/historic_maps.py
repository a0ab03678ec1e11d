"""Read georeferenced map sheets (historic OS sheets, modern base maps) around a site.

Accepted layouts, as councils and their consultants hold them:

- GeoTIFF in any CRS: RGB, RGBA, grey or paletted, with nodata, an alpha band or a
  mask;
- JPEG or PNG with a world file (``.jgw``/``.pgw``/``.wld``) and a ``.prj``;
- MBTiles (read with GDAL's MBTiles driver);
- a local ``{z}/{x}/{y}`` tile folder.

Only the window around the site is read, into an RGBA array with its transform and
CRS (a :class:`MapSheet`); renderers warp it for the web map and the report. Each
sheet is checked for structure (georeferencing, CRS, bands, 8-bit pixels) and
plausibility (it must lie in Great Britain and cover the area asked for) before a
map is made from it.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from airq.errors import AirqWarning, CRSError, InputError

BNG = "EPSG:27700"
WEB_MERCATOR = "EPSG:3857"
#: Kinds of map sheet: a dated historic map, or a modern base map for the figures.
SHEET_KINDS = ("historic-map", "basemap")
#: Largest side, in pixels, of the window read from a sheet.
MAX_SIDE_PX = 2048
#: World-file suffixes GDAL reads beside a JPEG or PNG.
WORLD_SUFFIXES = {".png": (".pgw", ".pngw", ".wld"), ".jpg": (".jgw", ".jpgw", ".wld"),
                  ".jpeg": (".jgw", ".jpegw", ".wld")}
#: Plausible British National Grid extent (metres): a sheet must fall inside it.
_GB_BOUNDS = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)
_EARLIEST_EPOCH = 1500


class MapSheetWarning(AirqWarning):
    """A map sheet lacks an attribution, or a web base map could not be had."""


@dataclass(frozen=True)
class SheetRequest:
    """A map sheet named on the command line or in the catalogue, before it is read.

    Attributes
    ----------
    path
        The file or tile folder.
    epoch
        Survey or revision year (historic maps), or None.
    title, attribution
        How the sheet is named and credited; defaults from the file when None.
    kind
        ``historic-map`` or ``basemap``.
    name
        The catalogue name, or None for a file given directly.
    sha256
        SHA-256 recorded when the sheet was catalogued (checked again on reading).
    source
        The path as the user gave it (for provenance), if not ``path``.
    """

    path: str
    epoch: int | None = None
    title: str | None = None
    attribution: str | None = None
    kind: str = "historic-map"
    name: str | None = None
    sha256: str | None = None
    source: str | None = None


@dataclass(frozen=True, eq=False)
class MapSheet:
    """The window of a map sheet around a site, ready to draw.

    Attributes
    ----------
    kind
        ``historic-map`` or ``basemap``.
    epoch
        Survey or revision year, or None (a modern base map).
    title, attribution
        Shown in the layer control, the report and under figures.
    source
        The file or folder as given.
    sha256
        SHA-256 of the bytes read (the file; for a tile folder, the tiles read).
    format
        ``GeoTIFF``, ``PNG + world file``, ``JPEG + world file``, ``MBTiles``,
        ``tile folder`` or ``web tiles``.
    crs
        CRS of ``image`` (``EPSG:n`` or WKT).
    image
        ``(height, width, 4)`` uint8 RGBA; alpha 0 where the sheet has no data.
    transform
        Affine transform of ``image`` in ``crs``.
    extent_bng
        The whole sheet's bounds in EPSG:27700 (not only the window read).
    coverage
        Share (0-1) of the area asked for that the sheet covers.
    synthetic
        Whether the sheet is airq's synthetic demo data.
    name
        Catalogue name, or None.
    sidecars
        ``(path, sha256)`` of the world file and ``.prj`` read with the image.
    crs_note
        How the CRS was found (``declared in the file``, ``from the .prj``...).
    """

    kind: str
    epoch: int | None
    title: str
    attribution: str
    source: str
    sha256: str
    format: str
    crs: str
    image: np.ndarray = field(repr=False)
    transform: object = field(repr=False)
    extent_bng: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    coverage: float = 1.0
    synthetic: bool = False
    name: str | None = None
    sidecars: tuple[tuple[str, str], ...] = ()
    crs_note: str = "declared in the file"

    @property
    def label(self) -> str:
        """Name for legends: ``1896: Essex sheet 90 SW`` or the title alone."""
        return f"{self.epoch}: {self.title}" if self.epoch is not None else self.title

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Bounds of the window read, in ``crs``."""
        h, w = self.image.shape[:2]
        t = self.transform
        xs = [t.c, t.c + t.a * w]
        ys = [t.f, t.f + t.e * h]
        return min(xs), min(ys), max(xs), max(ys)

    def provenance(self) -> dict:
        """Return the provenance entry (``role`` ``historic-map`` or ``basemap``)."""
        return {"role": self.kind, "source": self.source, "sha256": self.sha256,
                "epoch": self.epoch, "title": self.title, "attribution": self.attribution,
                "format": self.format, "crs": _crs_label(self.crs), "crs_note": self.crs_note,
                "extent_bng": [round(v, 1) for v in self.extent_bng],
                "coverage": round(self.coverage, 4), "name": self.name,
                "sidecars": [{"source": p, "sha256": h} for p, h in self.sidecars],
                "synthetic": self.synthetic}


# --------------------------------------------------------------------------- parsing


def parse_sheet_spec(text: str) -> SheetRequest:
    """Parse ``--historic-map FILE[:EPOCH]`` (``EPOCH`` a year, e.g. ``sheet.tif:1896``).

    A catalogued sheet's name may stand for ``FILE``; it is looked up later.

    Raises
    ------
    InputError
        If the epoch is not a plausible year.

    Examples
    --------
    >>> parse_sheet_spec("os/sheet_90SW.tif:1896").epoch
    1896
    """
    path, epoch = text, None
    m = re.fullmatch(r"(.+):([^:/\\]*)", text)
    if m and not re.fullmatch(r"[A-Za-z]", m.group(1)):  # not a Windows drive letter
        path, raw = m.group(1), m.group(2).strip()
        epoch = check_epoch(raw, f"--historic-map {text!r}")
    if not path.strip():
        raise InputError(f"--historic-map {text!r} names no file; give FILE[:EPOCH]")
    return SheetRequest(path=path, epoch=epoch)


def check_epoch(value, where: str) -> int:
    """Return ``value`` as a map epoch (a year from 1500 to this year).

    Raises
    ------
    InputError
        Naming ``where`` if it is not such a year.
    """
    this_year = dt.date.today().year
    try:
        year = int(str(value).strip())
    except ValueError as err:
        raise InputError(f"{where}: epoch {value!r} is not a year; give the survey or "
                         "revision year, e.g. 1896") from err
    if not _EARLIEST_EPOCH <= year <= this_year:
        raise InputError(f"{where}: epoch {year} is not a plausible map year "
                         f"({_EARLIEST_EPOCH}-{this_year})")
    return year


# --------------------------------------------------------------------------- reading


def read_map_sheet(request: SheetRequest | str | Path, around=None, *,
                   max_side_px: int = MAX_SIDE_PX) -> MapSheet:
    """Read the window of a map sheet around an area.

    Parameters
    ----------
    request
        A :class:`SheetRequest`, or a path (epoch unknown, title from the file name).
    around
        The area to read around, a shapely geometry in EPSG:27700 (the site and its
        search area); None reads the whole sheet (decimated to ``max_side_px``).
    max_side_px
        Largest side of the image read; larger windows are read at a coarser
        resolution (GDAL overviews where the file has them).

    Returns
    -------
    MapSheet

    Raises
    ------
    InputError
        If the file is missing or not a georeferenced 8-bit image or tile set, or does
        not cover the area.
    CRSError
        If the sheet has no CRS, or its extent is implausible for Great Britain.
    """
    if not isinstance(request, SheetRequest):
        request = SheetRequest(path=str(request))
    path = Path(request.path)
    if request.kind not in SHEET_KINDS:
        raise InputError(f"{path}: kind {request.kind!r} is not one of {', '.join(SHEET_KINDS)}")
    if not path.exists():
        raise InputError(f"{path}: no such file or tile folder")
    if path.is_dir():
        sheet = _read_tile_folder(path, request, around, max_side_px)
    else:
        sheet = _read_raster(path, request, around, max_side_px)
    if request.sha256 and request.sha256 != sheet.sha256 and not path.is_dir():
        raise InputError(f"{path} has changed since it was catalogued (SHA-256 "
                         f"{sheet.sha256[:12]}, catalogued {request.sha256[:12]}); add it again "
                         "with `airq layers add ... --overwrite`")
    return sheet


def _sha256(path: Path) -> str:
    from airq.read.grids import sha256_file

    return sha256_file(path)


def _crs_label(crs) -> str:
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    epsg = c.to_epsg(min_confidence=90)
    return f"EPSG:{epsg}" if epsg else c.name


def _synthetic(path: Path) -> bool:
    from airq.demo import is_synthetic

    return is_synthetic(path)


def _world_and_prj(path: Path, request: SheetRequest):
    """Return the CRS and sidecars of a JPEG/PNG: its world file and .prj, both required."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    worlds = [path.with_suffix(s) for s in WORLD_SUFFIXES[path.suffix.lower()]]
    world = next((w for w in worlds if w.is_file()), None)
    if world is None:
        raise InputError(f"{path} has no world file ({' or '.join(w.name for w in worlds)}) "
                         "beside it; a plain image cannot be placed on the map")
    prj = path.with_suffix(".prj")
    if not prj.is_file():
        raise CRSError(f"{path} has a world file but no {prj.name}; write the CRS the world "
                       "file is in to it (for British National Grid, EPSG:27700 as WKT)")
    try:
        crs = CRS.from_user_input(prj.read_text(encoding="utf-8", errors="strict").strip())
    except (ProjCRSError, UnicodeDecodeError, ValueError) as err:
        raise CRSError(f"{prj} is not a CRS airq can read ({err})") from err
    sidecars = ((str(world), _sha256(world)), (str(prj), _sha256(prj)))
    return crs.to_wkt(), sidecars


def _band_layout(ds, path: Path) -> str:
    """Name the band layout (``palette``, ``grey``, ``grey+alpha``, ``rgb``, ``rgba``)."""
    from rasterio.enums import ColorInterp

    dtypes = set(ds.dtypes)
    if dtypes != {"uint8"}:
        raise InputError(f"{path} has {', '.join(sorted(dtypes))} pixels; a map sheet must be "
                         "8-bit (convert it, e.g. gdal_translate -ot Byte -scale)")
    ci = ds.colorinterp
    if ds.count == 1:
        if ci[0] == ColorInterp.palette:
            return "palette"
        return "grey"
    if ds.count == 2 and ci[1] == ColorInterp.alpha:
        return "grey+alpha"
    if ds.count == 3:
        return "rgb"
    if ds.count == 4 and ci[3] == ColorInterp.alpha:
        return "rgba"
    names = ", ".join(c.name for c in ci)
    raise InputError(f"{path} has {ds.count} bands ({names}); a map sheet must be RGB, RGBA, "
                     "grey or paletted")


def _check_extent(path: Path, extent_bng, crs_label: str) -> None:
    gx0, gy0, gx1, gy1 = _GB_BOUNDS
    x0, y0, x1, y1 = extent_bng
    if not (np.isfinite(extent_bng).all() and gx0 <= x0 and x1 <= gx1 and gy0 <= y0
            and y1 <= gy1):
        raise CRSError(f"{path} lies outside Great Britain in {crs_label} (extent "
                       f"{x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f} in EPSG:27700); check its CRS")
    if min(x1 - x0, y1 - y0) < 10.0:
        raise CRSError(f"{path} covers only {x1 - x0:.2f} m x {y1 - y0:.2f} m in EPSG:27700; "
                       f"its CRS ({crs_label}) is probably wrong")


def _coverage(extent_bng, around) -> float:
    import shapely

    if around is None:
        return 1.0
    box = shapely.box(*extent_bng)
    want = shapely.box(*around.bounds)
    return float(box.intersection(want).area / want.area) if want.area > 0 else 1.0


def _check_cover(path: Path, extent_bng, around) -> float:
    import shapely

    share = _coverage(extent_bng, around)
    if around is not None and not shapely.box(*extent_bng).intersects(around):
        x0, y0, x1, y1 = extent_bng
        ax0, ay0, ax1, ay1 = around.bounds
        raise InputError(f"{path} does not cover the site: the sheet spans {x0:.0f}-{x1:.0f} E, "
                         f"{y0:.0f}-{y1:.0f} N and the area {ax0:.0f}-{ax1:.0f} E, "
                         f"{ay0:.0f}-{ay1:.0f} N (EPSG:27700)")
    return share  # a sheet often covers part of the search area: said in every output


def _read_raster(path: Path, request: SheetRequest, around, max_side_px: int) -> MapSheet:
    import rasterio
    from affine import Affine
    from rasterio.crs import CRS as RioCRS
    from rasterio.enums import Resampling
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window, from_bounds

    suffix = path.suffix.lower()
    sidecars: tuple = ()
    crs_note = "declared in the file"
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotGeoreferencedWarning)
        try:
            ds = rasterio.open(path)
        except NotGeoreferencedWarning as err:
            raise InputError(f"{path} is not georeferenced: no transform in the file and no "
                             "world file beside it") from err
        except RasterioIOError as err:
            raise InputError(f"{path} is not an image GDAL can read ({err}); give a GeoTIFF, "
                             "a JPEG or PNG with a world file, or MBTiles") from err
    with ds:
        driver = ds.driver
        fmt = {"GTiff": "GeoTIFF", "COG": "GeoTIFF", "MBTiles": "MBTiles", "PNG":
               "PNG + world file", "JPEG": "JPEG + world file"}.get(driver)
        if fmt is None:
            raise InputError(f"{path} is a {driver} file; give a GeoTIFF, a JPEG or PNG with a "
                             "world file, MBTiles or a tile folder")
        crs = ds.crs
        if driver in ("PNG", "JPEG"):
            if suffix not in WORLD_SUFFIXES:
                raise InputError(f"{path}: a {driver} map sheet must end in .png, .jpg or .jpeg")
            wkt, sidecars = _world_and_prj(path, request)
            crs = RioCRS.from_wkt(wkt)
            crs_note = f"from {path.with_suffix('.prj').name}"
        if ds.transform.is_identity or ds.transform.is_rectilinear is False:
            raise InputError(f"{path} is not georeferenced as a north-up image (transform "
                             f"{tuple(ds.transform)[:6]}); warp it to a north-up grid first")
        if crs is None:
            raise CRSError(f"{path} has no CRS; give it one (e.g. gdal_edit.py -a_srs "
                           "EPSG:27700) or use a JPEG/PNG with a world file and .prj")
        layout = _band_layout(ds, path)
        label = _crs_label(crs)
        extent_bng = transform_bounds(crs, BNG, *ds.bounds, densify_pts=21)
        _check_extent(path, extent_bng, label)
        share = _check_cover(path, extent_bng, around)
        full = Window(0, 0, ds.width, ds.height)
        if around is None:
            win = full
        else:
            want = transform_bounds(BNG, crs, *around.bounds, densify_pts=21)
            w = from_bounds(*want, transform=ds.transform)
            c0, r0 = max(0, int(np.floor(w.col_off))), max(0, int(np.floor(w.row_off)))
            c1 = min(ds.width, int(np.ceil(w.col_off + w.width)))
            r1 = min(ds.height, int(np.ceil(w.row_off + w.height)))
            win = Window(c0, r0, max(1, c1 - c0), max(1, r1 - r0))
        scale = max(win.width, win.height) / max_side_px
        out_h = max(1, int(round(win.height / max(scale, 1.0))))
        out_w = max(1, int(round(win.width / max(scale, 1.0))))
        nearest = Resampling.nearest
        if layout == "palette":
            index = ds.read(1, window=win, out_shape=(out_h, out_w), resampling=nearest)
            cmap = ds.colormap(1)
            lut = np.zeros((256, 4), dtype=np.uint8)
            for k, v in cmap.items():
                lut[k] = v
            rgba = lut[index]
        else:
            res = Resampling.average if scale > 1 else nearest
            bands = {"grey": [1, 1, 1], "grey+alpha": [1, 1, 1], "rgb": [1, 2, 3],
                     "rgba": [1, 2, 3]}[layout]
            rgb = ds.read(bands, window=win, out_shape=(3, out_h, out_w), resampling=res)
            rgba = np.concatenate([np.moveaxis(rgb, 0, -1),
                                   np.full((out_h, out_w, 1), 255, np.uint8)], axis=2)
        mask = ds.dataset_mask(window=win, out_shape=(out_h, out_w), resampling=nearest)
        rgba[..., 3] = np.minimum(rgba[..., 3], mask)
        transform = ds.window_transform(win) @ Affine.scale(win.width / out_w,
                                                            win.height / out_h)
        tags = ds.tags()
    attribution = request.attribution or _tag_attribution(tags) or _default_attribution(path)
    return MapSheet(kind=request.kind, epoch=request.epoch,
                    title=request.title or tags.get("name") or path.stem, attribution=attribution,
                    source=request.source or str(path), sha256=_sha256(path), format=fmt,
                    crs=label if label.startswith("EPSG:") else crs.to_wkt(),
                    image=rgba, transform=transform, extent_bng=tuple(extent_bng),
                    coverage=share, synthetic=_synthetic(path), name=request.name,
                    sidecars=sidecars, crs_note=crs_note)


def _tag_attribution(tags) -> str | None:
    for key in ("attribution", "TIFFTAG_COPYRIGHT"):
        value = str(tags.get(key, "")).strip()
        if value:
            return value
    return None


def _default_attribution(path: Path) -> str:
    warnings.warn(f"{path.name} names no attribution; the maps credit it as 'supplied as "
                  f"{path.name}' (catalogue it with --attribution to say whose it is)",
                  MapSheetWarning, stacklevel=4)
    return f"supplied as {path.name}"


def _read_tile_folder(folder: Path, request: SheetRequest, around, max_side_px) -> MapSheet:
    from rasterio.warp import transform_bounds

    from airq.read.xyz_tiles import (
        choose_zoom,
        folder_bounds,
        folder_getter,
        folder_zooms,
        mosaic,
    )

    zooms = folder_zooms(folder)
    extent_3857 = folder_bounds(folder, max(zooms))
    extent_bng = transform_bounds(WEB_MERCATOR, BNG, *extent_3857, densify_pts=21)
    _check_extent(folder, extent_bng, WEB_MERCATOR)
    share = _check_cover(folder, extent_bng, around)
    if around is None:
        want = extent_3857
    else:
        want = transform_bounds(BNG, WEB_MERCATOR, *around.bounds, densify_pts=21)
    z = choose_zoom(want, zooms, max_side=max(1, max_side_px // 256))
    m = mosaic(folder_getter(folder), want, z, str(folder))
    attribution = request.attribution or _folder_attribution(folder) or \
        _default_attribution(folder)
    return MapSheet(kind=request.kind, epoch=request.epoch, title=request.title or folder.name,
                    attribution=attribution, source=request.source or str(folder),
                    sha256=m.sha256, format="tile folder", crs=WEB_MERCATOR, image=m.image,
                    transform=m.transform, extent_bng=tuple(extent_bng), coverage=share,
                    synthetic=_synthetic(folder), name=request.name,
                    crs_note=f"Web Mercator tiles ({{z}}/{{x}}/{{y}}), zoom {z}, "
                             f"{len(m.tiles)} tiles read")


def _folder_attribution(folder: Path) -> str | None:
    for name in ("ATTRIBUTION.txt", "attribution.txt"):
        p = folder / name
        if p.is_file():
            text = p.read_text(encoding="utf-8", errors="replace").strip()
            return text.splitlines()[0][:300] if text else None
    return None


def read_map_sheets(requests: Sequence[SheetRequest], around) -> tuple[MapSheet, ...]:
    """Read several sheets around an area, oldest epoch first.

    Raises
    ------
    InputError
        If two sheets share an epoch and a title (the same sheet given twice).
    """
    sheets = [read_map_sheet(r, around) for r in requests]
    seen = set()
    for s in sheets:
        key = (s.epoch, s.sha256)
        if key in seen:
            raise InputError(f"{s.source}: the same sheet is given twice for epoch {s.epoch}")
        seen.add(key)
    return tuple(sorted(sheets, key=lambda s: (s.epoch is None, s.epoch or 0, s.title)))
