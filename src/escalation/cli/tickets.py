"""Commands on tickets: assess, brief and lint (no store needed)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from escalation.cli.common import (
    EXIT_FINDINGS,
    DataFormat,
    DbOption,
    NoDeriveOption,
    NowOption,
    SkipOption,
    app,
    current_policy,
    dump,
    fail,
    looks_like_escalation_id,
    now_from,
    open_desk,
    read_text,
    read_tickets,
    state,
    use_db,
    use_derive,
    user_errors,
)
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.errors import InputError
from escalation.domain.model import Assessment, Decision, Severity, Ticket
from escalation.domain.policy import Policy
from escalation.formats import Lang
from escalation.render.records import lint_result_json

if TYPE_CHECKING:
    from escalation.domain.lint import Finding

@app.command("assess")
def assess_command(
    source: Annotated[str | None, typer.Argument(
        metavar="[FILE|-]", help="Ticket JSON (or a list); leave out with --all-open.")] = None,
    now: NowOption = None,
    fmt: Annotated[DataFormat | None, typer.Option(
        "--format", help="json or text (default json; text with --all-open).")] = None,
    skip_invalid: SkipOption = False,
    db: DbOption = None,
    all_open: Annotated[bool, typer.Option(
        "--all-open", help="Assess every stored ticket without an active escalation and "
                           "print a triage table (needs the store: --db or ESCALATION_DB).",
    )] = False,
    no_derive: NoDeriveOption = False,
) -> None:
    """Decide: escalate or handle in support, to which target, at which severity, and why.

    With --db (or ESCALATION_DB) the stored learnings are consulted: a ticket like one resolved
    before cites it ("resolved before in ESC-41"), and one fixed in code that is back raises
    pattern.recurring_after_fix.

    With --all-open instead of FILE, every stored ticket (imported, linked or opened) that has
    no open, acknowledged or in-progress escalation is assessed: a triage table, those to
    escalate first by severity, then those to handle in support, and a summary line.
    """
    from escalation.services import assess_many, batch_mode  # noqa: PLC0415 - light start-up

    if all_open and source is not None:
        fail("assess: give either FILE (or - for standard input) or --all-open, not both")
    if source is None and not all_open:
        fail("assess: give FILE (or - for standard input), or --all-open")
    use_db(db)
    use_derive(no_derive)
    if source is None:
        _assess_all_open(now, fmt or DataFormat.text)
        return
    with user_errors(), batch_mode():
        policy = current_policy()
        moment = now_from(now)
        tickets, as_list = read_tickets(source, skip_invalid)
        if state.db is not None:
            # A store was named: later assessments cite what earlier escalations taught.
            assessments = open_desk().assess_many(tickets, moment)
        else:
            assessments = assess_many(tickets, policy, moment)
    if fmt is DataFormat.text:
        typer.echo("\n\n".join(_assessment_text(a) for a in assessments))
        return
    mapped = [assessment_to_mapping(a) for a in assessments]
    sys.stdout.write(dump(mapped if as_list else mapped[0], as_list) + "\n")


def _assess_all_open(now: str | None, fmt: DataFormat) -> None:
    """`escalate assess --all-open`: triage every stored ticket without an active escalation."""
    with user_errors():
        moment = now_from(now)
        triaged = open_desk().triage(moment)
    if fmt is DataFormat.json:
        mapped = [assessment_to_mapping(a) for _, a in triaged]
        sys.stdout.write(dump(mapped, True) + "\n")
        return
    header = ("TICKET", "DECISION", "TARGET", "SEVERITY", "CUSTOMER", "TOP REASON", "MISSING")
    rows = [header] + [_triage_row(ticket, a) for ticket, a in triaged]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                        row[-1]]).rstrip() for row in rows] if triaged else []
    lines.append(_triage_summary([a for _, a in triaged]))
    typer.echo("\n".join(lines))


def _triage_row(ticket: Ticket, a: Assessment) -> tuple[str, ...]:
    customer = ticket.customer.name or ticket.customer.id or "-"
    return (
        a.ticket_id,
        a.decision.value,
        a.target.value if a.target else "-",
        a.severity.value if a.severity else "-",
        customer,
        a.reasons[0].code if a.reasons else "-",
        str(len(a.missing)),
    )


def _triage_summary(assessments: list[Assessment]) -> str:
    up = [a for a in assessments if a.decision is Decision.ESCALATE]
    by = {s: sum(1 for a in up if a.severity is s) for s in Severity}
    return (f"{len(assessments)} tickets: {len(up)} to escalate "
            f"({by[Severity.CRITICAL]} critical, {by[Severity.HIGH]} high, "
            f"{by[Severity.MEDIUM]} medium), {len(assessments) - len(up)} to handle in support")


def _assessment_text(a: Assessment) -> str:
    if a.decision is Decision.HANDLE_IN_SUPPORT:
        head = f"{a.ticket_id}: handle in support"
    else:
        notify = ", ".join(t.value for t in a.also_notify)
        also = f" (also notify {notify})" if notify else ""
        head = (f"{a.ticket_id}: ESCALATE to {a.target.value if a.target else '?'}{also}, "
                f"severity {a.severity.value if a.severity else '?'}")
    lines = [head, f"  SLA: {a.sla_status.value}"]
    lines += [f"  - {r.text}  [{r.code}]" for r in a.reasons]
    if a.impact.drivers:
        lines.append(f"  severity driven by: {'; '.join(a.impact.drivers)}")
    if a.missing:
        lines.append(f"  brief still lacks: {', '.join(a.missing)}")
    return "\n".join(lines)


class BriefOutput(StrEnum):
    """What `escalate brief` prints: a brief format, or a tracker's issue payload."""

    text = "text"
    markdown = "markdown"
    json = "json"
    html = "html"
    jira = "jira"
    github = "github"
    linear = "linear"


