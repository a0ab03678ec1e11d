"""Defra background maps: the published CSV layout, damaged copies, combining, labelling.

Files are written here exactly as Defra publishes them (preamble lines, a header
starting ``Local_Auth_Code,``, ``Total_<P>_<YY>`` columns, sector columns, some cells
``NA``), around a street whose 1 km cells are worked out independently with shapely.
"""

from __future__ import annotations

import json
import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from airq.cli import cli
from airq.errors import AssumedCRSWarning, InputError
from airq.read.defra import DefraValueWarning, is_defra_csv, parse_total_column, read_defra
from airq.read.grids import read_grid
from tests.conftest import write_asc

BNG = "EPSG:27700"
SECTORS = ("Motorway_in", "Motorway_out", "Trunk_A_Rd_in", "Trunk_A_Rd_out", "Primary_A_Rd_in",
           "Primary_A_Rd_out", "Minor_Rd_in", "Minor_Rd_out", "Industry_in", "Industry_out",
           "Domestic_in", "Domestic_out", "Other_in", "Other_out", "Point_Sources", "Rural")
PREAMBLE = ("Background concentrations for 2021 (ug/m3)",
            "Data from the 2021 reference year background maps", "Grid squares in one authority",
            "")


def value(x, y, k=0.0):
    """A made-up background field: distinct in every cell, so a wrong cell shows."""
    return round(15 + (x - 540500) / 1000 * 0.7 + (y - 180500) / 1000 * 0.3 + k, 5)


def write_defra(path, cells, totals=("Total_NO2_21",), code="5060", preamble=PREAMBLE,
                values=None):
    """Write a Defra background map CSV in the published layout."""
    header = ["Local_Auth_Code", "x", "y", "geo_area", "EU_zone_agglom_01", *totals, *SECTORS]
    lines = [*preamble, ",".join(header)]
    for i, (x, y) in enumerate(cells):
        vals = (values or {}).get((x, y))
        tot = [str(vals) if vals is not None else f"{value(x, y, k):.5f}"
               for k, _ in enumerate(totals)]
        sect = ["0.12345"] * (len(SECTORS) - 1) + ["NA" if i % 3 == 0 else "0.5"]
        lines.append(",".join([code, str(x), str(y), "Barking and Dagenham",
                               "Greater London Urban Area", *tot, *sect]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cells_in(x0, x1, y0, y1):
    return [(x, y) for y in range(y1 - 500, y0, -1000) for x in range(x0 + 500, x1, 1000)]


# A street of 8 plots inside the cell centred 547500,187500 (547000-548000, 187000-188000).
STREET = [box(547300 + 15 * i, 187400, 547312 + 15 * i, 187430) for i in range(8)]
# Plots either side of the line x=548000: two cells.
SPLIT = [box(547940, 187400, 547990, 187430), box(548010, 187400, 548060, 187430)]


def plots(tmp_path, polys, name="plots.gpkg"):
    path = tmp_path / name
    gpd.GeoDataFrame({"street": ["Test Road"] * len(polys)}, geometry=polys,
                     crs=BNG).to_file(path)
    return path


def containing_cells(polys):
    """The 1 km cells holding each plot's representative point (independent of airq)."""
    out = set()
    for p in polys:
        pt = p.representative_point()
        out.add((math.floor(pt.x / 1000) * 1000 + 500, math.floor(pt.y / 1000) * 1000 + 500))
    return sorted(out)


def query(runner, args, ok=True):
    res = runner.invoke(cli, ["query", *args, "--no-layers"], catch_exceptions=not ok)
    if ok:
        assert res.exit_code == 0, res.output
    return res


# --------------------------------------------------------------------------- the reader


def test_total_columns():
    assert parse_total_column("Total_NO2_21").year == 2021
    assert parse_total_column("Total_PM2.5_21").pollutant == "pm25"
    c = parse_total_column("Total_PM10_18")
    assert (c.pollutant, c.year, c.two_digit) == ("pm10", 2018, True)
    assert "two-digit year 18 read as 2018" in c.year_note
    assert parse_total_column("Total_NOx_2030").two_digit is False
    assert parse_total_column("Motorway_in") is None


@pytest.mark.parametrize("preamble", [(), ("one line",), PREAMBLE, ('"quoted, line"',) * 6])
def test_header_found_after_any_preamble(tmp_path, preamble):
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 549000, 186000, 189000),
                       preamble=preamble)
    assert is_defra_csv(path)
    with pytest.warns(AssumedCRSWarning, match="Defra background map files carry no CRS"):
        g = read_defra([path])
    assert g.cellsize == 1000 and g.full_shape == (3, 3) and g.info.background
    assert g.info.edition == "Defra background maps" and g.info.crs == BNG
    assert g.info.crs_assumed and (g.info.pollutant, g.info.year) == ("no2", 2021)
    # known answer: the cell centred 547500,187500 is row 1, column 1
    assert g.values[1, 1] == pytest.approx(value(547500, 187500))
    assert g.transform.c == 546000 and g.transform.f == 189000


