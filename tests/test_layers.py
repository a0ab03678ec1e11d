"""The land-use layer catalogue and the historic tile sources (issue 3)."""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from airq.analyse.landuse import screen_landuse
from airq.config import Settings
from airq.errors import CatalogueError, ConfigError, CRSError, InputError
from airq.read.catalogue.layers import (
    add_layer,
    catalogue_dir,
    get_layer,
    list_layers,
    load_layer,
    load_layers,
    remove_layer,
)
from airq.render.tiles import (
    choose_tile_source,
    custom_tile_source,
    list_tile_sources,
    maptiler_key,
    resolve_tile_source,
)

BNG = "EPSG:27700"
SITE = box(547000, 188000, 547100, 188060)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("AIRQ_HOME", str(home))
    monkeypatch.delenv("MAPTILER_KEY", raising=False)
    return home


@pytest.fixture
def landfill(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "hld_ref": ["EAHLD1", "EAHLD2"],
            "site_name": ["Clay Lane Pit", "Far Tip"],
            "firstinput": ["1931", "1950"],
            "lastinput": ["1948", "1960"],
            "household": ["Yes", ""],
        },
        geometry=[box(547040, 188164, 547080, 188200), box(549000, 188000, 549100, 188100)],
        crs=BNG,
    )
    path = tmp_path / "Historic Landfill.gpkg"
    frame.to_file(path)
    return path


def stored_files(home):
    d = home / "layers"
    return sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) if d.exists() else []


def test_add_list_info_load_remove(landfill, home):
    entry = add_layer(landfill, name="ea-landfill")
    assert entry.kind == "landfill"
    assert entry.provenance.schema == "ea-historic-landfill"
    assert entry.feature_count == 2
    assert entry.provenance.source_crs == BNG
    assert entry.provenance.added is not None
    assert entry.provenance.sha256 == hashlib.sha256(landfill.read_bytes()).hexdigest()
    assert entry.path == home / "layers" / "ea-landfill.gpkg"
    assert entry.path.exists()
    assert [e.name for e in list_layers()] == ["ea-landfill"]
    assert get_layer("ea-landfill") == entry
    index = json.loads((home / "layers" / "index.json").read_text())
    row = index["layers"][0]
    assert row["name"] == "ea-landfill" and row["file"] == "ea-landfill.gpkg"
    assert row["provenance"]["sha256"] == entry.provenance.sha256
    assert row["provenance"]["mapping"]["start"] == "firstinput"
    assert row["stored"]["sha256"] == hashlib.sha256(entry.path.read_bytes()).hexdigest()

    layer = load_layer("ea-landfill")
    assert layer.kind == "landfill" and layer.gdf.crs.to_epsg() == 27700
    assert layer.provenance.sha256 == entry.provenance.sha256  # the source's, not the copy's
    assert layer.provenance.catalogue_sha256 == row["stored"]["sha256"]  # and the copy's
    assert layer.provenance.catalogue_path == str(entry.path)
    result = screen_landuse(SITE, [layer])
    assert result.verdicts[0].text == (
        "1 historic landfill site 104 m to the north (Clay Lane Pit, waste accepted 1931-1948)."
    )
    assert result.layers[0].added == entry.provenance.added

    removed = remove_layer("ea-landfill")
    assert removed.name == "ea-landfill"
    assert list_layers() == ()
    assert stored_files(home) == ["index.json"]


def test_default_name_from_file(landfill):
    assert add_layer(landfill).name == "historic-landfill"


def test_reprojected_once_to_bng(tmp_path):
    pts = gpd.GeoDataFrame({"what": ["well"]}, geometry=[Point(547050, 188130)], crs=BNG)
    path = tmp_path / "wells.geojson"
    pts.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    entry = add_layer(path)
    assert entry.provenance.source_crs == "EPSG:4326"
    stored = gpd.read_file(entry.path)
    assert stored.crs.to_epsg() == 27700
    assert stored.geometry.iloc[0].distance(Point(547050, 188130)) < 0.01


