"""``airq case``: the register of enquiries (open, log, attach, close, show, list, verify)."""

from __future__ import annotations

from pathlib import Path

import click

from airq.cli import cli
from airq.cli.options import format_opt, output_opt, overwrite_opt
from airq.errors import InputError
from airq.render.escape import terminal_text


def _checked(parse):
    """Wrap a library parser as a click callback; its InputError becomes exit 2."""
    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return parse(value)
        except InputError as err:
            raise click.BadParameter(str(err), ctx=ctx, param=param) from err
    return callback


def _day(value):
    from airq.case.events import parse_day

    return parse_day(value)


def _received(value):
    from airq.case.events import parse_received

    return parse_received(value)


def _at(value):
    from airq.case.events import parse_at

    return parse_at(value)


def _reference(value):
    from airq.case.events import check_reference

    return check_reference(value)


def _postcode(value):
    from airq.case.events import normalise_postcode

    return normalise_postcode(value)


def _url(value):
    from airq.case.store import resolve_url
    from airq.errors import ConfigError

    try:
        resolve_url(value)
    except ConfigError as err:
        raise InputError(str(err)) from err
    return value


def _store():
    """Open the register named by ``airq case --database`` for a ``with`` block."""
    from airq.case.store import opened

    return opened(click.get_current_context().find_object(dict).get("database"))


def _check_outputs(output, overwrite: bool, **kwargs) -> None:
    """Check ``-o`` like every command's outputs, the SQLite register being an input too.

    ``airq case show ENQ-... -o register.sqlite --overwrite`` replaced the whole register
    with one case's text.
    """
    from airq.case.store import resolve_url
    from airq.cli.output_checks import check_command_outputs

    url = resolve_url(click.get_current_context().find_object(dict).get("database"))
    register = []
    if url.get_backend_name() == "sqlite" and url.database:
        register = [("the case register", url.database + side)
                    for side in ("", "-journal", "-wal", "-shm")]
    check_command_outputs({"-o/--output": output}, overwrite, extra_inputs=register, **kwargs)


def _write_or_echo(text: str, output, overwrite: bool) -> None:
    from airq.cli.runner import write_or_echo

    write_or_echo(text, output, overwrite)


reference_arg = click.argument("reference", callback=_checked(_reference))
at_opt = click.option("--at", callback=_checked(_at), metavar="DATETIME",
                      help="When it happened: YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (UK time) "
                           "[default: now].")
by_opt = click.option("--by", metavar="OFFICER",
                      help="Who records it [default: $AIRQ_OFFICER, else the OS user].")


@cli.group("case")
@click.option("--database", envvar="AIRQ_DATABASE_URL", callback=_checked(_url),
              metavar="URL", help="The case register: sqlite:///FILE or "
              "postgresql://USER@HOST/DB [default: $AIRQ_DATABASE_URL, else "
              "$AIRQ_HOME/cases.sqlite].")
@click.pass_context
def case(ctx, database):
    """Keep the record of each enquiry: its timeline, figures and outcome.

    A case is opened when a resident reports a concern; every contact with them,
    referral between teams and decision is logged; airq's outputs (and letters)
    are attached with their SHA-256; the case is closed with one of the three
    stage 1 outcomes of PHE's cluster guidance. Every change is an appended event
    carrying the hash of the one before it, so `airq case verify` finds any later
    edit. The register is SQLite under $AIRQ_HOME, or a shared PostgreSQL.

    \b
    Example:
      airq case open --reporter "Ms A" --received 2018-04-09 --postcode "RM6 6EA" \\
          --concern "Several neighbours have cancer; is the area the cause?"
      airq case log ENQ-2018-0001 --kind contact --at 2018-04-30 --text "Phoned ..."
      airq case list --overdue
    """
    ctx.ensure_object(dict)["database"] = database


@case.command("open")
@click.option("--reporter", required=True, metavar="NAME", help="Who reported the concern.")
@click.option("--concern", required=True, metavar="TEXT",
              help="The concern as received, in the reporter's words where possible.")
@click.option("--received", required=True, callback=_checked(_received), metavar="DATE",
              help="The date it was received (YYYY-MM-DD).")
@click.option("--postcode", callback=_checked(_postcode), metavar="PC",
              help="Postcode the concern is about, e.g. 'RM6 6EA'.")
@click.option("--address", metavar="TEXT", help="Address or street the concern is about.")
@click.option("--reference", callback=_checked(_reference), metavar="REF",
              help="The case reference [default: the next ENQ-<year>-<nnnn>].")
@by_opt
def case_open(reporter, concern, received, postcode, address, reference, by):
    """Open a case for a resident's enquiry and print its reference.

    Records who reported what, when it was received, and where it is about.
    The reference (printed on standard output) names the case in every other
    `airq case` command.

    \b
    Example:
      airq case open --reporter "Ms A" --received 2018-04-09 --postcode "RM6 6EA" \\
          --concern "Several neighbours have cancer; is the area the cause?"
    """
    from airq.case.register import open_case

    with _store() as store:
        c = open_case(store, reporter=reporter, concern=concern, received=received,
                      postcode=postcode, address=address, reference=reference, by=by)
    e = c.opening
    click.echo(c.reference)
    click.echo(f"Opened case {c.reference} (received {e.at}), recorded by "
               f"{terminal_text(e.officer)} "
               f"(from {e.data['by_source']})", err=True)


