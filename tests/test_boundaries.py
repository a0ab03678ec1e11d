"""Boundary reader: formats, selection, repair, CRS rules."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
import shapely

from airq.errors import CRSError, GeometryRepairWarning, InputError
from airq.read.boundaries import read_boundaries, reproject_to


def plots():
    return gpd.GeoDataFrame(
        {"inspireid": ["1", "2", "3"], "street": ["A Road", "A Road", "B Road"]},
        geometry=[shapely.box(530000, 180000, 530010, 180030),
                  shapely.box(530010, 180000, 530020, 180030),
                  shapely.box(530100, 180000, 530110, 180030)], crs="EPSG:27700")


@pytest.mark.parametrize("name", ["p.gpkg", "p.geojson", "p.shp", "p.gml", "p.parquet"])
def test_formats_read_alike(tmp_path, name):
    g = plots()
    path = tmp_path / name
    if name.endswith(".parquet"):
        g.to_parquet(path)
    else:
        g.to_file(path, engine="pyogrio")
    b = read_boundaries(path, where=["street=A Road"])
    assert b.n_selected == 2 and b.name == "A Road" and b.crs == "EPSG:27700"
    assert sorted(b.gdf["airq_id"]) == ["1", "2"] and b.id_column == "inspireid"
    assert len(b.sha256) == 64


def test_repair_and_drop_are_counted(tmp_path):
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    g = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=[bowtie, shapely.Polygon(),
                                                      shapely.box(0, 0, 5, 5)],
                         crs="EPSG:27700")
    g.to_file(tmp_path / "bad.gpkg", engine="pyogrio")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = read_boundaries(tmp_path / "bad.gpkg")
    assert b.repaired == 1 and b.dropped_empty == 1 and len(b.gdf) == 2
    assert all(shapely.is_valid(b.gdf.geometry.values))
    # recorded, not warned at read time: the analysis raises them into every output
    assert not [w for w in caught if issubclass(w.category, GeometryRepairWarning)]
    assert len(b.notes) == 2 and "repaired 1 invalid geometry" in b.notes[0]
    assert "1 of the 3 selected features dropped (1 empty); 2 used" in b.notes[1]


def test_geometry_collection_points_and_lines_are_said_dropped(tmp_path):
    import json

    g = plots().to_crs("EPSG:4326")
    doc = json.loads(g.to_json())
    first = doc["features"][0]["geometry"]
    doc["features"][0]["geometry"] = {"type": "GeometryCollection", "geometries": [
        first, {"type": "Point", "coordinates": [0.1, 51.5]}]}
    doc["features"][1]["geometry"] = {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [0.1, 51.5]},
        {"type": "LineString", "coordinates": [[0.1, 51.5], [0.2, 51.6]]}]}
    (tmp_path / "gc.geojson").write_text(json.dumps(doc))
    b = read_boundaries(tmp_path / "gc.geojson")
    assert len(b.gdf) == 2 and b.dropped_not_polygon == 1
    assert set(shapely.get_type_id(b.gdf.geometry.values)) <= {3, 6}
    assert b.gdf.geometry.iloc[0].equals(shapely.geometry.shape(first))
    notes = " ".join(b.notes)
    assert "1 GeometryCollection feature also held points or lines; those parts dropped" in notes
    assert "1 of the 3 selected features dropped" in notes
    assert "geometry collections without polygons, not polygons" in notes


def test_no_crs_asks_for_option_and_reprojection(tmp_path):
    g = plots().to_crs("EPSG:4326")
    g.to_file(tmp_path / "w.geojson", engine="pyogrio")
    b = read_boundaries(tmp_path / "w.geojson")
    back = reproject_to(b.gdf, "EPSG:27700")
    assert back.geometry.iloc[0].equals_exact(plots().geometry.iloc[0], tolerance=0.01)
    text = (tmp_path / "w.geojson").read_text().replace('"crs"', '"nocrs"')
    (tmp_path / "nocrs.json").write_text(text)
    gj = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        gj.to_file(tmp_path / "n.shp", engine="pyogrio")
    with pytest.raises(CRSError, match="--boundaries-crs"):
        read_boundaries(tmp_path / "n.shp")
    assert read_boundaries(tmp_path / "n.shp", crs="EPSG:27700").crs_note.startswith("stated")


def test_multi_layer_needs_a_layer_and_where_errors(tmp_path):
    g = plots()
    g.to_file(tmp_path / "m.gpkg", layer="a", engine="pyogrio")
    g.to_file(tmp_path / "m.gpkg", layer="b", engine="pyogrio")
    with pytest.raises(InputError, match="--boundaries-layer"):
        read_boundaries(tmp_path / "m.gpkg")
    assert read_boundaries(tmp_path / "m.gpkg", layer="b").layer == "b"
    with pytest.raises(InputError, match="no column 'road'"):
        read_boundaries(tmp_path / "m.gpkg", layer="a", where=["road=A Road"])
    with pytest.raises(InputError, match="COLUMN=VALUE"):
        read_boundaries(tmp_path / "m.gpkg", layer="a", where=["A Road"])
    # case and spaces are forgiven when unambiguous
    assert read_boundaries(tmp_path / "m.gpkg", layer="a", where=["street=a road"]).n_selected == 2


def test_an_id_column_passed_over_is_said(tmp_path):
    """A duplicated or incomplete id column is not used silently: the note names it, why,
    and the column (or feature numbers) used instead; a unique one gives no note."""
    g = plots().assign(plot_id=["P1", "P1", None], uprn=["10", "11", "12"])
    g.to_file(tmp_path / "p.gpkg", engine="pyogrio")
    b = read_boundaries(tmp_path / "p.gpkg")
    assert b.id_column == "uprn" and list(b.gdf["airq_id"]) == ["10", "11", "12"]
    assert b.notes == ("p.gpkg: boundary ids taken from 'uprn', not 'plot_id': 2 features "
                       "share a value (e.g. 'P1') and 1 has none",)
    g.assign(uprn=["10", "10", "12"], inspireid=["1", "1", "1"]).to_file(
        tmp_path / "q.gpkg", engine="pyogrio")
    b = read_boundaries(tmp_path / "q.gpkg")
    assert b.id_column is None and list(b.gdf["airq_id"]) == ["0", "1", "2"]
    assert b.notes[0].startswith("q.gpkg: boundary ids taken from the feature numbers in the "
                                 "file (0, 1, ...), not 'plot_id': ")
    assert "not 'uprn': 2 features share a value (e.g. '10')" in b.notes[0]
    assert "not 'inspireid': 3 features share a value (e.g. '1')" in b.notes[0]
    plots().to_file(tmp_path / "r.gpkg", engine="pyogrio")
    assert read_boundaries(tmp_path / "r.gpkg").notes == ()