def test_laei_csv_is_not_defra(tmp_path):
    (tmp_path / "x.csv").write_text("x,y,conc\n1,2,3\n")
    assert not is_defra_csv(tmp_path / "x.csv")


def test_column_chosen_by_pollutant_and_year(tmp_path):
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 548000, 186000, 188000),
                       totals=("Total_NO2_21", "Total_PM2.5_21", "Total_PM10_18"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        pm25 = read_defra([path], pollutant="pm25")
        pm10 = read_defra([path], pollutant="pm10")
        no2 = read_grid(path, pollutant="no2", year=2021)  # recognised by read_grid too
    assert (pm25.info.year, pm10.info.year, no2.info.pollutant) == (2021, 2018, "no2")
    assert pm25.values[0, 0] == pytest.approx(value(546500, 187500, 1))
    assert pm10.values[0, 0] == pytest.approx(value(546500, 187500, 2))
    assert pm10.info.notes == ("column Total_PM10_18: the two-digit year 18 read as 2018",)
    with pytest.raises(InputError, match="holds 3 columns for any pollutant any year"):
        read_defra([path])
    with pytest.raises(InputError, match="no Total column for no2 2019; it holds Total_NO2_21"):
        read_defra([path], pollutant="no2", year=2019)
    with pytest.raises(InputError, match="no PM10d day counts"):
        read_defra([path], pollutant="pm10d")


def test_files_combined_and_duplicates_must_agree(tmp_path):
    a = write_defra(tmp_path / "a.csv", cells_in(546000, 548000, 186000, 188000))
    b = write_defra(tmp_path / "b.csv", cells_in(548000, 550000, 186000, 188000) + [
        (547500, 187500)], code="5550")  # shares one cell with a.csv, same value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        g = read_defra([a, b])
    assert g.full_shape == (2, 4)
    assert g.values[1, 3] == pytest.approx(value(549500, 186500))
    assert [p["local_auth_codes"] for p in g.info.parts] == [["5060"], ["5550"]]
    assert [p["sha256"] for p in g.info.parts] == [read_grid.__globals__["sha256_file"](p)
                                                    for p in (a, b)]
    assert "combined from 2 files: a.csv, b.csv" in g.info.notes
    c = write_defra(tmp_path / "c.csv", [(547500, 187500)], values={(547500, 187500): 99.0})
    with pytest.raises(InputError, match=r"disagree about the cell x=547500 y=187500: "
                                         r"Total_NO2_21 is [\d.]+ in .*a.csv but 99 in .*c.csv"):
        read_defra([a, c])


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.replace("547500,187500", "547400,187500", 1), r"row 7: x,y 547400,187500 is "
     "not the centre of a 1 km"),
    (lambda t: t.replace("546500,186500", "547500,187500", 1), r"cell x=547500 y=187500 appears "
     r"2 times \(rows 7, 8\)"),
    (lambda t: t.replace(",x,y,", ",easting,y,", 1), "no column x"),
    (lambda t: t.replace(",Total_NO2_21,", ",NO2,", 1), "no Total_<pollutant>_<year> column"),
    (lambda t: t.replace(",546500,187500,", ",546500,abc,", 1), "row 6: column y is not a number"),
    (lambda t: t.replace(",Greater London Urban Area,", ",Greater London Urban Area,-3.1,", 1),
     "row 6: 23 values under a header of 22 columns"),
    (lambda t: t.replace(f"{value(547500, 187500):.5f}", "-1.5"), "row 7: Total_NO2_21 is -1.5; "
     "a concentration cannot be negative"),
    (lambda t: t.replace(f"{value(547500, 187500):.5f}", "2150"), r"row 7: Total_NO2_21 is 2150 "
     "µg/m³, implausible"),
    (lambda t: t.replace("546500,187500", "9546500,187500", 1), "outside Great Britain"),
    # a download cut inside the last row's total: read as its first digit before
    (lambda t: t.rstrip("\n")[: t.rstrip("\n").rfind(",Greater London Urban Area,") + 28],
     r"row 9: 6 values under a header of 22 columns; the row is cut short"),
])
def test_damaged_copies_are_errors(tmp_path, damage, message):
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 548000, 186000, 188000))
    path.write_text(damage(path.read_text()))
    with pytest.raises(InputError, match=message):
        read_defra([path])