def test_mapping_kept_and_reused(tmp_path):
    frame = gpd.GeoDataFrame(
        {"USE": ["gasworks"], "FROM": ["1890"], "TO": ["1935"]},
        geometry=[box(547130, 188010, 547160, 188040)],
        crs=BNG,
    )
    path = tmp_path / "uses.shp"
    frame.to_file(path)
    mapping = {"category": "USE", "start": "FROM", "end": "TO"}
    entry = add_layer(path, kind="industry", mapping=mapping)
    assert dict(entry.provenance.mapping) == mapping
    rec = screen_landuse(SITE, [load_layer("uses")]).records[0]
    assert (rec.category, rec.start, rec.end, rec.distance_m) == ("gasworks", "1890", "1935", 30)


def test_load_layer_by_path_and_unknown_name(landfill):
    layer = load_layer(str(landfill))
    assert layer.kind == "landfill"
    add_layer(landfill, name="a")
    with pytest.raises(CatalogueError, match="no layer named 'nope'.*layers: a"):
        load_layer("nope")
    with pytest.raises(CatalogueError, match="layers: a"):
        get_layer("nope")
    with pytest.raises(CatalogueError, match="layers: a"):
        remove_layer("nope")


def test_load_layers_defaults_to_all_and_needs_one():
    with pytest.raises(CatalogueError, match="airq layers add"):
        load_layers()


def test_load_layers_all(landfill):
    add_layer(landfill, name="b")
    add_layer(landfill, name="a")
    assert [layer.name for layer in load_layers()] == ["a", "b"]


# --------------------------------------------------------------------------- errors


def test_duplicate_name_needs_overwrite(landfill, home):
    first = add_layer(landfill, name="ea")
    with pytest.raises(CatalogueError, match="--overwrite"):
        add_layer(landfill, name="ea")
    again = add_layer(landfill, name="ea", overwrite=True)
    assert again.provenance.sha256 == first.provenance.sha256
    assert [e.name for e in list_layers()] == ["ea"]


def test_no_crs_asks_for_crs(tmp_path, home):
    frame = gpd.GeoDataFrame({"USE": ["pit"]}, geometry=[box(548000, 188000, 548001, 188001)],
                             crs=BNG)
    path = tmp_path / "nocrs.shp"
    frame.to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="has no CRS; pass --crs"):
        add_layer(path)
    assert stored_files(home) == []
    assert add_layer(path, crs="EPSG:27700").provenance.source_crs == BNG


def test_bad_crs_value(landfill):
    with pytest.raises(CRSError):
        add_layer(landfill, crs="EPSG:999999")


def test_mapping_to_missing_field_lists_fields(landfill, home):
    with pytest.raises(InputError) as err:
        add_layer(landfill, mapping={"category": "LANDUSE", "start": "firstinput"})
    msg = str(err.value)
    assert "no field 'LANDUSE' (given for --category-field)" in msg
    assert "hld_ref, site_name, firstinput, lastinput, household" in msg
    assert stored_files(home) == []


def test_epochs_kind_needs_epoch_field(landfill):
    with pytest.raises(InputError, match="--epoch-field"):
        add_layer(landfill, kind="epochs")


def test_empty_layer(tmp_path, home):
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"a": []}, geometry=[], crs=BNG).to_file(path)
    with pytest.raises(InputError, match="no features"):
        add_layer(path)
    assert stored_files(home) == []


def test_unreadable_file(tmp_path, home):
    path = tmp_path / "garbage.gpkg"
    path.write_bytes(b"this is not a GeoPackage\x00\x01")
    with pytest.raises(InputError, match="cannot read"):
        add_layer(path)
    assert stored_files(home) == []


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        add_layer(tmp_path / "nope.gpkg")


def test_bad_name(landfill):
    with pytest.raises(InputError, match="not allowed"):
        add_layer(landfill, name="../escape")


def test_damaged_index(landfill, home):
    add_layer(landfill, name="ea")
    (home / "layers" / "index.json").write_text("{not json")
    with pytest.raises(CatalogueError, match="damaged"):
        list_layers()


def test_catalogue_dir_follows_airq_home(home):
    assert catalogue_dir() == home / "layers"


# --------------------------------------------------------------------------- tiles


