"""Escaping in one place: values from inputs made safe for pages, spreadsheets and terminals.

Attribute values (plot ids, street, layer and site names, categories, notes, file
names) come from the officer's files and can hold anything. Every renderer passes them
through one of these before they enter its output:

- :func:`page_text` before a value enters a web page or report (HTML text, attributes,
  the HTML of tooltips and popups, layer names, and HTML that folium puts inside a
  JavaScript template literal);
- :func:`csv_cell` / :func:`csv_frame` / :func:`csv_arrow` for text cells of CSV
  files, so a spreadsheet never runs them as formulas (OWASP, "CSV Injection");
- :func:`terminal_text` / :func:`terminal_safe` for text printed to a terminal, so
  control characters (escape sequences, carriage returns, bidirectional overrides)
  are shown, not obeyed;
- :func:`markdown_text` for a value in Markdown (a table cell, a heading), so it
  cannot split a table row (shifting figures into other columns) or become HTML;
- :func:`figure_text` for matplotlib, which would read ``$...$`` as mathematics.
"""

from __future__ import annotations

import html
import re
import unicodedata

#: A text cell starting with one of these is a formula to a spreadsheet (OWASP).
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def page_text(value) -> str:
    """Return ``value`` as text safe anywhere in an HTML page airq writes.

    ``html.escape`` covers ``< > & " '``; a backtick, ``$`` or backslash would still end
    or change the JavaScript template literal folium wraps tooltips in, so those become
    character references too. Braces become references as well: branca compiles each
    layer's rendered script again as a Jinja template, so a ``{{ ... }}`` in a value
    would run as Python while the page is written. The page shows the value exactly as
    written.
    """
    return (html.escape("" if value is None else str(value), quote=True)
            .replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
            .replace("{", "&#123;").replace("}", "&#125;"))


def page_frame(df, columns=None):
    """Return a copy of ``df`` with its text columns (or ``columns``) made page text.

    For data a page shows with ``innerHTML`` (folium's GeoJSON tooltips and popups);
    see :func:`page_text`.
    """
    out = df.copy()
    for c in columns if columns is not None else out.columns:
        if c == "geometry" or out[c].dtype.kind in "biufcmM":
            continue
        out[c] = [v if _missing(v) else page_text(v) for v in out[c]]
    return out


def _missing(v) -> bool:
    import pandas as pd

    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def csv_cell(value):
    """Return a CSV text cell that a spreadsheet shows as text, never runs as a formula.

    A string starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading single quote, as OWASP's CSV injection guidance recommends. Numbers (and
    anything that is not a string) are returned unchanged: a negative margin stays a
    number.
    """
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row) -> dict:
    """Return a CSV row (a mapping) whose text cells are neutralised (:func:`csv_cell`)."""
    return {k: csv_cell(v) for k, v in row.items()}


class SafeDictWriter:
    """A :class:`csv.DictWriter` for airq's CSV outputs: no cell runs as a formula.

    Text cells go through :func:`csv_cell`. Python's csv module quotes a field holding a
    newline but not one holding a lone carriage return (with ``\n`` line ends), which
    would split the row for a reader; a row with one is written with every text field
    quoted, so each value stays in its cell.
    """

    def __init__(self, f, fieldnames, neutralise: bool = True, **kwargs):
        import csv

        self.neutralise = neutralise  # False: cells already neutralised (a re-written file)
        kwargs.setdefault("lineterminator", "\n")
        self._plain = csv.DictWriter(f, fieldnames, **kwargs)
        self._quoted = csv.DictWriter(f, fieldnames, quoting=csv.QUOTE_NONNUMERIC, **kwargs)

    def writeheader(self) -> None:
        """Write the header row."""
        self._plain.writeheader()

    def writerow(self, row) -> None:
        """Write one row (a mapping), neutralised."""
        row = csv_row(row) if self.neutralise else row
        cr = any(isinstance(v, str) and "\r" in v for v in row.values())
        (self._quoted if cr else self._plain).writerow(row)


def csv_frame(df):
    """Return a copy of ``df`` whose text cells are neutralised (:func:`csv_cell`)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype.kind in "biufcmM":
            continue
        out[c] = out[c].astype(object).map(csv_cell, na_action="ignore")
    return out


def csv_text(df) -> str:
    """Return ``df`` as CSV text (no index), every text cell neutralised."""
    import io

    buf = io.StringIO()
    w = SafeDictWriter(buf, [str(c) for c in df.columns])
    w.writeheader()
    for rec in df.to_dict("records"):
        w.writerow({str(k): (None if _missing(v) else v) for k, v in rec.items()})
    return buf.getvalue()


def csv_arrow(table):
    """Return an Arrow table whose string columns are neutralised (:func:`csv_cell`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pattern = "^[" + re.escape("".join(CSV_FORMULA_STARTS)) + "]"
    cols = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            hit = pc.match_substring_regex(col, pattern)
            col = pc.if_else(hit, pc.binary_join_element_wise("'", col, ""), col)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=table.schema)


def _is_control(ch: str) -> bool:
    # Cc: C0, DEL and C1 controls; Cf bidirectional marks, overrides and isolates can
    # make a terminal show text in an order other than the bytes'.
    cat = unicodedata.category(ch)
    return cat == "Cc" or (cat == "Cf" and unicodedata.bidirectional(ch) in
                           {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI",
                            "LRM", "RLM", "ALM"})


def _visible(ch: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (
        f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


#: Bidirectional marks, embeddings, overrides and isolates (a regex character-class body):
#: they show text in an order other than the one recorded ("\u202e" reads backwards).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


def terminal_text(value) -> str:
    """Return a value for a line of terminal text: every control character made visible.

    ``"A\\x1b[2J"`` becomes ``A\\x1b[2J`` (the backslash and letters, not the escape
    sequence); newlines and tabs inside a value are shown as ``\\n`` and ``\\t`` so a
    value cannot start a line of its own.
    """
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: _visible(m.group(0)) if _is_control(m.group(0))
                        else m.group(0), text)


def terminal_safe(text: str) -> str:
    """Return rendered text with every control character but newline and tab made visible."""
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in "\n\t" or not
                        _is_control(m.group(0)) else _visible(m.group(0)), text)


_MARKDOWN_SPECIAL = re.compile(r"([\\`|<>\[\]])")


def markdown_text(value) -> str:
    """Return a value for Markdown: one line, its markup characters escaped.

    A ``|`` would end a table cell and move every later figure of the row one column
    on; ``<`` would start raw HTML, which Markdown viewers pass to the page; ``[`` a
    link. A backslash is escaped first so that ``\\|`` cannot undo the pipe's escape.
    The rendered Markdown shows the value exactly as written.
    """
    text = " ".join(("" if value is None else str(value)).splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def figure_text(value) -> str:
    """Return a value for matplotlib text: ``$`` escaped, so it is never read as mathematics."""
    return ("" if value is None else str(value)).replace("$", r"\$")