def test_non_numeric_values_are_reported_as_nodata(tmp_path):
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 548000, 186000, 188000),
                       values={(546500, 187500): "NA", (547500, 186500): "n/a"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        with pytest.warns(DefraValueWarning, match=r"2 cell\(s\) of Total_NO2_21 hold no number "
                                                   r"and are left out as NODATA \(row 6: 'NA', "
                                                   r"row 9: 'n/a'\)"):
            g = read_defra([path])
    assert np.isnan(g.values[0, 0]) and np.isnan(g.values[1, 1])
    assert g.info.parts[0]["cells_without_number"] == 2


# --------------------------------------------------------------------------- query


def test_query_gives_the_containing_cell_labelled_as_background(runner, tmp_path):
    """The issue's show: the containing cell's values for a street, labelled background."""
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 549000, 186000, 189000),
                       totals=("Total_NO2_21", "Total_PM2.5_21"))
    bp = plots(tmp_path, STREET)
    (cell,) = containing_cells(STREET)
    assert cell == (547500, 187500)
    doc = json.loads(query(runner, [str(bp), "--grid", f"no2:2021={path}", "--grid",
                                    f"pm25:2021={path}", "-f", "json"]).stdout)
    rows = {r["pollutant"]: r for r in doc["results"]}
    assert rows["no2"]["mean"] == pytest.approx(value(*cell))
    assert rows["pm25"]["mean"] == pytest.approx(value(*cell, 1))
    for r in rows.values():
        assert r["n_points"] == 1 and r["sd"] is None and r["sd_note"] == "n/a (one 1 km cell)"
        assert r["background"] is True and r["edition"] == "Defra background maps"
        assert r["sampling"].startswith("the 1 km background cell(s) the boundaries lie in")
    assert any("not roadside values" in c for c in doc["caveats"])
    assert doc["area"]["no_centre_ids"] == []  # the centre rule is not applied at 1 km
    assert not any("hold no grid point" in w for w in doc["warnings"])
    assert any("Defra background map files carry no CRS" in w for w in doc["warnings"])
    text = query(runner, [str(bp), "--grid", f"no2:2021={path}"]).stdout
    assert "Inventory: Defra background maps (1 km background, not roadside); model year 2021" \
        in text
    assert f"NO2    {value(*cell):.1f} µg/m³ (SD n/a (one 1 km cell)), objective 40" in text
    assert "1 km background concentration (Defra background maps), not a roadside value" in text
    assert "the two-digit year 21 read as 2021" in text
    md = query(runner, [str(bp), "--grid", f"no2:2021={path}", "-f", "markdown"]).stdout
    assert f"| NO2 | {value(*cell):.1f} | n/a (one 1 km cell) | 1 |" in md
    assert "not roadside" in md
    csv_text = query(runner, [str(bp), "--grid", f"no2:2021={path}", "-f", "csv",
                              "--per-boundary"]).stdout
    lines = csv_text.splitlines()
    assert lines[0].endswith(",note")
    assert "not a roadside value; SD n/a (one 1 km cell)" in lines[1]
    assert all("not a roadside value; the cell the boundary lies in" in ln for ln in lines[2:])
    assert len(lines) == 2 + len(STREET)


def test_street_across_two_cells(runner, tmp_path):
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 550000, 186000, 189000))
    cells = containing_cells(SPLIT)
    assert cells == [(547500, 187500), (548500, 187500)]
    expect = np.array([value(*c) for c in cells])
    doc = json.loads(query(runner, [str(plots(tmp_path, SPLIT)), "--grid",
                                    f"no2:2021={path}", "-f", "json"]).stdout)
    (row,) = doc["results"]
    assert row["n_points"] == 2 and row["mean"] == pytest.approx(expect.mean())
    assert row["sd"] == pytest.approx(expect.std()) and row["sd_note"] == (
        "between 2 1 km cells, not within the street")


