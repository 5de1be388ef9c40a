"""Pattern evidence from similar tickets, fed into `assess`: customers affected, resolved in
support, recurring after a fix and rising severity (see the "Patterns" paragraph of assess.py's
module docstring). Facts the ticket states always win over derived ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.learnings import Learning, LearningMatch
from escalation.domain.model import (
    Assessment,
    Decision,
    DeEscalationReason,
    FixKind,
    Level,
    Severity,
    Status,
    Target,
    Ticket,
)
from escalation.domain.patterns import IndexedTicket, PatternEvidence, PatternMatch, evidence_for
from escalation.render.i18n import placeholders, translate
from support import T0, bug_ticket

NOW = T0
FIXED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ARRIVED = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def ticket(customer: str | None = "C-new", created_at: datetime | None = ARRIVED,
           **facts: Any) -> Ticket:
    mapping: dict[str, Any] = {"id": "ZD-100", "current_tier": "l2", "facts": facts,
                               "subject": "CSV export drops rows"}
    if customer is not None:
        mapping["customer"] = {"id": customer}
    if created_at is not None:
        mapping["created_at"] = created_at.isoformat()
    return ticket_from_mapping(mapping)


def indexed(ticket_id: str, customer: str | None = None, days_ago: int = 10, *,
            escalation: str | None = None, status: Status | None = None,
            severity: Severity | None = None, fix: FixKind | None = None,
            deescalated: DeEscalationReason | None = None,
            resolved_at: datetime | None = None) -> IndexedTicket:
    return IndexedTicket(ticket_id, customer, ARRIVED - timedelta(days=days_ago),
                         escalation_id=escalation, status=status, severity=severity,
                         fix_kind=fix, deescalation_reason=deescalated,
                         resolved_at=resolved_at)


def customers(n: int) -> PatternEvidence:
    """Evidence from `n` other customers, one ticket each (ZD-1 oldest)."""
    matches = [PatternMatch(indexed(f"ZD-{i}", f"C-{i}", days_ago=20 - i), 0.9)
               for i in range(1, n + 1)]
    return evidence_for("ZD-100", "C-new", ARRIVED, matches)


def run(patterns: PatternEvidence | None, **facts: Any) -> Assessment:
    return assess(ticket(**facts), now=NOW, patterns=patterns)


def codes(result: Assessment) -> list[str]:
    return [r.code for r in result.reasons]


def reasons(result: Assessment, code: str) -> list[str]:
    return [r.text for r in result.reasons if r.code == code]


SUPPORT_RESOLVED = indexed("ZD-3", "C-3", escalation="ESC-7", status=Status.RESOLVED,
                           fix=FixKind.WORKAROUND, resolved_at=FIXED)
CODE_FIXED = indexed("ZD-4", "C-4", days_ago=40, escalation="ESC-8", status=Status.RESOLVED,
                     fix=FixKind.CODE_FIX, resolved_at=FIXED)


def trend(*severities: Severity) -> tuple[IndexedTicket, ...]:
    ids = (1, 7, 9, 11, 12, 15)
    return tuple(indexed(f"ZD-{ids[i]}", f"C-{i}", days_ago=30 - i, severity=s)
                 for i, s in enumerate(severities))


# -- no evidence changes nothing -------------------------------------------------------------


TICKETS = {
    "bug": ticket_from_mapping(bug_ticket()),
    "bug-l1": ticket_from_mapping({**bug_ticket(), "current_tier": "l1"}),
    "quiet": ticket(),
    "infrastructure": ticket(infrastructure_suspected=True),
    "two-customers": ticket(customers_affected=2),
    "three-customers": ticket(customers_affected=3, known_workaround="Split the export"),
    "recurring": ticket(recurring_after_fix=True, severity_increasing=True),
    "no-customer": ticket(customer=None, created_at=None, previously_resolved_in_support=True),
}


@pytest.mark.parametrize("name", sorted(TICKETS))
def test_no_or_empty_evidence_changes_nothing(name: str) -> None:
    item = TICKETS[name]
    today = assess(item, now=NOW)
    assert assess(item, now=NOW, patterns=None) == today
    assert assess(item, now=NOW, patterns=PatternEvidence()) == today
    assert assess(item, now=NOW, patterns=evidence_for(item.id, "C-1", ARRIVED, [])) == today


def test_evidence_of_the_ticket_itself_changes_nothing() -> None:
    item = ticket(infrastructure_suspected=True)
    own = evidence_for("ZD-100", "C-new", ARRIVED, [PatternMatch(indexed("ZD-100", "C-new"), 1)])
    assert own == PatternEvidence()
    assert run(own, infrastructure_suspected=True) == assess(item, now=NOW)


# -- customers affected ----------------------------------------------------------------------


def test_three_customers_from_the_matches_are_a_hard_trigger_citing_them() -> None:
    evidence = customers(2)
    assert evidence.customers_affected == 3
    result = run(evidence, known_workaround="Split the export")
    assert result.decision is Decision.ESCALATE
    assert result.ticket_id == "ZD-100"
    assert codes(result) == ["pattern.three_plus_customers"]
    assert reasons(result, "pattern.three_plus_customers") == [
        "Same issue reported by 3 customers (threshold 3): ZD-1, ZD-2, ZD-100"]
    assert result.reasons[0].params["tickets"] == "ZD-1, ZD-2, ZD-100"
    assert result.target is Target.ENGINEERING
    assert result.impact.breadth.level is Level.HIGH
    assert result.impact.breadth.evidence == "3 customers"


def test_many_customers_are_cited_with_a_count_of_the_rest() -> None:
    result = run(customers(7))
    assert reasons(result, "pattern.three_plus_customers") == [
        "Same issue reported by 8 customers (threshold 3): ZD-1, ZD-2, ZD-3, ZD-4, ZD-5, … "
        "(+3 more)"]


def test_two_customers_from_the_matches_are_the_soft_trigger_citing_them() -> None:
    result = run(customers(1))
    assert codes(result) == ["impact.multiple_customers"]
    assert reasons(result, "impact.multiple_customers") == [
        "Multiple customers affected (2): ZD-1, ZD-100"]
    assert result.decision is Decision.ESCALATE
    assert result.impact.breadth.level is Level.MEDIUM
    # A soft trigger still stays in support when a support rule applies.
    assert run(customers(1), known_workaround="Split").decision is Decision.HANDLE_IN_SUPPORT


def test_the_same_customer_again_is_no_breadth() -> None:
    same = evidence_for("ZD-100", "C-new", ARRIVED,
                        [PatternMatch(indexed("ZD-1", "C-new"), 0.9)])
    assert same.customers_affected is None
    assert run(same) == assess(ticket(), now=NOW)


@pytest.mark.parametrize("stated", [1, 2, 5])
def test_stated_customers_affected_win_over_the_matches(stated: int) -> None:
    result = run(customers(3), customers_affected=stated)
    assert result == assess(ticket(customers_affected=stated), now=NOW)
    assert all("ZD-1" not in r.text for r in result.reasons)
    assert result.impact.breadth.evidence.startswith(f"{stated} customer")


def test_a_derived_count_is_not_a_stated_one_for_what_the_brief_misses() -> None:
    result = run(customers(3), customer=None)
    assert result.target is Target.ENGINEERING
    assert "customer.arr" in result.missing  # business impact still missing from the ticket


def test_a_hand_built_count_below_the_ticket_itself_is_ignored() -> None:
    assert run(PatternEvidence(customers_affected=1, customer_tickets=("ZD-9",))) == assess(
        ticket(), now=NOW)


def test_a_count_without_cited_tickets_uses_the_plain_sentence() -> None:
    result = run(PatternEvidence(customers_affected=4))
    assert reasons(result, "pattern.three_plus_customers") == [
        "Same issue reported by 4 customers (threshold 3)"]


# -- previously resolved in support ----------------------------------------------------------


def test_a_match_resolved_in_support_keeps_a_soft_trigger_in_support() -> None:
    assert run(None, infrastructure_suspected=True).decision is Decision.ESCALATE
    result = run(PatternEvidence(resolved_in_support=SUPPORT_RESOLVED),
                 infrastructure_suspected=True)
    assert result.decision is Decision.HANDLE_IN_SUPPORT
    assert [(r.code, r.category, r.text) for r in result.reasons] == [
        ("support.previously_resolved", "support",
         "A similar ticket, ZD-3, was resolved at the support level (ESC-7)")]
    assert dict(result.reasons[0].params) == {"ticket": "ZD-3", "escalation": "ESC-7"}


def test_resolved_in_support_without_an_escalation_cites_the_ticket_only() -> None:
    bare = indexed("ZD-3", "C-3", deescalated=DeEscalationReason.ROOT_CAUSE_SUPPORT)
    result = run(PatternEvidence(resolved_in_support=bare))
    assert reasons(result, "support.previously_resolved") == [
        "A similar ticket, ZD-3, was resolved at the support level"]
    assert dict(result.reasons[0].params) == {"ticket": "ZD-3"}


def test_evidence_for_finds_the_support_resolution() -> None:
    evidence = evidence_for("ZD-100", "C-new", ARRIVED, [PatternMatch(SUPPORT_RESOLVED, 0.8)])
    assert evidence.resolved_in_support == SUPPORT_RESOLVED
    assert "ZD-3" in reasons(run(evidence), "support.previously_resolved")[0]


def test_a_stated_previous_resolution_wins() -> None:
    result = run(PatternEvidence(resolved_in_support=SUPPORT_RESOLVED),
                 previously_resolved_in_support=True)
    assert reasons(result, "support.previously_resolved") == [
        "Similar tickets were resolved at the support level before"]


def test_no_support_resolution_when_the_issue_recurs_after_a_fix() -> None:
    stated = run(PatternEvidence(resolved_in_support=SUPPORT_RESOLVED), known_workaround="X",
                 recurring_after_fix=True)
    derived = run(PatternEvidence(resolved_in_support=SUPPORT_RESOLVED, fixed_before=CODE_FIXED),
                  known_workaround="X")
    for result in (stated, derived):
        assert result.decision is Decision.ESCALATE
        assert "support.previously_resolved" not in codes(result)
    # Handled in support, the derived recurrence still keeps the citation out.
    quiet = assess(ticket(), now=NOW, patterns=PatternEvidence(
        resolved_in_support=SUPPORT_RESOLVED, fixed_before=CODE_FIXED))
    assert "support.previously_resolved" not in codes(quiet)


# -- recurring after a fix -------------------------------------------------------------------


def test_a_match_fixed_before_the_ticket_came_is_a_hard_recurrence() -> None:
    evidence = evidence_for("ZD-100", "C-new", ARRIVED, [PatternMatch(CODE_FIXED, 0.7)])
    assert evidence.fixed_before == CODE_FIXED
    result = run(evidence, known_workaround="Split the export")
    assert result.decision is Decision.ESCALATE
    assert result.target is Target.ENGINEERING
    assert [(r.code, r.text) for r in result.reasons] == [
        ("pattern.recurring_after_fix",
         "Recurring after the fix of ZD-4 in ESC-8, resolved 2026-11-01"),
        ("impact.multiple_customers", "Multiple customers affected (2): ZD-4, ZD-100")]
    assert dict(result.reasons[0].params) == {
        "ticket": "ZD-4", "escalation": "ESC-8", "resolved": "2026-11-01"}
    # On its own (no other customer), the recurrence is the only reason.
    alone = run(PatternEvidence(fixed_before=CODE_FIXED), known_workaround="Split the export")
    assert [(r.code, r.text) for r in alone.reasons] == [
        ("pattern.recurring_after_fix",
         "Recurring after the fix of ZD-4 in ESC-8, resolved 2026-11-01")]


def test_a_fix_after_the_ticket_came_is_no_recurrence() -> None:
    later = indexed("ZD-4", "C-4", escalation="ESC-8", fix=FixKind.CODE_FIX,
                    resolved_at=ARRIVED + timedelta(days=1))
    evidence = evidence_for("ZD-100", "C-new", ARRIVED, [PatternMatch(later, 0.7)])
    assert evidence.fixed_before is None
    assert "pattern.recurring_after_fix" not in codes(run(evidence))


@pytest.mark.parametrize(
    ("escalation", "resolved_at", "text"),
    [("ESC-8", FIXED, "Recurring after the fix of ZD-4 in ESC-8, resolved 2026-11-01"),
     (None, FIXED, "Recurring after the fix of ZD-4, resolved 2026-11-01"),
     ("ESC-8", None, "Recurring after the fix of ZD-4 in ESC-8"),
     (None, None, "Recurring after the fix of ZD-4")],
    ids=["full", "no-escalation", "no-date", "bare"],
)
def test_recurrence_cites_what_is_known(escalation: str | None, resolved_at: datetime | None,
                                        text: str) -> None:
    fixed = indexed("ZD-4", "C-4", escalation=escalation, fix=FixKind.CODE_FIX,
                    resolved_at=resolved_at)
    assert reasons(run(PatternEvidence(fixed_before=fixed)), "pattern.recurring_after_fix") == [
        text]


def test_the_fix_date_is_the_utc_day() -> None:
    late = datetime(2026, 11, 2, 7, 30, tzinfo=timezone(timedelta(hours=8)))  # 23:30 UTC
    fixed = indexed("ZD-4", escalation="ESC-8", fix=FixKind.CODE_FIX, resolved_at=late)
    result = run(PatternEvidence(fixed_before=fixed))
    assert result.reasons[0].params["resolved"] == "2026-11-01"


def test_a_stated_recurrence_wins_and_is_never_doubled() -> None:
    result = run(PatternEvidence(fixed_before=CODE_FIXED), recurring_after_fix=True)
    assert reasons(result, "pattern.recurring_after_fix") == [
        "Recurring issue that was supposedly fixed"]


def test_a_recurrence_from_history_wins_and_is_never_doubled() -> None:
    learned = Learning("ESC-41", "ZD-1", frozenset({"csv", "export"}), None, None,
                       "Release 2.42 batches large exports", "", FixKind.CODE_FIX, None, FIXED)
    result = assess(ticket(), now=NOW, history=(LearningMatch(learned, 0.8, ("csv",)),),
                    patterns=PatternEvidence(fixed_before=CODE_FIXED))
    assert reasons(result, "pattern.recurring_after_fix") == [
        "Recurring after the fix in ESC-41 (Release 2.42 batches large exports)"]
    # A weak history match derives nothing, so the pattern evidence does.
    weak = assess(ticket(), now=NOW, history=(LearningMatch(learned, 0.2, ("csv",)),),
                  patterns=PatternEvidence(fixed_before=CODE_FIXED))
    assert reasons(weak, "pattern.recurring_after_fix") == [
        "Recurring after the fix of ZD-4 in ESC-8, resolved 2026-11-01"]


# -- severity increasing ---------------------------------------------------------------------


def test_rising_severity_across_the_matches_is_a_soft_trigger_with_the_trend() -> None:
    matches = [PatternMatch(m, 0.8) for m in trend(Severity.MEDIUM, Severity.HIGH,
                                                   Severity.CRITICAL)]
    evidence = evidence_for("ZD-100", "C-new", ARRIVED, matches)
    assert evidence.severity_increasing
    result = run(PatternEvidence(severity_trend=evidence.severity_trend))
    assert result.decision is Decision.ESCALATE
    assert [(r.code, r.text) for r in result.reasons] == [
        ("pattern.severity_increasing",
         "Severity increasing over time: ZD-1 medium → ZD-7 high → ZD-9 critical")]
    assert run(PatternEvidence(severity_trend=evidence.severity_trend),
               known_workaround="Split").decision is Decision.HANDLE_IN_SUPPORT


def test_a_long_trend_shows_its_first_and_last_two_steps() -> None:
    long = trend(Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.MEDIUM,
                 Severity.HIGH, Severity.CRITICAL)
    assert reasons(run(PatternEvidence(severity_trend=long)), "pattern.severity_increasing") == [
        "Severity increasing over time: ZD-1 medium → ZD-7 medium → … → ZD-12 high → "
        "ZD-15 critical"]
    four = trend(Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
    assert reasons(run(PatternEvidence(severity_trend=four)), "pattern.severity_increasing") == [
        "Severity increasing over time: ZD-1 medium → ZD-7 medium → ZD-9 high → "
        "ZD-11 critical"]


def test_a_stated_rising_severity_wins() -> None:
    result = run(PatternEvidence(severity_trend=trend(Severity.MEDIUM, Severity.HIGH)),
                 severity_increasing=True)
    assert reasons(result, "pattern.severity_increasing") == ["Severity increasing over time"]


# -- all together, and in Chinese ------------------------------------------------------------


def test_everything_the_matches_say_at_once() -> None:
    evidence = PatternEvidence(
        customers_affected=3, customer_tickets=("ZD-1", "ZD-2", "ZD-100"),
        resolved_in_support=SUPPORT_RESOLVED, fixed_before=CODE_FIXED,
        severity_trend=trend(Severity.MEDIUM, Severity.HIGH))
    result = run(evidence)
    assert result.ticket_id == "ZD-100"
    assert codes(result) == ["pattern.three_plus_customers", "pattern.recurring_after_fix",
                             "pattern.severity_increasing"]


def test_the_new_sentences_are_translated() -> None:
    results = [
        run(customers(2)), run(customers(1)),
        run(PatternEvidence(resolved_in_support=SUPPORT_RESOLVED)),
        run(PatternEvidence(resolved_in_support=indexed("ZD-3", fix=FixKind.SUPPORT))),
        run(PatternEvidence(severity_trend=trend(Severity.MEDIUM, Severity.HIGH))),
        *(run(PatternEvidence(fixed_before=indexed("ZD-4", escalation=e, fix=FixKind.CODE_FIX,
                                                   resolved_at=at)))
          for e in ("ESC-8", None) for at in (FIXED, None)),
    ]
    templates = {r.template for result in results for r in result.reasons}
    assert len(templates) == 9
    for template in templates:
        zh = translate(template, "zh")
        assert zh != template
        assert placeholders(zh) == placeholders(template)
