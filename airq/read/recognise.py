"""Recognise what a file attached to a case is: which airq output, or a letter or document.

Recognition reads the file's content and the provenance airq writes into its outputs
(JSON documents, PDF and PNG metadata, GeoPackage and GeoParquet metadata, a batch
table's ``.provenance.json`` sidecar), not only its name. Every kind belongs to one of
PHE's three tracks: exposure (air quality, land use, maps), health (rates) and
communication (letters and other documents).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

#: Kinds of attachment and their track.
TRACK_OF_KIND = {
    "query": "exposure", "screen": "exposure", "report": "exposure", "map": "exposure",
    "figure": "exposure", "batch": "exposure", "rates": "health",
    "case-summary": "communication", "letter": "communication", "document": "communication",
}
_LETTER_SUFFIXES = {".docx", ".doc", ".odt", ".rtf", ".txt", ".eml", ".msg"}
_MARK = "SYNTHETIC DEMO DATA"
_TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_GENERATOR_RE = re.compile(r"<meta\s+name=['\"]generator['\"]\s+content=['\"]airq ([^'\"]*)",
                           re.I)
_RATE_FIELDS = {"area", "cases", "crude_rate", "crude_lower", "crude_upper"}
_BATCH_FIELDS = {"group", "pollutant", "year", "mean", "objective"}


@dataclass(frozen=True)
class Recognised:
    """What a file is.

    Attributes
    ----------
    kind
        ``query``, ``screen``, ``report``, ``map``, ``figure``, ``batch``, ``rates``,
        ``case-summary`` (airq outputs) or ``letter``, ``document``.
    track
        ``exposure``, ``health`` or ``communication``.
    description
        What it holds, in words (the area, years, areas of a rate table...).
    airq_version
        The airq version that wrote it, when recorded; None for other files.
    synthetic
        Whether it says it is built from synthetic demo data.
    """

    kind: str
    track: str
    description: str
    airq_version: str | None = None
    synthetic: bool = False

    @property
    def is_airq(self) -> bool:
        """Whether airq wrote the file."""
        return self.kind not in ("letter", "document")


def _made(kind: str, description: str, version=None, synthetic=False) -> Recognised:
    return Recognised(kind, TRACK_OF_KIND[kind], description,
                      None if version is None else str(version), bool(synthetic))


def _years(results) -> str:
    years = sorted({r.get("year") for r in results if isinstance(r.get("year"), int)})
    return ", ".join(str(y) for y in years)


def _from_json(doc, path: Path) -> Recognised | None:
    if isinstance(doc, dict) and {"schema_version", "results", "provenance"} <= doc.keys():
        area = (doc.get("area") or {}).get("name", "an area")
        results = [r for r in doc.get("results") or [] if isinstance(r, dict)]
        editions = sorted({str(r.get("edition")) for r in results if r.get("edition")})
        what = f"air-quality result for {area}"
        if results:
            what += f" ({'; '.join(editions) or 'unknown edition'}; model years {_years(results)})"
        if doc.get("land_use"):
            what += " with land-use screening"
        prov = doc.get("provenance") or {}
        return _made("query", what, prov.get("airq_version"), doc.get("synthetic_demo_data"))
    if isinstance(doc, dict) and {"records", "timeline", "verdicts", "bands_m"} <= doc.keys():
        layers = [str(p.get("name")) for p in doc.get("layers") or [] if isinstance(p, dict)]
        prov = doc.get("provenance") or {}
        return _made("screen", f"land-use screening ({', '.join(layers) or 'no layers'})",
                     prov.get("airq_version"), doc.get("synthetic_demo_data"))
    if isinstance(doc, list) and doc and all(isinstance(r, dict) and _RATE_FIELDS <= r.keys()
                                             for r in doc):
        prov = doc[0].get("provenance") or {}
        level = doc[0].get("level")
        ci = f", {float(level) * 100:g}% confidence intervals" if isinstance(
            level, int | float) else ""
        areas = ", ".join(str(r.get("area")) for r in doc)
        return _made("rates", f"rate table of {len(doc)} area{'s' * (len(doc) != 1)} "
                     f"({areas}){ci}", prov.get("airq_version"))
    if isinstance(doc, dict) and {"output", "provenance"} <= doc.keys():
        prov = doc.get("provenance") or {}
        out = doc.get("output") or {}
        name = out.get("file") or out.get("path") or path.name
        return _made("batch", f"provenance of the batch table {Path(str(name)).name}",
                     prov.get("airq_version"), prov.get("synthetic"))
    return None


def _from_csv(text: str, path: Path) -> Recognised | None:
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return None
    cols = {h.strip() for h in header}
    if _RATE_FIELDS <= cols:
        rows = list(csv.DictReader(io.StringIO(text)))
        version = rows[0].get("airq_version") if rows else None
        return _made("rates", f"rate table of {len(rows)} area{'s' * (len(rows) != 1)} (CSV)",
                     version or None)
    if _BATCH_FIELDS <= cols:
        from airq.render.batch_output import provenance_path

        sidecar = provenance_path(path)
        version = None
        synthetic = _MARK in text
        if sidecar.is_file():
            try:
                prov = json.loads(sidecar.read_text(encoding="utf-8")).get("provenance") or {}
                version, synthetic = prov.get("airq_version"), synthetic or prov.get("synthetic")
            except (OSError, ValueError, AttributeError):
                pass
        groups = len({r.get("group") for r in csv.DictReader(io.StringIO(text))})
        return _made("batch", f"batch table of {groups} group{'s' * (groups != 1)} (CSV)",
                     version, synthetic)
    return None


def _from_html(text: str) -> Recognised | None:
    title = _TITLE_RE.search(text)
    title_text = re.sub(r"\s+", " ", title.group(1)).strip() if title else ""
    synthetic = _MARK in text
    gen = _GENERATOR_RE.search(text)
    if gen and "Stage 1 summary" in title_text:
        return _made("case-summary", title_text, gen.group(1), synthetic)
    if gen:
        return _made("report", f"officer's report: {title_text}", gen.group(1), synthetic)
    if "airq-title" in text and "leaflet" in text.lower():
        # The title box sits in a script string, so its quotes may be escaped.
        heading = re.search(r'airq-title[^>]*>\s*<h1>(.*?)</h1>', text, re.S)
        name = re.sub(r"<[^>]+>", "", heading.group(1)).strip() if heading else title_text
        return _made("map", f"interactive map{': ' + name if name else ''}", None, synthetic)
    return None


def _from_pdf(path: Path) -> Recognised | None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        meta = reader.metadata or {}
        creator = str(meta.get("/Creator") or "")
        title = str(meta.get("/Title") or "")
        first = reader.pages[0].extract_text() if reader.pages else ""
    except (PdfReadError, OSError, ValueError, KeyError, IndexError):
        return None
    if not creator.startswith("airq"):
        return None
    version = creator.removeprefix("airq").strip() or None
    synthetic = _MARK in (first or "")
    if title.startswith("Stage 1 summary"):
        return _made("case-summary", title, version, synthetic)
    return _made("report", f"officer's report: {title}", version, synthetic)


def _from_png(path: Path) -> Recognised | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            info = dict(im.info)
    except (UnidentifiedImageError, OSError):
        return None
    if str(info.get("Software", "")).startswith("airq"):
        return _made("figure", f"figure: {info.get('Title', path.name)}")
    return None


def _from_svg(text: str) -> Recognised | None:
    title = _TITLE_RE.search(text)
    if title and title.group(1).startswith("Air quality at ") and "airq" in text:
        return _made("figure", f"figure: {title.group(1)}", None, _MARK in text)
    return None


def _provenance_json(text: str | bytes | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _from_geopackage(path: Path) -> Recognised | None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT metadata FROM gpkg_metadata").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    for (text,) in rows:
        prov = _provenance_json(text)
        if prov and ("airq_version" in prov or "airq_provenance" in prov):
            prov = prov.get("airq_provenance", prov)
            return _made("batch", "batch table (GeoPackage)", prov.get("airq_version"),
                         prov.get("synthetic"))
    return None


def _from_parquet(path: Path) -> Recognised | None:
    try:
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path).metadata or {}
    except (OSError, ValueError, ImportError):
        return None
    prov = _provenance_json(meta.get(b"airq_provenance"))
    if prov is None:
        return None
    return _made("batch", "batch table (GeoParquet)", prov.get("airq_version"),
                 prov.get("synthetic"))


def recognise(path: str | Path) -> Recognised:
    """Say what a file is: an airq output (and which), a letter, or another document.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    Recognised
        Its kind, track and description; a file airq did not write is a ``letter``
        (word-processor and mail formats) or a ``document``, on the communication track.

    Examples
    --------
    >>> recognise("rates.json").track  # doctest: +SKIP
    'health'
    """
    p = Path(path)
    suffix = p.suffix.lower()
    found: Recognised | None = None
    head = p.read_bytes()[:5] if p.stat().st_size else b""
    if head.startswith(b"%PDF"):
        found = _from_pdf(p)
    elif head.startswith(b"\x89PNG"):
        found = _from_png(p)
    elif head.startswith(b"SQLite"):
        found = _from_geopackage(p)
    elif head.startswith(b"PAR1"):
        found = _from_parquet(p)
    elif suffix not in _LETTER_SUFFIXES:
        try:
            text = p.read_text(encoding="utf-8-sig")
        except (UnicodeDecodeError, OSError):
            text = None
        if text is not None:
            stripped = text.lstrip()
            if stripped[:1] in ("{", "["):
                try:
                    doc = json.loads(stripped)
                except ValueError:
                    doc = None
                found = _from_json(doc, p) if doc is not None else None
            elif stripped[:1] == "<":
                found = _from_svg(text) if "<svg" in text[:2000] else _from_html(text)
            else:
                found = _from_csv(text, p)
    if found is not None:
        return found
    if suffix in _LETTER_SUFFIXES:
        return _made("letter", f"letter or message ({suffix[1:]})")
    return _made("document", f"document ({suffix[1:] or 'no suffix'})")
