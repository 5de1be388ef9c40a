"""The desk as a Model Context Protocol server: the CLI's use cases as tools for an assistant.

Every tool goes through the same `Desk` as the command line, so the same rules, refusals and
audit trail apply; the acting identity is the one the server was started with (`--actor`).
A refusal or bad input comes back as a tool error carrying the CLI's one-line message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer  # mcp 2.x (pyproject asks for mcp>=2.0)
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from pydantic import Field

from escalation.domain.contract import assessment_to_mapping, parse_timestamp, ticket_from_mapping
from escalation.domain.errors import InputError
from escalation.domain.lifecycle import LifecycleError
from escalation.domain.model import (
    ChecklistItem,
    DeEscalationReason,
    FixKind,
    FollowupKind,
    Severity,
    Target,
)
from escalation.domain.policy import policy_to_mapping
from escalation.render.records import (
    escalation_json,
    followup_json,
    lint_result_json,
    view_json,
)
from escalation.services import DeskError

if TYPE_CHECKING:
    from escalation.domain.model import Escalation
    from escalation.services import Desk

DEFAULT_ACTOR = "mcp"

INSTRUCTIONS = """\
Escalation Desk decides whether a support ticket should be escalated (to l2, engineering,
product, security or leadership, at severity critical/high/medium), writes the escalation brief
in the playbook's Structured Escalation Format, and tracks each escalation from open to closed:
acknowledge, follow up (internal with the receiving team, customer updates even with no news),
change severity, de-escalate or resolve, tick the closing checklist, close. Start with
assess_ticket; open_escalation stores the ticket and opens the escalation (refused when the
assessment says handle in support, unless force with target and severity). Escalation ids look
like ESC-7. Times are ISO-8601; pass `now` only to judge as of another moment. Every change is
recorded in a tamper-evident audit trail under this server's actor."""

# JSON-schema enums for the tool parameters (the domain's values).
SeverityName = Literal["critical", "high", "medium"]
TargetName = Literal["l2", "engineering", "product", "security", "leadership"]
ReasonName = Literal["root_cause_support", "workaround_found", "self_resolved",
                     "severity_reassessed"]
FixKindName = Literal["code_fix", "workaround", "support", "other"]
ChecklistName = Literal["notify_team", "update_ticket", "inform_customer", "document_learning"]
LangName = Literal["en", "zh"]
FormatName = Literal["text", "markdown", "json", "html"]

EscalationId = Annotated[str, Field(description="Escalation id, e.g. ESC-7 (or just 7).")]
Now = Annotated[str | None, Field(
    description="Judge time as of this ISO-8601 timestamp, e.g. 2026-11-26T10:00:00Z "
                "(default: the current time).")]
TicketObject = Annotated[dict[str, Any], Field(
    description="A ticket in SPEC.md's ticket contract: `id` required; subject, description, "
                "customer {id, name, tier, timezone, ...}, created_at, priority, sla, "
                "product_area, facts and the rest optional (unknown fields are ignored).")]
Lang = Annotated[LangName, Field(description="Language: en or zh.")]


class _Clock:
    """The moment a tool judges at: its `now` argument, else the current time."""

    @staticmethod
    def at(value: str | None) -> datetime:
        if value is None:
            return datetime.now(UTC)
        return parse_timestamp(value, "now")


def _message(exc: Exception, db_url: str) -> str | None:
    """The CLI's one-line message for an anticipated error (None for a crash)."""
    from escalation.adapters.policy_file import PolicyFileError  # noqa: PLC0415

    if isinstance(exc, InputError):
        return exc.message
    if isinstance(exc, PolicyFileError):
        return f"policy: {exc}"
    if isinstance(exc, LookupError):  # the store's NotFoundError: an unknown id
        return str(exc).strip("'\"")
    if isinstance(exc, LifecycleError | DeskError):
        return str(exc)
    if type(exc).__name__ == "ConflictError":
        return str(exc)
    if type(exc).__module__.startswith("sqlalchemy"):
        return f"database {db_url}: {str(exc).splitlines()[0]}"
    return None


