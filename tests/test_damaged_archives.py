"""Zip archives of grids damaged or ambiguous as a hostile tester would make them:
every one is a one-line error naming the archive and member, never a traceback, never
a guess between two members, and nothing half-added to the catalogue.
"""

from __future__ import annotations

import json
import zipfile

import pytest

from airq.cli import cli
from tests.conftest import write_asc
from tests.test_damaged_inputs import NAME, XLL, YLL, clean_values, query, scene  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # duplicate zip names



def write_zip(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def corrupt_member(path, member):
    """Flip bytes in the middle of one member's compressed data (its headers left intact)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    data = bytearray(path.read_bytes())
    # The local header: 30 bytes, the name and the extra field, then the data.
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len + info.compress_size // 3
    for k in range(start, start + 16):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))


def other_grid_text(folder):
    """The same lattice with other values (a second, different grid of the same name)."""
    return write_asc(folder / "other.asc", clean_values(seed=2), XLL, YLL).read_text()


def assert_one_line_error(res, *parts):
    assert res.exit_code == 1, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert "Traceback" not in res.output
    for part in parts:
        assert part in lines[0], lines[0]


def test_corrupt_member_is_named_not_a_traceback(runner, scene):  # noqa: F811
    folder, _, asc = scene
    z = write_zip(folder / "LAEI.zip", [(f"ASCII/{NAME}.asc", asc.read_text())])
    corrupt_member(z, f"ASCII/{NAME}.asc")
    res = query(runner, folder, z)
    assert_one_line_error(res, f"LAEI.zip!ASCII/{NAME}.asc", "damaged")


def test_two_members_of_the_same_name_are_not_a_guess(runner, scene):  # noqa: F811
    folder, _, asc = scene
    text = asc.read_text()
    z = write_zip(folder / "LAEI.zip", [(f"ASCII/{NAME}.asc", text),
                                        (f"ASCII/{NAME}.asc", other_grid_text(folder))])
    res = query(runner, folder, f"{z}!ASCII/{NAME}.asc")
    assert_one_line_error(res, "two members named", f"ASCII/{NAME}.asc")


def test_nested_zip_says_unzip_it(runner, scene):  # noqa: F811
    folder, _, asc = scene
    inner = write_zip(folder / "inner.zip", [(f"ASCII/{NAME}.asc", asc.read_text())])
    outer = write_zip(folder / "outer.zip", [("inner.zip", inner.read_bytes())])
    res = query(runner, folder, outer)
    assert_one_line_error(res, "outer.zip", "inner.zip", "unzip")


def test_add_zip_with_two_grids_for_one_pollutant_and_year_is_refused(runner, scene):  # noqa: F811
    folder, _, asc = scene
    text = asc.read_text()
    z = write_zip(folder / "LAEI.zip", [(f"2020/ASCII/{NAME}.asc", text),
                                        (f"old/2020/ASCII/{NAME}.asc", other_grid_text(folder))])
    res = runner.invoke(cli, ["grids", "add", str(z)])
    assert_one_line_error(res, "two grids for no2 2020", f"old/2020/ASCII/{NAME}.asc")
    assert "empty" in runner.invoke(cli, ["grids", "list"]).output


def test_add_zip_with_one_damaged_member_adds_nothing(runner, scene):  # noqa: F811
    folder, _, asc = scene
    text = asc.read_text()
    pm25 = NAME.replace("NO2", "PM25")
    z = write_zip(folder / "LAEI.zip", [(f"ASCII/{NAME}.asc", text),
                                        (f"ASCII/{pm25}.asc", text)])
    corrupt_member(z, f"ASCII/{pm25}.asc")
    res = runner.invoke(cli, ["grids", "add", str(z)])
    assert_one_line_error(res, f"LAEI.zip!ASCII/{pm25}.asc")
    assert "empty" in runner.invoke(cli, ["grids", "list"]).output
    from airq.config import data_home

    folder = data_home() / "grids"
    left = [p.name for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    assert [n for n in left if n != "index.json"] == []
    if "index.json" in left:
        assert json.loads((folder / "index.json").read_text())["grids"] == []


def test_add_two_files_for_one_entry_is_refused_before_either_is_added(runner, scene):  # noqa: F811
    folder, _, asc = scene
    other = folder / "copy"
    other.mkdir()
    (other / asc.name).write_text(other_grid_text(folder))
    res = runner.invoke(cli, ["grids", "add", str(asc), str(other / asc.name)])
    assert_one_line_error(res, "laei-2013-update/no2-2020", "one of them at a time")
    assert "empty" in runner.invoke(cli, ["grids", "list"]).output


# --- day counts (PM10d) and concentrations kept apart, by units as well as by name -------

def _tif(path, values, units):
    import rasterio
    from rasterio.transform import from_origin

    h, w = values.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs="EPSG:27700", transform=from_origin(XLL, YLL + 20 * h, 20, 20),
                       nodata=-9999) as dst:
        dst.write(values.astype("float32"), 1)
        dst.update_tags(1, units=units)
    return path


@pytest.mark.parametrize(("spec", "units", "says"), [
    ("pm10:2020", "days", "a day count, not a pm10 concentration"),
    ("no2:2020", "days", "a day count, not a no2 concentration"),
    ("pm10d:2020", "ug/m3", "a concentration, but pm10d is the number of days"),
])
def test_units_in_the_file_contradicting_day_counts_are_refused(runner, scene, spec, units,  # noqa: F811
                                                                says):
    folder, values, _ = scene
    tif = _tif(folder / "grid.tif", values, units)
    res = query(runner, folder, tif, spec=spec)
    assert_one_line_error(res, "grid.tif", says)
    res = runner.invoke(cli, ["grids", "add", str(tif), "--pollutant", spec.split(":")[0],
                              "--year", "2020"])
    assert_one_line_error(res, "grid.tif", says)


def test_units_days_given_for_a_concentration_grid_is_refused(runner, scene):  # noqa: F811
    folder, _, asc = scene
    res = query(runner, folder, asc, "--units", "days")
    assert_one_line_error(res, "you gave units days", "pm10d")


# --- a grid and its .prj in different folders of one archive ------------------------------

def _prj(epsg):
    from pyproj import CRS

    return CRS.from_epsg(epsg).to_wkt("WKT1_ESRI")


def test_prj_in_another_folder_of_the_zip_gives_the_crs(runner, scene):  # noqa: F811
    folder, _, asc = scene
    z = write_zip(folder / "LAEI.zip", [(f"ASCII/{NAME}.asc", asc.read_text()),
                                        (f"PRJ/{NAME}.prj", _prj(27700))])
    res = query(runner, folder, z)
    assert res.exit_code == 0, res.stderr
    (grid,) = [i for i in json.loads(res.stdout)["provenance"]["inputs"] if i["role"] == "grid"]
    assert grid["crs"] == "EPSG:27700" and grid["crs_assumed"] is False
    z = write_zip(folder / "LAEI3857.zip", [(f"ASCII/{NAME}.asc", asc.read_text()),
                                            (f"PRJ/{NAME}.prj", _prj(3857))])
    assert_one_line_error(query(runner, folder, z), "EPSG:3857")  # not assumed BNG


def test_two_prj_files_that_differ_are_not_a_guess(runner, scene):  # noqa: F811
    folder, _, asc = scene
    z = write_zip(folder / "LAEI.zip", [(f"ASCII/{NAME}.asc", asc.read_text()),
                                        (f"a/{NAME}.prj", _prj(27700)),
                                        (f"b/{NAME}.prj", _prj(3857))])
    assert_one_line_error(query(runner, folder, z), "2 .prj files", "--grid-crs")
