"""Commands on stored escalations: open, follow up, change severity, de-escalate, close, audit."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Annotated

import typer

from escalation.cli.common import (
    DataFormat,
    NoDeriveOption,
    NowOption,
    app,
    db_app,
    fail,
    now_from,
    open_desk,
    read_json,
    use_derive,
    user_errors,
    when,
)
from escalation.domain.audit import AuditEvent
from escalation.domain.cadence import FollowupStatus
from escalation.domain.model import (
    ChecklistItem,
    DeEscalationReason,
    Escalation,
    FixKind,
    FollowupKind,
    Severity,
    Target,
)
from escalation.formats import Lang
from escalation.render.records import event_json, followup_json, view_json
from escalation.services import EscalationView

EscalationArg = Annotated[str, typer.Argument(metavar="ESC-ID", help="Escalation id, e.g. ESC-7.")]
FormatOption = Annotated[DataFormat, typer.Option("--format", help="text or json.")]

def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


def _status_text(s: FollowupStatus, zone: str | None) -> str:
    due = when(s.due_at, zone)
    if s.delta.total_seconds() >= 0:
        return f"{s.kind.value:<8} {s.state.value:<8} due {due} (in {_span(s.delta)})"
    return f"{s.kind.value:<8} {s.state.value:<8} due {due} ({_span(s.delta)} ago)"


def _event_text(event: AuditEvent) -> str:
    details = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                        for k, v in event.details.items() if v not in (None, "", [], {}))
    return (f"#{event.seq:<5} {event.at.strftime('%Y-%m-%d %H:%M:%S %Z')}  {event.actor:<12} "
            f"{event.action:<24} {details}")


def _summary_line(e: Escalation) -> str:
    nexts = []
    if e.internal:
        nexts.append(f"next internal follow-up {when(e.internal.due_at, e.customer.timezone)}")
    if e.customer_update:
        nexts.append("next customer update "
                     f"{when(e.customer_update.due_at, e.customer.timezone)}")
    tail = f"; {'; '.join(nexts)}" if nexts else ""
    return f"{e.id}: {e.status.value}, {e.severity.value}, {e.target.value}{tail}"


@app.command("open")
def open_command(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="Ticket JSON.")],
    now: NowOption = None,
    owner: Annotated[str | None, typer.Option(
        "--owner", help="Who keeps the customer relationship (default: --actor).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Open even when the assessment says handle in support.")] = False,
    target: Annotated[Target | None, typer.Option("--target", help="With --force.")] = None,
    severity: Annotated[Severity | None, typer.Option("--severity", help="With --force.")] = None,
    link_if_match: Annotated[bool, typer.Option(
        "--link-if-match",
        help="When the ticket matches an open escalation, link it there instead.")] = False,
    no_derive: NoDeriveOption = False,
) -> None:
    """Store the ticket and its assessment, open an escalation, print its id.

    A ticket that resembles an open escalation's tickets is probably the same issue: open says
    so and suggests `escalate link`; with --link-if-match it links to the best match instead.
    """
    use_derive(no_derive)
    with user_errors():
        moment = now_from(now)
        raw = read_json(source)
        if not isinstance(raw, dict):
            fail(f"{source}: open takes one ticket object")
        desk = open_desk()
        matching = desk.matching_escalations(raw)
        if matching and link_if_match:
            best, score = matching[0]
            linked = desk.link(best, raw, moment)
            typer.echo(linked.id)
            typer.echo(f"linked to {linked.id} (similarity {score:.2f}), not opened: "
                       f"{linked.customers_affected} customers affected", err=True)
            return
        escalation, _assessment = desk.open(raw, moment, owner=owner, force=force,
                                            target=target, severity=severity)
    typer.echo(escalation.id)
    typer.echo(_summary_line(escalation), err=True)
    for other, score in matching[:3]:
        typer.echo(f"note: this ticket resembles {other} (similarity {score:.2f}); if it is "
                   f"the same issue, link it instead: escalate link {source} {other}",
                   err=True)


@app.command("link")
def link_command(
    source: Annotated[str, typer.Argument(metavar="TICKET_FILE", help="A further ticket.")],
    escalation_id: EscalationArg,
    now: NowOption = None,
) -> None:
    """Attach another customer's ticket to an escalation instead of escalating it again."""
    with user_errors():
        raw = read_json(source)
        if not isinstance(raw, dict):
            fail(f"{source}: link takes one ticket object")
        escalation = open_desk().link(escalation_id, raw, now_from(now))
    typer.echo(f"{escalation.id}: {escalation.customers_affected} customers affected")