def test_two_authorities_on_the_command_line_and_as_a_folder(runner, tmp_path):
    folder = tmp_path / "defra"
    folder.mkdir()
    a = write_defra(folder / "west.csv", cells_in(546000, 548000, 186000, 189000))
    b = write_defra(folder / "east.csv", cells_in(548000, 550000, 186000, 189000), code="5550")
    bp = plots(tmp_path, SPLIT)
    one = json.loads(query(runner, [str(bp), "--grid", f"no2:2021={a}", "--grid",
                                    f"no2:2021={b}", "-f", "json"]).stdout)
    two = json.loads(query(runner, [str(bp), "--grid", f"no2:2021={folder}", "-f",
                                    "json"]).stdout)
    for doc in (one, two):
        (row,) = doc["results"]
        assert row["n_points"] == 2
        parts = [i for i in doc["provenance"]["inputs"] if i["role"] == "grid-part"]
        assert len(parts) == 1 and parts[0]["local_auth_codes"] in (["5060"], ["5550"])
    assert one["results"][0]["mean"] == two["results"][0]["mean"]
    # Only the west file: the east plot lies outside it, and that is said.
    doc = json.loads(query(runner, [str(bp), "--grid", f"no2:2021={a}", "-f", "json"]).stdout)
    assert doc["results"][0]["n_points"] == 1
    assert doc["results"][0]["mean"] == pytest.approx(value(547500, 187500))
    assert any("of the area lies outside the grid" in w for w in doc["warnings"])


def test_catalogue_prefers_laei_and_states_the_choice(runner, tmp_path):
    # An LAEI 2022 grid over the street, and Defra maps for 2022 covering it and far beyond.
    laei = write_asc(tmp_path / "LAEI2022_V1_NO2.asc", np.full((60, 60), 31.0), 547000, 187000)
    defra = write_defra(tmp_path / "bg.csv", cells_in(540000, 556000, 180000, 196000),
                        totals=("Total_NO2_22",))
    r = runner.invoke(cli, ["grids", "add", str(laei), str(defra)])
    assert r.exit_code == 0, r.output
    assert ("Added defra-background-maps/no2-2022: NO2 2022 (Defra background maps), 16 x 16 "
            "cells (CRS assumed EPSG:27700); 1 km background, not roadside, from 1 file"
            ) in r.stderr
    info = json.loads(runner.invoke(cli, ["grids", "info", "defra-background-maps/no2-2022"])
                      .stdout)
    assert info["background"] is True and info["parts"][0]["column"] == "Total_NO2_22"
    doc = json.loads(query(runner, [str(plots(tmp_path, STREET)), "-f", "json"]).stdout)
    (row,) = doc["results"]
    assert row["edition"] == "LAEI 2022" and row["mean"] == pytest.approx(31.0)
    assert any(c.startswith("Grid choice: LAEI 2022 used. Defra background maps also cover the "
                            "site (NO2 2022)") for c in doc["caveats"])
    doc = json.loads(query(runner, [str(plots(tmp_path, STREET)), "--edition",
                                    "Defra background maps", "-f", "json"]).stdout)
    assert doc["results"][0]["background"] is True
    # A street outside the LAEI grid: the background maps, and the choice said.
    far = [shapely.affinity.translate(p, 5000, 5000) for p in STREET]
    doc = json.loads(query(runner, [str(plots(tmp_path, far, "far.gpkg")), "-f",
                                    "json"]).stdout)
    (row,) = doc["results"]
    assert row["background"] is True
    assert row["mean"] == pytest.approx(value(552500, 192500))
    assert "Grid choice: Defra background maps used for NO2 2022: no LAEI grid of the same " \
           "pollutant and model year covers the site." in doc["caveats"]


def test_batch_refuses_background_maps(runner, tmp_path):
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 549000, 186000, 189000))
    r = runner.invoke(cli, ["batch", str(plots(tmp_path, STREET)), "--group-by", "street",
                            "--grid", f"no2:2021={path}", "-o", str(tmp_path / "out.csv")])
    assert r.exit_code == 1 and "airq batch does not use Defra background maps" in r.stderr
    assert not (tmp_path / "out.csv").exists()


def test_report_and_map_say_background(tmp_path):
    from airq.analyse.objectives import load_objectives
    from airq.config import Settings
    from airq.pipeline import GridRequest, run_query
    from airq.read.boundaries import read_boundaries
    from airq.render.document import render_report_html
    from airq.render.maps import _title_html, data_attribution

    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 549000, 186000, 189000))
    b = read_boundaries(plots(tmp_path, STREET))
    load_objectives()
    a = run_query(b, [GridRequest("no2", 2021, str(path))], Settings())
    html = render_report_html(a)
    assert "Defra background maps (1 km background, not roadside)" in html
    assert "background</b> level of nitrogen dioxide (NO2) in the 1 km square" in html
    assert "n/a (one 1 km cell)" in html and "Open Government Licence v3.0 (Defra" in html
    assert "not roadside values" in html
    assert "Defra background maps (1 km background, not roadside)" in _title_html(a)
    assert "(Defra)" in data_attribution(a)


