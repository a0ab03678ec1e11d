"""`airq case`: the register on SQLite and PostgreSQL, its hash chain, concurrency, overdue.

Every test that touches the database runs on both backends (PostgreSQL skips visibly
without a server, and fails when .ci/run says it is required).
"""

from __future__ import annotations

import json
import multiprocessing
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from airq.cli import cli
from tests.case_db import BACKENDS, fresh_database

CONCERN = "Several neighbours in Woodlands Avenue have had cancer. Is the area the cause?"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch):
    monkeypatch.delenv("AIRQ_DATABASE_URL", raising=False)
    monkeypatch.setenv("AIRQ_OFFICER", "J Smith")
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch):
    monkeypatch.delenv("AIRQ_DATABASE_URL", raising=False)
    monkeypatch.setenv("AIRQ_OFFICER", "J Smith")
    return f"sqlite:///{tmp_path / 'register.sqlite'}"


def run(runner, url, *args, ok=True):
    res = runner.invoke(cli, ["case", "--database", url, *args], catch_exceptions=not ok)
    if ok:
        assert res.exit_code == 0, res.stderr
    return res


def open_case(runner, url, *extra):
    res = run(runner, url, "open", "--reporter", "Ms A", "--received", "2018-04-09",
              "--postcode", "rm6 6ea", "--concern", CONCERN, *extra)
    return res.stdout.strip()


def sql(url, statement, **params):
    from airq.case.store import resolve_url

    engine = create_engine(resolve_url(url))
    with engine.begin() as conn:
        out = conn.execute(text(statement), params)
        rows = out.all() if out.returns_rows else None
    engine.dispose()
    return rows


# --------------------------------------------------------------------------- basic record


def test_open_log_close_show_json(runner, db_url, tmp_path):
    ref = open_case(runner, db_url)
    assert ref == "ENQ-2018-0001"
    run(runner, db_url, "log", ref, "--kind", "contact", "--at", "2018-04-30 15:10",
        "--text", "She phoned; passed to another team")
    run(runner, db_url, "log", ref, "--kind", "referral", "--at", "2018-07-16", "--text",
        "Environmental protection emailed public health")
    res = run(runner, db_url, "log", ref, "--kind", "note", "--at", "2018-05-02", "--text",
              "Recorded late", "--by", "K Jones")
    assert "event 4: note 2018-05-02, recorded by K Jones (from --by)" in res.stdout
    run(runner, db_url, "close", ref, "--outcome", "stop-agreed", "--at", "2021-03-10",
        "--text", "Both agreed to stop")
    doc = json.loads(run(runner, db_url, "show", ref, "-f", "json").stdout)
    assert doc["reference"] == ref and doc["state"] == "closed"
    assert doc["postcode"] == "RM6 6EA" and doc["concern"] == CONCERN
    # timeline in the order things happened; seq is the order recorded
    assert [(e["seq"], e["kind"]) for e in doc["timeline"]] == [
        (1, "opened"), (2, "contact"), (4, "note"), (3, "referral"), (5, "closed")]
    assert doc["timeline"][1]["at"] == "2018-04-30T15:10"
    assert doc["outcome"]["outcome"] == "stop-agreed"
    assert doc["outcome"]["plain_language"].startswith("You and the investigating officer")
    assert doc["head"]["seq"] == 5
    assert {e["by"] for e in doc["timeline"]} == {"J Smith", "K Jones"}
    assert doc["timeline"][0]["data"]["by_source"] == "$AIRQ_OFFICER"
    inputs = doc["provenance"]["inputs"]
    assert inputs[0]["role"] == "case-register" and inputs[0]["sha256"] == doc["head"]["hash"]
    assert doc["synthetic_demo_data"] is False and doc["notice"] is None
    # a second case gets the next reference; a given one is kept; a duplicate refused
    assert open_case(runner, db_url) == "ENQ-2018-0002"
    assert open_case(runner, db_url, "--reference", "EH/2021/17") == "EH/2021/17"
    res = run(runner, db_url, "open", "--reporter", "B", "--received", "2021-01-02",
              "--concern", "x", "--reference", "EH/2021/17", ok=False)
    assert res.exit_code == 1 and "EH/2021/17 already exists" in res.stderr
    res = run(runner, db_url, "close", ref, "--outcome", "proceed-stage-2a", "--text", "x",
              ok=False)
    assert res.exit_code == 1 and "was closed on 2021-03-10" in res.stderr


