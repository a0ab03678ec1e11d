"""The synthetic land-use layers: landfill, former industry, epochs, a brownfield register."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airq.demo.fields import _RAILWAY, _ROADS
from airq.demo.layout import BROWNFIELD_COLUMNS, DEMO_BOUNDS, EA_LANDFILL_FIELDS
from airq.demo.plots import _box

if TYPE_CHECKING:  # geopandas and shapely load lazily so that importing airq.demo is cheap
    import geopandas as gpd

logger = logging.getLogger(__name__)


def _landfill_frame() -> gpd.GeoDataFrame:
    """Historic landfill sites in the Environment Agency schema (all fields text or int)."""
    import geopandas as gpd
    from shapely import Point

    blank = dict.fromkeys(EA_LANDFILL_FIELDS, "")
    lic_hold = "Demo Borough Council (synthetic record)"
    sites = [
        # About 100 m north of the demo street's last plots: the pit the case's street
        # could plausibly have been worried about; pre-licensing, inert and household.
        dict(blank, hld_ref="EAHLD99001", site_name="Former Clay Lane Pit",
             site_add="Clay Lane, Chadwell Heath (synthetic demo record)",
             firstinput="01/01/1931", lastinput="31/12/1948", inert="Yes",
             household="Yes", nolicreq="Yes",
             geometry=_box(547290.0, 187765.0, 547500.0, 187910.0)),
        # About 400 m west of the demo street.
        dict(blank, hld_ref="EAHLD99002", site_name="Marsh Farm Tip",
             site_add="Marsh Farm, Marsh Lane, Chadwell Heath (synthetic demo record)",
             siteopname="Marsh Farm Haulage (synthetic)", firstinput="15/04/1952",
             lastinput="30/09/1961", household="Yes", commercial="Yes", nolicreq="Yes",
             geometry=_box(546780.0, 187350.0, 546930.0, 187550.0)),
        # A point record buffered to a circle because no boundary was digitised; no dates.
        dict(blank, hld_ref="EAHLD99003", site_name="Hollybrook Infill",
             site_add="Hollybrook, Rose Lane (synthetic demo record)", wasteunk="Yes",
             buff_point="Yes", geometry=Point(548175.0, 187525.0).buffer(50.0, 16)),
        # Over 1 km from the demo street, outside the default search bands; its first
        # input date is only known approximately, as in many real records.
        dict(blank, hld_ref="EAHLD99004", site_name="Eastbrook Refuse Tip",
             site_add="Eastbrook Lane, Dagenham (synthetic demo record)",
             lic_hold=lic_hold, licholdadd="Town Hall, Demo Borough (synthetic)",
             siteopname="Demo Borough Cleansing Dept (synthetic)",
             lic_issue="14/03/1977", lic_surren="02/11/1994", firstinput="c. 1950s",
             lastinput="31/12/1989", industrial="Yes", household="Yes", liqsludge="Yes",
             gascontrol="Yes", leachatcnt="Yes", licenced="Yes",
             geometry=_box(549500.0, 188400.0, 549800.0, 188650.0)),
    ]  # fmt: skip
    for site in sites:
        centre = site["geometry"].centroid
        site["easting"], site["northing"] = int(round(centre.x)), int(round(centre.y))
        site["ea_region"], site["ea_area"] = "Thames", "North East Thames"
    return gpd.GeoDataFrame(
        sites, columns=[*EA_LANDFILL_FIELDS, "geometry"], geometry="geometry", crs="EPSG:27700"
    )


def _industry_frame() -> gpd.GeoDataFrame:
    """Former industrial sites: polygons where the extent is known, points otherwise."""
    import geopandas as gpd
    from shapely import Point

    sites = [
        ("gas works", "Brookfield Gas Works", 1898, 1956, _box(549080, 187840, 549330, 188210)),
        ("gravel pit", "Clay Lane Gravel Pit", 1908, 1931, _box(547270, 187745, 547520, 187930)),
        ("railway sidings", "Heath Goods Sidings", 1890, 1966,
         _box(548900, 186730, 549600, 186775)),
        ("engineering works", "Heathside Engineering Works", 1912, 1979,
         _box(546200, 186700, 546400, 186850)),
        ("engineering works", "Lane End Motor Works", 1931, 1984, Point(547990, 188500)),
        ("filling station", "Former High Road Filling Station", 1934, 1992, Point(547500, 187235)),
        ("smithy", "Heath Forge", 1870, 1925, Point(546600, 187160)),
    ]  # fmt: skip
    columns = ["use", "site_name", "start_year", "end_year", "geometry"]
    return gpd.GeoDataFrame(
        [dict(zip(columns, s, strict=True)) for s in sites],
        columns=columns,
        geometry="geometry",
        crs="EPSG:27700",
    )


def _epoch_layers(epoch: int) -> list[tuple[str, object]]:
    """Land-use patches of one map epoch, painted in order (later patches win)."""
    from shapely import LineString

    extent = _box(*DEMO_BOUNDS)
    high_road = LineString(_ROADS[1].coords)
    layers: list[tuple[str, object]] = [("fields", extent)]
    # The old village strung along the high road and the Victorian streets by the station.
    layers += [
        ("residential", high_road.buffer(60.0)),
        ("residential", _box(548450, 186800, 549000, 186990)),
    ]
    if epoch >= 1920:
        layers += [
            ("gravel pit", _box(547270, 187745, 547520, 187930)),
            ("industrial", _box(549080, 187840, 549330, 188210)),
            ("industrial", _box(546200, 186700, 546400, 186850)),
        ]
    if epoch >= 1938:
        # Inter-war estates; the arterial road opened in the 1920s.
        layers += [
            ("residential", _box(547200, 187270, 547720, 187700)),  # Woodlands Avenue
            ("residential", _box(546560, 188250, 547020, 188480)),  # Elmwood Road
            ("residential", _box(548520, 189290, 548960, 189420)),  # Hawthorn Close
            ("allotments", _box(547520, 188580, 547900, 188880)),  # later Orchard Way
            ("road", LineString(_ROADS[0].coords).buffer(15.0)),
        ]
    if epoch >= 1960:
        layers += [
            ("allotments", _box(547270, 187745, 547520, 187930)),  # the filled pit
            ("residential", _box(549080, 187840, 549330, 188210)),  # Brookfield Gardens
            ("residential", _box(547520, 188580, 547900, 188880)),  # Orchard Way
            ("landfill", _box(546780, 187350, 546930, 187550)),
            ("landfill", _box(549500, 188400, 549800, 188650)),
        ]
    layers.append(("railway", LineString(_RAILWAY).buffer(15.0)))
    layers.append(("railway", _box(548900, 186730, 549600, 186775)))
    return layers


def _epochs_frame() -> gpd.GeoDataFrame:
    """Land use by epoch: one (multi)polygon per epoch and land use, covering the extent."""
    import geopandas as gpd
    import shapely

    extent = _box(*DEMO_BOUNDS)
    rows = []
    for epoch in (1895, 1920, 1938, 1960):
        pieces: dict[str, list] = {}
        covered = None
        # Paint from the top down: each patch keeps only what later patches leave visible.
        for landuse, geom in reversed(_epoch_layers(epoch)):
            geom = geom.intersection(extent)
            visible = geom if covered is None else geom.difference(covered)
            covered = geom if covered is None else covered.union(geom)
            if not visible.is_empty:
                pieces.setdefault(landuse, []).append(visible)
        for landuse in sorted(pieces):
            # Snap to 1 cm so coordinates, and hence the file bytes, are reproducible.
            merged = shapely.set_precision(shapely.union_all(pieces[landuse]), 0.01)
            polys = shapely.get_parts(merged)
            polys = [p for p in polys if p.geom_type == "Polygon" and p.area > 1.0]
            rows.append(
                {"epoch": epoch, "landuse": landuse, "geometry": shapely.MultiPolygon(polys)}
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")


def _brownfield_csv() -> str:
    """Brownfield register rows in the published column order (GeoX/GeoY in BNG)."""
    import csv
    import io

    org_uri = "https://example.org/id/local-authority/demo-borough-synthetic"
    org = "Demo Borough Council (SYNTHETIC DEMO DATA)"
    rows = [
        ("DEMO-BF-001", "Former Lane End Motor Works, Rose Lane", 547990, 188500, "0.35", "",
         "2017-12-20"),
        ("DEMO-BF-002", "Land rear of Station Parade", 548750, 186800, "0.62", "",
         "2017-12-20"),
        ("DEMO-BF-003", "Eastbrook Yard, Eastbrook Lane", 549650, 188300, "1.80", "yes",
         "2018-12-14"),
        ("DEMO-BF-004", "Heathside Works, Marsh Lane", 546300, 186780, "1.20", "yes",
         "2019-12-18"),
    ]  # fmt: skip
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(BROWNFIELD_COLUMNS)
    for ref, name, gx, gy, ha, hazardous, added in rows:
        writer.writerow([org_uri, org, ref, name, gx, gy, "OSGB36", ha, hazardous, added])
    return buf.getvalue()


#: Field mappings for registering the demo land-use layers (layer file stem -> kind, mapping);
#: layers not listed are recognised by their schema (EA landfill, brownfield, epochs).
DEMO_LAYER_MAPPINGS: dict[str, tuple[str, dict[str, str]]] = {
    "former_industry": ("industry", {"category": "use", "name": "site_name",
                                     "start": "start_year", "end": "end_year"}),
}