def test_cell_missing_from_every_file_is_an_error(runner, tmp_path):
    cells = [c for c in cells_in(546000, 549000, 186000, 189000) if c != (547500, 187500)]
    path = write_defra(tmp_path / "bg.csv", cells)
    res = query(runner, [str(plots(tmp_path, STREET)), "--grid", f"no2:2021={path}"], ok=False)
    assert res.exit_code == 1
    assert "hold no value in NO2 2021 (Defra background maps)" in res.stderr
    assert "add the file of the authority the site lies in" in res.stderr


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_split_files_read_as_one(tmp_path_factory, data):
    """However a map's cells are split between files (overlaps agreeing), the grid is the same."""
    n = data.draw(st.integers(2, 30))
    idx = data.draw(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=n,
                             max_size=n, unique=True))
    cells = [(540500 + 1000 * i, 180500 + 1000 * j) for i, j in idx]
    vals = {c: data.draw(st.floats(0, 120, allow_nan=False).map(lambda v: round(v, 4)))
            for c in cells}
    side = [data.draw(st.sampled_from(("a", "b", "both"))) for _ in cells]
    folder = tmp_path_factory.mktemp("split")
    whole = write_defra(folder / "whole.csv", cells, values=vals)
    a = write_defra(folder / "a.csv", [c for c, s in zip(cells, side, strict=True)
                                       if s in ("a", "both")] or cells[:1], values=vals)
    b = write_defra(folder / "b.csv", [c for c, s in zip(cells, side, strict=True)
                                       if s in ("b", "both")] or cells[-1:], values=vals)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedCRSWarning)
        one = read_defra([whole])
        two = read_defra([a, b])
    assert one.transform == two.transform and one.full_shape == two.full_shape
    assert np.array_equal(one.values, two.values, equal_nan=True)
    t = one.transform
    for (x, y), v in vals.items():
        r, c = int((t.f - y) // 1000), int((x - t.c) // 1000)
        assert one.values[r, c] == pytest.approx(v)
    assert int((~np.isnan(one.values)).sum()) == len(cells)


def test_verify_rereads_every_combined_file(runner, tmp_path):
    """`airq verify` checks each authority's file and re-runs with all of them."""
    folder = tmp_path / "defra"
    folder.mkdir()
    west = write_defra(folder / "west.csv", cells_in(546000, 548000, 186000, 189000))
    write_defra(folder / "east.csv", cells_in(548000, 550000, 186000, 189000), code="5550")
    out = tmp_path / "split.json"
    query(runner, [str(plots(tmp_path, SPLIT)), "--grid", f"no2:2021={folder}", "-f", "json",
                   "-o", str(out)])
    r = runner.invoke(cli, ["verify", str(out), "-f", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    subjects = [c["subject"] for c in doc["checks"] if c["kind"] == "input"]
    assert "grid NO2 2021 (also combined from)" in subjects
    assert all(c["status"] == "same" for c in doc["checks"])
    # east.csv (first by name) is the grid's source; west.csv is the further file.
    west.write_text(west.read_text().replace(f"{value(547500, 187500):.5f}", "40.00000"))
    r = runner.invoke(cli, ["verify", str(out), "-f", "json"])
    assert r.exit_code != 0
    doc = json.loads(r.stdout)
    status = {c["subject"]: c["status"] for c in doc["checks"]}
    assert status["grid NO2 2021 (also combined from)"] == "changed"
    assert status["grid NO2 2021"] == "same"
    assert any(c["status"] == "changed" for c in doc["checks"] if c["kind"] == "result")


def test_a_defra_map_without_its_header_line_is_named_as_such(tmp_path):
    """A Defra map whose Local_Auth_Code column was renamed is not recognised; the error
    says its first line is a title, not columns (it listed the title as 'its columns')."""
    path = write_defra(tmp_path / "bg.csv", cells_in(546000, 548000, 186000, 188000))
    path.write_text(path.read_text().replace("Local_Auth_Code,", "LA_Code,", 1))
    with pytest.raises(InputError, match=r"bg\.csv is not an LAEI point CSV: its first line is "
                                         r"not a header of columns \('.*'\); a Defra background "
                                         r"map is recognised by its 'Local_Auth_Code,x,y,\.\.\.'"):
        read_grid(path, pollutant="no2", year=2021, grid_crs="EPSG:27700")