def test_show_text_and_markdown(runner, sqlite_url):
    ref = open_case(runner, sqlite_url, "--address", "Woodlands Avenue")
    run(runner, sqlite_url, "log", ref, "--kind", "decision", "--at", "2018-05-01", "--text",
        "Director: a | small study <b>not</b> recorded")
    out = run(runner, sqlite_url, "show", ref).stdout
    assert "Case ENQ-2018-0001: open" in out and "About: Woodlands Avenue, RM6 6EA" in out
    assert "2018-05-01        decision (event 2, by J Smith)" in out
    assert "Outcome: none yet (the case is open)" in out
    assert f"airq case verify {ref} --head " in out
    md = run(runner, sqlite_url, "show", ref, "-f", "markdown").stdout
    assert "| 2018-05-01 | 2 | decision | J Smith | Director: a \\| small study \\<b\\>not" in md


def test_officer_defaults_to_os_user_and_says_so(runner, sqlite_url, monkeypatch):
    import getpass

    monkeypatch.delenv("AIRQ_OFFICER")
    res = run(runner, sqlite_url, "open", "--reporter", "Ms A", "--received", "2018-04-09",
              "--concern", CONCERN)
    assert f"recorded by {getpass.getuser()} (from the OS user)" in res.stderr
    out = run(runner, sqlite_url, "show", "ENQ-2018-0001").stdout
    assert f"by {getpass.getuser()} (OS user)" in out


def test_default_register_is_under_airq_home(runner, airq_home, monkeypatch):
    monkeypatch.delenv("AIRQ_DATABASE_URL", raising=False)
    res = runner.invoke(cli, ["case", "open", "--reporter", "A", "--received", "2020-01-02",
                              "--concern", "x"])
    assert res.exit_code == 0, res.stderr
    assert (airq_home / "cases.sqlite").is_file()
    monkeypatch.setenv("AIRQ_DATABASE_URL", f"sqlite:///{airq_home / 'other.sqlite'}")
    res = runner.invoke(cli, ["case", "list"])
    assert "Cases as of" in res.stdout and ": 0" in res.stdout.splitlines()[0]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("args, option", [
    (["open", "--reporter", "A", "--concern", "c", "--received", "09/04/2018"], "--received"),
    (["open", "--reporter", "A", "--concern", "c", "--received", "2999-01-01"], "--received"),
    (["open", "--reporter", "A", "--concern", "c", "--received", "2018-04-09", "--postcode",
      "not a postcode"], "--postcode"),
    (["open", "--reporter", "A", "--concern", "c", "--received", "2018-04-09", "--reference",
      "has space"], "--reference"),
    (["log", "ENQ-2018-0001", "--kind", "contact", "--text", "t", "--at", "yesterday"], "--at"),
    (["log", "ENQ-2018-0001", "--kind", "contact", "--text", "t", "--at", "2999-01-01 10:00"],
     "--at"),
    (["log", "ENQ-2018-0001", "--kind", "call", "--text", "t"], "--kind"),
    (["close", "ENQ-2018-0001", "--outcome", "stop", "--text", "t"], "--outcome"),
    (["list", "--as-of", "1 Oct 2018"], "--as-of"),
    (["list", "--working-days", "0"], "--working-days"),
])
def test_usage_errors_name_the_option(runner, sqlite_url, args, option):
    res = runner.invoke(cli, ["case", "--database", sqlite_url, *args])
    assert res.exit_code == 2, res.output
    assert option in res.stderr and "Traceback" not in res.output


