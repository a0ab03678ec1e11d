"""Carry a result's JSON document (figures and provenance) inside HTML pages and PDFs.

Reports and maps embed the same document ``airq query -f json`` writes, so that
``airq verify`` can re-run them: HTML pages in a ``<script type="application/json"
id="airq-provenance">`` element (which browsers do not display or run), PDF reports as
an embedded file attachment named ``airq-result.json``.
"""

from __future__ import annotations

import json

from airq.record import ATTACHMENT_NAME, EMBED_ID, KIND_KEY

# Inside <script> only "</script", "<!--" and "<script" end or confuse the element; JSON
# escapes for <, > and & keep every one of them out while the text stays valid JSON.
_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def result_json(document: dict, kind: str = "query") -> str:
    """Return the JSON text embedded: ``document`` with ``airq_output`` naming its kind."""
    return json.dumps({KIND_KEY: kind, **document}, ensure_ascii=False, indent=1)


def html_script(document: dict, kind: str = "query") -> str:
    """Return a ``<script type="application/json">`` element holding ``document``."""
    text = result_json(document, kind).translate(_HTML_SAFE)
    return f'<script type="application/json" id="{EMBED_ID}">{text}</script>'


def pdf_attachment(document: dict, kind: str = "query"):
    """Return a WeasyPrint attachment holding ``document`` (for ``write_pdf``)."""
    from weasyprint import Attachment

    return Attachment(string=result_json(document, kind), name=ATTACHMENT_NAME,
                      description="airq result and provenance (JSON), for airq verify")