@app.command("show")
def show_command(
    escalation_id: EscalationArg,
    now: NowOption = None,
    fmt: FormatOption = DataFormat.text,
) -> None:
    """An escalation with its brief, state, next follow-ups and timeline."""
    with user_errors():
        moment = now_from(now)
        view = open_desk().show(escalation_id, moment)
    if fmt is DataFormat.json:
        sys.stdout.write(json.dumps(view_json(view), ensure_ascii=False, indent=2) + "\n")
        return
    typer.echo(_view_text(view))


def _view_text(view: EscalationView) -> str:
    from escalation.render import render_brief  # noqa: PLC0415

    e = view.escalation
    zone = e.customer.timezone
    lines = [
        f"{e.id}  {e.status.value.upper()}  severity {e.severity.value}  target {e.target.value}"
        + (f" (also notify {', '.join(t.value for t in e.also_notify)})" if e.also_notify
           else ""),
        f"ticket {e.ticket_id}"
        + (f" + {len(view.linked_tickets) - 1} linked" if len(view.linked_tickets) > 1 else "")
        + f"; {e.customers_affected} customer(s) affected; owner {e.owner}; opened "
        f"{when(e.opened_at, zone)}",
    ]
    lines += ["", "FOLLOW-UPS"]
    lines += [f"- {_status_text(s, zone)}" for s in view.followups] or [
        "- none owed: the clocks stop once resolved or de-escalated"]
    if view.closing_gaps and not e.status.is_active:
        lines += ["", "TO CLOSE"] + [f"- {gap}" for gap in view.closing_gaps]
    if view.briefed:
        lines += ["", "BRIEF", render_brief(view.briefed.brief, "text", "en").rstrip()]
        errors = [f for f in view.briefed.findings if f.level.value == "error"]
        if errors:
            lines += ["", "LINT ERRORS"] + [f"- {f.code} {f.field}: {f.message}" for f in errors]
    lines += ["", "TIMELINE"] + [_event_text(ev) for ev in view.events]
    return "\n".join(lines)


@app.command("ack")
def ack_command(escalation_id: EscalationArg, now: NowOption = None) -> None:
    """The receiving team acknowledged the escalation."""
    with user_errors():
        escalation = open_desk().acknowledge(escalation_id, now_from(now))
    typer.echo(_summary_line(escalation))


@app.command("start")
def start_command(
    escalation_id: EscalationArg,
    now: NowOption = None,
    note: Annotated[str, typer.Option("--note", help="What the team is doing.")] = "",
) -> None:
    """The receiving team started work (in progress)."""
    with user_errors():
        escalation = open_desk().start(escalation_id, now_from(now), note)
    typer.echo(_summary_line(escalation))


@app.command("follow-up")
def follow_up_command(
    escalation_id: EscalationArg,
    note: Annotated[str, typer.Option("--note", help="What was checked or told.")],
    internal: Annotated[bool, typer.Option("--internal", help="Checked with the team.")] = False,
    customer: Annotated[bool, typer.Option("--customer", help="Updated the customer.")] = False,
    now: NowOption = None,
) -> None:
    """Record a follow-up; that cadence clock restarts."""
    if internal == customer:
        fail("say which follow-up: --internal (with the receiving team) or --customer")
    kind = FollowupKind.INTERNAL if internal else FollowupKind.CUSTOMER
    with user_errors():
        escalation = open_desk().record_follow_up(escalation_id, kind, note, now_from(now))
    typer.echo(_summary_line(escalation))


@app.command("severity")
def severity_command(
    escalation_id: EscalationArg,
    level: Annotated[Severity, typer.Argument(metavar="LEVEL", help="critical, high, medium.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the situation changed.")],
    now: NowOption = None,
) -> None:
    """Change severity (up or down); the follow-up clocks re-plan at once."""
    with user_errors():
        escalation = open_desk().change_severity(escalation_id, level, reason, now_from(now))
    typer.echo(_summary_line(escalation))


@app.command("followups")
def followups_command(
    now: NowOption = None,
    fmt: FormatOption = DataFormat.text,
    all_clocks: Annotated[bool, typer.Option(
        "--all", help="Also list follow-ups not yet due soon.")] = False,
) -> None:
    """Due-soon, due and overdue follow-ups across active escalations, most urgent first."""
    with user_errors():
        views = open_desk().followups(now_from(now), include_upcoming=all_clocks)
    if fmt is DataFormat.json:
        payload = [followup_json(v) for v in views]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    if not views:
        typer.echo("No follow-ups due soon, due or overdue.")
        return
    for v in views:
        e = v.escalation
        typer.echo(f"{e.escalation_id:<8} {e.severity.value:<8} "
                   f"{_status_text(v.status, e.timezone)}  {e.owner}: {e.summary or e.ticket_id}")


