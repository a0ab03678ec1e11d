"""Grid readers: every published LAEI layout, GeoTIFF, NetCDF, zips, names, CRS rules."""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pytest

from airq.errors import AssumedCRSWarning, AssumedUnitsWarning, CRSError, InputError
from airq.read.grids import parse_laei_name, read_grid
from tests.conftest import write_asc, write_points_csv


@pytest.mark.parametrize("name, expected", [
    ("laei_LAEI2019v3_CorNOx15_NO2.asc", ("no2", 2019, "LAEI 2019")),
    ("laei_LAEI2019v3_CorNOx15_PM10m.csv", ("pm10", 2019, "LAEI 2019")),
    ("laei_LAEI2019v3_CorNOx15_PM10d.asc", ("pm10d", 2019, "LAEI 2019")),
    ("LAEI2016_2016_PM25.asc", ("pm25", 2016, "LAEI 2016")),
    ("PostLAEI2013_2020_NO2.csv", ("no2", 2020, "LAEI 2013 (update)")),
    ("4.1. Concentrations LAEI 2013 Update/2013/ASCII/PostLAEI2013_2013_NOx.asc",
     ("nox", 2013, "LAEI 2013 (update)")),
    ("2025_Met2013_LAEI2013_PM10.csv", ("pm10", 2025, "LAEI 2013")),
    ("my_model_output.tif", (None, None, None)),
])
def test_parse_laei_names(name, expected):
    n = parse_laei_name(name)
    assert (n.pollutant, n.year, n.edition) == expected


def test_asc_reads_values_nodata_and_assumes_crs(small_grid):
    path, values = small_grid
    with pytest.warns(AssumedCRSWarning, match="EPSG:27700"):
        g = read_grid(path)
    assert g.info.crs_assumed and g.crs == "EPSG:27700"
    assert (g.info.pollutant, g.info.year, g.info.edition) == ("no2", 2020, "LAEI 2013 (update)")
    assert np.isnan(g.values[0, 0])
    assert np.allclose(g.values[1:], values[1:])
    assert g.bounds == (530000.0, 180000.0, 530100.0, 180080.0)
    assert len(g.info.sha256) == 64


def test_window_read_matches_whole(small_grid):
    path, values = small_grid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        g = read_grid(path, bounds=(530045, 180005, 530055, 180015))
    r, c = g.window_offset
    h, w = g.values.shape
    assert np.allclose(g.values, values[r:r + h, c:c + w], equal_nan=True) or np.isnan(
        g.values).any()
    assert g.full_shape == (4, 5) and h <= 4 and w <= 5


@pytest.mark.parametrize("columns, year", [(("x", "y", "conc"), None),
                                           (("x", "y", "conct", "year"), 2020),
                                           (("x", "y", "year", "no2"), 2020)])
def test_csv_layouts_equal_asc(tmp_path, columns, year):
    rng = np.random.default_rng(1)
    values = rng.uniform(20, 60, size=(6, 7))
    values[2, 3] = -9999
    name = "PostLAEI2013_2020_NO2"
    write_asc(tmp_path / f"{name}.asc", values, 540000, 180000)
    write_points_csv(tmp_path / f"{name}.csv", values, 540000, 180000, columns=columns,
                     year=year)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        a = read_grid(tmp_path / f"{name}.asc")
        c = read_grid(tmp_path / f"{name}.csv")
    assert a.transform == c.transform and a.full_shape == c.full_shape
    assert np.allclose(a.values, c.values, equal_nan=True, atol=1e-3)


def test_zip_member_chosen_by_pollutant_and_year(tmp_path):
    v = np.full((3, 3), 30.0)
    for p in ("NO2", "PM10m"):
        write_asc(tmp_path / f"laei_LAEI2019v3_CorNOx15_{p}.asc", v, 501470, 203390)
    z = tmp_path / "LAEI2019-Concentrations-Data-ASCII.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in ("NO2", "PM10m"):
            zf.write(tmp_path / f"laei_LAEI2019v3_CorNOx15_{p}.asc",
                     f"ASCII/laei_LAEI2019v3_CorNOx15_{p}.asc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        g = read_grid(z, pollutant="pm10")
    assert g.info.member.endswith("PM10m.asc") and g.info.member_sha256
    with pytest.raises(InputError, match="holds no grid for pm25"):
        read_grid(z, pollutant="pm25")


def test_geotiff_and_netcdf(tmp_path):
    import rasterio
    import rioxarray  # noqa: F401  (registers .rio)
    import xarray as xr
    from rasterio.transform import from_origin

    v = np.arange(12, dtype="float32").reshape(3, 4)
    t = from_origin(530000, 180060, 20, 20)
    with rasterio.open(tmp_path / "model.tif", "w", driver="GTiff", width=4, height=3, count=1,
                       dtype="float32", crs="EPSG:27700", transform=t, nodata=-9999) as ds:
        ds.write(v, 1)
    with pytest.warns(AssumedUnitsWarning, match="model.tif: the grid states no units"):
        g = read_grid(tmp_path / "model.tif", pollutant="no2", year=2022)
    assert g.crs == "EPSG:27700" and not g.info.crs_assumed and g.info.units_assumed
    assert np.allclose(g.values, v)
    xs = 530000 + 10 + 20 * np.arange(4)
    ys = 180060 - 10 - 20 * np.arange(3)
    da = xr.DataArray(v[::-1], coords={"y": ys[::-1], "x": xs}, dims=("y", "x"), name="no2",
                      attrs={"units": "ug m-3"})
    da = da.rio.write_crs("EPSG:27700")
    da.to_dataset().to_netcdf(tmp_path / "model.nc", engine="h5netcdf")
    n = read_grid(tmp_path / "model.nc", year=2022)
    assert n.info.pollutant == "no2" and n.transform == g.transform
    assert np.allclose(n.values, v)


def test_non_laei_grid_without_crs_is_an_error(tmp_path):
    write_asc(tmp_path / "council_no2.asc", np.ones((2, 2)), 0, 0)
    with pytest.raises(CRSError, match="--grid-crs"):
        read_grid(tmp_path / "council_no2.asc", pollutant="no2")
    with pytest.warns(AssumedUnitsWarning):
        g = read_grid(tmp_path / "council_no2.asc", pollutant="no2", grid_crs="EPSG:27700")
    assert not g.info.crs_assumed and "user" in g.info.crs_note


def test_pm10d_offered_as_concentration_is_refused(tmp_path):
    write_asc(tmp_path / "PostLAEI2013_2020_PM10d.asc", np.ones((2, 2)), 0, 0)
    with pytest.raises(InputError, match="not a concentration"):
        read_grid(tmp_path / "PostLAEI2013_2020_PM10d.asc", pollutant="pm10")


def test_unreadable_and_unknown_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_grid(tmp_path / "missing.asc")
    (tmp_path / "PostLAEI2013_2020_NO2.asc").write_text("this is not a grid\n")
    with pytest.raises(InputError, match="line 1: unknown header key 'this'"):
        read_grid(tmp_path / "PostLAEI2013_2020_NO2.asc")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="unknown grid layout"):
        read_grid(tmp_path / "notes.txt", pollutant="no2")
    (tmp_path / "PostLAEI2013_2020_PM25.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="has no x \\(easting\\) column"):
        read_grid(tmp_path / "PostLAEI2013_2020_PM25.csv")
