"""From a postcode to the right boundaries: query, map, report, screen, batch, catalogue.

Every figure is checked against an independent computation: the polygons covering
each selected address point (shapely, one by one), their union, the grid cell
centres it covers, and numpy's mean and population SD of those cells.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import shapely
from address_layouts import onspd_csv, onsud_csv, open_uprn_csv, write_inspire_zip
from conftest import write_asc

from airq.cli import cli

XLL, YLL, NCOLS, NROWS, CELL = 529900.0, 179900.0, 40, 20, 20.0
FLATS = shapely.box(530400, 179950, 530460, 180010)
DEPOT = shapely.box(530480, 179950, 530540, 180010)


def _houses(rng, x0, y_front, side, count, postcode, first_uprn, horizontal=True):
    """Row houses along a street: (polygon, address rows)."""
    polys, rows, pos = [], [], 0.0
    for k in range(count):
        w = float(rng.integers(9, 17))  # whole metres: GML keeps every edge exact
        depth = 30.0
        if horizontal:
            y0, y1 = sorted((y_front, y_front + side * depth))
            p = shapely.box(x0 + pos, y0, x0 + pos + w, y1)
            pt = (x0 + pos + w / 2, y_front + side * 8)
        else:
            xa, xb = sorted((x0, x0 + side * depth))
            p = shapely.box(xa, y_front + pos, xb, y_front + pos + w)
            pt = (x0 + side * 8, y_front + pos + w / 2)
        polys.append(p)
        rows.append((first_uprn + k, round(pt[0]), round(pt[1]), postcode))
        pos += w
    return polys, rows


@pytest.fixture
def estate(tmp_path):
    """An unseen estate: INSPIRE zip (with a second file), ONSUD CSV and an LAEI grid."""
    rng = np.random.default_rng(7)
    polys, rows = [], []
    for args in ((530000, 180006, 1, 11, "RM6 6EA", 100090000001),    # Acacia Road, odd
                 (530000, 179994, -1, 11, "RM6 6EB", 100090000101),   # Acacia Road, even
                 (530306, 180050, 1, 8, "RM6 6ED", 100090000201, False),  # Birch Close
                 (530294, 180050, -1, 8, "RM6 6ED", 100090000301, False)):
        p, r = _houses(rng, *args)
        polys += p
        rows += r
    polys += [FLATS, DEPOT]
    for k in range(20):  # Cedar Court: 20 flats in one title, two postcodes
        rows.append((100090000401 + k, 530410 + 3 * (k % 10), 179960 + 20 * (k // 10) + 5,
                     "RM6 6EF" if k < 12 else "RM6 6EG"))
    shared_x = polys[1].bounds[2]  # on the edge between the 2nd and 3rd houses
    rows.append((100090000501, shared_x, 180020, "RM6 6EH"))
    rows.append((100090000502, 530200, 180100, "RM6 6EA"))  # unregistered land
    rows.append((100090000503, 540000, 190000, "RM7 1AA"))  # another borough
    ids = [31000001 + i for i in range(len(polys))]
    zpath = write_inspire_zip(tmp_path / "Barking_and_Dagenham.zip", polys, ids)
    apath = tmp_path / "ONSUD_MAY_2025_LN.csv"
    apath.write_text(onsud_csv(rows))
    values = rng.uniform(15, 45, size=(NROWS, NCOLS))
    gpath = write_asc(tmp_path / "PostLAEI2013_2020_NO2.asc", values, XLL, YLL)
    # the values as written (airq reads the .asc text exactly, as float64)
    written = np.array([[float(f"{v:.4f}") for v in row] for row in values.astype(np.float32)])
    return {"zip": zpath, "onsud": apath, "grid": gpath, "polys": polys, "ids": ids,
            "rows": rows, "values": written, "dir": tmp_path}


def expected(estate, keep):
    """Boundaries holding the kept addresses, and the pooled statistics, by brute force."""
    pts = [shapely.Point(r[1], r[2]) for r in estate["rows"] if keep(r)]
    held = [i for i, p in enumerate(estate["polys"]) if any(p.covers(q) for q in pts)]
    union = shapely.union_all([estate["polys"][i] for i in held])
    vals = []
    for r in range(NROWS):
        for c in range(NCOLS):
            x, y = XLL + (c + 0.5) * CELL, YLL + (NROWS - r - 0.5) * CELL
            if union.covers(shapely.Point(x, y)):
                vals.append(estate["values"][r, c])
    vals = np.array(vals)
    return held, len(pts), vals


def run_query(runner, estate, *args, fmt="json"):
    res = runner.invoke(cli, ["query", str(estate["zip"]), "--addresses", str(estate["onsud"]),
                              "--grid", f"no2:2020={estate['grid']}", "--no-layers",
                              "-f", fmt, *args])
    return res


def check(res, estate, keep):
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    held, n_addr, vals = expected(estate, keep)
    assert len(vals) >= 1  # no fallback to containing cells
    r = doc["results"][0]
    assert r["n_points"] == len(vals)
    assert r["mean"] == pytest.approx(vals.mean(), abs=1e-6)
    assert r["sd"] == pytest.approx(vals.std(ddof=0), abs=1e-6)
    assert doc["area"]["n_boundaries"] == len(held)
    assert doc["area"]["n_addresses"] == n_addr
    assert sorted(doc["area"]["boundaries"]["selection"]["criteria"]["postcodes"]) is not None
    return doc, held


def test_one_postcode_gives_exactly_its_boundaries(runner, estate):
    res = run_query(runner, estate, "--postcode", "RM6 6EA", "--per-boundary")
    doc, held = check(res, estate, lambda r: r[3] == "RM6 6EA")
    assert len(held) == 11
    ids = {b["boundary_id"] for b in doc["per_boundary"]}
    assert ids == {str(estate["ids"][i]) for i in held}
    area = doc["area"]
    assert area["selection"] == ("boundaries holding the addresses of postcode RM6 6EA: "
                                 "11 boundaries, 12 addresses")
    assert area["name"] == "postcode RM6 6EA"
    assert any("1 of the 12 addresses of postcode RM6 6EA lies on no boundary" in w
               and "100090000502" in w for w in doc["warnings"])
    assert "lies on no boundary" in res.stderr
    inputs = doc["provenance"]["inputs"]
    addr = [i for i in inputs if i["role"] == "addresses"]
    assert len(addr) == 1 and addr[0]["layout"] == "onsud"
    assert addr[0]["sha256"] == hashlib.sha256(estate["onsud"].read_bytes()).hexdigest()
    b = [i for i in inputs if i["role"] == "boundaries"][0]
    assert b["sha256"] == hashlib.sha256(estate["zip"].read_bytes()).hexdigest()
    assert b["member"] == "Land_Registry_Cadastral_Parcels.gml"
    assert sorted(os.listdir(estate["dir"])) == sorted(
        ["Barking_and_Dagenham.zip", "ONSUD_MAY_2025_LN.csv", "PostLAEI2013_2020_NO2.asc"]
    )  # no .gfs, nothing extracted


def test_two_loosely_typed_postcodes(runner, estate):
    res = run_query(runner, estate, "--postcode", "  rm6 6ea ", "--postcode", "RM66EB")
    doc, held = check(res, estate, lambda r: r[3] in ("RM6 6EA", "RM6 6EB"))
    assert len(held) == 22
    assert doc["area"]["selection"].startswith(
        "boundaries holding the addresses of postcodes RM6 6EA, RM6 6EB: 22 boundaries")


def test_block_of_flats_is_one_boundary(runner, estate):
    res = run_query(runner, estate, "--postcode", "RM6 6EF")
    doc, held = check(res, estate, lambda r: r[3] == "RM6 6EF")
    assert doc["area"]["n_boundaries"] == 1 and doc["area"]["n_addresses"] == 12
    assert held == [estate["polys"].index(FLATS)]
    one = run_query(runner, estate, "--uprn", "100090000415")
    d1 = json.loads(one.stdout)
    assert d1["area"]["n_boundaries"] == 1 and d1["area"]["n_addresses"] == 1
    assert d1["results"][0]["mean"] == doc["results"][0]["mean"]


def test_shared_edge_selects_both_and_says_so(runner, estate):
    res = run_query(runner, estate, "--postcode", "RM6 6EH")
    doc, held = check(res, estate, lambda r: r[3] == "RM6 6EH")
    assert len(held) == 2
    assert any("lies on more than one boundary" in w for w in doc["warnings"])


def test_unknown_postcode_is_a_one_line_error(runner, estate):
    res = run_query(runner, estate, "--postcode", "RM6 6EZ")
    assert res.exit_code == 1
    assert res.stderr == ("Error: no address in ONSUD_MAY_2025_LN.csv has postcode RM6 6EZ; "
                          "postcodes of sector RM6 6 in it: RM6 6EA, RM6 6EB, RM6 6ED, "
                          "RM6 6EF, RM6 6EG, RM6 6EH\n")
    res = run_query(runner, estate, "--uprn", "42")
    assert res.exit_code == 1 and "has UPRN 42" in res.stderr


def test_every_output_names_the_selection(runner, estate):
    text = run_query(runner, estate, "--postcode", "RM6 6EB", fmt="text")
    assert text.exit_code == 0, text.stderr
    assert "Air quality at postcode RM6 6EB" in text.stdout
    assert ("Area: boundaries holding the addresses of postcode RM6 6EB: 11 boundaries, "
            "11 addresses (Barking_and_Dagenham.zip; addresses from ONSUD_MAY_2025_LN.csv)"
            in text.stdout)
    assert "addresses: ONSUD_MAY_2025_LN.csv (ONS UPRN Directory (ONSUD)" in text.stdout
    md = run_query(runner, estate, "--postcode", "RM6 6EB", fmt="markdown")
    assert "boundaries holding the addresses of postcode RM6 6EB: 11 boundaries" in md.stdout
    rows = list(csv.DictReader(run_query(runner, estate, "--postcode", "RM6 6EB",
                                         fmt="csv").stdout.splitlines()))
    assert rows[0]["area"] == "postcode RM6 6EB"
    html = estate["dir"] / "r.html"
    res = runner.invoke(cli, ["report", str(estate["zip"]), "--addresses", str(estate["onsud"]),
                              "--postcode", "RM6 6EB", "--grid", f"no2:2020={estate['grid']}",
                              "--no-layers", "-o", str(html)])
    assert res.exit_code == 0, res.stderr
    page = html.read_text()
    assert "boundaries holding the addresses of postcode RM6 6EB: 11 boundaries" in page
    assert "ONSUD_MAY_2025_LN.csv" in page
    m = estate["dir"] / "m.html"
    res = runner.invoke(cli, ["map", str(estate["zip"]), "--addresses", str(estate["onsud"]),
                              "--postcode", "RM6 6EB", "--grid", f"no2:2020={estate['grid']}",
                              "--no-layers", "-o", str(m)])
    assert res.exit_code == 0, res.stderr
    assert "boundaries holding the addresses of postcode RM6 6EB: 11 boundaries" in m.read_text()


def test_batch_by_postcode_agrees_with_query(runner, estate):
    out = estate["dir"] / "postcodes.csv"
    res = runner.invoke(cli, ["batch", str(estate["zip"]), "--addresses", str(estate["onsud"]),
                              "--group-by", "postcode", "--grid",
                              f"no2:2020={estate['grid']}", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    with out.open(encoding="utf-8") as fh:
        rows = {r["group"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"RM6 6EA", "RM6 6EB", "RM6 6ED", "RM6 6EF", "RM6 6EG", "RM6 6EH"}
    for pc, row in rows.items():
        q = json.loads(run_query(runner, estate, "--postcode", pc).stdout)
        assert float(row["mean"]) == pytest.approx(q["results"][0]["mean"], abs=1e-5)
        assert float(row["sd"]) == pytest.approx(q["results"][0]["sd"], abs=1e-5)
        assert int(row["n_points"]) == q["results"][0]["n_points"]
        assert int(row["n_boundaries"]) == q["area"]["n_boundaries"]
    # the block of flats belongs to both of its postcodes
    assert rows["RM6 6EF"]["mean"] == rows["RM6 6EG"]["mean"]
    prov = json.loads((estate["dir"] / "postcodes.csv.provenance.json").read_text())["provenance"]
    assert [i["role"] for i in prov["inputs"]] == ["boundaries", "addresses", "grid"]
    assert any("1 address of 1 postcode lies on no boundary" in w for w in prov["warnings"])
    assert any("1 postcode of the address file lie wholly outside" in w
               for w in prov["warnings"])


def test_batch_reports_a_postcode_on_no_boundary(runner, estate, tmp_path):
    rows = [*estate["rows"], (100090000601, 530220, 180120, "RM6 6EJ")]
    onsud = tmp_path / "with_lost.csv"
    onsud.write_text(onsud_csv(rows))
    out = tmp_path / "pc.csv"
    res = runner.invoke(cli, ["batch", str(estate["zip"]), "--addresses", str(onsud),
                              "--group-by", "postcode", "--grid",
                              f"no2:2020={estate['grid']}", "-o", str(out)])
    assert res.exit_code == 3
    errors = (tmp_path / "pc.csv.errors.csv").read_text()
    assert "RM6 6EJ" in errors and "lie on no boundary" in errors


def test_batch_with_addresses_of_another_area_says_why(runner, estate, tmp_path):
    rows = [(u, x - 100_000, y, pc) for u, x, y, pc in estate["rows"]]
    onsud = tmp_path / "elsewhere.csv"
    onsud.write_text(onsud_csv(rows))
    res = runner.invoke(cli, ["batch", str(estate["zip"]), "--addresses", str(onsud),
                              "--group-by", "postcode", "--grid",
                              f"no2:2020={estate['grid']}", "-o", str(tmp_path / "pc.csv")])
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "no address of elsewhere.csv with a postcode lies on a boundary of " \
           f"Barking_and_Dagenham.zip ({len(rows)} addresses with a postcode, {len(rows)} " \
           "outside the boundaries' extent)" in res.stderr


def test_catalogue_once_then_query_by_postcode_alone(runner, estate):
    res = runner.invoke(cli, ["boundaries", "add", str(estate["zip"]), "--addresses",
                              str(estate["onsud"])])
    assert res.exit_code == 0, res.stderr
    assert "Added boundaries 'barking-and-dagenham': 40 polygons" in res.stderr
    assert "1 lie on no polygon; 1 lie outside the polygons' extent" in res.stderr
    again = runner.invoke(cli, ["boundaries", "add", str(estate["zip"]), "--addresses",
                                str(estate["onsud"])])
    assert again.exit_code == 1 and "--overwrite" in again.stderr
    listing = runner.invoke(cli, ["boundaries", "list"])
    assert "barking-and-dagenham" in listing.stdout
    info = runner.invoke(cli, ["boundaries", "info", "barking-and-dagenham", "-f", "json"])
    meta = json.loads(info.stdout)
    assert meta["addresses"]["sha256"] == hashlib.sha256(estate["onsud"].read_bytes()).hexdigest()
    assert meta["boundaries"]["sha256"] == hashlib.sha256(estate["zip"].read_bytes()).hexdigest()
    direct = json.loads(run_query(runner, estate, "--postcode", "RM6 6ED").stdout)
    for args in ([], ["barking-and-dagenham"]):
        res = runner.invoke(cli, ["query", *args, "--postcode", "rm6 6ed", "--grid",
                                  f"no2:2020={estate['grid']}", "--no-layers", "-f", "json"])
        assert res.exit_code == 0, res.stderr
        doc = json.loads(res.stdout)
        assert doc["results"][0]["mean"] == direct["results"][0]["mean"]
        assert doc["area"]["n_boundaries"] == direct["area"]["n_boundaries"]
        assert doc["area"]["n_addresses"] == direct["area"]["n_addresses"]
        cat = [i for i in doc["provenance"]["inputs"] if i["role"] == "catalogue"][0]
        assert cat["name"] == "boundaries 'barking-and-dagenham'" and len(cat["files"]) == 2
        assert cat["sha256"] == hashlib.sha256(
            Path(cat["source"]).read_bytes()).hexdigest()
    res = runner.invoke(cli, ["query", "--postcode", "RM6 6EZ", "--grid",
                              f"no2:2020={estate['grid']}", "--no-layers"])
    assert res.exit_code == 1 and "postcodes of sector RM6 6 in it: RM6 6EA" in res.stderr
    batch = estate["dir"] / "b.csv"
    res = runner.invoke(cli, ["batch", "--group-by", "postcode", "--grid",
                              f"no2:2020={estate['grid']}", "-o", str(batch)])
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(cli, ["boundaries", "remove", "barking-and-dagenham"])
    assert res.exit_code == 0
    res = runner.invoke(cli, ["query", "--postcode", "RM6 6ED"])
    assert res.exit_code == 1 and "no boundaries are catalogued" in res.stderr


def test_screen_by_postcode(runner, estate, tmp_path):
    import geopandas as gpd

    layer = tmp_path / "former_uses.gpkg"
    gpd.GeoDataFrame({"use": ["works"]}, geometry=[shapely.box(530470, 179900, 530490, 179920)],
                     crs="EPSG:27700").to_file(layer)
    base = ["screen", str(estate["zip"]), "--addresses", str(estate["onsud"]), "--postcode",
            "RM6 6EF", "--layer", str(layer)]
    res = runner.invoke(cli, [*base, "-f", "json"])
    assert res.exit_code == 0, res.stderr
    site = json.loads(res.stdout)["site"]
    assert site["selection"] == ("boundaries holding the addresses of postcode RM6 6EF: "
                                 "1 boundary, 12 addresses")
    assert [i["role"] for i in site["inputs"]] == ["boundaries", "addresses"]
    res = runner.invoke(cli, base)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("Site: boundaries holding the addresses of postcode RM6 6EF")
    out = tmp_path / "s.json"
    res = runner.invoke(cli, [*base, "-f", "json", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    roles = [i["role"] for i in json.loads(out.read_text())["provenance"]["inputs"]]
    assert roles == ["boundaries", "addresses", "layer"]
    res = runner.invoke(cli, ["verify", str(out)])
    assert res.exit_code == 0, res.stdout + res.stderr


@pytest.mark.parametrize("args, hint", [
    (["--postcode", "RM6"], "--postcode"),
    (["--near", "530000,180000"], "--radius"),
    (["--radius", "50"], "--near"),
    (["--near", "abc", "--radius", "5"], "--near"),
    (["--address-columns", "house=HOUSE", "--postcode", "RM6 6EA"], "--address-columns"),
])
def test_usage_errors(runner, estate, args, hint):
    res = runner.invoke(cli, ["query", str(estate["zip"]), "--addresses", str(estate["onsud"]),
                              *args])
    assert res.exit_code == 2 and hint in res.stderr


def test_addresses_without_selection_or_boundaries(runner, estate):
    res = runner.invoke(cli, ["query", str(estate["zip"]), "--addresses", str(estate["onsud"])])
    assert res.exit_code == 2 and "--postcode" in res.stderr
    res = runner.invoke(cli, ["query"])
    assert res.exit_code == 2 and "BOUNDARIES" in res.stderr
    res = runner.invoke(cli, ["query", str(estate["zip"]), "--postcode", "RM6 6EA"])
    assert res.exit_code == 1 and "--addresses FILE" in res.stderr


def test_open_uprn_refuses_postcodes_and_helps(runner, estate, tmp_path):
    p = tmp_path / "osopenuprn_202501.csv"
    p.write_text(open_uprn_csv(estate["rows"]))
    base = ["query", str(estate["zip"]), "--addresses", str(p), "--grid",
            f"no2:2020={estate['grid']}", "--no-layers"]
    res = runner.invoke(cli, [*base, "--postcode", "RM6 6EA"])
    assert res.exit_code == 1
    assert "gives no postcodes" in res.stderr and "ONSUD" in res.stderr
    onspd = tmp_path / "ONSPD_FEB_2025_UK.csv"
    onspd.write_text(onspd_csv([("RM6 6EA", 530060, 180020, "")]))
    res = runner.invoke(cli, [*base, "--postcode", "RM6 6EA", "--postcode-directory",
                              str(onspd)])
    assert res.exit_code == 1
    assert "--near 530060,180020 --radius 50" in res.stderr
    res = runner.invoke(cli, [*base, "--near", "530060,180020", "--radius", "50", "-f", "json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["area"]["selection"].startswith(
        "boundaries holding the addresses within 50 m of 530060,180020")


def test_gazetteer_street_by_option_and_by_settings(runner, estate, tmp_path):
    p = tmp_path / "llpg.csv"
    lines = ["UPRN_NO,STREET_DESCRIPTOR,PAO,PC,EAST,NORTH"]
    street = {"RM6 6EA": "Acacia Road", "RM6 6EB": "Acacia Road", "RM6 6ED": "Birch Close"}
    for u, x, y, pc in estate["rows"]:
        lines.append(f"{u},{street.get(pc, 'Cedar Court')},1,{pc},{x},{y}")
    p.write_text("\n".join(lines) + "\n")
    cols = "uprn=UPRN_NO,street=STREET_DESCRIPTOR,number=PAO,postcode=PC,x=EAST,y=NORTH"
    base = ["query", str(estate["zip"]), "--addresses", str(p), "--grid",
            f"no2:2020={estate['grid']}", "--no-layers", "-f", "json"]
    res = runner.invoke(cli, [*base, "--address-columns", cols, "--street", "acacia road"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    held, _, vals = expected(estate, lambda r: r[3] in ("RM6 6EA", "RM6 6EB"))
    assert doc["area"]["n_boundaries"] == len(held) == 22
    assert doc["results"][0]["mean"] == pytest.approx(vals.mean(), abs=1e-6)
    assert doc["area"]["name"] == "acacia road"
    cfg = tmp_path / "airq.toml"
    cfg.write_text('[airq]\naddress_columns = {uprn = "UPRN_NO", street = "STREET_DESCRIPTOR", '
                   'postcode = "PC", x = "EAST", y = "NORTH"}\n')
    res = runner.invoke(cli, [*base, "--config", str(cfg), "--street", "Birch Close"])
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["area"]["n_boundaries"] == 16
    res = runner.invoke(cli, [*base, "--address-columns", cols, "--street", "Birch Clo"])
    assert res.exit_code == 1 and "closest: Birch Close" in res.stderr


def test_verify_reruns_the_selection(runner, estate):
    out = estate["dir"] / "q.json"
    res = run_query(runner, estate, "--postcode", "RM6 6EA", "-o", str(out))
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(cli, ["verify", str(out)])
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "same     addresses" in res.stdout
    # the same query from the catalogue, verified against the original files
    runner.invoke(cli, ["boundaries", "add", str(estate["zip"]), "--addresses",
                        str(estate["onsud"])])
    res = runner.invoke(cli, ["query", "--postcode", "RM6 6EA", "--grid",
                              f"no2:2020={estate['grid']}", "--no-layers", "-f", "json",
                              "-o", str(out), "--overwrite"])
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(cli, ["verify", str(out)])
    assert res.exit_code == 0, res.stdout + res.stderr
    table = estate["dir"] / "b.csv"
    res = runner.invoke(cli, ["batch", "--group-by", "postcode", "--grid",
                              f"no2:2020={estate['grid']}", "-o", str(table)])
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(cli, ["verify", str(table)])
    assert res.exit_code == 0, res.stdout + res.stderr