@app.command("deescalate")
def deescalate_command(
    escalation_id: EscalationArg,
    reason: Annotated[DeEscalationReason, typer.Option("--reason", help="The seed's four.")],
    note: Annotated[str, typer.Option("--note", help="Root cause and what changed.")],
    now: NowOption = None,
) -> None:
    """De-escalate: root cause support-resolvable, workaround found, self-resolved, reassessed."""
    with user_errors():
        escalation = open_desk().de_escalate(escalation_id, reason, note, now_from(now))
    typer.echo(_summary_line(escalation))


@app.command("checklist")
def checklist_command(
    escalation_id: EscalationArg,
    done: Annotated[list[ChecklistItem], typer.Option(
        "--done", help="notify_team, update_ticket, inform_customer, document_learning.")],
    now: NowOption = None,
) -> None:
    """Tick closing-checklist items."""
    with user_errors():
        desk = open_desk()
        moment = now_from(now)
        escalation = None
        for item in done:
            escalation = desk.tick(escalation_id, item, moment)
    if escalation is not None:
        missing = [i.value for i in ChecklistItem if i not in escalation.checklist]
        typer.echo(f"{escalation.id}: checklist "
                   + (f"still needs {', '.join(missing)}" if missing else "complete"))


@app.command("resolve")
def resolve_command(
    escalation_id: EscalationArg,
    resolution: Annotated[str, typer.Option("--resolution", help="How it was resolved.")],
    learning: Annotated[str, typer.Option("--learning", help="What to remember next time.")],
    fix_kind: Annotated[FixKind | None, typer.Option(
        "--fix-kind", help="code_fix, workaround, support, other (default: code_fix for "
                           "engineering, else support).")] = None,
    now: NowOption = None,
) -> None:
    """Record the resolution and the learning (later assessments cite it)."""
    with user_errors():
        escalation = open_desk().resolve(escalation_id, resolution, learning, now_from(now),
                                         fix_kind)
    typer.echo(_summary_line(escalation))


@app.command("close")
def close_command(escalation_id: EscalationArg, now: NowOption = None) -> None:
    """Close the loop; refused while the closing checklist is incomplete."""
    with user_errors():
        escalation = open_desk().close(escalation_id, now_from(now))
    typer.echo(_summary_line(escalation))


@app.command("reopen")
def reopen_command(
    escalation_id: EscalationArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is back.")],
    now: NowOption = None,
) -> None:
    """Reopen a resolved, de-escalated or closed escalation (e.g. the issue recurred)."""
    with user_errors():
        escalation = open_desk().reopen(escalation_id, reason, now_from(now))
    typer.echo(_summary_line(escalation))


@app.command("timeline")
def timeline_command(escalation_id: EscalationArg, fmt: FormatOption = DataFormat.text) -> None:
    """The audit events of one escalation, oldest first."""
    with user_errors():
        events = open_desk().timeline(escalation_id)
    if fmt is DataFormat.json:
        sys.stdout.write(json.dumps([event_json(e) for e in events], ensure_ascii=False,
                                    indent=2) + "\n")
        return
    typer.echo("\n".join(_event_text(e) for e in events))


audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify_command() -> None:
    """Walk the whole hash chain; exit 1 naming the first bad event."""
    with user_errors():
        checked, problem = open_desk().verify_audit()
    if problem is not None:
        typer.echo(f"escalate: audit chain broken at {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit chain ok: {checked} events verified")


@db_app.command("upgrade")
def db_upgrade_command() -> None:
    """Apply the database migrations (they also apply on first use)."""
    from escalation.cli.common import db_url, open_store  # noqa: PLC0415

    with user_errors():
        revision = open_store(migrate=False).upgrade()
    typer.echo(f"{db_url()}: at revision {revision}")



@app.command("draft-update")
def draft_update_command(
    escalation_id: EscalationArg,
    lang: Annotated[Lang, typer.Option("--lang", help="en or zh.")] = Lang.en,
    now: NowOption = None,
) -> None:
    """Draft the next customer update from the escalation's state (owed even with no news)."""
    from escalation.render import render_customer_update  # noqa: PLC0415

    with user_errors():
        escalation, paragraphs = open_desk().draft_update(escalation_id, now_from(now))
    zone = escalation.customer.timezone or "UTC"
    sys.stdout.write(render_customer_update(paragraphs, lang.value, zone))
