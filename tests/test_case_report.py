"""The published case walked through `airq case`, the stage 1 summary (PDF, Word), and
`airq report --rates`: figures read back from attached outputs, one copy of each table."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess

import pytest

from airq.cli import cli
from tests.case_db import BACKENDS, fresh_database
from tests.test_cli_rates import PUBLISHED_CSV
from tests.test_maps import demo_cli, demo_result

CONCERN = ("Several neighbours on Woodlands Avenue have had cancer. Is something in the area "
           "the cause?")

# The enquiry's timeline as CASE.md restates it from the Ombudsman's report and the
# council's response (days within a month are illustrative where the papers give none).
TIMELINE = [
    ("note", "2018-04-30 15:10", "Contact centre", "Ms A phoned to ask what will happen"),
    ("referral", "2018-04-30 15:20", "Contact centre",
     "Passed the enquiry to another team and closed it; no record of the hand-over was kept"),
    ("note", "2018-07-16 09:00", "R Patel", "Her next contact reached the environmental "
                                            "protection inbox"),
    ("referral", "2018-07-16 11:00", "R Patel", "No sign of land contamination in our "
                                                "records; emailed public health: a public "
                                                "health matter"),
    ("note", "2018-12-03", "A Officer", "She asked for the enquiry to be escalated"),
    ("note", "2019-03-12", "A Officer", "She complained to the Ombudsman"),
    ("contact", "2019-06-20", "A Officer", "Stage two reply: wrongly advised her to contact "
                                           "the Environment Agency"),
    ("decision", "2021-01-15", "A Officer", "Ombudsman upheld the complaint: investigate the "
                                            "reported cluster within three months"),
]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch):
    monkeypatch.delenv("AIRQ_DATABASE_URL", raising=False)
    yield from fresh_database(request.param, tmp_path)


def case(runner, url, *args, code=0):
    res = runner.invoke(cli, ["case", "--database", url, *args])
    assert res.exit_code == code, res.output
    return res


@pytest.fixture
def stage1_outputs(tmp_path_factory, monkeypatch, runner, tmp_path):
    """The stage 1 figures as an officer makes them: the street's result and the rates."""
    demo_cli(tmp_path_factory, monkeypatch)
    query = tmp_path / "woodlands.json"
    res = runner.invoke(cli, ["query", "boundaries/demo/residential_plots.gpkg", "--where",
                              "street=Woodlands Avenue", "-f", "json", "-o", str(query)])
    assert res.exit_code == 0, res.stderr
    table = tmp_path / "published.csv"
    table.write_text(PUBLISHED_CSV)
    rates = tmp_path / "rates.json"
    res = runner.invoke(cli, ["rates", str(table), "--reference", "Barking and Dagenham CCG",
                              "-f", "json", "-o", str(rates)])
    assert res.exit_code == 0, res.stderr
    return query, rates