def test_data_errors(runner, sqlite_url, tmp_path):
    ref = open_case(runner, sqlite_url)
    res = run(runner, sqlite_url, "log", "ENQ-2018-0002", "--kind", "note", "--text", "t",
              ok=False)
    assert res.exit_code == 1
    assert "no case 'ENQ-2018-0002'" in res.stderr and "closest: ENQ-2018-0001" in res.stderr
    res = run(runner, sqlite_url, "log", ref, "--kind", "note", "--text", "t", "--at",
              "2018-03-01", ok=False)
    assert res.exit_code == 1 and "--at 2018-03-01 is before case" in res.stderr
    res = run(runner, sqlite_url, "log", ref, "--kind", "note", "--text", "  ", ok=False)
    assert res.exit_code == 1 and "--text is empty" in res.stderr
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    res = run(runner, sqlite_url, "attach", ref, str(empty), ok=False)
    assert res.exit_code == 1 and "is empty" in res.stderr
    res = runner.invoke(cli, ["case", "--database", "mysql://x@y/z", "list"])
    assert res.exit_code == 2 and "--database" in res.stderr and "not supported" in res.stderr
    res = runner.invoke(cli, ["case", "--database", str(tmp_path / "nope" / "r.sqlite"),
                              "list"])
    assert res.exit_code == 1 and "does not exist" in res.stderr
    res = runner.invoke(cli, ["case", "--database",
                              "postgresql://nobody:secret@127.0.0.1:1/none", "list"])
    assert res.exit_code == 1 and "cannot open the case register" in res.stderr
    assert "secret" not in res.stderr and "Traceback" not in res.output


def test_show_to_file_refuses_overwrite(runner, sqlite_url, tmp_path):
    ref = open_case(runner, sqlite_url)
    out = tmp_path / "case.md"
    run(runner, sqlite_url, "show", ref, "-f", "markdown", "-o", str(out))
    assert out.read_text("utf-8").startswith("# Case ENQ-2018-0001")
    res = run(runner, sqlite_url, "show", ref, "-o", str(out), ok=False)
    assert res.exit_code == 1 and "--overwrite" in res.stderr


# --------------------------------------------------------------------------- attachments


def _rates_json(runner, tmp_path):
    path = tmp_path / "rates.json"
    res = runner.invoke(cli, ["rates", "--cases", "79", "--person-years", "21507", "--area",
                              "LSOA of interest", "-f", "json", "-o", str(path)])
    assert res.exit_code == 0, res.stderr
    return path


def test_attach_recognises_tracks_and_stores_bytes(runner, db_url, tmp_path):
    import hashlib

    from airq.case import attachment_bytes, open_store

    ref = open_case(runner, db_url)
    rates = _rates_json(runner, tmp_path)
    letter = tmp_path / "letter to Ms A.txt"
    letter.write_text("Dear Ms A, ...", encoding="utf-8")
    renamed = tmp_path / "figures.dat"  # an airq output under a name that says nothing
    renamed.write_bytes(rates.read_bytes())
    res = run(runner, db_url, "attach", ref, str(rates), "--at", "2021-03-01")
    assert "health track" in res.stdout and "rate table of 1 area (LSOA of interest)" in res.stdout
    assert run(runner, db_url, "attach", ref, str(renamed)).stdout.count("health track") == 1
    assert "communication track" in run(runner, db_url, "attach", ref, str(letter)).stdout
    res = run(runner, db_url, "attach", ref, str(letter), "--track", "health", "--note",
              "PHE's letter")
    assert "health track" in res.stdout
    doc = json.loads(run(runner, db_url, "show", ref, "-f", "json").stdout)
    atts = doc["attachments"]
    assert [(a["name"], a["kind"], a["track"]) for a in atts] == [
        ("rates.json", "rates", "health"), ("figures.dat", "rates", "health"),
        ("letter to Ms A.txt", "letter", "communication"),
        ("letter to Ms A.txt", "letter", "health")]
    sha = hashlib.sha256(rates.read_bytes()).hexdigest()
    assert atts[0]["sha256"] == sha == atts[1]["sha256"]
    assert atts[3]["note"] == "PHE's letter"
    store = open_store(db_url)
    try:
        assert attachment_bytes(store, sha) == rates.read_bytes()  # stored once, shared
        n = sql(db_url, "SELECT count(*) FROM blobs")[0][0]
    finally:
        store.dispose()
    assert n == 2


