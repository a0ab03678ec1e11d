"""Writers of the published boundary and address layouts (DATA.md), for tests only.

Written here, apart from airq's own demo writer, so the readers are tested against
files laid out as HM Land Registry, ONS and Ordnance Survey publish them.
"""

from __future__ import annotations

import io
import zipfile

import shapely

WFS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<wfs:FeatureCollection xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" '
    'xmlns:LR="www.landregistry.gov.uk" numberMatched="unknown" numberReturned="0" '
    'timeStamp="2024-11-03T07:51:26.406Z" xsi:schemaLocation="www.landregistry.gov.uk '
    "http://localhost:8080/geoserver/wfs?service=WFS&amp;version=2.0.0&amp;request="
    "DescribeFeatureType&amp;typeName=LR%3APREDEFINED http://www.opengis.net/wfs/2.0 "
    "http://localhost:8080/geoserver/schemas/wfs/2.0/wfs.xsd http://www.opengis.net/gml/3.2 "
    'http://localhost:8080/geoserver/schemas/gml/3.2.1/gml.xsd">\n'
)


def _ring(coords) -> str:
    return ("<gml:LinearRing><gml:posList>"
            + " ".join(f"{x:.3f} {y:.3f}" for x, y in coords)
            + "</gml:posList></gml:LinearRing>")


def inspire_member(i: int, inspire_id: int, polygon) -> str:
    """One ``wfs:member`` of an INSPIRE Index Polygons GML (holes as gml:interior)."""
    ext = f"<gml:exterior>{_ring(polygon.exterior.coords)}</gml:exterior>"
    ints = "".join(f"<gml:interior>{_ring(r.coords)}</gml:interior>" for r in polygon.interiors)
    return ("<wfs:member>\n"
            f'<LR:PREDEFINED gml:id="PREDEFINED.fid-39e7c0a_{i:x}">\n'
            f'<LR:GEOMETRY><gml:Polygon gml:id="PREDEFINED.geom.{i}" '
            f'srsName="urn:ogc:def:crs:EPSG::27700" srsDimension="2">{ext}{ints}</gml:Polygon>'
            "</LR:GEOMETRY>\n"
            f"<LR:INSPIREID>{inspire_id}</LR:INSPIREID>\n"
            f"<LR:LABEL>{inspire_id}</LR:LABEL>\n"
            f"<LR:NATIONALCADASTRALREFERENCE>{inspire_id}</LR:NATIONALCADASTRALREFERENCE>\n"
            "<LR:VALIDFROM>2010-06-14T00:00:00.000</LR:VALIDFROM>\n"
            "<LR:BEGINLIFESPANVERSION>2014-02-27T10:45:12.000</LR:BEGINLIFESPANVERSION>\n"
            "</LR:PREDEFINED>\n"
            "</wfs:member>\n")


def inspire_gml(polygons, ids) -> str:
    """The whole GML, as HM Land Registry publishes it."""
    body = "".join(inspire_member(i, pid, shapely.orient_polygons(p))
                   for i, (pid, p) in enumerate(zip(ids, polygons, strict=True)))
    return WFS_HEAD + body + "</wfs:FeatureCollection>\n"


def write_inspire_zip(path, polygons, ids, extra=None):
    """A council zip: ``Land_Registry_Cadastral_Parcels.gml`` and a second file."""
    extra = {"INSPIRE Unique Identifiers Licence.txt": "Licence text\n"} if extra is None \
        else extra
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Land_Registry_Cadastral_Parcels.gml", inspire_gml(polygons, ids))
        for name, text in extra.items():
            zf.writestr(name, text)
    return path


ONSUD_HEADER = ("UPRN,GRIDGB1E,GRIDGB1N,PCDS,CTY25CD,CED25CD,LAD25CD,WD25CD,PARNCP25CD,"
                "HLTH19CD,CTRY25CD,RGN25CD,PCON24CD,EER20CD,TTWA15CD,ITL25CD,NPARK16CD,OA21CD,"
                "LSOA21CD,MSOA21CD,WZ11CD,SICBL24CD,BUA24CD,RUC21IND,OAC11IND,LEP21CD1,"
                "LEP21CD2,PFA23CD,IMD19IND")


def onsud_csv(rows) -> str:
    """ONSUD rows ``(uprn, easting, northing, postcode)`` with the geography columns."""
    geo = ("E99999999,E99999999,E09000002,E05014063,E43000218,E18000007,E92000001,E12000007,"
           "E14001079,E15000007,E30000234,TLI7,E65000001,E00011234,E01000112,E02000021,"
           "E33000251,E38000255,E63000005,UN1,4B2,E37000051,,E23000001,11253")
    lines = [ONSUD_HEADER] + [f"{u},{e},{n},{pc},{geo}" for u, e, n, pc in rows]
    return "\n".join(lines) + "\n"


def open_uprn_csv(rows) -> str:
    """OS Open UPRN rows ``(uprn, x, y)`` (latitude/longitude filled with plausible values)."""
    lines = ["UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE"]
    lines += [f"{u},{x:.2f},{y:.2f},51.5000000,-0.1200000" for u, x, y, *_ in rows]
    return "\n".join(lines) + "\n"


def onspd_csv(rows, naming="old") -> str:
    """ONSPD rows ``(postcode, easting, northing, doterm)`` in either column naming."""
    if naming == "old":
        head = ("pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,"
                "oseast1m,osnrth1m,osgrdind,oshlthau,nhser,ctry,rgn,lat,long")
    else:
        head = ("pcd7,pcd8,pcds,dointr,doterm,usrtypind,east1m,north1m,gridind,ctry25cd,"
                "rgn25cd,lad25cd,lsoa21cd,lat,long")
    lines = [head]
    for pc, e, n, doterm in rows:
        out, inw = pc.split(" ")
        p7 = f"{out:<4}{inw}"
        if naming == "old":
            lines.append(f'"{p7}","{out:<5}{inw}","{pc}","198001","{doterm}","E99999999",'
                         f'"E99999999","E09000002","E05014063","E43000218","0","{e}","{n}",'
                         '"1","E18000007","E40000003","E92000001","E12000007",51.5,-0.12')
        else:
            lines.append(f'"{p7}","{out:<5}{inw}","{pc}","198001","{doterm}","0","{e}","{n}",'
                         '"1","E92000001","E12000007","E09000002","E01000112",51.5,-0.12')
    return "\n".join(lines) + "\n"


CODE_POINT_HEADERS = ("PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\n"
                      "Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,"
                      "NHS_regional_HA_code,NHS_HA_code,Admin_county_code,Admin_district_code,"
                      "Admin_ward_code\n")


def write_code_point_zip(path, rows):
    """Code-Point Open: header-less ``Data/CSV/<area>.csv`` and the header file in ``Doc/``."""
    by_area: dict[str, list[str]] = {}
    for pc, e, n in rows:
        area = "".join(c for c in pc.split(" ")[0] if c.isalpha()).lower()
        by_area.setdefault(area, []).append(
            f'"{pc}",10,{e},{n},"E92000001","E19000003","E18000007","","E09000002","E05014063"')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("Doc/Code-Point_Open_Column_Headers.csv", CODE_POINT_HEADERS)
        zf.writestr("Doc/licence.txt", "OS OpenData licence\n")
        for area, lines in by_area.items():
            zf.writestr(f"Data/CSV/{area}.csv", "\n".join(lines) + "\n")
    path.write_bytes(buf.getvalue())
    return path