def test_published_case_timeline(runner, db_url, stage1_outputs, tmp_path):
    query, rates = stage1_outputs
    ref = case(runner, db_url, "open", "--reporter", "Ms A", "--received", "2018-04-09",
               "--postcode", "RM6 6EA", "--address", "Woodlands Avenue, Chadwell Heath",
               "--concern", CONCERN, "--by", "Contact centre").stdout.strip()
    for kind, at, by, text in TIMELINE:
        case(runner, db_url, "log", ref, "--kind", kind, "--at", at, "--by", by, "--text", text)

    # Months without an update: flagged in October 2018 (nothing told since April)
    res = case(runner, db_url, "list", "--overdue", "--as-of", "2018-10-01", "-f", "json")
    [row] = json.loads(res.stdout)["cases"]
    assert (row["reference"], row["overdue"], row["last_update"]) == (ref, True, None)
    assert row["update_due"] == "2018-05-08"  # 20 working days after 9 April (May Day later)

    for path in (query, rates):
        case(runner, db_url, "attach", ref, str(path), "--at", "2021-03-01", "--by",
             "A Officer")
    case(runner, db_url, "log", ref, "--kind", "contact", "--at", "2021-03-10 10:00", "--by",
         "A Officer", "--text", "Discussed the stage 1 findings with her by phone")
    case(runner, db_url, "close", ref, "--outcome", "stop-agreed", "--at", "2021-03-10 10:30",
         "--by", "A Officer", "--text", "She and the investigating officer agreed to stop")

    # The summary, in PDF and Word, holds the figures and the outcome
    pdf, docx_path = tmp_path / "summary.pdf", tmp_path / "summary.docx"
    case(runner, db_url, "report", ref, "-o", str(pdf))
    case(runner, db_url, "report", ref, "-o", str(docx_path))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    import docx

    d = docx.Document(str(docx_path))
    words = " ".join(" ".join(p.text for p in d.paragraphs).split())
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    doc = json.loads(query.read_text("utf-8"))
    for out in (flat, words + " " + " ".join(cells)):
        assert f"Stage 1 summary: enquiry {ref}" in out
        assert "SYNTHETIC DEMO DATA" in out
        assert CONCERN in out
        assert "agreed that no further investigation is needed" in out
        assert "367.3 (290.8, 457.8)" in out and "385.2 (376.9, 393.6)" in out
        assert "545.7 (545.1, 546.2)" in out
        assert "not significantly different from Barking and Dagenham CCG" in out
        for r in doc["results"]:  # every mean of the attached result, as `airq report` shows
            assert f"{r['mean']:.1f}" in out
        assert "Former Clay Lane Pit" in out  # the land-use findings
        assert "Discussed the stage 1 findings with her by phone" in out
        assert "Passed the enquiry to another team" in out
        assert hashlib.sha256(rates.read_bytes()).hexdigest() in out.replace(" ", "")
    assert d.core_properties.title == f"Stage 1 summary: enquiry {ref}"
    assert "SYNTHETIC DEMO DATA" in d.core_properties.comments

    # The summary sent is itself attached (communication track); the board endorses
    case(runner, db_url, "log", ref, "--kind", "contact", "--at", "2021-03-18", "--by",
         "A Officer", "--text", "Summary report sent to her")
    res = case(runner, db_url, "attach", ref, str(pdf), "--at", "2021-03-18", "--by",
               "A Officer")
    assert "communication track" in res.stdout
    case(runner, db_url, "log", ref, "--kind", "decision", "--at", "2021-04-08", "--by",
         "Assurance board", "--text", "Endorsed stopping the investigation")

    # `case show`: events in the order they happened, attachments with their checksums
    shown = json.loads(case(runner, db_url, "show", ref, "-f", "json").stdout)
    ats = [e["at"] for e in shown["timeline"]]
    assert ats == sorted(ats, key=lambda x: x if "T" in x else x + "T00:00")
    assert [e["kind"] for e in shown["timeline"]][:4] == ["opened", "note", "referral", "note"]
    assert shown["outcome"]["outcome"] == "stop-agreed"
    assert shown["outcome"]["at"] == "2021-03-10T10:30"
    assert {(x["name"], x["track"], x["sha256"]) for x in shown["attachments"]} == {
        (p.name, t, hashlib.sha256(p.read_bytes()).hexdigest())
        for p, t in ((query, "exposure"), (rates, "health"), (pdf, "communication"))}
    assert shown["synthetic_demo_data"] is True

    # A row edited in the database behind airq's back
    from tests.test_case import sql

    sql(db_url, "UPDATE events SET text = 'We phoned her back' WHERE seq = 3")
    res = case(runner, db_url, "verify", ref, "--no-figures", code=1)
    assert "event 3 (referral, 2018-04-30 15:20): its content does not match its hash" in \
        res.stdout
    res = case(runner, db_url, "report", ref, "-o", str(tmp_path / "again.pdf"), code=1)
    assert "fails verification" in res.stderr and not (tmp_path / "again.pdf").exists()