def test_recognise_airq_outputs_by_content(tmp_path, tmp_path_factory, monkeypatch, runner):
    from airq.read.recognise import recognise
    from tests.test_maps import demo_cli

    demo_cli(tmp_path_factory, monkeypatch)
    b = ["boundaries/demo/residential_plots.gpkg", "--where", "street=Woodlands Avenue"]
    outs = {"q.json": ["query", *b, "-f", "json"], "s.json": ["screen", *b, "-f", "json"],
            "b.csv": ["batch", b[0], "--group-by", "street"], "m.html": ["map", *b]}
    for name, args in outs.items():
        res = runner.invoke(cli, [*args, "-o", str(tmp_path / name)])
        assert res.exit_code == 0, res.stderr
    expected = {"q.json": ("query", "exposure"), "s.json": ("screen", "exposure"),
                "b.csv": ("batch", "exposure"), "m.html": ("map", "exposure")}
    for name, (kind, track) in expected.items():
        r = recognise(tmp_path / name)
        assert (r.kind, r.track, r.synthetic) == (kind, track, True), name
        renamed = tmp_path / f"renamed-{name}.bin"
        renamed.write_bytes((tmp_path / name).read_bytes())
        assert recognise(renamed).kind == kind  # by content, not by name
    assert "Woodlands Avenue" in recognise(tmp_path / "q.json").description
    plain = tmp_path / "notes.json"
    plain.write_text('{"a": 1}')
    assert (recognise(plain).kind, recognise(plain).track) == ("document", "communication")


# --------------------------------------------------------------------------- the chain


def _case_with_events(runner, url, tmp_path):
    ref = open_case(runner, url)
    for i, day in enumerate(["2018-04-30", "2018-07-16", "2018-12-03"], start=2):
        run(runner, url, "log", ref, "--kind", "note", "--at", day, "--text", f"note {i}")
    run(runner, url, "attach", ref, str(_rates_json(runner, tmp_path)), "--at", "2021-03-01")
    return ref


def _verify(runner, url, ref, *extra):
    return run(runner, url, "verify", ref, "--no-figures", *extra, ok=False)


def test_verify_intact_record(runner, db_url, tmp_path):
    ref = _case_with_events(runner, db_url, tmp_path)
    res = _verify(runner, db_url, ref)
    assert res.exit_code == 0, res.stdout
    assert "5 events, 1 attachments" in res.stdout
    assert "OK: the record is as airq wrote it" in res.stdout
    head = json.loads(run(runner, db_url, "show", ref, "-f", "json").stdout)["head"]["hash"]
    assert _verify(runner, db_url, ref, "--head", head).exit_code == 0