_TRACKER_FORMATS = frozenset({"jira", "github", "linear"})


@app.command("brief")
def brief_command(
    source: Annotated[str, typer.Argument(
        metavar="FILE|ESC-ID", help="Ticket JSON, - for standard input, or a stored escalation.")],
    now: NowOption = None,
    fmt: Annotated[BriefOutput, typer.Option(
        "--format", help="text, markdown, json or html; jira, github or linear for a "
                         "ready-to-send issue payload (JSON).")]
    = BriefOutput.text,
    lang: Annotated[Lang, typer.Option("--lang", help="en or zh.")] = Lang.en,
    project: Annotated[str, typer.Option(
        "--project", help="Jira project key, for --format jira.")] = "ESC",
    no_derive: NoDeriveOption = False,
) -> None:
    """Build the structured escalation brief in the playbook's format.

    --format jira|github|linear prints the brief as the tracker's create-issue JSON (Jira with an
    ADF description, GitHub and Linear with the Markdown brief); `escalate handoff` sends it.
    """
    from escalation.render import render_brief  # noqa: PLC0415
    from escalation.services import brief_ticket  # noqa: PLC0415

    use_derive(no_derive)
    escalation_id: str | None = None
    with user_errors():
        policy = current_policy()
        moment = now_from(now)
        if looks_like_escalation_id(source):
            view = open_desk().show(source, moment)
            if view.briefed is None:
                fail(f"{view.escalation.id}: its ticket is not in the store")
            briefed, escalation_id = view.briefed, view.escalation.id
        else:
            tickets, as_list = read_tickets(source, False)
            if as_list:
                fail(f"{source}: brief takes one ticket, got a list of {len(tickets)}")
            briefed = brief_ticket(tickets[0], policy, moment)
    if briefed.assessment.decision is Decision.HANDLE_IN_SUPPORT:
        typer.echo(
            f"escalate: note: {briefed.ticket.id} should be handled in support "
            f"({briefed.assessment.reasons[0].code}); the brief is for reference only",
            err=True,
        )
    if fmt.value in _TRACKER_FORMATS:
        from escalation.render.handoff import handoff_payload  # noqa: PLC0415

        payload = handoff_payload(briefed.brief, fmt.value, lang.value, project=project,
                                  escalation_id=escalation_id)
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    sys.stdout.write(render_brief(briefed.brief, fmt.value, lang.value).rstrip("\n") + "\n")


