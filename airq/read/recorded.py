"""Read what an airq output recorded: its figures and its provenance, for ``airq verify``.

Every airq output that can be verified carries its provenance: a JSON result
(``airq query -f json``) holds it; HTML reports and maps embed the same JSON document
in a ``<script id="airq-provenance">`` element and PDF reports as an attachment; batch
tables (CSV, GeoPackage, GeoParquet) have a sidecar ``<name>.provenance.json`` and,
for GeoPackage and GeoParquet, a copy in their metadata.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from airq.errors import InputError
from airq.record import ATTACHMENT_NAME, EMBED_ID, KIND_KEY
from airq.render.batch_output import PROVENANCE_KEY, provenance_path

#: What ``airq verify`` reads, for messages.
READABLE = ("a JSON result (airq query, screen or rates -f json), a batch table (.csv, "
            ".gpkg, .parquet) with its provenance, or an HTML or PDF report or map")

_SCRIPT = re.compile(
    r'<script\b[^>]*\bid=["\']' + re.escape(EMBED_ID) + r'["\'][^>]*>(.*?)</script\s*>',
    re.S | re.I)


@dataclass(frozen=True, eq=False)
class RecordedOutput:
    """What an output recorded.

    Attributes
    ----------
    path
        The output file.
    kind
        ``query`` (an area's result), ``screen`` (a land-use screening), ``rates``
        (a rate table) or ``batch`` (a table of groups).
    container
        ``json``, ``html``, ``pdf``, ``csv``, ``gpkg`` or ``parquet``.
    document
        The result's JSON document (``query``), or None.
    provenance
        The provenance: airq version, run time, inputs, settings, command.
    rows
        The table's rows as stored (``batch``), or None.
    output_record
        For batch tables, the sidecar's record of the output (file, rows, SHA-256).
    provenance_source
        Where the provenance was read from (the sidecar, the file's metadata...).
    """

    path: Path
    kind: str
    container: str
    document: dict | None
    provenance: dict
    rows: object | None = None
    output_record: dict | None = None
    provenance_source: str = ""


def _json(text, where: str):
    try:
        return json.loads(text)
    except (ValueError, TypeError) as err:
        raise InputError(f"{where} is not valid JSON ({err}); the output may be damaged") from err


def _document_kind(doc) -> str | None:
    if not isinstance(doc, dict):
        return None
    if doc.get(KIND_KEY):
        return str(doc[KIND_KEY])
    if "results" in doc and "area" in doc:
        return "query"
    if "records" in doc and "verdicts" in doc:
        return "screen"
    return None


def _query_document(doc, where: str, path: Path) -> RecordedOutput:
    kind = _document_kind(doc)
    if kind not in ("query", "screen"):
        what = f"an airq {kind} document" if kind else "not an airq query result"
        raise InputError(f"{where} is {what}; airq verify reads {READABLE}")
    if not isinstance(doc.get("provenance"), dict):
        raise InputError(f"{where} carries no provenance (written by an airq version before "
                         "outputs recorded it); it cannot be verified")
    prov = doc["provenance"]
    if not isinstance(prov.get("inputs"), list):
        raise InputError(f"{where}: the provenance lists no inputs; it cannot be verified")
    doc = {k: v for k, v in doc.items() if k != KIND_KEY}
    container = {".json": "json", ".pdf": "pdf"}.get(path.suffix.lower(), "html")
    return RecordedOutput(path, kind, container, doc, prov, provenance_source=where)


def _rates_document(rows, where: str, path: Path) -> RecordedOutput:
    """``airq rates -f json``: a list of rows, each carrying the same provenance."""
    if not rows or not all(isinstance(r, dict) and "crude_rate" in r for r in rows):
        raise InputError(f"{where} is not an airq query, screen or rates result; airq verify "
                         f"reads {READABLE}")
    provs = [r.get("provenance") for r in rows]
    if not isinstance(provs[0], dict) or not isinstance(provs[0].get("inputs"), list):
        raise InputError(f"{where} carries no provenance; it cannot be verified")
    if any(p != provs[0] for p in provs[1:]):
        raise InputError(f"{where}: its rows carry different provenance; it has been edited")
    doc = {"rows": [{k: v for k, v in r.items() if k != "provenance"} for r in rows]}
    return RecordedOutput(path, "rates", "json", doc, provs[0], provenance_source=where)


def _read_html(path: Path) -> RecordedOutput:
    found = _SCRIPT.findall(path.read_text(encoding="utf-8", errors="replace"))
    text = _only(found, f"{path.name} carries no airq provenance (no <script "
                        f"id=\"{EMBED_ID}\">)", f"airq provenance blocks in {path.name}")
    return _query_document(_json(text, f"the provenance in {path.name}"),
                           f"{path.name} (embedded provenance)", path)


def _only(found: list, none: str, what: str):
    """Return the one embedded document; none or several is an error."""
    if not found:
        raise InputError(f"{none}; only outputs written by this airq version or later can be "
                         "verified")
    if len(found) > 1:
        raise InputError(f"{len(found)} {what}: the file has been edited")
    return found[0]


def _read_pdf(path: Path) -> RecordedOutput:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        attachments = PdfReader(path).attachments
    except (PdfReadError, OSError, ValueError) as err:
        raise InputError(f"cannot read {path.name} as a PDF: {err}") from err
    data = _only(attachments.get(ATTACHMENT_NAME) or [],
                 f"{path.name} has no {ATTACHMENT_NAME} attachment",
                 f"attachments named {ATTACHMENT_NAME} in {path.name}")
    return _query_document(_json(data, f"the {ATTACHMENT_NAME} attachment of {path.name}"),
                           f"{path.name} (attachment {ATTACHMENT_NAME})", path)


def _embedded_batch_provenance(path: Path, fmt: str) -> dict | None:
    try:
        if fmt == "gpkg":
            import pyogrio

            meta = pyogrio.read_info(path).get("dataset_metadata") or {}
            text = meta.get(PROVENANCE_KEY)
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path).metadata or {}  # the file's key-value metadata
            raw = meta.get(PROVENANCE_KEY.encode())
            text = raw.decode("utf-8") if raw else None
        else:
            return None
    except Exception as err:  # GDAL / Arrow raise several error types for damaged files
        raise InputError(f"cannot read {path.name}: {err}") from err
    return None if text is None else _json(text, f"the provenance in {path.name}'s metadata")


def _read_rows(path: Path, fmt: str):
    import pandas as pd

    try:
        if fmt == "csv":
            import pyarrow as pa
            import pyarrow.csv as pcsv

            text = {c: pa.string() for c in ("group", "airq_id", "pollutant", "edition",
                                              "units", "fallback", "notice")}
            # Only empty cells are missing: a street called "NA" stays a name.
            opts = pcsv.ConvertOptions(column_types=text, null_values=[""],
                                       strings_can_be_null=True)
            return pcsv.read_csv(path, convert_options=opts).to_pandas()
        if fmt == "gpkg":
            import pyogrio

            return pyogrio.read_dataframe(path, read_geometry=False)
        import pyarrow.parquet as pq

        names = [n for n in pq.read_schema(path).names if n != "geometry"]
        return pd.read_parquet(path, columns=names)
    except Exception as err:  # pandas / GDAL / Arrow raise several types for damaged files
        raise InputError(f"cannot read the rows of {path.name}: {err}") from err


def _read_batch(path: Path, fmt: str) -> RecordedOutput:
    side = provenance_path(path)
    record = None
    if side.exists():
        record = _json(side.read_text(encoding="utf-8"), side.name)
        if not isinstance(record, dict) or not isinstance(record.get("provenance"), dict):
            raise InputError(f"{side.name} is not an airq provenance record")
        prov, source = record["provenance"], side.name
    else:
        prov, source = _embedded_batch_provenance(path, fmt), f"{path.name} (metadata)"
        if prov is None:
            hint = (" (airq query -f csv output cannot be verified; write -f json)"
                    if fmt == "csv" else "")
            raise InputError(f"{path.name} has no provenance: {side.name} is missing and the "
                             f"file carries none{hint}")
    if "group_by" not in prov:
        raise InputError(f"{source} is not the provenance of an airq batch table")
    return RecordedOutput(path, "batch", fmt, None, prov, rows=_read_rows(path, fmt),
                          output_record=(record or {}).get("output"), provenance_source=source)


def read_recorded(path: str | Path) -> RecordedOutput:
    """Read the figures and provenance an airq output recorded.

    Parameters
    ----------
    path
        A JSON result, an HTML or PDF report or map, or a batch table.

    Returns
    -------
    RecordedOutput

    Raises
    ------
    InputError
        If the file is missing, of another kind, or carries no airq provenance.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p} not found" if not p.exists() else f"{p} is not a file")
    suffix = p.suffix.lower()
    if suffix == ".json":
        if p.name.endswith(".provenance.json"):
            raise InputError(f"{p.name} is a provenance sidecar; verify the table it "
                             "describes instead")
        doc = _json(p.read_text(encoding="utf-8"), p.name)
        if isinstance(doc, list):
            return _rates_document(doc, p.name, p)
        return _query_document(doc, p.name, p)
    if suffix in (".html", ".htm"):
        return _read_html(p)
    if suffix == ".pdf":
        return _read_pdf(p)
    if suffix in (".csv", ".gpkg", ".parquet", ".geoparquet"):
        return _read_batch(p, {".csv": "csv", ".gpkg": "gpkg"}.get(suffix, "parquet"))
    raise InputError(f"airq verify cannot read {p.name}: it reads {READABLE}")