def test_summary_escapes_free_text_everywhere(runner, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    # \u202e (right-to-left override) shows the rest of a line backwards
    nasty = "<script>alert('x')</script> & <b>bold</b>\x1b[31m\x07 \"quoted\" \u202e0001"
    ref = case(runner, url, "open", "--reporter", nasty, "--received", "2020-01-02",
               "--concern", nasty, "--address", nasty, "--by", nasty).stdout.strip()
    res = case(runner, url, "log", ref, "--kind", "contact", "--text", nasty, "--at",
               "2020-01-03", "--by", nasty)
    assert "\u202e" not in res.stdout and "\x1b" not in res.stdout
    letter = tmp_path / "<img src=x onerror=alert(1)>.txt"
    letter.write_text("Dear resident")
    res = case(runner, url, "attach", ref, str(letter), "--note", nasty, "--at", "2020-01-04")
    assert "\u202e" not in res.stdout and "\x1b" not in res.stdout
    html = tmp_path / "s.html"
    case(runner, url, "report", ref, "-o", str(html))
    page = html.read_text("utf-8")
    assert "<script>alert" not in page and "<b>bold" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold" in page
    assert "\x1b" not in page and "\x07" not in page
    # the embedded record (inert JSON for airq verify) keeps the text as recorded
    shown = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    assert "\u202e" not in shown
    docx_path = tmp_path / "s.docx"
    case(runner, url, "report", ref, "-o", str(docx_path))  # lxml refuses control characters
    import docx

    text = "\n".join(p.text for p in docx.Document(str(docx_path)).paragraphs)
    assert "<script>alert('x')</script> & <b>bold</b>?[31m?" in text  # plain text, as typed
    assert "\u202e" not in text and " ?0001" in text
    pdf = tmp_path / "s.pdf"
    case(runner, url, "report", ref, "-o", str(pdf))
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    assert "<script>alert('x')</script>" in " ".join(out.split())
    md = case(runner, url, "show", ref, "-f", "markdown").stdout
    assert "<script>" not in md and "\x1b" not in md and "\u202e" not in md
    assert "\u202e" not in out
    txt = case(runner, url, "show", ref).stdout
    assert "\x1b" not in txt and "\x07" not in txt and "\u202e" not in txt
    listed = case(runner, url, "list").stdout + case(runner, url, "list", "-f", "markdown").stdout
    assert "\u202e" not in listed and "\x1b" not in listed


def test_summary_of_an_open_case_and_unreadable_attachment(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    ref = case(runner, url, "open", "--reporter", "B", "--received", "2020-01-02",
               "--concern", "c", "--by", "X").stdout.strip()
    broken = tmp_path / "broken.json"  # looks like a query result but is not complete
    broken.write_text('{"schema_version": "1.0", "results": [{"pollutant": "no2"}], '
                      '"provenance": {}}')
    res = case(runner, url, "attach", ref, str(broken), "--by", "X", "--at", "2020-01-03")
    assert "exposure track" in res.stdout
    out = tmp_path / "s.html"
    res = case(runner, url, "report", ref, "-o", str(out))
    assert "Warning: broken.json (event 2): its figures could not be read" in res.stderr
    page = out.read_text("utf-8")
    assert "interim summary" in page and "its figures could not be read" in page
    res = case(runner, url, "report", ref, "-o", str(tmp_path / "s.odt"), code=2)
    assert "-o/--output" in res.stderr
    res = case(runner, url, "report", ref, "-o", str(out), code=1)
    assert "--overwrite" in res.stderr


# --------------------------------------------------------------------------- read back


def test_query_document_round_trips(tmp_path_factory):
    """An Assessment rebuilt from its JSON writes the same JSON and the same report tables."""
    from airq.read.results_json import assessment_from_document
    from airq.render.document import _air_quality, _land_use, _summary

    a = demo_result(tmp_path_factory)
    doc = json.loads(json.dumps(a.to_dict()))
    b = assessment_from_document(doc)
    assert b.to_dict() == doc
    for section in (_air_quality, _land_use, _summary):
        assert section(b) == section(a)


def test_damaged_documents_are_errors():
    from airq.errors import InputError
    from airq.read.results_json import assessment_from_document, rates_from_document

    with pytest.raises(InputError, match="not an airq query result"):
        assessment_from_document({"a": 1}, "x.json")
    with pytest.raises(InputError, match="schema_version 9.9"):
        assessment_from_document({"schema_version": "9.9", "results": [], "provenance": {}})
    with pytest.raises(InputError, match="x.json, area: no 'name'"):
        assessment_from_document({"schema_version": "1.0", "results": [{"pollutant": "no2"}],
                                  "provenance": {}}, "x.json")
    with pytest.raises(InputError, match="not an airq rate table"):
        rates_from_document({"area": "x"}, "r.json")
    with pytest.raises(InputError, match="r.json, row 1: no 'cases'"):
        rates_from_document([{"area": "x"}], "r.json")


def _edit_rates(doc, how):
    import copy

    doc = copy.deepcopy(doc)
    how(doc)
    return doc


@pytest.mark.parametrize("how, message", [
    (lambda d: d[0].update(crude_rate=12.0), r"row 1 \('LSOA'\): crude_rate is 12.0, but 79 "
     r"cases in 21507 person-years give 367.322"),
    (lambda d: d[0].update(crude_lower=999.0), "crude_lower is 999.0"),
    (lambda d: d[0].update(crude_rate=float("nan")), "crude_rate is nan"),
    (lambda d: d[0].update(cases=-5), "counts cannot be negative"),
    (lambda d: d[0].update(person_years=0), "person-years is 0"),
    (lambda d: d[0].update(cases=30000), "30000 cases in 21507 person-years cannot be right"),
    (lambda d: d.append(dict(d[0])), "area 'LSOA' is in rows 1 and 3"),
    (lambda d: d[0].update(significance="higher"), r"row 1 \('LSOA'\): the comparison 'higher' "
     "does not follow"),
])
def test_an_edited_rate_table_is_refused(how, message):
    # a rates JSON edited by hand reached the report's rate table as written
    from airq.analyse.rates import area_totals, rate_table
    from airq.errors import InputError
    from airq.read.results_json import rates_from_document
    from airq.render.rates_text import render_rates

    table = rate_table([area_totals("LSOA", 79, 21_507), area_totals("CCG", 1003, 260_400)],
                       reference="CCG")
    doc = json.loads(render_rates(table, "json"))
    rates_from_document(doc, "r.json")  # as airq wrote it: read
    with pytest.raises(InputError, match=message) as err:
        rates_from_document(_edit_rates(doc, how), "r.json")
    assert str(err.value).startswith("r.json") and "make it again with airq rates" in str(err.value)


# --------------------------------------------------------------------------- airq report --rates


def test_report_with_rates(tmp_path_factory, monkeypatch, runner, tmp_path):
    demo_cli(tmp_path_factory, monkeypatch)
    table = tmp_path / "published.csv"
    table.write_text(PUBLISHED_CSV)
    rates = tmp_path / "rates.json"
    runner.invoke(cli, ["rates", str(table), "--reference", "Barking and Dagenham CCG", "-f",
                        "json", "-o", str(rates)], catch_exceptions=False)
    out = tmp_path / "r.html"
    res = runner.invoke(cli, ["report", "boundaries/demo/residential_plots.gpkg", "--where",
                              "street=Woodlands Avenue", "--rates", str(rates), "-o", str(out)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    page = out.read_text("utf-8")
    heads = re.findall(r"<h2>([^<]+)</h2>", page)
    assert heads[:9] == ["1. The enquiry", "2. Summary for the resident",
                         "3. Land contamination", "4. Historic maps", "5. Air quality",
                         "6. Cancer rates", "7. Methods", "8. Caveats", "9. Data sources"]
    section = page[page.index("6. Cancer rates"):page.index("7. Methods")]
    for row in ("LSOA of interest", "367.3 (290.8, 457.8)", "Barking and Dagenham CCG",
                "385.2 (376.9, 393.6)", "England", "545.7 (545.1, 546.2)",
                "significantly higher than Barking and Dagenham CCG"):
        assert row in section
    assert "Crude rate intervals: Byar&#x27;s method." in section
    sha = hashlib.sha256(rates.read_bytes()).hexdigest()
    sources = page[page.index("9. Data sources"):]
    assert sha in section and sha in sources
    assert hashlib.sha256(table.read_bytes()).hexdigest() in sources  # the table it came from
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "rates"}')
    res = runner.invoke(cli, ["report", "boundaries/demo/residential_plots.gpkg",
                              "--rates", str(bad), "-o", str(tmp_path / "x.html")])
    assert res.exit_code == 1 and "bad.json is not an airq rate table" in res.stderr
    assert not (tmp_path / "x.html").exists()


def test_report_tables_are_one_copy(tmp_path_factory):
    """The summary's Word tables hold exactly the cells `airq report` shows."""
    from airq.render.report_tables import air_quality_tables, rate_table

    a = demo_result(tmp_path_factory)
    [t2013, t2020] = air_quality_tables(a)
    assert t2020.headers[:3] == ("Pollutant", "Mean (µg/m³)", "SD")
    assert [r[0] for r in t2020.rows] == ["NO2", "PM10", "PM2.5"]
    from airq.analyse.rates import area_totals
    from airq.analyse.rates import rate_table as compute

    t = rate_table(compute([area_totals("LSOA of interest", 79, 21_507)], reference_rate=385.2))
    assert t.rows[0][:4] == ("LSOA of interest", "79", "21,507", "367.3 (290.8, 457.8)")


# --------------------------------------------------------------------------- airq verify hook


def test_case_verify_recomputes_attached_figures(runner, tmp_path, monkeypatch):
    """Through `airq verify`, an attached result whose grid has changed fails verification."""
    from tests.test_cli_query import unseen_inputs

    monkeypatch.chdir(tmp_path)
    values, asc, _csv, _gdf = unseen_inputs(tmp_path, 5)
    out = tmp_path / "q.json"
    res = runner.invoke(cli, ["query", "plots.gpkg", "--grid", f"no2:2020={asc.name}",
                              "--no-layers", "-f", "json", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    ref = case(runner, url, "open", "--reporter", "B", "--received", "2020-01-02",
               "--concern", "c", "--by", "X").stdout.strip()
    case(runner, url, "attach", ref, str(out), "--by", "X")
    res = case(runner, url, "verify", ref)
    assert "result NO2 2020 (mean" in res.stdout and "OK: the record" in res.stdout
    from tests.conftest import write_asc
    from tests.test_cli_query import XLL, YLL

    values = values.copy()
    values[values > 0] += 5.0  # every grid value changes
    write_asc(asc, values, XLL, YLL)
    res = case(runner, url, "verify", ref, code=1)
    assert "DIFFERS: attachment q.json (event 2): input grid NO2 2020: changed" in res.stdout
    assert "DIFFERS: attachment q.json (event 2): result NO2 2020: changed" in res.stdout
    assert case(runner, url, "verify", ref, "--no-figures").stdout.endswith(
        "OK: the record is as airq wrote it\n")
