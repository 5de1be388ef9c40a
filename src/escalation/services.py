"""Use cases: assess, brief and lint tickets; open and follow an escalation through its life."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from escalation.domain import lifecycle
from escalation.domain.assess import assess
from escalation.domain.audit import AuditEvent, ChainProblem, verify_chain
from escalation.domain.brief import Brief, Value, build_brief
from escalation.domain.cadence import (
    FollowupStatus,
    horizon,
    plan,
    plan_customer,
    plan_internal,
    snooze,
    status_of,
)
from escalation.domain.calendar import BusinessCalendar
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.customer_update import draft_customer_update
from escalation.domain.explain import Explanation
from escalation.domain.extract import Extraction, extract, with_derived
from escalation.domain.impact import customers_affected
from escalation.domain.learnings import LearningMatch, learning_from, match_learnings
from escalation.domain.lifecycle import Action, check_allowed
from escalation.domain.lint import Finding, lint_brief
from escalation.domain.model import (
    Assessment,
    ChecklistItem,
    Customer,
    Decision,
    DeEscalationReason,
    Escalation,
    FixKind,
    FollowupClock,
    FollowupKind,
    Severity,
    Status,
    Target,
    Ticket,
)
from escalation.domain.notifications import (
    Event,
    Message,
    event_messages,
    release_at,
    reminder_messages,
)
from escalation.domain.patterns import Cluster, IndexedTicket, customer_key
from escalation.domain.policy import Policy

if TYPE_CHECKING:
    from escalation.adapters.db.store import (
        EscalationQuery,
        FollowUpRecord,
        FollowupRow,
        Store,
        UnitOfWork,
    )
    from escalation.patterns import Indexed, PatternIndex


def calendar_for(customer: Customer, policy: Policy) -> BusinessCalendar:
    """The customer's business calendar: their zone and country, else the policy's defaults."""
    # Imported here: the holidays package is only needed when business time matters.
    from escalation.adapters.calendars import customer_calendar  # noqa: PLC0415

    return customer_calendar(
        policy.calendar,
        customer.timezone or policy.calendar.default_timezone,
        customer.country or policy.calendar.default_country,
    )


def derive_facts(ticket: Ticket, policy: Policy) -> Extraction | None:
    """What the ticket's words say (`[derive]` of the policy; None when it is turned off)."""
    if not policy.derive.enabled:
        return None
    from escalation.adapters.lexicon_files import load_lexicon  # noqa: PLC0415

    return extract(ticket, load_lexicon(policy.derive.lexicons))


def without_derive(policy: Policy) -> Policy:
    """The policy with fact derivation turned off (`--no-derive`, `?derive=false`)."""
    if not policy.derive.enabled:
        return policy
    return replace(policy, derive=replace(policy.derive, enabled=False))


def explain_ticket(ticket: Ticket, policy: Policy, now: datetime) -> Explanation:
    """What the ticket's words say, and the decision with and without it (`escalate explain`).

    The words are read even when the policy turns derivation off, so one can see what it would
    change; `derive_enabled` says which of the two outcomes the desk acts on.
    """
    from escalation.adapters.lexicon_files import load_lexicon  # noqa: PLC0415

    calendar = calendar_for(ticket.customer, policy) if policy.sla.clock == "business" else None
    # Everything, also what the ticket states itself: the explanation shows what it overrode.
    extraction = extract(ticket, load_lexicon(policy.derive.lexicons), everything=True)
    return Explanation(
        ticket=ticket,
        extraction=extraction,
        derive_enabled=policy.derive.enabled,
        with_derived=assess(ticket, policy, now, calendar, derived=extraction),
        without_derived=assess(ticket, policy, now, calendar, derived=None),
    )


def assess_ticket(ticket: Ticket, policy: Policy, now: datetime) -> Assessment:
    """Assess one ticket; the calendar is built only when the policy counts business hours."""
    calendar = calendar_for(ticket.customer, policy) if policy.sla.clock == "business" else None
    return assess(ticket, policy, now, calendar, derived=derive_facts(ticket, policy))


@dataclass(frozen=True, slots=True)
class BriefedTicket:
    """A ticket with its assessment, brief and lint findings."""

    ticket: Ticket
    assessment: Assessment
    brief: Brief
    findings: tuple[Finding, ...]


