"""Tests for airq.demo: the synthetic demo data in the published LAEI and land-use layouts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from geopandas.testing import assert_geodataframe_equal

import airq
from airq import demo
from airq.errors import OutputError
from airq.read.grids import sha256_file

LAEI_ORIGIN_X, LAEI_ORIGIN_Y = 501470.0, 203450.0
CELL_M = 20.0
EA_FIELDS = (
    "hld_ref", "site_name", "site_add", "lic_hold", "licholdadd", "siteopname",
    "siteopadd", "easting", "northing", "ea_region", "ea_area", "lic_issue",
    "lic_surren", "firstinput", "lastinput", "inert", "industrial", "commercial",
    "household", "special", "liqsludge", "wasteunk", "gascontrol", "leachatcnt",
    "exempt", "licenced", "nolicreq", "buff_point",
)  # fmt: skip
EA_FLAGS = (
    "inert", "industrial", "commercial", "household", "special", "liqsludge", "wasteunk",
    "gascontrol", "leachatcnt", "exempt", "licenced", "nolicreq", "buff_point",
)  # fmt: skip
EA_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")

# Woodlands Avenue, 2020, centre rule: published case 26.2 (SD 3.5), 22.5 (0.82), 14 (0.29).
WOODLANDS_TARGETS = {
    "NO2": ((24.5, 28.0), (2.0, 4.5)),
    "PM10": ((21.8, 23.3), (0.5, 1.2)),
    "PM25": ((13.6, 14.4), (0.15, 0.5)),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> demo.DemoFiles:
    return demo.write_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def plots(files) -> gpd.GeoDataFrame:
    return gpd.read_file(files.boundaries, layer="plots")


def read_asc_numpy(path: Path) -> tuple[np.ndarray, dict[str, float]]:
    """Parse an ESRI ASCII grid with numpy alone, independently of GDAL."""
    header = {}
    with path.open(encoding="ascii") as fh:
        for _ in range(6):
            key, value = fh.readline().split()
            header[key.lower()] = float(value)
    values = np.loadtxt(path, skiprows=6, dtype=np.float64)
    return values, header


def cell_centres(header: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    ncols, nrows, size = int(header["ncols"]), int(header["nrows"]), header["cellsize"]
    xs = header["xllcorner"] + size * (np.arange(ncols) + 0.5)
    ys = header["yllcorner"] + size * (nrows - np.arange(nrows) - 0.5)
    return np.meshgrid(xs, ys)


def grid_path(files: demo.DemoFiles, year: int, pollutant: str) -> Path:
    (path,) = [p for p in files.grids if p.name == f"PostLAEI2013_{year}_{pollutant}.asc"]
    return path


def read_band(path: Path) -> np.ma.MaskedArray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True)


# ------------------------------------------------------------------ layout


def test_constants():
    assert demo.DEMO_EDITION == "LAEI 2013 (update)"
    assert demo.DEMO_YEARS == (2013, 2020)
    assert demo.DEMO_POLLUTANTS == ("NO2", "PM10", "PM25", "PM10d")
    assert demo.MARKER_NAME == "SYNTHETIC-DEMO-DATA.txt"
    names = demo.demo_street_names()
    assert names[0] == demo.DEMO_STREET == "Woodlands Avenue"
    assert 5 <= len(names) <= 6
    assert len(set(names)) == len(names)


def test_layout(files):
    root = files.root
    edition = root / "grids" / "demo" / "4.1. Concentrations LAEI 2013 Update"
    expected = {
        edition / str(year) / "ASCII" / f"PostLAEI2013_{year}_{p}.asc"
        for year in (2013, 2020)
        for p in ("NO2", "PM10", "PM25", "PM10d")
    }
    assert set(files.grids) == expected
    assert files.grid_csv == edition / "2020" / "CSV" / "PostLAEI2013_2020_NO2.csv"
    assert files.boundaries == root / "boundaries" / "demo" / "residential_plots.gpkg"
    assert files.boundaries_wgs84.name == "residential_plots_wgs84.geojson"
    landuse = root / "boundaries" / "demo" / "landuse"
    assert set(files.layers) == {
        landuse / "historic_landfill.gpkg",
        landuse / "former_industry.gpkg",
        landuse / "landuse_epochs.gpkg",
        landuse / "brownfield_register.csv",
    }
    for folder in (root / "grids" / "demo", root / "boundaries" / "demo"):
        assert (folder / demo.MARKER_NAME).is_file()
        assert (folder / "manifest.json").is_file()
    assert files.manifest == root / "grids" / "demo" / "manifest.json"
    every = [*files.grids, files.grid_csv, files.boundaries, files.boundaries_wgs84,
             *files.layers, *files.markers, files.manifest, files.boundaries_manifest,
             files.laei2022_zip, files.brownfield_national, *files.defra,
             files.inspire_zip, files.addresses, files.historic_map]  # fmt: skip
    assert all(p.is_file() and p.stat().st_size > 0 for p in every)
    # Nothing else: no staging folder left behind, no sidecars.
    written = {p for p in root.rglob("*") if p.is_file()}
    assert written == set(every)


@pytest.mark.parametrize("year", [2013, 2020])
@pytest.mark.parametrize("pollutant", ["NO2", "PM10", "PM25", "PM10d"])
def test_asc_as_published(files, year, pollutant):
    path = grid_path(files, year, pollutant)
    with rasterio.open(path) as src:
        assert src.driver == "AAIGrid"
        assert src.crs is None  # real LAEI grids ship without a .prj
        assert src.res == (CELL_M, CELL_M)
        assert src.dtypes == ("float32",)
        assert src.nodata == -9999
        assert (src.width, src.height) == (200, 200)
        left, bottom, right, top = src.bounds
        assert (left, bottom, right, top) == demo.DEMO_BOUNDS
        assert (left - LAEI_ORIGIN_X) % CELL_M == 0
        assert (LAEI_ORIGIN_Y - top) % CELL_M == 0
    assert not path.with_suffix(".prj").exists()
    assert not path.with_name(path.name + ".aux.xml").exists()
    assert path.read_text(encoding="ascii").startswith("ncols")


def test_grid_extent_covers_chadwell_heath():
    west, south, east, north = demo.DEMO_BOUNDS
    assert (east - west, north - south) == (4000.0, 4000.0)
    assert west < 547500 < east and south < 187500 < north


# ------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("pollutant", "median_range", "max_range"),
    [
        ("NO2", (21.0, 26.0), (50.0, 62.0)),
        ("PM10", (20.0, 22.5), (24.0, 28.0)),
        ("PM25", (13.0, 14.5), (14.5, 16.5)),
    ],
)
def test_2020_concentrations_realistic(files, pollutant, median_range, max_range):
    values = read_band(grid_path(files, 2020, pollutant)).compressed()
    assert median_range[0] < np.median(values) < median_range[1]
    assert max_range[0] < values.max() < max_range[1]
    assert values.min() > 10.0


@pytest.mark.parametrize(("pollutant", "ratio"), [("NO2", 1.25), ("PM10", 1.10), ("PM25", 1.10)])
def test_2013_higher_than_2020(files, pollutant, ratio):
    v2013 = read_band(grid_path(files, 2013, pollutant))
    v2020 = read_band(grid_path(files, 2020, pollutant))
    assert np.ma.median(v2013 / v2020) == pytest.approx(ratio, abs=0.01)


def test_pm10d_day_counts(files):
    d2020 = read_band(grid_path(files, 2020, "PM10d"))
    d2013 = read_band(grid_path(files, 2013, "PM10d"))
    assert 0 <= d2020.min() and d2013.max() <= 365
    assert 5.0 <= np.ma.median(d2020) <= 10.0
    assert 30.0 <= d2020.max() <= 45.0
    assert (d2013 > d2020).all()
    # A day count follows PM10: the worst cells for one are the worst for the other.
    pm10 = read_band(grid_path(files, 2020, "PM10"))
    assert np.ma.argmax(d2020) == np.ma.argmax(pm10)


def test_nodata_block(files):
    masks = [np.ma.getmaskarray(read_band(p)) for p in files.grids]
    for mask in masks[1:]:
        assert (mask == masks[0]).all()
    mask = masks[0]
    assert 0 < mask.sum() < 0.01 * mask.size
    rows, cols = np.nonzero(mask)
    # One compact block in a corner (north-east).
    assert rows.min() == 0 and cols.max() == mask.shape[1] - 1
    assert mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()


def test_csv_layout(files):
    table = pd.read_csv(files.grid_csv)
    assert list(table.columns) == ["x", "y", "conct", "year"]
    assert (table["year"] == 2020).all()
    assert ((table["x"] - LAEI_ORIGIN_X - CELL_M / 2) % CELL_M == 0).all()
    assert ((LAEI_ORIGIN_Y - table["y"] - CELL_M / 2) % CELL_M == 0).all()
    values, header = read_asc_numpy(grid_path(files, 2020, "NO2"))
    x, y = cell_centres(header)
    valid = values != header["nodata_value"]
    assert len(table) == valid.sum()
    expected = pd.DataFrame({"x": x[valid], "y": y[valid], "conct": values[valid]})
    merged = table.merge(expected, on=["x", "y"], suffixes=("", "_asc"), validate="1:1")
    assert len(merged) == len(table)
    np.testing.assert_allclose(merged["conct"], merged["conct_asc"], atol=5e-4)


# ------------------------------------------------------------------ boundaries


def test_plot_fields(plots):
    assert plots.crs.to_epsg() == 27700
    assert {"plot_id", "street", "house_number", "postcode", "uprn"} <= set(plots.columns)
    assert plots["plot_id"].is_unique and plots["uprn"].is_unique
    assert set(plots["street"]) == set(demo.demo_street_names())
    counts = plots["street"].value_counts()
    assert counts.between(30, 60).all(), counts
    assert plots["postcode"].str.fullmatch(r"RM6 \dZZ").all()
    assert plots["uprn"].astype(str).str.fullmatch(r"9\d{11}").all()
    woodlands = plots[plots["street"] == demo.DEMO_STREET]
    assert woodlands["plot_id"].str.fullmatch(r"WA-\d{3}").all()
    assert set(woodlands["house_number"] % 2) == {0, 1}  # both sides of the street


def test_plot_dimensions(plots):
    rects = shapely.minimum_rotated_rectangle(plots.geometry.values)
    for plot, rect in zip(plots.geometry.values, rects, strict=True):
        ring = np.asarray(rect.exterior.coords)
        sides = sorted(np.hypot(*np.diff(ring[:3], axis=0).T))
        assert 8.0 - 0.05 <= sides[0] <= 15.0 + 0.05
        assert 20.0 - 0.05 <= sides[1] <= 40.0 + 0.05
        assert plot.area == pytest.approx(rect.area, rel=1e-3)  # rectangles


def test_plots_do_not_overlap_and_lie_in_grid(plots):
    union = shapely.union_all(plots.geometry.values)
    assert union.area == pytest.approx(plots.area.sum(), rel=1e-6)
    assert shapely.box(*demo.DEMO_BOUNDS).contains(union)


def test_some_plots_hold_no_cell_centre(files, plots):
    _, header = read_asc_numpy(grid_path(files, 2020, "NO2"))
    x, y = cell_centres(header)
    counts = np.array([shapely.contains_xy(g, x, y).sum() for g in plots.geometry.values])
    assert (counts == 0).any()
    assert (counts > 0).mean() > 0.4


def test_wgs84_copy(files, plots):
    wgs = gpd.read_file(files.boundaries_wgs84)
    assert wgs.crs.to_epsg() == 4326
    assert list(wgs["plot_id"]) == list(plots["plot_id"])
    lon_min, lat_min, lon_max, lat_max = wgs.total_bounds
    assert 0.05 < lon_min < lon_max < 0.2 and 51.5 < lat_min < lat_max < 51.6
    back = wgs.to_crs(27700)
    np.testing.assert_allclose(back.area, plots.area, rtol=0.01)


@pytest.mark.parametrize("pollutant", ["NO2", "PM10", "PM25"])
def test_woodlands_avenue_centre_rule(files, plots, pollutant):
    values, header = read_asc_numpy(grid_path(files, 2020, pollutant))
    x, y = cell_centres(header)
    street = shapely.union_all(plots.loc[plots["street"] == demo.DEMO_STREET].geometry.values)
    inside = shapely.contains_xy(street, x, y)
    picked = values[inside]
    assert len(picked) >= 30
    assert (picked != header["nodata_value"]).all()  # no NODATA in the demo street
    (mean_lo, mean_hi), (sd_lo, sd_hi) = WOODLANDS_TARGETS[pollutant]
    assert mean_lo < picked.mean() < mean_hi
    assert sd_lo < picked.std(ddof=0) < sd_hi
    if pollutant == "NO2":
        assert picked.max() < 40.0  # the case: no objective exceeded


# ------------------------------------------------------------------ land use


def _woodlands(plots):
    return shapely.union_all(plots.loc[plots["street"] == demo.DEMO_STREET].geometry.values)


def test_historic_landfill_schema(files, plots):
    landfill = gpd.read_file(files.root / "boundaries/demo/landuse/historic_landfill.gpkg")
    assert tuple(c for c in landfill.columns if c != "geometry") == EA_FIELDS
    assert landfill.crs.to_epsg() == 27700
    assert set(landfill.geom_type) == {"Polygon"}
    assert 3 <= len(landfill) <= 4
    assert landfill["hld_ref"].str.fullmatch(r"EAHLD\d{5}").all()
    for flag in EA_FLAGS:
        assert set(landfill[flag].fillna("")) <= {"Yes", ""}, flag
    dates = pd.concat(
        [landfill[c].fillna("") for c in ("firstinput", "lastinput", "lic_issue", "lic_surren")]
    )
    odd = [d for d in dates if d and not EA_DATE.match(d)]
    assert odd == ["c. 1950s"]
    assert (dates == "").any()

    distances = landfill.geometry.distance(_woodlands(plots))
    clay = landfill.loc[landfill["site_name"] == "Former Clay Lane Pit"].iloc[0]
    assert 80 <= distances[clay.name] <= 130
    assert clay.geometry.centroid.y > _woodlands(plots).bounds[3]  # to the north
    assert (clay["firstinput"], clay["lastinput"]) == ("01/01/1931", "31/12/1948")
    assert (clay["inert"], clay["household"]) == ("Yes", "Yes")
    assert ((distances > 300) & (distances < 500)).sum() >= 1
    assert (distances > 1000).sum() >= 1


def test_former_industry(files):
    industry = gpd.read_file(files.root / "boundaries/demo/landuse/former_industry.gpkg")
    assert {"use", "site_name", "start_year", "end_year"} <= set(industry.columns)
    assert industry.crs.to_epsg() == 27700
    assert {"Point", "Polygon"} <= set(industry.geom_type)
    assert {"gas works", "engineering works", "gravel pit", "railway sidings"} <= set(
        industry["use"]
    )
    assert (industry["start_year"] < industry["end_year"]).all()


def test_landuse_epochs(files, plots):
    epochs = gpd.read_file(files.root / "boundaries/demo/landuse/landuse_epochs.gpkg")
    assert epochs.crs.to_epsg() == 27700
    assert set(epochs["epoch"]) == {1895, 1920, 1938, 1960}
    extent = shapely.box(*demo.DEMO_BOUNDS)
    for epoch, part in epochs.groupby("epoch"):
        union = shapely.union_all(part.geometry.values)
        # A partition: the pieces cover the whole demo area once.
        assert union.area == pytest.approx(extent.area, rel=1e-4), epoch
        assert part.area.sum() == pytest.approx(extent.area, rel=1e-4), epoch
    woodlands = plots[plots["street"] == demo.DEMO_STREET]
    expected = {1895: "fields", 1920: "fields", 1938: "residential", 1960: "residential"}
    for epoch, landuse in expected.items():
        layer = epochs[epochs["epoch"] == epoch]
        joined = gpd.sjoin(woodlands, layer, predicate="within")
        assert len(joined) == len(woodlands), epoch  # each plot wholly in one patch
        assert set(joined["landuse"]) == {landuse}, epoch


def test_brownfield_register(files):
    table = pd.read_csv(
        files.root / "boundaries/demo/landuse/brownfield_register.csv", keep_default_na=False
    )
    assert list(table.columns) == [
        "OrganisationURI", "OrganisationLabel", "SiteReference", "SiteNameAddress", "GeoX",
        "GeoY", "CoordinateReferenceSystem", "Hectares", "HazardousSubstances",
        "FirstAddedDate",
    ]  # fmt: skip
    assert 3 <= len(table) <= 4
    assert (table["CoordinateReferenceSystem"] == "OSGB36").all()
    west, south, east, north = demo.DEMO_BOUNDS
    assert table["GeoX"].between(west, east).all() and table["GeoY"].between(south, north).all()
    assert table["OrganisationLabel"].str.contains("SYNTHETIC").all()


# ------------------------------------------------------------------ markers, manifests


def test_markers_and_manifests(files):
    for folder in (files.root / "grids" / "demo", files.root / "boundaries" / "demo"):
        marker = (folder / demo.MARKER_NAME).read_text(encoding="utf-8")
        assert "SYNTHETIC DEMO DATA" in marker
        assert "airq.demo" in marker and airq.__version__ in marker
        assert "NOT the real" in marker or "NOT real" in marker
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["synthetic"] is True
        listed = {entry["path"]: entry for entry in manifest["files"]}
        on_disk = {
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if p.is_file() and p.name != "manifest.json"
        }
        assert set(listed) == on_disk
        for rel, entry in listed.items():
            path = folder / rel
            assert entry["size_bytes"] == path.stat().st_size
            assert entry["sha256"] == sha256_file(path)
            assert entry["description"]


def test_is_synthetic(files, tmp_path):
    for path in [*files.grids, files.grid_csv, files.boundaries, *files.layers]:
        assert demo.is_synthetic(path)
    elsewhere = tmp_path / "real" / "PostLAEI2013_2020_NO2.asc"
    elsewhere.parent.mkdir()
    elsewhere.write_text("ncols 1\n", encoding="ascii")
    assert not demo.is_synthetic(elsewhere)
    assert not demo.is_synthetic(tmp_path / "missing.asc")


def test_is_synthetic_by_manifest_hash(tmp_path):
    files = demo.write_demo(tmp_path / "copy")
    for marker in files.markers:
        marker.unlink()
    grid = files.grids[0]
    assert demo.is_synthetic(grid)  # its hash is in grids/demo/manifest.json
    grid.write_bytes(grid.read_bytes() + b"\n")  # edited: no longer the demo file
    assert not demo.is_synthetic(grid)


# ------------------------------------------------------------------ determinism, overwrite


def test_laei2022_zip(files):
    """The LAEI 2022 zip: published names, no .prj, 2022 a little below 2020, NODATA kept."""
    import zipfile

    with zipfile.ZipFile(files.laei2022_zip) as zf:
        names = zf.namelist()
        no2_2022 = zf.read("ASCII/LAEI2022_V1_NO2.asc").decode("ascii")
        csv = zf.read("CSV/LAEI2022_V1_NO2.csv").decode("ascii").splitlines()
    assert names == [f"ASCII/LAEI2022_V1_{p}.asc" for p in ("NO2", "PM10m", "PM10d", "PM25")] + [
        "CSV/LAEI2022_V1_NO2.csv"]
    no2_2020, header = read_asc_numpy(grid_path(files, 2020, "NO2"))
    path = files.root / "no2_2022.asc"
    path.write_text(no2_2022, encoding="ascii")
    values, header_2022 = read_asc_numpy(path)
    assert header_2022 == header
    nodata = no2_2020 == -9999
    assert (values[nodata] == -9999).all()
    ratio = values[~nodata] / no2_2020[~nodata]
    assert np.allclose(ratio, 0.90, atol=1e-3)
    assert csv[0] == "x,y,conc" and len(csv) - 1 == int((~nodata).sum())
    assert demo.is_synthetic(files.laei2022_zip)


def test_national_brownfield(files, plots):
    """The national layout: sites 107 m and 3.8 km from Woodlands Avenue, one unlocated row."""
    from airq.analyse.landuse import screen_landuse
    from airq.read.layers import LandUseWarning, read_layer

    with pytest.warns(LandUseWarning, match="1 row.* without a usable location"):
        layer = read_layer(files.brownfield_national)
    assert layer.schema == "brownfield-land" and layer.feature_count == 3
    street = plots.loc[plots["street"] == demo.DEMO_STREET].geometry.union_all()
    pts = layer.gdf.set_index("reference").geometry
    assert street.distance(pts["DEMO-NBL-001"]) == pytest.approx(107.0, abs=0.01)
    assert street.distance(pts["DEMO-NBL-002"]) == pytest.approx(3800.0, abs=0.01)
    records = screen_landuse(street, [layer]).records
    assert [(r.reference, round(r.distance_m)) for r in records] == [("DEMO-NBL-001", 107)]
    assert pd.read_csv(files.brownfield_national)["organisation"].str.contains(
        "SYNTHETIC").all()


def test_defra_background_maps(files):
    """Two authorities' files in the Defra layout: 1 km means of the demo's 2020 fields."""
    import warnings

    from airq.errors import AssumedCRSWarning
    from airq.read.defra import is_defra_csv, read_defra

    assert [p.name for p in files.defra] == ["demo_west_background_2021.csv",
                                             "demo_east_background_2021.csv"]
    assert all(is_defra_csv(p) and demo.is_synthetic(p) for p in files.defra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        g = read_defra(files.defra, pollutant="no2", year=2021)
    assert g.full_shape == (4, 4) and not np.isnan(g.values).any() and g.info.synthetic
    no2, header = read_asc_numpy(grid_path(files, 2020, "NO2"))
    x, y = cell_centres(header)
    inside = (np.abs(x - 547500) < 500) & (np.abs(y - 187500) < 500) & (no2 != -9999)
    assert g.values[2, 1] == pytest.approx(no2[inside].mean() * 0.95, abs=1e-4)


def test_deterministic(files, tmp_path):
    again = demo.write_demo(tmp_path)
    assert files.laei2022_zip.read_bytes() == again.laei2022_zip.read_bytes()
    for first, second in zip(files.grids, again.grids, strict=True):
        assert first.read_bytes() == second.read_bytes()
    assert files.grid_csv.read_bytes() == again.grid_csv.read_bytes()
    # GeoPackages may embed timestamps (demo pins them, but GDAL versions differ), so
    # compare their content rather than their bytes.
    for first, second in zip(
        [files.boundaries, *files.layers[:3]], [again.boundaries, *again.layers[:3]], strict=True
    ):
        assert_geodataframe_equal(gpd.read_file(first), gpd.read_file(second))


def test_rerun_keeps_identical_data(files):
    before = files.grids[0].stat().st_mtime_ns
    again = demo.write_demo(files.root)  # same deterministic data: kept, not an error
    assert again.grids == files.grids
    assert files.grids[0].stat().st_mtime_ns == before
    assert not list(files.root.glob(".airq-demo-*"))


def test_overwrite_refused_when_data_differs(tmp_path):
    files = demo.write_demo(tmp_path)
    files.grids[0].write_text("edited by hand", encoding="ascii")
    with pytest.raises(OutputError, match="--overwrite") as excinfo:
        demo.write_demo(tmp_path)
    assert str(files.grids[0]) in str(excinfo.value)
    assert files.grids[0].read_text(encoding="ascii") == "edited by hand"
    assert not list(tmp_path.glob(".airq-demo-*"))


def test_overwrite_replaces_and_removes_sidecars(tmp_path):
    files = demo.write_demo(tmp_path)
    grid = files.grids[0]
    grid.write_text("damaged", encoding="ascii")
    prj = grid.with_suffix(".prj")
    prj.write_text('PROJCS["whatever"]', encoding="ascii")
    again = demo.write_demo(tmp_path, overwrite=True)
    assert again.grids[0].read_text(encoding="ascii").startswith("ncols")
    assert not prj.exists()


def test_stray_prj_counts_as_existing(tmp_path):
    files = demo.write_demo(tmp_path / "first")
    rel = files.grids[0].relative_to(files.root).with_suffix(".prj")
    target = tmp_path / "second" / rel
    target.parent.mkdir(parents=True)
    target.write_text('PROJCS["whatever"]', encoding="ascii")
    with pytest.raises(OutputError, match=re.escape(target.name)):
        demo.write_demo(tmp_path / "second")


def test_interrupted_run_leaves_no_final_files(tmp_path, monkeypatch):
    def fail():
        raise RuntimeError("interrupted")

    # Fail after the grids and plots are staged, while the land-use layers are written.
    from airq.demo import write

    monkeypatch.setattr(write, "_epochs_frame", fail)
    with pytest.raises(RuntimeError, match="interrupted"):
        demo.write_demo(tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert not list(tmp_path.glob(".airq-demo-*"))


def test_synthetic_historic_sheet(files):
    from airq.read.historic_maps import SheetRequest, read_map_sheet

    sheet = read_map_sheet(SheetRequest(str(files.historic_map), 1896), None)
    assert sheet.synthetic and sheet.format == "GeoTIFF" and sheet.crs == "EPSG:27700"
    assert "SYNTHETIC" in sheet.attribution or "synthetic" in sheet.attribution
    assert "not an Ordnance Survey sheet" not in sheet.title  # title comes from the catalogue
    assert sheet.extent_bng == (546300.0, 186300.0, 548700.0, 188700.0)
    assert (sheet.image[..., 3] == 255).all()


def test_demo_makes_the_documented_output_folder(runner, tmp_path):
    from airq.cli import cli
    """README and docs/maps.md write to maps/ after airq demo, outside a checkout too."""
    res = runner.invoke(cli, ["demo", "--dir", str(tmp_path), "--no-register"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "maps").is_dir()