def _recorded(reference: str, e) -> None:
    click.echo(f"{reference} event {e.seq}: {e.kind} {e.when}, recorded by "
               f"{terminal_text(e.officer)} "
               f"(from {e.data['by_source']})")


@case.command("log")
@reference_arg
@click.option("--kind", required=True, type=click.Choice(["contact", "note", "referral",
                                                          "decision"]),
              help="contact: the reporter was given an update (call, email, letter); "
                   "referral: handed to another team or body; decision: who decided what.")
@click.option("--text", required=True, metavar="TEXT", help="What happened.")
@at_opt
@by_opt
def case_log(reference, kind, text, at, by):
    """Record a contact with the reporter, a note, a referral or a decision.

    Log a `contact` each time the reporter is given an update: `airq case list
    --overdue` counts the working days since the last one. A message from the
    reporter that was not answered is a `note`; handing the enquiry to another
    team or body is a `referral`.

    \b
    Example:
      airq case log ENQ-2018-0001 --kind referral --at 2018-07-16 \\
          --text "Environmental protection emailed public health: a public health matter"
    """
    from airq.case.register import log_event

    with _store() as store:
        e = log_event(store, reference, kind=kind, text=text, at=at, by=by)
    _recorded(reference, e)


@case.command("attach")
@reference_arg
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--note", metavar="TEXT", help="What the file is for.")
@click.option("--track", type=click.Choice(["exposure", "health", "communication"]),
              help="The track it belongs on [default: recognised from its content].")
@at_opt
@by_opt
def case_attach(reference, file, note, track, at, by):
    """Keep a copy of an airq output or a letter with the case, with its SHA-256.

    airq recognises its own outputs by their content and provenance: a query or
    screening result, report, map or figure, or a batch table (exposure track),
    a rate table (health track); anything else is a letter or document
    (communication track). The bytes are stored in the register, so colleagues
    sharing a PostgreSQL register have them too.

    \b
    Example:
      airq query plots.gpkg --where "street=Woodlands Avenue" -f json -o woodlands.json
      airq case attach ENQ-2018-0001 woodlands.json --note "stage 1 air quality"
    """
    from airq.case.register import attach_file

    with _store() as store:
        e = attach_file(store, reference, file, note=note, track=track, at=at, by=by)
    d = e.data
    click.echo(f"{reference} event {e.seq}: attached {terminal_text(d['name'])} "
               f"({terminal_text(d['description'])}), "
               f"{d['track']} track, sha256 {d['sha256']}")
    if d["synthetic"]:
        click.echo("Warning: the attachment is SYNTHETIC DEMO DATA; every case output will "
                   "say so", err=True)


@case.command("close")
@reference_arg
@click.option("--outcome", required=True,
              type=click.Choice(["stop-agreed", "stop-not-public-health", "proceed-stage-2a"]),
              help="The stage 1 outcome (PHE guidance).")
@click.option("--text", required=True, metavar="TEXT",
              help="The reasons, and who agreed or decided.")
@at_opt
@by_opt
def case_close(reference, outcome, text, at, by):
    """Record the stage 1 outcome and close the case.

    The outcomes of PHE's guidance: stop-agreed (the reporter and the
    investigator agree no more is needed), stop-not-public-health (the reporter
    is not satisfied, but the cluster is not of public health importance), or
    proceed-stage-2a (further investigation). Events can still be logged after.

    \b
    Example:
      airq case close ENQ-2018-0001 --outcome stop-agreed --at 2021-03-10 \\
          --text "Discussed the stage 1 findings by phone; both agreed to stop"
    """
    from airq.case.register import close_case

    with _store() as store:
        e = close_case(store, reference, outcome=outcome, text=text, at=at, by=by)
    _recorded(reference, e)


@case.command("show")
@reference_arg
@format_opt(("text", "markdown", "json"))
@output_opt
@overwrite_opt
def case_show(reference, fmt, output, overwrite):
    """Show a case: the timeline in order, attachments with checksums, the outcome.

    The timeline is in the order things happened (UK time); each event's number
    is the order it was recorded in. The last event's hash anchors the record:
    `airq case verify REF --head HASH` later shows nothing after it was removed.

    \b
    Example:
      airq case show ENQ-2018-0001 -f markdown -o ENQ-2018-0001.md
    """
    from airq.case.register import load_case
    from airq.cli.runner import echo_warnings
    from airq.render.case_text import record_warnings, render_case

    _check_outputs(output, overwrite)
    with _store() as store:
        c = load_case(store, reference)
    echo_warnings(record_warnings(c))
    _write_or_echo(render_case(c, fmt), output, overwrite)