TAMPERING = {
    "edited text": ("UPDATE events SET text = 'nothing happened' WHERE seq = 3",
                    ["event 3 (note, 2018-07-16): its content does not match its hash"]),
    "edited date": ("UPDATE events SET at = '2018-05-01' WHERE seq = 2",
                    ["event 2 (note, 2018-05-01): its content does not match its hash"]),
    "edited data": ("UPDATE events SET data = '{\"by_source\":\"--by\"}' WHERE seq = 4",
                    ["event 4 (note, 2018-12-03): its content does not match its hash"]),
    "damaged data": ("UPDATE events SET data = 'oops' WHERE seq = 4",
                     ["event 4 (note, 2018-12-03): its data is not the JSON airq wrote"]),
    "deleted": ("DELETE FROM events WHERE seq = 3",
                ["event 3 missing: the numbering jumps from 2 to 4",
                 "event 4 (note, 2018-12-03): does not follow event 3"]),
    "reordered": (["UPDATE events SET seq = -2 WHERE seq = 2",
                   "UPDATE events SET seq = 2 WHERE seq = 3",
                   "UPDATE events SET seq = 3 WHERE seq = -2"],
                  ["event 2 (note, 2018-07-16): its content does not match its hash",
                   "event 2 (note, 2018-07-16): does not follow event 1",
                   "event 3 (note, 2018-04-30): its content does not match its hash",
                   "event 3 (note, 2018-04-30): does not follow event 2",
                   "event 4 (note, 2018-12-03): does not follow event 3"]),
    "attachment bytes": ("UPDATE blobs SET content = :junk",
                         ["attachment rates.json (event 5): the stored bytes have SHA-256"]),
    "attachment gone": ("DELETE FROM blobs",
                        ["attachment rates.json (event 5): its bytes are missing"]),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_verify_names_an_edit_behind_airqs_back(runner, db_url, tmp_path, how):
    ref = _case_with_events(runner, db_url, tmp_path)
    statements, expected = TAMPERING[how]
    for statement in [statements] if isinstance(statements, str) else statements:
        sql(db_url, statement, junk=b"not the file")
    res = _verify(runner, db_url, ref)
    assert res.exit_code == 1, res.stdout
    assert "FAILED" in res.stdout
    for line in expected:
        assert line in res.stdout, res.stdout


def test_every_output_of_a_changed_record_says_so(runner, sqlite_url, tmp_path):
    ref = _case_with_events(runner, sqlite_url, tmp_path)
    open_case(runner, sqlite_url)  # a second, intact case
    sql(sqlite_url, "UPDATE events SET text = 'nothing happened' WHERE seq = 3")
    res = run(runner, sqlite_url, "show", ref)
    assert res.stdout.startswith(f"*** WARNING: the record of case {ref} fails verification")
    assert "event 3 (note, 2018-07-16): its content does not match its hash" in res.stdout
    assert "Warning: the record of case" in res.stderr
    doc = json.loads(run(runner, sqlite_url, "show", ref, "-f", "json").stdout)
    assert len(doc["warnings"]) == 2 and "event 3" in doc["warnings"][1]
    assert "**WARNING: the record" in run(runner, sqlite_url, "show", ref, "-f",
                                           "markdown").stdout
    res = run(runner, sqlite_url, "list", "--as-of", "2021-04-01")
    assert f"WARNING: case {ref}: the record fails verification" in res.stdout
    assert "ENQ-2018-0002" not in res.stdout.split("WARNING")[1]
    sql(sqlite_url, "DELETE FROM events WHERE seq = 1 AND case_id = "
                    "(SELECT id FROM cases WHERE reference = 'ENQ-2018-0002')")
    doc = json.loads(run(runner, sqlite_url, "list", "-f", "json").stdout)
    assert [c["reference"] for c in doc["cases"]] == [ref]
    assert any("not listed: case ENQ-2018-0002" in w for w in doc["warnings"])
    res = run(runner, sqlite_url, "show", "ENQ-2018-0002", ok=False)
    assert res.exit_code == 1 and "has no opening event" in res.stderr


def test_a_date_that_is_no_date_is_named_not_a_traceback(runner, sqlite_url, tmp_path):
    ref = _case_with_events(runner, sqlite_url, tmp_path)
    open_case(runner, sqlite_url)  # a second, intact case
    sql(sqlite_url, "UPDATE events SET at = 'garbage' WHERE seq = 2 AND case_id = "
                    "(SELECT id FROM cases WHERE reference = :ref)", ref=ref)
    res = run(runner, sqlite_url, "list", "--as-of", "2021-04-01")
    assert "ENQ-2018-0002" in res.stdout and f"{ref} " not in res.stdout
    assert f"not listed: case {ref}: event 2 (note) has the date 'garbage'" in res.stderr
    assert _verify(runner, sqlite_url, ref).exit_code == 1
    sql(sqlite_url, "UPDATE events SET at = '' WHERE seq = 1 AND case_id = "
                    "(SELECT id FROM cases WHERE reference = :ref)", ref=ref)
    res = run(runner, sqlite_url, "show", ref, ok=False)
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert "\nError: event 1 (opened) has the date ''" in res.stderr, res.stderr


@pytest.mark.parametrize("damage, message, commands", [
    ("DROP TABLE blobs", "no such table: blobs", ["verify"]),
    ("ALTER TABLE events DROP COLUMN data", "no such column: events.data",
     ["verify", "show", "list"]),
])
def test_register_changed_outside_airq_is_a_one_line_error(runner, sqlite_url, tmp_path,
                                                           damage, message, commands):
    ref = _case_with_events(runner, sqlite_url, tmp_path)
    sql(sqlite_url, damage)
    every = {"verify": ["verify", ref, "--no-figures"], "show": ["show", ref], "list": ["list"]}
    for args in (every[c] for c in commands):
        res = run(runner, sqlite_url, *args, ok=False)
        assert res.exit_code == 1 and "Traceback" not in res.stderr, res.stderr
        assert res.stderr.startswith("Error: the case register ") and message in res.stderr
        assert "restore it from a backup" in res.stderr and res.stderr.count("\n") == 1


def test_a_file_that_is_not_a_register_is_a_one_line_error(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("AIRQ_DATABASE_URL", raising=False)
    path = tmp_path / "register.sqlite"
    path.write_bytes(b"not a database at all, just text\n" * 200)
    res = run(runner, f"sqlite:///{path}", "list", ok=False)
    assert res.exit_code == 1 and "Traceback" not in res.stderr, res.stderr
    assert "file is not a database" in res.stderr and res.stderr.count("\n") == 1


def test_verify_inserted_event(runner, db_url, tmp_path):
    ref = _case_with_events(runner, db_url, tmp_path)
    # An event inserted in the middle: renumber the later ones, add one with made-up hashes.
    sql(db_url, "UPDATE events SET seq = seq + 100 WHERE seq >= 3")
    sql(db_url, "UPDATE events SET seq = seq - 99 WHERE seq >= 103")
    sql(db_url, "INSERT INTO events (case_id, seq, kind, at, recorded_at, officer, text, data,"
                " prev_hash, hash) SELECT case_id, 3, 'contact', '2018-05-01', recorded_at,"
                " officer, 'We phoned her back', '{}', hash, hash FROM events WHERE seq = 2")
    res = _verify(runner, db_url, ref)
    assert res.exit_code == 1
    assert "event 3 (contact, 2018-05-01): its content does not match its hash" in res.stdout
    # the events after it were renumbered, so their own hashes no longer match
    assert "event 4 (note, 2018-07-16): its content does not match its hash" in res.stdout


def test_verify_head_shows_removed_last_events(runner, db_url, tmp_path):
    ref = _case_with_events(runner, db_url, tmp_path)
    head = json.loads(run(runner, db_url, "show", ref, "-f", "json").stdout)["head"]["hash"]
    sql(db_url, "DELETE FROM events WHERE seq = 5")  # the chain alone cannot see this
    res = _verify(runner, db_url, ref)
    assert res.exit_code == 0  # and says what it could not check
    assert "note: events removed from the end of the record cannot be seen without" in res.stdout
    res = _verify(runner, db_url, ref, "--head", head)
    assert res.exit_code == 1 and f"head {head} is not an event of the case" in res.stdout


def test_chain_hash_is_canonical():
    import hashlib

    from airq.case.chain import GENESIS, canonical, event_hash

    a = canonical("R", 1, "note", "2018-04-09", "2021-01-01T00:00:00Z", "Jo", "é", {"b": 1,
                                                                                    "a": 2},
                  GENESIS)
    b = canonical("R", 1, "note", "2018-04-09", "2021-01-01T00:00:00Z", "Jo", "é", {"a": 2,
                                                                                    "b": 1},
                  GENESIS)
    assert a == b and b'"data":{"a":2,"b":1}' in a and "é".encode() in a
    assert event_hash("R", 1, "note", "2018-04-09", "2021-01-01T00:00:00Z", "Jo", "é",
                      {"a": 2, "b": 1}, GENESIS) == hashlib.sha256(a).hexdigest()


# --------------------------------------------------------------------------- schema


def test_register_made_by_a_newer_airq_is_refused(runner, db_url):
    open_case(runner, db_url)
    sql(db_url, "UPDATE alembic_version SET version_num = '9999'")
    res = run(runner, db_url, "list", ok=False)
    assert res.exit_code == 1 and "made by a newer airq; upgrade airq" in res.stderr


def _open_in_process(url, barrier, i):
    from airq.case import open_case, open_store

    barrier.wait()
    store = open_store(url)
    try:
        open_case(store, reporter=f"R{i}", concern="c", received="2020-01-02")
    finally:
        store.dispose()


def test_first_use_from_several_processes_at_once(db_url):
    """A fresh register opened by four processes at once: one migrates, none fails."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_open_in_process, args=(db_url, barrier, i)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    refs = sql(db_url, "SELECT reference FROM cases ORDER BY reference")
    assert [r[0] for r in refs] == [f"ENQ-2020-000{i}" for i in range(1, 5)]
    assert sql(db_url, "SELECT version_num FROM alembic_version") == [("0001",)]


# --------------------------------------------------------------------------- concurrency

WRITERS, EACH = 4, 12


def _log_in_process(url, ref, barrier, writer, errors):
    import os
    import traceback

    from airq.cli import cli

    os.environ["AIRQ_OFFICER"] = f"officer {writer}"
    barrier.wait()
    try:
        for i in range(EACH):
            cli.main(["case", "--database", url, "log", ref, "--kind", "note", "--text",
                      f"writer {writer} note {i}"], standalone_mode=False)
    except BaseException:
        errors.put(f"writer {writer}: {traceback.format_exc()}")
        raise


def test_concurrent_case_log_keeps_every_event(runner, db_url):
    """Several processes log to one case at once; every event is kept, the chain intact."""
    ref = open_case(runner, db_url)
    ctx = multiprocessing.get_context("spawn")
    barrier, errors = ctx.Barrier(WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_log_in_process, args=(db_url, ref, barrier, w, errors))
             for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(900)
    failed = [errors.get(timeout=5) for _ in range(errors.qsize())] if not errors.empty() else []
    assert [p.exitcode for p in procs] == [0] * WRITERS, failed
    rows = sql(db_url, "SELECT seq, text FROM events ORDER BY seq")
    assert [r[0] for r in rows] == list(range(1, WRITERS * EACH + 2))
    assert sorted(r[1] for r in rows[1:]) == sorted(
        f"writer {w} note {i}" for w in range(WRITERS) for i in range(EACH))
    res = run(runner, db_url, "verify", ref)
    assert "OK: the record is as airq wrote it" in res.stdout


# --------------------------------------------------------------------------- overdue


def _numpy_working_days(start: date, end: date) -> int:
    """Independent count: numpy's business days with the same bank holidays."""
    import holidays

    hol = [d for d in holidays.country_holidays("GB", subdiv="ENG",
                                                years=range(start.year, end.year + 1))]
    return int(np.busday_count(start + timedelta(days=1), end + timedelta(days=1),
                               holidays=hol))


@pytest.mark.parametrize("start, end", [
    (date(2018, 4, 30), date(2018, 10, 1)), (date(2018, 12, 20), date(2019, 1, 10)),
    (date(2018, 8, 24), date(2018, 8, 28)), (date(2021, 3, 10), date(2021, 3, 10)),
    (date(2019, 4, 18), date(2019, 4, 23))])
def test_working_days_against_numpy(start, end):
    from airq.case.workdays import add_working_days, working_days_between

    n = working_days_between(start, end)
    assert n == _numpy_working_days(start, end)
    if n:
        due = add_working_days(start, n)
        assert due <= end and working_days_between(start, due) == n


def test_working_days_over_bank_holidays():
    from airq.case.workdays import add_working_days

    # 20 working days from Thursday 20 December 2018: Christmas, Boxing Day, New Year skipped
    assert add_working_days(date(2018, 12, 20), 20) == date(2019, 1, 22)  # counted by hand
    # Late Summer Bank Holiday 2018 (Monday 27 August)
    assert add_working_days(date(2018, 8, 24), 1) == date(2018, 8, 28)


def test_list_overdue(runner, sqlite_url):
    ref = open_case(runner, sqlite_url)  # received Monday 9 April 2018
    run(runner, sqlite_url, "log", ref, "--kind", "contact", "--at", "2018-04-30", "--text",
        "Told her it was passed on")
    # 20 working days after 30 April (May Day 7 May and 28 May are bank holidays): 30 May
    doc = json.loads(run(runner, sqlite_url, "list", "--as-of", "2018-05-30", "-f",
                         "json").stdout)
    c = doc["cases"][0]
    assert (c["update_due"], c["overdue"], c["working_days_since_update"]) == (
        "2018-05-30", False, 20)
    doc = json.loads(run(runner, sqlite_url, "list", "--as-of", "2018-05-31", "-f",
                         "json").stdout)
    assert doc["cases"][0]["overdue"] is True
    assert "England and Wales bank holidays" in doc["rule"]
    [register] = doc["provenance"]["inputs"]
    assert register["role"] == "case-register" and len(register["sha256"]) == 64
    res = run(runner, sqlite_url, "list", "--overdue", "--as-of", "2018-05-31",
              "--working-days", "30")
    assert "Cases (overdue) as of 2018-05-31: 0" in res.stdout
    # before the enquiry it is not listed; once closed it is never overdue
    assert ": 0" in run(runner, sqlite_url, "list", "--as-of", "2018-04-08").stdout
    run(runner, sqlite_url, "close", ref, "--outcome", "stop-agreed", "--at", "2018-06-01",
        "--text", "t")
    res = run(runner, sqlite_url, "list", "--as-of", "2018-07-01")
    assert "closed: stop-agreed" in res.stdout and "OVERDUE" not in res.stdout
    assert ": 0" in run(runner, sqlite_url, "list", "--open", "--as-of",
                        "2018-07-01").stdout.splitlines()[0]
    assert "OVERDUE" in run(runner, sqlite_url, "list", "--as-of", "2018-05-31").stdout