def build_server(desk_factory: Callable[[], Desk], db_url: str) -> MCPServer:
    """An MCP server whose tools and resources act through the desk `desk_factory` opens."""
    server = MCPServer("escalation-desk", instructions=INSTRUCTIONS, log_level="WARNING")
    opened: list[Desk] = []

    def desk() -> Desk:
        if not opened:  # opened on first use: listing tools needs no database
            opened.append(desk_factory())
        return opened[0]

    @contextmanager
    def errors(kind: type[Exception] = ToolError) -> Iterator[None]:
        try:
            yield
        except (ToolError, ResourceError):
            raise
        except Exception as exc:
            message = _message(exc, db_url)
            if message is None:
                raise
            raise kind(message) from None

    def state(e: Escalation, **extra: Any) -> dict[str, Any]:
        return {"escalation": escalation_json(e), **extra}

    # -- tickets --------------------------------------------------------------------------

    @server.tool()
    def assess_ticket(ticket: TicketObject, now: Now = None, derive: Annotated[bool, Field(
        description="Read facts from the ticket's words (subject, description, "
                    "communications, tags); false: only the facts the ticket states.")] = True,
    ) -> dict[str, Any]:
        """Decide whether a ticket should be escalated: escalate or handle_in_support, to
        which target, at which severity, why (reason codes), its impact and SLA standing, and
        what a brief would still lack. Stored learnings are consulted ("resolved before in
        ESC-41"); a reason resting on a fact read from the words cites them ("read in
        description: ..."). Changes nothing."""
        from escalation.services import Desk, without_derive  # noqa: PLC0415

        with errors():
            moment = _Clock.at(now)
            d = desk()
            if not derive:
                d = Desk(d.store, without_derive(d.policy), d.actor)
            assessment = d.assess(ticket_from_mapping(ticket), moment)
            return assessment_to_mapping(assessment)

    @server.tool()
    def explain_ticket(ticket: TicketObject, now: Now = None) -> dict[str, Any]:
        """Show what was read from a ticket's words: each derived fact with all its evidence
        (field, phrase as written, lexicon entry), the facts the ticket states that won over a
        reading, every phrase read but set aside and why (negated, hedged, a question,
        quoted ...), and decision/target/severity with and without the derived facts.
        Changes nothing."""
        from escalation.domain.explain import explanation_to_mapping  # noqa: PLC0415
        from escalation.services import explain_ticket as explain  # noqa: PLC0415

        with errors():
            moment = _Clock.at(now)
            return explanation_to_mapping(explain(ticket_from_mapping(ticket), desk().policy,
                                                  moment))

    @server.tool()
    def lint_brief(ticket: Annotated[dict[str, Any], Field(
        description="A ticket (the brief is built from it first) or a brief JSON as "
                    "get_brief(format='json') returns it.")],
                   now: Now = None) -> dict[str, Any]:
        """Check the escalation brief like a demanding receiving team: findings with code,
        level (error/warning), field, message and hint; `has_errors` says whether the brief
        would be sent back. Changes nothing."""
        from escalation.domain.brief_json import brief_from_json, is_brief_json  # noqa: PLC0415
        from escalation.domain.lint import has_errors  # noqa: PLC0415
        from escalation.domain.lint import lint_brief as lint  # noqa: PLC0415
        from escalation.services import brief_ticket  # noqa: PLC0415

        with errors():
            moment = _Clock.at(now)
            if is_brief_json(ticket):
                brief = brief_from_json(ticket)
                ticket_id, findings = brief.ticket_id or "brief", lint(brief, None)
            else:
                briefed = brief_ticket(ticket_from_mapping(ticket), desk().policy, moment)
                ticket_id, findings = briefed.ticket.id, briefed.findings
            return {**lint_result_json(ticket_id, findings), "has_errors": has_errors(findings)}

    @server.tool()
    def find_patterns(tickets: Annotated[list[dict[str, Any]], Field(
        description="Tickets (id, subject, description, customer.id, created_at, "
                    "product_area are read).")],
                      now: Now = None) -> dict[str, Any]:
        """Group tickets that describe the same issue across customers and name each group's
        signals (three_plus_customers, recurring_after_fix, severity_increasing). The tickets
        are added to the desk's pattern index and grouped with the indexed tickets they
        resemble."""
        from escalation.domain.patterns import cluster_to_mapping  # noqa: PLC0415
        from escalation.patterns import find_patterns as find  # noqa: PLC0415

        with errors():
            moment = _Clock.at(now)
            parsed = [ticket_from_mapping(item, f"tickets[{i}]") for i, item in enumerate(tickets)]
            d = desk()
            d.index_tickets(parsed, moment)
            with d.store.unit_of_work(read_only=True) as uow:
                clusters = find(parsed, d.policy, index=d.patterns, uow=uow)
            return {"clusters": [cluster_to_mapping(c) for c in clusters]}

    # -- opening and reading escalations ------------------------------------------------------

    @server.tool()
    def open_escalation(
        ticket: TicketObject,
        owner: Annotated[str | None, Field(
            description="Who keeps the customer relationship (default: this server's actor)."
        )] = None,
        force: Annotated[bool, Field(
            description="Open even when the assessment says handle in support (then give "
                        "target and severity).")] = False,
        target: Annotated[TargetName | None, Field(description="With force.")] = None,
        severity: Annotated[SeverityName | None, Field(description="With force.")] = None,
        now: Now = None,
    ) -> dict[str, Any]:
        """Store the ticket and its assessment and open an escalation; returns the escalation
        (its id, e.g. ESC-7, and next follow-up deadlines), the assessment, and open
        escalations the ticket resembles (perhaps the same issue). Refused when the assessment
        says handle in support, unless force."""
        with errors():
            moment = _Clock.at(now)
            d = desk()
            matching = d.matching_escalations(ticket)
            escalation, assessment = d.open(
                ticket, moment, owner=owner, force=force,
                target=Target(target) if target else None,
                severity=Severity(severity) if severity else None)
            return state(escalation, assessment=assessment_to_mapping(assessment),
                         resembles=[{"escalation_id": other, "similarity": round(score, 2)}
                                    for other, score in matching[:3]])

    @server.tool()
    def show_escalation(escalation_id: EscalationId, lang: Lang = "en",
                        now: Now = None) -> dict[str, Any]:
        """Everything about one escalation: its state, linked tickets, follow-up clocks,
        closing gaps, brief (JSON) and lint, follow-up log and audit timeline."""
        with errors():
            return view_json(desk().show(escalation_id, _Clock.at(now)), lang)

    @server.tool()
    def get_brief(escalation_id: EscalationId, lang: Lang = "en",
                  format: Annotated[FormatName, Field(
                      description="text, markdown, json or html.")] = "markdown",
                  now: Now = None) -> str:
        """The escalation brief of a stored escalation in the playbook's Structured Escalation
        Format, as it stands now (current severity, target and breadth)."""
        from escalation.render import render_brief  # noqa: PLC0415

        with errors():
            briefed = desk().brief(escalation_id, _Clock.at(now))
            return render_brief(briefed.brief, format, lang)

    @server.tool()
    def list_followups(include_upcoming: Annotated[bool, Field(
        description="Also list follow-ups not yet due soon.")] = False,
                       now: Now = None) -> dict[str, Any]:
        """Follow-ups owed across active escalations (due soon, due, overdue), most urgent
        first: internal check-ins with the receiving team and customer updates."""
        with errors():
            views = desk().followups(_Clock.at(now), include_upcoming=include_upcoming)
            return {"followups": [followup_json(v) for v in views]}

    @server.tool()
    def draft_customer_update(escalation_id: EscalationId, lang: Lang = "en",
                              now: Now = None) -> str:
        """Draft the next customer update from the escalation's state (owed even with no
        news), times in the customer's zone. Sends nothing: record it with record_follow_up
        kind=customer once sent."""
        from escalation.render import render_customer_update  # noqa: PLC0415

        with errors():
            escalation, paragraphs = desk().draft_update(escalation_id, _Clock.at(now))
            zone = escalation.customer.timezone or "UTC"
            return render_customer_update(paragraphs, lang, zone)

    # -- changing escalations ---------------------------------------------------------------

    @server.tool()
    def acknowledge(escalation_id: EscalationId, now: Now = None) -> dict[str, Any]:
        """The receiving team acknowledged the escalation."""
        with errors():
            return state(desk().acknowledge(escalation_id, _Clock.at(now)))

    @server.tool()
    def record_follow_up(
        escalation_id: EscalationId,
        kind: Annotated[Literal["internal", "customer"], Field(
            description="internal: checked with the receiving team; customer: updated the "
                        "customer.")],
        note: Annotated[str, Field(description="What was checked or told.")],
        now: Now = None,
    ) -> dict[str, Any]:
        """Record a follow-up; that cadence clock restarts from now."""
        with errors():
            return state(desk().record_follow_up(escalation_id, FollowupKind(kind), note,
                                                 _Clock.at(now)))

    @server.tool()
    def change_severity(
        escalation_id: EscalationId,
        severity: Annotated[SeverityName, Field(description="The new severity.")],
        reason: Annotated[str, Field(description="Why the situation changed.")],
        now: Now = None,
    ) -> dict[str, Any]:
        """Change severity (up or down); the follow-up clocks re-plan at once."""
        with errors():
            return state(desk().change_severity(escalation_id, Severity(severity), reason,
                                                _Clock.at(now)))

    @server.tool()
    def de_escalate(
        escalation_id: EscalationId,
        reason: Annotated[ReasonName, Field(description="One of the playbook's four reasons.")],
        note: Annotated[str, Field(description="Root cause and what changed.")],
        now: Now = None,
    ) -> dict[str, Any]:
        """De-escalate: root cause support-resolvable, workaround found, self-resolved, or
        severity reassessed. The follow-up clocks stop."""
        with errors():
            return state(desk().de_escalate(escalation_id, DeEscalationReason(reason), note,
                                            _Clock.at(now)))

    @server.tool()
    def resolve(
        escalation_id: EscalationId,
        resolution: Annotated[str, Field(description="How it was resolved.")],
        learning: Annotated[str, Field(description="What to remember next time.")],
        fix_kind: Annotated[FixKindName | None, Field(
            description="Default: code_fix for engineering, else support.")] = None,
        now: Now = None,
    ) -> dict[str, Any]:
        """Record the resolution and the learning (later assessments cite it)."""
        with errors():
            return state(desk().resolve(escalation_id, resolution, learning, _Clock.at(now),
                                        FixKind(fix_kind) if fix_kind else None))

    @server.tool()
    def tick_checklist(
        escalation_id: EscalationId,
        items: Annotated[list[ChecklistName], Field(
            min_length=1, description="Closing-checklist items done.")],
        now: Now = None,
    ) -> dict[str, Any]:
        """Tick closing-checklist items (all four are needed to close)."""
        with errors():
            d, moment = desk(), _Clock.at(now)
            escalation = None
            for item in items:
                escalation = d.tick(escalation_id, ChecklistItem(item), moment)
            assert escalation is not None
            missing = [i.value for i in ChecklistItem if i not in escalation.checklist]
            return state(escalation, checklist_missing=missing)

    @server.tool()
    def close_escalation(escalation_id: EscalationId, now: Now = None) -> dict[str, Any]:
        """Close the loop; refused while the resolution or the closing checklist is missing."""
        with errors():
            return state(desk().close(escalation_id, _Clock.at(now)))

    # -- resources ----------------------------------------------------------------------------

    @server.resource("escalation://policy", name="policy", mime_type="application/json",
                     description="The effective escalation policy: thresholds, SLA, cadence, "
                                 "routing (as `escalate policy show --format json`).")
    def policy_resource() -> str:
        with errors(ResourceError):
            return json.dumps(policy_to_mapping(desk().policy), indent=2, ensure_ascii=False)

    @server.resource("escalation://escalations/{escalation_id}/brief", name="brief",
                     mime_type="text/markdown",
                     description="The Markdown escalation brief of a stored escalation.")
    def brief_resource(escalation_id: str) -> str:
        from escalation.render import render_brief  # noqa: PLC0415

        with errors(ResourceError):
            briefed = desk().brief(escalation_id, datetime.now(UTC))
            return render_brief(briefed.brief, "markdown", "en")

    return server