def test_builtin_tile_sources():
    sources = list_tile_sources()
    ids = [s.id for s in sources]
    for variant in ("uk-osgb10k1888", "uk-osgb25k1937", "uk-osgb1888", "uk-osgb1919",
                    "uk-oslondon1k1893"):  # fmt: skip
        assert variant in ids
    for s in sources:
        assert s.url.startswith("https://api.maptiler.com/tiles/")
        assert "{z}/{x}/{y}" in s.url and "{key}" in s.url
        assert s.attribution == "National Library of Scotland Historic Maps"
        assert s.needs_key and not s.key_set and not s.ready
        assert s.epoch_start <= s.epoch_end
    six = {s.id: s for s in sources}["uk-osgb10k1888"]
    assert (six.epoch_start, six.epoch_end) == (1888, 1913)
    london = {s.id: s for s in sources}["uk-oslondon1k1893"]
    assert (london.epoch_start, london.epoch_end) == (1893, 1896)
    # the keyless Essex set must not be a built-in default
    assert not any("mapseries-tilesets" in s.url for s in sources)


def test_builtin_sources_match_xyzservices():
    import xyzservices.providers as xyz

    for s in list_tile_sources():
        provider = xyz.query_name(s.xyzservices)
        assert provider["variant"] == s.id


def test_resolve_needs_key(monkeypatch):
    with pytest.raises(ConfigError, match="MAPTILER_KEY"):
        resolve_tile_source("uk-osgb25k1937")
    url = resolve_tile_source("uk-osgb25k1937", key="k123").url
    assert url == "https://api.maptiler.com/tiles/uk-osgb25k1937/{z}/{x}/{y}.jpg?key=k123"
    monkeypatch.setenv("MAPTILER_KEY", "fromenv")
    resolved = resolve_tile_source("uk-osgb25k1937")
    assert resolved.url.endswith("key=fromenv")
    assert "fromenv" not in resolved.url_redacted
    assert all(s.ready for s in list_tile_sources())


def test_key_env_from_settings(monkeypatch):
    monkeypatch.setenv("NLS_KEY", "abc")
    settings = Settings(maptiler_key_env="NLS_KEY")
    assert maptiler_key(settings) == "abc"
    assert maptiler_key() is None
    assert maptiler_key(Settings(maptiler_key="cfg")) == "cfg"


def test_unknown_tile_source():
    with pytest.raises(CatalogueError, match="uk-osgb10k1888"):
        resolve_tile_source("nope")


def test_custom_tile_source():
    src = custom_tile_source(
        "https://mapseries-tilesets.s3.amazonaws.com/25_inch/essex/{z}/{x}/{y}.png",
        "National Library of Scotland Historic Maps (used with permission)",
        epoch_start=1892,
        epoch_end=1914,
        coverage="historic Essex",
    )
    assert src.ready and not src.needs_key and src.epochs == "1892-1914"
    with pytest.raises(ConfigError, match="attribution"):
        custom_tile_source("https://example.org/{z}/{x}/{y}.png", "  ")
    with pytest.raises(ConfigError, match=r"\{y\}"):
        custom_tile_source("https://example.org/{z}/{x}.png", "Example")
    with pytest.raises(ConfigError, match="placeholder"):
        custom_tile_source("https://example.org/{z}/{x}/{y}/{foo}.png", "Example")


def test_choose_tile_source(monkeypatch):
    assert choose_tile_source() is None
    assert choose_tile_source("k").source.id == "uk-osgb10k1888"
    custom = Settings(
        tile_source="https://tiles.example.org/{z}/{x}/{y}.png",
        tile_attribution="Example Archive",
    )
    chosen = choose_tile_source(custom)
    assert chosen.url == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert chosen.attribution == "Example Archive"
    assert [s.id for s in list_tile_sources(custom)][-1] == "custom"
    with pytest.raises(ConfigError, match="attribution"):
        choose_tile_source(Settings(tile_source="https://tiles.example.org/{z}/{x}/{y}.png"))
    with pytest.raises(ConfigError, match="key"):
        choose_tile_source(Settings(tile_source="uk-osgb1919"))