def brief_ticket(ticket: Ticket, policy: Policy, now: datetime) -> BriefedTicket:
    """Assess a ticket, build its brief in the customer's calendar, and lint the brief."""
    calendar = calendar_for(ticket.customer, policy)
    derived = derive_facts(ticket, policy)
    assessment = assess(ticket, policy, now, calendar, derived=derived)
    if derived:
        ticket = with_derived(ticket, derived)
    brief = build_brief(ticket, assessment, policy, now, calendar)
    return BriefedTicket(ticket, assessment, brief, lint_brief(brief, ticket))


@contextmanager
def batch_mode() -> Iterator[None]:
    """Pause cyclic garbage collection while a batch of tickets is parsed and assessed.

    The domain builds only acyclic values, which reference counting frees; on a large batch the
    cyclic collector would only rescan the growing input and result lists again and again
    (about a third of the time on 20,000 tickets).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def assess_many(tickets: list[Ticket], policy: Policy, now: datetime) -> list[Assessment]:
    """Assess a batch of tickets (in batch mode)."""
    with batch_mode():
        return [assess_ticket(ticket, policy, now) for ticket in tickets]


# --- The escalation lifecycle: every state change is one transaction plus one audit event. ---


class DeskError(ValueError):
    """A request the desk refuses before changing anything (e.g. opening a support ticket)."""


@dataclass(frozen=True, slots=True)
class FollowupView:
    """One follow-up owed, with what a person needs to act on it."""

    status: FollowupStatus
    escalation: FollowupRow


@dataclass(frozen=True, slots=True)
class EscalationView:
    """Everything `show` prints: the escalation, its brief and lint, follow-ups and timeline."""

    escalation: Escalation
    ticket: Ticket | None
    linked_tickets: tuple[str, ...]
    briefed: BriefedTicket | None
    followups: tuple[FollowupStatus, ...]
    follow_up_log: tuple[FollowUpRecord, ...]
    events: tuple[AuditEvent, ...]
    closing_gaps: tuple[str, ...]


class Desk:
    """The use cases of the escalation lifecycle over one store, policy and acting person."""

    def __init__(self, store: Store, policy: Policy, actor: str):
        self.store = store
        self.policy = policy
        self.actor = actor

    # -- opening and linking --------------------------------------------------------------

    def history_for(self, uow: UnitOfWork, ticket: Ticket) -> tuple[LearningMatch, ...]:
        """Learnings of earlier escalations that match this ticket."""
        return match_learnings(ticket, uow.learnings())

    @property
    def patterns(self) -> PatternIndex:
        """The pattern index of this store (similar tickets across customers)."""
        from escalation.patterns import index_for, settings_for  # noqa: PLC0415 - loads numpy

        return index_for(self.store, settings_for(self.policy))

    def assess(self, ticket: Ticket, now: datetime) -> Assessment:
        """Assess with the customer's calendar and what earlier escalations taught."""
        return self.assess_many([ticket], now)[0]

    def assess_many(self, tickets: Sequence[Ticket], now: datetime) -> list[Assessment]:
        """Assess a batch against the stored learnings and the pattern index: similar
        tickets fill customers affected, resolved-before, recurrence and rising severity."""
        with self.store.unit_of_work(read_only=True) as uow:
            learnings = uow.learnings()
            evidence = [self.patterns.evidence(uow, ticket) for ticket in tickets]
        with batch_mode():
            return [
                assess(ticket, self.policy, now, calendar_for(ticket.customer, self.policy),
                       history=match_learnings(ticket, learnings), patterns=found,
                       derived=derive_facts(ticket, self.policy))
                for ticket, found in zip(tickets, evidence, strict=True)
            ]

    def triage(self, now: datetime, limit: int | None = None
               ) -> list[tuple[Ticket, Assessment]]:
        """Every stored ticket without an active escalation, assessed (history and patterns):
        those to escalate first, critical before high before medium, then those to handle in
        support; in the order they were stored within each group."""
        with self.store.unit_of_work(read_only=True) as uow:
            tickets = uow.open_tickets(limit)
        assessed = list(zip(tickets, self.assess_many(tickets, now), strict=True))
        return sorted(assessed, key=lambda pair: _triage_rank(pair[1]))

    def stored_patterns(
        self, visible: Callable[[Escalation], bool] = lambda _e: True,
    ) -> list[tuple[Cluster, list[IndexedTicket]]]:
        """The clusters the pattern index holds, most customers first, with their members.

        A cluster any of whose tickets belongs to an escalation `visible` rejects is left out
        whole (a security escalation's tickets and patterns exist only for who may see it).
        """
        with self.store.unit_of_work(read_only=True) as uow:
            clusters = self.patterns.stored_clusters(uow, self.policy.thresholds.pattern_customers)
            wanted = {t.escalation_id for _c, members in clusters for t in members
                      if t.escalation_id}
            escalations = uow.get_escalations(wanted)
        return [(c, members) for c, members in clusters
                if all(visible(escalations[t.escalation_id]) for t in members
                       if t.escalation_id in escalations)]

    def matching_escalations(self, raw: Mapping[str, Any]) -> list[tuple[str, float]]:
        """Active escalations whose tickets resemble this one: (escalation id, best score)."""
        ticket = ticket_from_mapping(raw)
        best: dict[str, float] = {}
        with self.store.unit_of_work(read_only=True) as uow:
            for match in self.patterns.matches(uow, ticket):
                esc = match.ticket.active_escalation
                if esc:
                    best[esc] = max(best.get(esc, 0.0), match.score)
        return sorted(best.items(), key=lambda kv: -kv[1])

    def index_tickets(self, tickets: Sequence[Ticket], now: datetime) -> list[Indexed]:
        """Add tickets to the pattern index; a cluster reaching the customer threshold
        announces pattern.detected (outbox and audit, same transaction)."""
        with self._indexing() as uow:
            return self._index(uow, tickets, now)

    @contextmanager
    def _indexing(self) -> Iterator[UnitOfWork]:
        """A unit of work that may index tickets: when it fails, the in-memory index (which
        already holds them) is dropped and reloaded from the database on next use."""
        from escalation.patterns import forget_index  # noqa: PLC0415

        try:
            with self.store.unit_of_work() as uow:
                yield uow
        except BaseException:
            forget_index(self.store)
            raise

    def _index(self, uow: UnitOfWork, tickets: Sequence[Ticket], now: datetime
               ) -> list[Indexed]:
        from escalation.patterns import detected_messages  # noqa: PLC0415

        done = self.patterns.index(uow, tickets, now, self.policy.thresholds.pattern_customers)
        for item in done:
            if item.detected is None:
                continue
            cluster = item.detected
            known = uow.patterns.indexed(cluster.ticket_ids)
            # Each escalation once, in the order its tickets come (several may share one).
            active = list(dict.fromkeys(
                esc for esc in (k.active_escalation for k in known.values()) if esc))
            if self.policy.notifications.channels:
                uow.outbox.enqueue(detected_messages(cluster, self.policy, now,
                                                     active[0] if active else None),
                                   now, self._release)
            uow.append_event(now, self.actor, "pattern.detected", None, {
                "cluster": cluster.id, "tickets": list(cluster.ticket_ids),
                "customers": cluster.distinct_customers, "label": cluster.label,
                "signals": [s.value for s in cluster.signals],
                "threshold": self.policy.thresholds.pattern_customers,
                "escalations": active,
            })
        return done

    def open(
        self,
        raw: Mapping[str, Any],
        now: datetime,
        *,
        owner: str | None = None,
        force: bool = False,
        target: Target | None = None,
        severity: Severity | None = None,
    ) -> tuple[Escalation, Assessment]:
        """Store the ticket and its assessment and open an escalation (one transaction)."""
        ticket = ticket_from_mapping(raw)
        calendar = calendar_for(ticket.customer, self.policy)
        with self._indexing() as uow:
            history = self.history_for(uow, ticket)
            evidence = self.patterns.evidence(uow, ticket)
            assessment = assess(ticket, self.policy, now, calendar, history=history,
                                patterns=evidence, derived=derive_facts(ticket, self.policy))
            if assessment.decision is Decision.HANDLE_IN_SUPPORT and not force:
                why = "; ".join(r.text for r in assessment.reasons)
                raise DeskError(
                    f"{ticket.id} should be handled in support ({why}); to open it anyway "
                    "use --force with --target and --severity")
            chosen_target = target or assessment.target
            chosen_severity = severity or assessment.severity
            if chosen_target is None or chosen_severity is None:
                raise DeskError("--force needs --target and --severity: the assessment gives "
                                "none for a ticket to handle in support")
            draft = Escalation(
                id="", ticket_id=ticket.id, status=Status.OPEN, severity=chosen_severity,
                target=chosen_target, opened_at=now, owner=owner or self.actor,
                also_notify=assessment.also_notify, customer=ticket.customer,
                summary=ticket.subject, customers_affected=customers_affected(ticket) or 1,
            )
            internal, customer = plan(draft, self.policy, calendar, now, now)
            uow.save_ticket(ticket, raw, now)
            escalation = uow.add_escalation(replace(draft, internal=internal,
                                                    customer_update=customer))
            uow.save_assessment(assessment, self.policy.version, now, escalation.id)
            details = {
                "ticket": ticket.id, "target": escalation.target.value,
                "severity": escalation.severity.value, "owner": escalation.owner,
                "reasons": [r.code for r in assessment.reasons],
                "policy": self.policy.version, "forced": force,
            }
            self._announce(uow, None, escalation, "escalation.opened", details, now)
            self._index(uow, [ticket], now)
            uow.append_event(now, self.actor, "escalation.opened", escalation.id, details)
        return escalation, assessment

    def link(self, escalation_id: str, raw: Mapping[str, Any], now: datetime) -> Escalation:
        """Attach a further customer's ticket; breadth (customers affected) updates."""
        ticket = ticket_from_mapping(raw)
        with self._indexing() as uow:
            escalation = uow.get_escalation(escalation_id)
            check_allowed(escalation, Action.LINK)
            uow.save_ticket(ticket, raw, now)
            if not uow.link_ticket(escalation.id, ticket.id, now):
                raise DeskError(f"{ticket.id} is already linked to {escalation.id}")
            customers = self._distinct_customers(uow, escalation.id)
            changed = replace(escalation, customers_affected=max(customers, 1),
                              version=escalation.version + 1)
            uow.update_escalation(changed, escalation.version, now, self.actor)
            self._index(uow, [ticket], now)
            uow.append_event(now, self.actor, "ticket.linked", escalation.id, {
                "ticket": ticket.id, "customer": ticket.customer.id or ticket.customer.name,
                "customers_affected": {"from": escalation.customers_affected,
                                       "to": changed.customers_affected},
            })
        return changed

    @staticmethod
    def _distinct_customers(uow: UnitOfWork, escalation_id: str) -> int:
        seen: set[str] = set()
        for ticket_id in uow.linked_tickets(escalation_id):
            ticket = uow.get_ticket(ticket_id)
            customer = ticket.customer if ticket else None
            key = (customer.id or customer.name) if customer else None
            seen.add(customer_key(key, ticket_id))
        return len(seen)

    # -- the life of an escalation ----------------------------------------------------------

    def _change(
        self,
        escalation_id: str,
        now: datetime,
        action: str,
        change: Callable[[Escalation], Escalation],
        details: Callable[[Escalation, Escalation], dict[str, Any]],
        after: Callable[[UnitOfWork, Escalation, Escalation], None] | None = None,
    ) -> Escalation:
        """Load, apply a domain change, save with the version check, audit — one transaction."""
        with self.store.unit_of_work() as uow:
            before = uow.get_escalation(escalation_id)
            changed = change(before)
            uow.update_escalation(changed, before.version, now, self.actor)
            if after is not None:
                after(uow, before, changed)
            info = details(before, changed)
            # Outbox before audit: every writer takes the audit head lock last (no deadlock).
            self._announce(uow, before, changed, action, info, now)
            uow.append_event(now, self.actor, action, before.id, info)
        return changed

    def _announce(
        self,
        uow: UnitOfWork,
        before: Escalation | None,
        after: Escalation,
        action: str,
        details: Mapping[str, Any],
        now: datetime,
    ) -> None:
        """Write the outbox messages a change owes, in the change's own transaction."""
        channels = self.policy.notifications.channels
        if not channels:
            return
        outbox = uow.outbox
        event = _ANNOUNCED.get(action)
        if event is not None:
            outbox.enqueue(event_messages(event, after, channels, now, details, after.version),
                           now, self._release)
        for kind, old, new in (
            (FollowupKind.INTERNAL, before.internal if before else None, after.internal),
            (FollowupKind.CUSTOMER, before.customer_update if before else None,
             after.customer_update),
        ):
            if before is not None and old == new and before.severity is after.severity:
                continue
            if new is None:
                outbox.cancel_reminders(after.id, kind.value)
            else:
                outbox.replace_reminders(
                    after.id, kind.value,
                    reminder_messages(after, new, channels,
                                      self.policy.followups.due_soon_minutes),
                    now, self._release)

    def _release(self, message: Message) -> datetime:
        """Quiet hours: a non-critical message to a person waits for their working hours."""
        person = (self.policy.notifications.person(message.recipient)
                  if message.recipient else None)
        if person is None or not (person.timezone or person.country):
            return message.due_at
        calendar = calendar_for(Customer(timezone=person.timezone, country=person.country),
                                self.policy)
        return release_at(message.due_at, message.severity, calendar)

    def snooze(
        self, escalation_id: str, kind: FollowupKind, span: timedelta, reason: str,
        now: datetime,
    ) -> Escalation:
        """Push one follow-up back for a while, with a reason (audited)."""
        if not reason.strip():
            raise DeskError("a snooze needs a reason (--reason)")

        def change(e: Escalation) -> Escalation:
            check_allowed(e, Action.FOLLOW_UP)
            clock = e.internal if kind is FollowupKind.INTERNAL else e.customer_update
            if clock is None:
                raise DeskError(f"{e.id}: no {kind.value} follow-up is owed, nothing to snooze")
            moved = snooze(clock, now, span)
            if kind is FollowupKind.INTERNAL:
                return replace(e, internal=moved, version=e.version + 1)
            return replace(e, customer_update=moved, version=e.version + 1)

        return self._change(escalation_id, now, "followup.snoozed", change,
                            lambda b, a: {"kind": kind.value, "for": str(span),
                                          "reason": reason.strip(),
                                          "due_at": _due(a.internal if kind is
                                                         FollowupKind.INTERNAL
                                                         else a.customer_update)})

    def acknowledge(self, escalation_id: str, now: datetime) -> Escalation:
        """The receiving team acknowledged the escalation."""
        return self._change(escalation_id, now, "escalation.acknowledged",
                            lambda e: lifecycle.acknowledge(e, now),
                            lambda b, a: {"from": b.status.value, "to": a.status.value})

    def start(self, escalation_id: str, now: datetime, note: str = "") -> Escalation:
        """The receiving team is working on it."""
        return self._change(escalation_id, now, "escalation.in_progress",
                            lambda e: lifecycle.start(e, now),
                            lambda b, a: {"from": b.status.value, "to": a.status.value,
                                          "note": note})

    def record_follow_up(
        self, escalation_id: str, kind: FollowupKind, note: str, now: datetime
    ) -> Escalation:
        """Record an internal follow-up or a customer update; that clock restarts from now."""
        if not note.strip():
            raise DeskError("a follow-up needs a note saying what was checked or told (--note)")

        def change(e: Escalation) -> Escalation:
            check_allowed(e, Action.FOLLOW_UP)
            calendar = calendar_for(e.customer, self.policy)
            if kind is FollowupKind.INTERNAL:
                clock = (plan_internal(e.severity, self.policy, calendar, now)
                         if e.status.is_active else None)
                return replace(e, internal=clock, last_internal_at=now, version=e.version + 1)
            clock = (plan_customer(e.severity, self.policy, calendar, now,
                                   e.customer.update_hours) if e.status.is_active else None)
            return replace(e, customer_update=clock, last_customer_at=now,
                           version=e.version + 1)

        def log(uow: UnitOfWork, before: Escalation, after: Escalation) -> None:
            uow.add_follow_up(before.id, kind, now, self.actor, note.strip())

        return self._change(
            escalation_id, now, f"followup.{kind.value}", change,
            lambda b, a: {"kind": kind.value, "note": note.strip(),
                          "next_due": _due(a.internal if kind is FollowupKind.INTERNAL
                                           else a.customer_update)},
            log,
        )

    def change_severity(
        self, escalation_id: str, severity: Severity, reason: str, now: datetime
    ) -> Escalation:
        """Adjust severity (up or down) with a reason; both follow-up clocks re-plan at once."""

        def change(e: Escalation) -> Escalation:
            changed = lifecycle.change_severity(e, severity, reason)
            calendar = calendar_for(e.customer, self.policy)
            internal, customer = plan(changed, self.policy, calendar, now, now)
            return replace(changed, internal=internal, customer_update=customer)

        return self._change(escalation_id, now, "severity.changed", change,
                            lambda b, a: {"from": b.severity.value, "to": a.severity.value,
                                          "reason": reason.strip(),
                                          "next_internal": _due(a.internal),
                                          "next_customer_update": _due(a.customer_update)})

    def de_escalate(
        self, escalation_id: str, reason: DeEscalationReason, note: str, now: datetime
    ) -> Escalation:
        """De-escalate for one of the seed's four reasons; what was learned is kept."""

        def learn(uow: UnitOfWork, before: Escalation, after: Escalation) -> None:
            self._keep_learning(uow, after, now)

        return self._change(escalation_id, now, "escalation.deescalated",
                            lambda e: lifecycle.de_escalate(e, reason, note, now),
                            lambda b, a: {"from": b.status.value, "reason": reason.value,
                                          "note": note.strip()},
                            learn)

    def resolve(
        self,
        escalation_id: str,
        resolution: str,
        learning: str,
        now: datetime,
        fix_kind: FixKind | None = None,
    ) -> Escalation:
        """Record the resolution and the learning; later assessments cite it."""

        def change(e: Escalation) -> Escalation:
            kind = fix_kind or (FixKind.CODE_FIX if e.target is Target.ENGINEERING
                                else FixKind.SUPPORT)
            return lifecycle.resolve(e, resolution, learning, kind, now)

        def learn(uow: UnitOfWork, before: Escalation, after: Escalation) -> None:
            self._keep_learning(uow, after, now)

        return self._change(escalation_id, now, "escalation.resolved", change,
                            lambda b, a: {"from": b.status.value, "resolution": a.resolution,
                                          "learning": a.learning,
                                          "fix_kind": a.fix_kind.value if a.fix_kind else None},
                            learn)

    def _keep_learning(self, uow: UnitOfWork, escalation: Escalation, now: datetime) -> None:
        ticket = uow.get_ticket(escalation.ticket_id)
        if ticket is not None:
            uow.add_learning(learning_from(escalation, ticket, now))

    def tick(self, escalation_id: str, item: ChecklistItem, now: datetime) -> Escalation:
        """Mark one closing-checklist item done."""
        return self._change(escalation_id, now, "checklist.done",
                            lambda e: lifecycle.tick(e, item),
                            lambda b, a: {"item": item.value,
                                          "remaining": list(lifecycle.closing_gaps(a))})

    def close(self, escalation_id: str, now: datetime) -> Escalation:
        """Close the loop; refused while the checklist or resolution is missing."""
        return self._change(escalation_id, now, "escalation.closed",
                            lambda e: lifecycle.close(e, now),
                            lambda b, a: {"from": b.status.value})

    def reopen(self, escalation_id: str, reason: str, now: datetime) -> Escalation:
        """Bring an ended escalation back (e.g. the issue recurred); clocks restart from now."""

        def change(e: Escalation) -> Escalation:
            reopened = lifecycle.reopen(e, reason, now)
            calendar = calendar_for(e.customer, self.policy)
            internal, customer = plan(reopened, self.policy, calendar, now, now)
            return replace(reopened, internal=internal, customer_update=customer)

        return self._change(escalation_id, now, "escalation.reopened", change,
                            lambda b, a: {"from": b.status.value, "reason": reason.strip()})

    # -- reading ------------------------------------------------------------------------------

    def get(self, escalation_id: str) -> Escalation:
        """One escalation as stored (LookupError when there is none)."""
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.get_escalation(escalation_id)

    def queue(self, query: EscalationQuery) -> tuple[list[Escalation], int]:
        """One page of the escalations the query selects, most urgent first, and the total."""
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.query_escalations(query)

    def followups(self, now: datetime, *, include_upcoming: bool = False) -> list[FollowupView]:
        """Follow-ups owed across active escalations, most urgent first."""
        with self.store.unit_of_work(read_only=True) as uow:
            rows = uow.followup_rows(None if include_upcoming else horizon(now, self.policy))
        views = [FollowupView(status_of(r.escalation_id, r.clock, now, self.policy), r)
                 for r in rows]
        return sorted(views, key=lambda v: v.status.urgency)

    def show(self, escalation_id: str, now: datetime) -> EscalationView:
        """One escalation with its brief, lint, follow-ups and timeline."""
        with self.store.unit_of_work(read_only=True) as uow:
            escalation = uow.get_escalation(escalation_id)
            ticket = uow.get_ticket(escalation.ticket_id)
            linked = tuple(uow.linked_tickets(escalation.id))
            log = tuple(uow.follow_ups(escalation.id))
            events = tuple(uow.events(escalation.id))
        briefed = self._brief(escalation, ticket, now) if ticket else None
        clocks = [c for c in (escalation.internal, escalation.customer_update) if c]
        return EscalationView(
            escalation, ticket, linked, briefed,
            tuple(status_of(escalation.id, c, now, self.policy) for c in clocks),
            log, events, lifecycle.closing_gaps(escalation),
        )

    def _brief(self, escalation: Escalation, ticket: Ticket, now: datetime) -> BriefedTicket:
        """The brief as the escalation stands now: its current severity, target and breadth."""
        calendar = calendar_for(ticket.customer, self.policy)
        derived = derive_facts(ticket, self.policy)
        if derived:
            ticket = with_derived(ticket, derived)
        facts = replace(ticket.facts, customers_affected=max(
            escalation.customers_affected, ticket.facts.customers_affected or 0))
        current = replace(ticket, facts=facts)
        assessment = replace(
            assess(current, self.policy, now, calendar, derived=derived),
            severity=escalation.severity, target=escalation.target,
            also_notify=escalation.also_notify,
        )
        brief = build_brief(current, assessment, self.policy, now, calendar)
        return BriefedTicket(current, assessment, brief, lint_brief(brief, current))

    def brief(self, escalation_id: str, now: datetime) -> BriefedTicket:
        """The brief of a stored escalation."""
        view = self.show(escalation_id, now)
        if view.briefed is None:
            raise DeskError(f"{view.escalation.id}: its ticket is not in the store")
        return view.briefed

    def draft_update(
        self, escalation_id: str, now: datetime
    ) -> tuple[Escalation, tuple[Value, ...]]:
        """The next customer update drafted from the escalation's state (owed even with no news)."""
        with self.store.unit_of_work(read_only=True) as uow:
            escalation = uow.get_escalation(escalation_id)
            log = uow.follow_ups(escalation.id)
        return escalation, draft_customer_update(escalation, latest_internal_note(log), now)

    def timeline(self, escalation_id: str) -> list[AuditEvent]:
        """The audit events of one escalation, oldest first."""
        with self.store.unit_of_work(read_only=True) as uow:
            escalation = uow.get_escalation(escalation_id)
            return list(uow.events(escalation.id))

    def verify_audit(self) -> tuple[int, ChainProblem | None]:
        """Walk the whole audit chain; the first broken event, if any."""
        with self.store.unit_of_work(read_only=True) as uow:
            return verify_chain(uow.events(), uow.audit_head())


# Audit actions that are also notification events.
_ANNOUNCED: dict[str, Event] = {
    "escalation.opened": Event.OPENED,
    "escalation.acknowledged": Event.ACKNOWLEDGED,
    "severity.changed": Event.SEVERITY_CHANGED,
    "escalation.deescalated": Event.DEESCALATED,
    "escalation.resolved": Event.RESOLVED,
    "escalation.closed": Event.CLOSED,
}


def _triage_rank(assessment: Assessment) -> tuple[int, int]:
    """Escalations first, by severity (most severe first); handle-in-support last."""
    if assessment.decision is Decision.HANDLE_IN_SUPPORT:
        return (1, 0)
    return (0, -assessment.severity.rank if assessment.severity is not None else 0)


def _due(clock: FollowupClock | None) -> str | None:
    return clock.due_at.isoformat() if clock else None


def latest_internal_note(log: Sequence[FollowUpRecord]) -> str | None:
    """The newest internal follow-up note: "what we know so far" for the customer."""
    internal = [r for r in log if r.kind is FollowupKind.INTERNAL]
    return max(internal, key=lambda r: r.at).note if internal else None
