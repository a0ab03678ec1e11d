"""The grid and layer catalogues: integrity of stored copies, damaged indexes, path safety,
concurrent adds, an unwritable data folder, and layers that fail alone (issues 10 and 11)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from airq.cli import cli
from airq.errors import CatalogueError, CRSError
from airq.read.catalogue.grids import add_grid, check_grids, list_grids
from airq.read.catalogue.layers import add_layer, check_layers, list_layers, load_layer
from tests.conftest import write_asc

BNG = "EPSG:27700"
XLL, YLL = 547000.0, 188000.0
SITE = box(547040, 188040, 547120, 188100)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lines(text: str) -> list[str]:
    return text.strip().splitlines()


@pytest.fixture
def grid_values():
    return np.arange(100, dtype=float).reshape(10, 10) / 4 + 20.0


@pytest.fixture
def grids(tmp_path, grid_values):
    """Two LAEI-named grids with a .prj: NO2 2013 and NO2 2020 (2020 = 2013 minus 5)."""
    from pyproj import CRS

    out = []
    for year, values in ((2013, grid_values), (2020, grid_values - 5)):
        path = write_asc(tmp_path / f"PostLAEI2013_{year}_NO2.asc", values, XLL, YLL)
        path.with_suffix(".prj").write_text(CRS.from_epsg(27700).to_wkt("WKT1_ESRI"))
        out.append(path)
    return tuple(out)


@pytest.fixture
def plots(tmp_path):
    path = tmp_path / "plots.gpkg"
    gpd.GeoDataFrame({"street": ["Test Road"]}, geometry=[SITE], crs=BNG).to_file(path)
    return path


@pytest.fixture
def landfill(tmp_path):
    path = tmp_path / "landfill.gpkg"
    gpd.GeoDataFrame({"USE": ["tip"]}, geometry=[box(547000, 188150, 547040, 188190)],
                     crs=BNG).to_file(path)
    return path


def query(runner, plots, *args):
    return runner.invoke(cli, ["query", str(plots), "--no-layers", "--pollutant", "no2", *args])


def edit_cell(path, value=99.0):
    """Change one cell of a stored COG in place, as a hand edit under $AIRQ_HOME would."""
    with rasterio.Env(), rasterio.open(path, "r+", IGNORE_COG_LAYOUT_BREAK="YES") as ds:
        a = ds.read(1)
        a[5, 5] = value
        ds.write(a, 1)


# ----------------------------------------------------------------- integrity (issue 10.5)


def test_provenance_records_source_and_stored_copy_checksums(runner, grids, plots, airq_home):
    [entry] = add_grid(grids[1])
    assert entry.stored.sha256 == sha(entry.path)
    assert entry.info.sha256 == sha(grids[1])
    r = query(runner, plots, "-f", "json")
    assert r.exit_code == 0, r.output
    [grid] = [i for i in json.loads(r.stdout)["provenance"]["inputs"] if i["role"] == "grid"]
    assert grid["sha256"] == sha(grids[1])  # the original source's
    assert grid["catalogue_sha256"] == sha(entry.path)  # the bytes actually read
    assert grid["catalogue_path"] == str(entry.path)
    text = query(runner, plots).stdout
    assert f"read from its catalogue copy, sha256 {sha(entry.path)}" in text


def test_edited_copy_is_an_error_naming_entry_and_readd(runner, grids, plots, grid_values):
    """Issue 10's table: 'a catalogued grid copy edited or swapped under $AIRQ_HOME'."""
    [entry] = add_grid(grids[0])
    before = json.loads(query(runner, plots, "-f", "json").stdout)["results"][0]["mean"]
    edit_cell(entry.path)
    r = query(runner, plots, "-f", "json")
    assert r.exit_code == 1 and r.stdout == ""  # no figure from edited values
    [msg] = lines(r.stderr)
    assert "laei-2013-update/no2-2013" in msg and "has changed since it was catalogued" in msg
    assert f"recorded {entry.stored.sha256}" in msg
    assert (f"re-add it: airq grids add {grids[0]} --pollutant no2 --year 2013 "
            "--edition 'LAEI 2013 (update)' --overwrite") in msg
    # the command given mends it, and the figure is the original one again
    r = runner.invoke(cli, ["grids", "add", str(grids[0]), "--pollutant", "no2", "--year", "2013",
                            "--edition", "LAEI 2013 (update)", "--overwrite"])
    assert r.exit_code == 0, r.output
    assert json.loads(query(runner, plots, "-f", "json").stdout)["results"][0]["mean"] == before