@app.command("lint")
def lint_command(
    source: Annotated[str, typer.Argument(
        metavar="FILE|ESC-ID",
        help="Ticket JSON (or a list), brief JSON, a brief written as text or Markdown, "
             "- for standard input, or a stored escalation.",
    )],
    now: NowOption = None,
    fmt: Annotated[DataFormat, typer.Option("--format", help="json or text.")] = DataFormat.text,
    no_derive: NoDeriveOption = False,
) -> None:
    """Check a brief like a demanding receiving team; exit 1 when any finding is an error.

    FILE (or - for standard input) is a ticket JSON or a list of tickets (the brief is built
    first), a brief JSON from `escalate brief --format json`, or a brief written by hand in the
    seed's Structured Escalation Format, as plain text or Markdown, in English or Chinese.
    """
    from escalation.domain.lint import has_errors  # noqa: PLC0415

    use_derive(no_derive)
    with user_errors():
        moment = now_from(now)
        if looks_like_escalation_id(source):
            briefed = open_desk().brief(source, moment)
            results, as_list = [(briefed.ticket.id, briefed.findings)], False
        else:
            results, as_list = _lint_source(source, moment)
    if fmt is DataFormat.json:
        payload = [lint_result_json(ticket_id, findings) for ticket_id, findings in results]
        sys.stdout.write(dump(payload if as_list else payload[0], as_list) + "\n")
    else:
        blocks = []
        for ticket_id, findings in results:
            if not findings:
                blocks.append(f"{ticket_id}: no findings")
                continue
            lines = [f"{ticket_id}: {len(findings)} finding(s)"]
            for f in findings:
                lines.append(f"  {f.level.value:<7} {f.code:<28} {f.field}: {f.message}")
                lines.append(f"  {'':<7} {'':<28} hint: {f.hint}")
            blocks.append("\n".join(lines))
        typer.echo("\n\n".join(blocks))
    if any(has_errors(findings) for _, findings in results):
        raise typer.Exit(EXIT_FINDINGS)


def _lint_source(source: str, now: datetime) -> tuple[list[tuple[str, tuple[Finding, ...]]],
                                                       bool]:
    """Findings per ticket or brief in FILE, and whether FILE held a list.

    Input that does not start like JSON is a written brief; a JSON object with
    `"kind": "escalation_brief"` is our brief JSON; any other JSON is tickets, as before.
    """
    from escalation.domain.brief_json import brief_from_json, is_brief_json  # noqa: PLC0415
    from escalation.domain.brief_text import parse_brief_text  # noqa: PLC0415
    from escalation.domain.lint import lint_brief  # noqa: PLC0415
    from escalation.services import brief_ticket  # noqa: PLC0415

    name = "standard input" if source == "-" else source
    shown = "stdin" if source == "-" else Path(source).name
    text = read_text(source)
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if not start:
        fail(f"{name}: empty: expected ticket JSON, brief JSON or a brief written in the "
             "Structured Escalation Format")
    if start not in ("{", "["):
        try:
            brief = parse_brief_text(text)
        except InputError as exc:
            fail(f"{name}: neither JSON nor a brief in the seed's format: {exc.message}")
        return [(brief.ticket_id or shown, lint_brief(brief, None))], False
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        fail(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    as_list = isinstance(data, list)
    policy: Policy | None = None
    results: list[tuple[str, tuple[Finding, ...]]] = []
    for index, item in enumerate(data if as_list else [data]):
        if is_brief_json(item):
            try:
                brief = brief_from_json(item)
            except InputError as exc:
                raise exc.under(f"[{index}]" if as_list else "") from None
            label = f"{shown}[{index}]" if as_list else shown
            results.append((brief.ticket_id or label, lint_brief(brief, None)))
            continue
        ticket = ticket_from_mapping(item, f"tickets[{index}]" if as_list else "")
        policy = policy or current_policy()
        briefed = brief_ticket(ticket, policy, now)
        results.append((briefed.ticket.id, briefed.findings))
    return results, as_list