@case.command("report")
@reference_arg
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              metavar="FILE.{pdf,docx,html}",
              help="The summary to write: .pdf (A4), .docx (Word, to edit) or .html.")
@overwrite_opt
def case_report(reference, output, overwrite):
    """Write the stage 1 summary report for the reporter (PDF, Word or HTML).

    The concern as received, the outcome in plain language, what was looked at on
    each track with the attached figures (the air quality table and land-use
    findings of an attached result or report, the rate table with its confidence
    intervals), the record of contacts and decisions, and the checksums that tie
    the summary to the record. The record is verified first. Officers edit the
    .docx in Word before it is sent.

    \b
    Example:
      airq case report ENQ-2018-0001 -o ENQ-2018-0001-summary.docx
    """
    from airq.case.register import load_case
    from airq.case.report import build_summary
    from airq.render.case_document import SUFFIXES, write_summary

    if Path(output).suffix.lower() not in SUFFIXES:
        raise click.BadParameter(f"{output} must end in .pdf, .docx or .html",
                                 param_hint="-o/--output")
    _check_outputs(output, overwrite, stdout_options=())
    with _store() as store:
        summary = build_summary(store, load_case(store, reference))
    for text in summary.warnings:
        click.echo(f"Warning: {text}", err=True)
    write_summary(summary, output, overwrite=overwrite)
    click.echo(f"Wrote {output}", err=True)


@case.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only cases still open.")
@click.option("--overdue", is_flag=True,
              help="Only open cases whose reporter has had no update for too long.")
@click.option("--as-of", callback=_checked(_day), metavar="DATE",
              help="Judge as at the end of this day (YYYY-MM-DD) [default: today].")
@click.option("--working-days", type=click.IntRange(min=1, max=2610), default=20,
              show_default=True,
              help="Working days allowed between updates to the reporter (at most ten "
                   "years').")
@format_opt(("text", "markdown", "json"))
def case_list(only_open, overdue, as_of, working_days, fmt):
    """List cases, with the last update to each reporter and whether one is overdue.

    An open case is overdue when the reporter has had no update (a `contact`
    event) for more than --working-days working days (Monday to Friday, England
    and Wales bank holidays excluded), counted from the last contact or, without
    one, from the day the enquiry was received. With --as-of, only what had
    happened by the end of that day counts.

    \b
    Example:
      airq case list --overdue --as-of 2018-10-01
    """
    from airq.case.chain import heads_digest
    from airq.case.events import today_uk
    from airq.case.register import load_cases
    from airq.case.workdays import case_statuses
    from airq.cli.runner import echo_warnings
    from airq.render.case_text import render_list

    day = as_of or today_uk()
    warnings: list[str] = []
    with _store() as store:
        every = load_cases(store, skipped=warnings)
        name = store.name
    every = _with_dates(every, warnings)
    warnings += [f"case {c.reference}: the record fails verification ({len(c.problems)} "
                 f"difference(s)); run `airq case verify {c.reference}`"
                 for c in every if c.problems]
    statuses = case_statuses(every, day, working_days, only_open=only_open,
                             only_overdue=overdue)
    filters = ", ".join(f for f, on in (("open", only_open), ("overdue", overdue)) if on)
    echo_warnings(warnings)
    click.echo(render_list(statuses, fmt, as_of=day, limit=working_days, database=name,
                           filters=filters, digest=heads_digest(every), warnings=warnings),
               nl=False)


def _with_dates(cases, warnings: list[str]) -> list:
    """Cases whose every event has a date; the others are named in ``warnings``."""
    from airq.errors import CaseError

    out = []
    for c in cases:
        try:
            for e in c.events:
                _ = e.day
        except CaseError as err:
            warnings.append(f"not listed: case {c.reference}: {err}")
            continue
        out.append(c)
    return out


@case.command("verify")
@reference_arg
@click.option("--head", metavar="HASH",
              help="A last-event hash printed earlier (case show, summary report): it must "
                   "still be in the record.")
@click.option("--figures/--no-figures", default=True, show_default=True,
              help="Also recompute attached outputs' figures through `airq verify` (needs "
                   "their inputs).")
@click.pass_context
def case_verify(ctx, reference, head, figures):
    """Re-check a case's record: the event chain and every attachment's checksum.

    Recomputes each event's hash and its link to the one before, so an event
    edited, deleted, inserted or reordered in the database behind airq's back is
    named; recomputes the SHA-256 of every attachment's stored bytes. Exit 0 when
    everything matches, 1 otherwise.

    \b
    Example:
      airq case verify ENQ-2018-0001
    """
    from airq.case.register import verify_case
    from airq.case.verify_figures import check_figures
    from airq.render.case_text import render_verification

    with _store() as store:
        v = verify_case(store, reference, head=head,
                        check_figures=check_figures if figures else None)
    click.echo(render_verification(v), nl=False)
    if not v.ok:
        ctx.exit(1)