def test_swapped_copy_is_an_error(runner, grids, plots):
    e2013, e2020 = (add_grid(g)[0] for g in grids)
    shutil.copy2(e2020.path, e2013.path)  # another grid's copy, its times kept
    r = query(runner, plots, "--year", "2013")
    assert r.exit_code == 1 and "laei-2013-update/no2-2013" in r.stderr
    assert "edited or replaced" in r.stderr
    assert query(runner, plots, "--year", "2020").exit_code == 0  # the other is untouched


def test_edit_keeping_size_and_mtime_is_caught(runner, grids, plots):
    """The cheap check compares the change time too, which no user tool can set back."""
    [entry] = add_grid(grids[0])
    st = entry.path.stat()
    data = bytearray(entry.path.read_bytes())
    data[-1] ^= 0xFF  # flip the last byte: same size
    entry.path.write_bytes(bytes(data))
    os.utime(entry.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert entry.path.stat().st_size == st.st_size
    assert entry.path.stat().st_mtime_ns == st.st_mtime_ns
    r = query(runner, plots)
    assert r.exit_code == 1 and "has changed since it was catalogued" in r.stderr


def test_touched_copy_is_rehashed_once_and_recorded(runner, grids, plots, airq_home):
    [entry] = add_grid(grids[0])
    os.utime(entry.path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert query(runner, plots).exit_code == 0  # same bytes: fine
    [refreshed] = list_grids()
    assert refreshed.stored.sha256 == entry.stored.sha256
    assert refreshed.stored.mtime_ns == entry.path.stat().st_mtime_ns  # next check is cheap


def test_missing_copy(runner, grids, plots):
    [entry] = add_grid(grids[0])
    entry.path.unlink()
    r = query(runner, plots)
    assert r.exit_code == 1 and "is missing; re-add it: airq grids add" in r.stderr


def test_grids_check(runner, grids):
    e2013, e2020 = (add_grid(g)[0] for g in grids)
    r = runner.invoke(cli, ["grids", "check"])
    assert r.exit_code == 0, r.output
    assert lines(r.stdout) == ["ok       laei-2013-update/no2-2013",
                               "ok       laei-2013-update/no2-2020"]
    assert lines(r.stderr) == ["2 catalogued grids checked: all match their SHA-256"]
    edit_cell(e2013.path)
    e2020.path.unlink()
    r = runner.invoke(cli, ["grids", "check"])
    assert r.exit_code == 1
    out = lines(r.stdout)
    assert out[0].startswith(f"changed  laei-2013-update/no2-2013: SHA-256 now {sha(e2013.path)}"
                             f", recorded {e2013.stored.sha256}; re-add it: airq grids add ")
    assert out[1].startswith(f"missing  laei-2013-update/no2-2020: {e2020.path} is gone; re-add")
    assert lines(r.stderr) == ["Error: 2 of 2 catalogued grids changed or missing; re-add them "
                               "with the commands shown"]


def test_grids_check_full_rehash_ignores_times(grids):
    """`check` re-hashes even when size and times match (a swap that kept them all)."""
    [entry] = add_grid(grids[0])
    assert [c.status for c in check_grids()] == ["ok"]
    st = entry.path.stat()
    data = bytearray(entry.path.read_bytes())
    data[-1] ^= 0xFF
    entry.path.write_bytes(bytes(data))
    os.utime(entry.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert [c.status for c in check_grids()] == ["changed"]


def test_layers_check_and_edited_layer_copy(runner, landfill, plots):
    entry = add_layer(landfill, name="tips")
    r = runner.invoke(cli, ["layers", "check"])
    assert r.exit_code == 0 and lines(r.stdout) == ["ok       tips"]
    layer = load_layer("tips")
    assert layer.provenance.catalogue_sha256 == sha(entry.path)
    assert layer.provenance.sha256 == sha(landfill)
    with open(entry.path, "r+b") as fh:  # a hand edit of the stored GeoPackage
        fh.seek(-1, os.SEEK_END)
        last = fh.read(1)
        fh.seek(-1, os.SEEK_END)
        fh.write(bytes([last[0] ^ 0xFF]))
    r = runner.invoke(cli, ["screen", str(plots), "--layer", "tips"])
    assert r.exit_code == 1
    [msg] = lines(r.stderr)
    assert "the stored copy of layer 'tips'" in msg and "has changed" in msg
    assert f"re-add it: airq layers add {landfill} --name tips --kind generic --overwrite" in msg
    r = runner.invoke(cli, ["layers", "check"])
    assert r.exit_code == 1 and r.stdout.startswith("changed  tips: SHA-256 now ")


# ----------------------------------------------------------------- damaged index (11.2)


def _damage(index_path, change):
    data = json.loads(index_path.read_text("utf-8"))
    change(data)
    index_path.write_text(json.dumps(data), encoding="utf-8")


def _set(path, value):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


GRID_DAMAGE = {
    "not JSON": (lambda p: p.write_text("{not json"), "it is not JSON"),
    "a list": (lambda p: p.write_text("[]"), "it holds an array"),
    "text year": (lambda p: _damage(p, _set(["grids", 0, "info", "year"], "2013")),
                  "Expected `int | null`, got `str` - at `grids[0].info.year`"),
    "missing shape": (lambda p: _damage(p, lambda d: d["grids"][0].pop("shape")),
                      "Object missing required field `shape` - at `grids[0]`"),
    "shape of text": (lambda p: _damage(p, _set(["grids", 0, "shape"], ["10", "10"])),
                      "Expected `int`, got `str` - at `grids[0].shape[0]`"),
    "no stored checksum": (lambda p: _damage(p, lambda d: d["grids"][0].pop("stored")),
                           "missing required field `stored`"),
    "old version": (lambda p: _damage(p, _set(["version"], 1)),
                    "written by an older airq (index version 1)"),
    "future version": (lambda p: _damage(p, _set(["version"], 9)),
                       "index version 9 is not one this airq reads"),
    "duplicate": (lambda p: _damage(p, lambda d: d["grids"].append(d["grids"][0])),
                  "entry 'laei-2013-update/no2-2013' appears twice"),
    "not UTF-8": (lambda p: p.write_bytes(b'{"version": 2, "grids": [\xff]}'), "not JSON"),
}


@pytest.mark.parametrize("case", sorted(GRID_DAMAGE))
def test_damaged_grid_index_names_file_and_rebuild(runner, grids, plots, airq_home, case):
    add_grid(grids[0])
    index = airq_home / "grids" / "index.json"
    damage, says = GRID_DAMAGE[case]
    damage(index)
    with pytest.raises(CatalogueError) as err:
        list_grids()
    assert says in str(err.value)
    assert str(index) in str(err.value)
    assert "Rebuild it: move it aside (e.g. to index.json.bad) and add the grids again with " \
           "`airq grids add FILE`" in str(err.value)
    for command in (["grids", "list"], ["query", str(plots)], ["grids", "add", str(grids[1])],
                    ["grids", "remove", "laei-2013-update/no2-2013"], ["grids", "check"]):
        r = runner.invoke(cli, command)
        assert r.exit_code == 1, (command, r.output)
        [msg] = lines(r.stderr)
        assert msg.startswith(f"Error: the grid catalogue index {index} is damaged: ")
    # nothing was converted or deleted meanwhile
    assert sorted(p.name for p in (airq_home / "grids" / "laei-2013-update").iterdir()) == \
        ["no2-2013.tif"]


@pytest.mark.parametrize("change, says", [
    (lambda d: d.__setitem__("layers", {"x": {}}), "Expected `array`, got `object` - at `layers`"),
    (lambda d: d["layers"][0]["provenance"].pop("kind"),
     "missing required field `kind` - at `layers[0].provenance`"),
    (lambda d: d["layers"][0]["provenance"].__setitem__("feature_count", "2"),
     "Expected `int`, got `str` - at `layers[0].provenance.feature_count`"),
])
def test_damaged_layer_index(runner, landfill, plots, airq_home, change, says):
    add_layer(landfill, name="tips")
    index = airq_home / "layers" / "index.json"
    _damage(index, change)
    for command in (["layers", "list"], ["screen", str(plots)], ["layers", "remove", "tips"]):
        r = runner.invoke(cli, command)
        assert r.exit_code == 1, r.output
        [msg] = lines(r.stderr)
        assert f"the layer catalogue index {index} is damaged: " in msg and says in msg
        assert "add the layers again with `airq layers add FILE`" in msg


# ----------------------------------------------------------------- path safety (11.2)


@pytest.mark.parametrize("file", ["../../victim.tif", "/tmp/airq-victim.tif", "a/../../victim.tif",
                                  "index.json", "laei-2013-update/no2-2013.asc", ""])
def test_index_cannot_name_files_outside_the_catalogue(runner, grids, airq_home, file):
    [entry] = add_grid(grids[0])
    victim = airq_home.parent / "victim.tif"
    victim.write_bytes(b"precious")
    _damage(airq_home / "grids" / "index.json", _set(["grids", 0, "file"], file))
    r = runner.invoke(cli, ["grids", "remove", entry.id])
    assert r.exit_code == 1
    assert f"names the stored file {file!r}, which is not a .tif file inside" in r.stderr
    assert victim.read_bytes() == b"precious" and entry.path.exists()
    assert (airq_home / "grids" / "index.json").exists()


def test_symlinked_copy_pointing_outside_is_refused(runner, grids, airq_home, tmp_path):
    [entry] = add_grid(grids[0])
    outside = tmp_path / "elsewhere.tif"
    shutil.copy2(entry.path, outside)
    entry.path.unlink()
    entry.path.symlink_to(outside)
    r = runner.invoke(cli, ["grids", "remove", entry.id])
    assert r.exit_code == 1 and "which is not a .tif file inside" in r.stderr
    assert outside.exists()


def test_layer_index_cannot_delete_outside(runner, landfill, airq_home):
    add_layer(landfill, name="tips")
    victim = airq_home / "victim.gpkg"
    victim.write_bytes(b"precious")
    _damage(airq_home / "layers" / "index.json", _set(["layers", 0, "file"], "../victim.gpkg"))
    r = runner.invoke(cli, ["layers", "remove", "tips"])
    assert r.exit_code == 1 and "'../victim.gpkg', which is not a .gpkg file inside" in r.stderr
    assert victim.read_bytes() == b"precious"


# ----------------------------------------------------------------- concurrency (11.2)

_WAIT_AND_RUN = """
import pathlib, sys, time
from airq.cli import cli
pathlib.Path(sys.argv[2]).touch()
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.002)
cli.main(sys.argv[3:], prog_name="airq")
"""


def run_at_once(tmp_path, commands, timeout=240):
    """Start one process per command, let them all import, then release them together."""
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = []
    for i, command in enumerate(commands):
        procs.append(subprocess.Popen(
            [sys.executable, "-c", _WAIT_AND_RUN, str(go), str(tmp_path / f"ready{i}"),
             *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + timeout
    while not all((tmp_path / f"ready{i}").exists() for i in range(len(commands))):
        assert time.monotonic() < deadline, "the processes did not start"
        time.sleep(0.01)
    go.touch()
    return [(p.wait(timeout=timeout), p.communicate()[1]) for p in procs]


def test_eight_concurrent_grid_adds_keep_every_entry(tmp_path, grid_values, airq_home):
    files = []
    for p in ("NO2", "NOx", "PM10", "PM25"):
        for year in (2013, 2020):
            files.append(write_asc(tmp_path / f"PostLAEI2013_{year}_{p}.asc", grid_values,
                                   XLL, YLL))
    results = run_at_once(tmp_path, [["grids", "add", str(f)] for f in files])
    assert [rc for rc, _ in results] == [0] * 8, [err for _, err in results]
    entries = list_grids()
    assert len(entries) == 8
    assert {e.info.source for e in entries} == {str(f) for f in files}
    assert [c.status for c in check_grids()] == ["ok"] * 8
    assert not [p for p in (airq_home / "grids").rglob("*.part*")]  # no temporary left


def test_eight_concurrent_layer_adds_keep_every_entry(tmp_path, airq_home):
    files = []
    for i in range(8):
        path = tmp_path / f"layer{i}.geojson"
        gpd.GeoDataFrame({"USE": [f"use {i}"]},
                         geometry=[box(547000 + 10 * i, 188150, 547005 + 10 * i, 188160)],
                         crs=BNG).to_file(path)
        files.append(path)
    results = run_at_once(tmp_path, [["layers", "add", str(f)] for f in files])
    assert [rc for rc, _ in results] == [0] * 8, [err for _, err in results]
    assert [e.name for e in list_layers()] == [f"layer{i}" for i in range(8)]
    assert [c.status for c in check_layers()] == ["ok"] * 8


def test_concurrent_remove_and_add(tmp_path, grids, airq_home):
    add_grid(grids[0])
    results = run_at_once(tmp_path, [["grids", "remove", "laei-2013-update/no2-2013"],
                                     ["grids", "add", str(grids[1])]])
    assert [rc for rc, _ in results] == [0, 0]
    assert [e.id for e in list_grids()] == ["laei-2013-update/no2-2020"]
    assert not (airq_home / "grids" / "laei-2013-update" / "no2-2013.tif").exists()


# ----------------------------------------------------------------- unwritable home (11.2)


def test_unwritable_airq_home_is_one_line(runner, grids, landfill, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("AIRQ_HOME", str(blocker / "airq"))
    for command in (["grids", "add", str(grids[0])], ["layers", "add", str(landfill)]):
        r = runner.invoke(cli, command)
        assert r.exit_code == 1, r.output
        [msg] = lines(r.stderr)
        assert msg.startswith("Error: ") and str(blocker / "airq") in msg
        assert "set AIRQ_HOME to a folder you can write" in msg


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_read_only_airq_home(runner, grids, airq_home):
    add_grid(grids[0])
    os.chmod(airq_home / "grids", 0o555)
    try:
        r = runner.invoke(cli, ["grids", "add", str(grids[1])])
        assert r.exit_code == 1 and "set AIRQ_HOME to a folder you can write" in r.stderr
        assert runner.invoke(cli, ["grids", "list"]).exit_code == 0  # reading still works
    finally:
        os.chmod(airq_home / "grids", 0o755)


def test_failed_write_keeps_the_index(grids, airq_home, monkeypatch):
    """A write that fails half-way leaves the index as it was (and no temporary files)."""
    add_grid(grids[0])
    before = (airq_home / "grids" / "index.json").read_bytes()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("airq.read.catalogue.grids.write_cog", full_disk)
    with pytest.raises(CatalogueError, match=r"cannot write to the grid catalogue .* \(No space "
                                             r"left on device\); set AIRQ_HOME"):
        add_grid(grids[1])
    assert (airq_home / "grids" / "index.json").read_bytes() == before
    assert not [p for p in (airq_home / "grids").rglob("*.part*")]


# ----------------------------------------------------------------- one bad layer (11.3)


def _write(gdf, path):
    gdf.to_file(path)
    return path


@pytest.mark.parametrize("case", ["bng-labelled-4326", "lonlat-labelled-27700", "crs-option"])
def test_layers_add_refuses_coordinates_outside_the_crs(runner, tmp_path, airq_home, case):
    bng_box = box(547000, 188150, 547040, 188190)
    if case == "bng-labelled-4326":  # GeoJSON: WGS84 by its specification
        path = _write(gpd.GeoDataFrame({"USE": ["tip"]}, geometry=[bng_box], crs="EPSG:4326"),
                      tmp_path / "tips.geojson")
        args, says = [], ("is labelled EPSG:4326, but its coordinates (x 547000 to 547040, "
                          "y 188150 to 188190) lie outside the area where EPSG:4326 is used")
    elif case == "lonlat-labelled-27700":
        path = _write(gpd.GeoDataFrame({"USE": ["tip"]}, geometry=[box(0.12, 51.55, 0.13, 51.56)],
                                       crs=BNG), tmp_path / "tips.gpkg")
        args, says = [], "is labelled EPSG:27700 (metres) but its coordinates (x 0.12 to 0.13"
    else:
        path = _write(gpd.GeoDataFrame({"USE": ["tip"]}, geometry=[bng_box], crs=BNG),
                      tmp_path / "tips.shp")
        path.with_suffix(".prj").unlink()
        args, says = ["--crs", "EPSG:4326"], "is given --crs EPSG:4326, but its coordinates"
    r = runner.invoke(cli, ["layers", "add", str(path), *args])
    assert r.exit_code == 1, r.output
    [msg] = lines(r.stderr)
    assert says in msg and "EPSG:27700 for British National Grid metres" in msg
    assert list_layers() == ()
    assert not (airq_home / "layers" / "tips.gpkg").exists()


def test_layers_add_reads_a_geojson_without_crs_member_in_the_crs_given(runner, tmp_path,
                                                                        airq_home):
    """A GeoJSON file without a 'crs' member is longitude/latitude by RFC 7946 (GDAL says
    EPSG:4326); one holding British National Grid metres is refused with the fix, --crs,
    which then works (as for boundaries)."""
    doc = json.loads(gpd.GeoDataFrame({"USE": ["tip"]}, geometry=[box(547000, 188150, 547040,
                                                                      188190)]).to_json())
    assert "crs" not in doc
    path = tmp_path / "tips.geojson"
    path.write_text(json.dumps(doc))
    r = runner.invoke(cli, ["layers", "add", str(path)])
    assert r.exit_code == 1, r.output
    [msg] = lines(r.stderr)
    assert "without a 'crs' member is longitude/latitude by its specification (RFC 7946)" in msg
    assert "pass --crs" in msg and "EPSG:27700 for British National Grid metres" in msg
    assert list_layers() == ()
    r = runner.invoke(cli, ["layers", "add", str(path), "--crs", "EPSG:27700"])
    assert r.exit_code == 0, r.output
    [entry] = list_layers()
    assert entry.provenance.source_crs == BNG
    stored = gpd.read_file(airq_home / "layers" / "tips.gpkg")
    assert stored.total_bounds.tolist() == [547000, 188150, 547040, 188190]
    # a GeoJSON that declares its CRS still refuses a different --crs
    gpd.GeoDataFrame({"USE": ["tip"]}, geometry=[box(0.12, 51.55, 0.13, 51.56)],
                     crs="EPSG:4326").to_file(tmp_path / "declared.geojson")
    r = runner.invoke(cli, ["layers", "add", str(tmp_path / "declared.geojson"), "--crs", BNG])
    assert r.exit_code == 1 and "declares CRS EPSG:4326" in r.stderr


def _add_unchecked(path, name, monkeypatch):
    """Catalogue a layer as an older airq did: without the area-of-use check."""
    with monkeypatch.context() as m, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GEOS complains about the infinite coordinates
        m.setattr("airq.read.layers.core.check_area_of_use", lambda *a, **k: None)
        return add_layer(path, name=name)


@pytest.fixture
def bad_layer(tmp_path, monkeypatch):
    path = _write(gpd.GeoDataFrame({"USE": ["works"]}, geometry=[box(548000, 188000, 548100,
                                                                     188100)], crs="EPSG:4326"),
                  tmp_path / "bad.geojson")
    return _add_unchecked(path, "bad", monkeypatch)


BAD_WARNING = "land-use layer 'bad' could not be screened (bad has coordinates that are not " \
              "finite numbers"


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_bad_catalogued_layer_fails_alone_in_query(runner, grids, plots, landfill, bad_layer, fmt):
    add_grid(grids[0])
    add_layer(landfill, name="tips")
    r = runner.invoke(cli, ["query", str(plots), "-f", fmt])
    assert r.exit_code == 0, r.output
    assert BAD_WARNING in r.stderr
    assert BAD_WARNING in r.stdout  # in the output's warnings too
    assert "Layer 'bad' could not be screened" in r.stdout  # and in place of its sentence
    if fmt == "json":
        out = json.loads(r.stdout)
        verdicts = {v["layer"]: v for v in out["land_use"]["verdicts"]}
        assert verdicts["bad"]["screened"] is False and verdicts["tips"]["screened"] is True
        assert verdicts["tips"]["count"] == 1
        assert out["results"][0]["n_points"] > 0
    r = runner.invoke(cli, ["query", str(plots), "--strict"])
    assert r.exit_code == 1 and "could not be screened" in r.stderr


def test_bad_catalogued_layer_fails_alone_in_screen_and_batch(runner, grids, plots, landfill,
                                                              bad_layer, tmp_path):
    add_grid(grids[0])
    add_layer(landfill, name="tips")
    r = runner.invoke(cli, ["screen", str(plots), "-f", "json"])
    assert r.exit_code == 0, r.output
    assert BAD_WARNING in r.stderr
    verdicts = {v["layer"]: v for v in json.loads(r.stdout)["verdicts"]}
    assert verdicts["bad"]["screened"] is False and verdicts["tips"]["count"] == 1
    out = tmp_path / "streets.csv"
    r = runner.invoke(cli, ["batch", str(plots), "--group-by", "street", "--layer", "bad",
                            "--layer", "tips", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert BAD_WARNING in r.stderr
    prov = json.loads(out.with_name("streets.csv.provenance.json").read_text("utf-8"))
    assert any(BAD_WARNING in w for w in prov["provenance"]["warnings"])
    assert "tips" in out.read_text("utf-8")  # the good layer's nearest record is there


def test_geos_error_while_screening_fails_alone(landfill, monkeypatch):
    """A layer that loads but that GEOS cannot screen: warned, not screened; the rest is."""
    from shapely.errors import GEOSException

    from airq.analyse.landuse import screen, screen_landuse
    from airq.read.layers import LandUseWarning, read_layer

    good = read_layer(landfill, name="good")
    broken = read_layer(landfill, name="broken")
    real = screen._layer_records

    def records(area, search_area, layer, edges, labels):
        if layer.name == "broken":
            raise GEOSException("TopologyException: side location conflict at 1 2")
        return real(area, search_area, layer, edges, labels)

    monkeypatch.setattr(screen, "_layer_records", records)
    with pytest.warns(LandUseWarning, match="layer 'broken' could not be screened "
                                            r"\(TopologyException: side location conflict"):
        result = screen_landuse(SITE, [broken, good])
    assert [(v.layer, v.screened) for v in result.verdicts] == [("broken", False), ("good", True)]
    assert result.verdicts[0].counts_by_band == () and result.verdicts[1].count == 1
    assert [r.layer for r in result.records] == ["good"]


def test_named_unusable_layer_is_reported_not_raised(bad_layer):
    from airq.read.layers import UnusableLayer

    layer = load_layer("bad")
    assert isinstance(layer, UnusableLayer)
    assert layer.reason.startswith("bad has coordinates that are not finite numbers")
    assert layer.provenance.catalogue_sha256 == sha(bad_layer.path)


def test_area_of_use_check_directly():
    from airq.read.layers.crs import check_area_of_use

    ok = [(box(548000, 188000, 548100, 188100), BNG), (box(0.1, 51.5, 0.2, 51.6), "EPSG:4326"),
          (box(13000, 6720000, 14000, 6721000), "EPSG:3857"),
          (box(-9.5, 49.5, 2.5, 61.5), "EPSG:4326"), (box(100000, 10000, 600000, 1200000), BNG)]
    for geom, crs in ok:
        check_area_of_use(gpd.GeoDataFrame(geometry=[geom], crs=crs), "x")
    bad = [(box(548000, 188000, 548100, 188100), "EPSG:4326"),
           (box(0.1, 51.5, 0.2, 51.6), BNG),
           (box(548000, 5188000, 548100, 5188100), BNG),
           (box(-60, 40, -59, 41), BNG)]
    for geom, crs in bad:
        with pytest.raises(CRSError):
            check_area_of_use(gpd.GeoDataFrame(geometry=[geom], crs=crs), "x")


# ----------------------------------------------------------------- boundaries catalogue (11.2)


@pytest.mark.parametrize("name", ["..", "../..", ".hidden", "a/b", "/tmp"])
def test_boundaries_index_cannot_name_folders_outside(runner, airq_home, name):
    """`airq boundaries remove` deletes an entry's folder: a hand-edited name cannot escape."""
    folder = airq_home / "boundaries"
    folder.mkdir(parents=True)
    victim = airq_home / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep")
    (folder / "index.json").write_text(json.dumps({"version": 1, "boundaries": {name: {}}}))
    for command in (["boundaries", "remove", name], ["boundaries", "list"]):
        r = runner.invoke(cli, command)
        assert r.exit_code == 1, r.output
        [msg] = lines(r.stderr)
        assert "the boundaries catalogue index" in msg and "is damaged" in msg
        assert f"entry {name!r} is not a catalogue name and folder" in msg
    assert (victim / "precious.txt").read_text() == "keep"
    assert (folder / "index.json").exists()


def test_boundaries_remove_holds_the_lock(airq_home, monkeypatch):
    from airq.read.catalogue import boundaries as cat

    folder = airq_home / "boundaries"
    (folder / "town").mkdir(parents=True)
    (folder / "index.json").write_text(json.dumps({"version": 1, "boundaries": {"town": {}}}))
    held = []
    real = cat.locked

    def spy(*args):
        held.append(args)
        return real(*args)

    monkeypatch.setattr(cat, "locked", spy)
    cat.remove_boundaries("town")
    assert held == [(folder, "boundaries")]
    assert not (folder / "town").exists() and cat.list_boundaries() == []
