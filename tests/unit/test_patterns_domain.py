"""The pure side of pattern detection (`escalation.domain.patterns`): distinct customers, the
three signals, cluster building, labels, the evidence a new ticket's matches give, citations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.domain.learnings import text_terms
from escalation.domain.model import DeEscalationReason, FixKind, Severity, Status
from escalation.domain.patterns import (
    IndexedTicket,
    PatternEvidence,
    PatternMatch,
    Signal,
    build_cluster,
    cite,
    cluster_signals,
    distinct_customers,
    evidence_for,
    label_for,
    recurs_after_fix,
    severity_rising,
)

DAY0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def t(ticket_id: str, customer: str | None = None, created: float | None = 0, *,
      subject: str = "", escalation: str | None = None, status: Status | None = None,
      severity: Severity | None = None, fix: FixKind | None = None,
      deescalated: DeEscalationReason | None = None,
      resolved: float | None = None) -> IndexedTicket:
    return IndexedTicket(
        ticket_id=ticket_id, customer=customer,
        created_at=day(created) if created is not None else None, subject=subject,
        escalation_id=escalation, status=status, severity=severity, fix_kind=fix,
        deescalation_reason=deescalated,
        resolved_at=day(resolved) if resolved is not None else None,
    )


def match(ticket: IndexedTicket, score: float = 0.8) -> PatternMatch:
    return PatternMatch(ticket, score)


# -- distinct customers ---------------------------------------------------------------------


def test_distinct_customers_counts_each_customer_once() -> None:
    group = [t("ZD-1", "C-1"), t("ZD-2", "C-1"), t("ZD-3", "C-2")]
    assert distinct_customers(group) == 2


def test_an_unknown_customer_counts_once_per_ticket() -> None:
    group = [t("ZD-1", "C-1"), t("ZD-2", None), t("ZD-3", None), t("ZD-4", "")]
    assert distinct_customers(group) == 4
    assert t("ZD-2").customer_key == "ticket:ZD-2"
    assert t("ZD-1", "C-1").customer_key == "customer:C-1"


def test_no_members_no_customers() -> None:
    assert distinct_customers([]) == 0


@given(st.lists(st.tuples(st.sampled_from(["C-1", "C-2", "C-3", None]),
                          st.integers(min_value=0, max_value=50)), max_size=12))
def test_distinct_customers_is_between_one_and_the_group_size(
        rows: list[tuple[str | None, int]]) -> None:
    group = [t(f"ZD-{i}", customer, created) for i, (customer, created) in enumerate(rows)]
    count = distinct_customers(group)
    assert count <= len(group)
    assert (count >= 1) == bool(group)
    known = {c for c, _ in rows if c is not None}
    unknown = sum(1 for c, _ in rows if c is None)
    assert count == len(known) + unknown


# -- recurring after a fix --------------------------------------------------------------------


def test_recurs_after_a_code_fix_only_with_a_ticket_created_after_the_fix() -> None:
    fixed = t("ZD-1", "C-1", 0, fix=FixKind.CODE_FIX, resolved=5)
    before_fix = t("ZD-2", "C-2", 3)
    same_moment = IndexedTicket("ZD-3", "C-3", day(5))
    assert recurs_after_fix([fixed, before_fix, same_moment]) is None
    after_fix = t("ZD-4", "C-4", 8)
    much_later = t("ZD-5", "C-5", 20)
    assert recurs_after_fix([much_later, fixed, before_fix, after_fix]) == (fixed, after_fix)


def test_a_workaround_is_not_a_fix_that_can_recur() -> None:
    workaround = t("ZD-1", "C-1", 0, fix=FixKind.WORKAROUND, resolved=5)
    support = t("ZD-2", "C-2", 0, fix=FixKind.SUPPORT, resolved=5)
    later = t("ZD-3", "C-3", 9)
    assert recurs_after_fix([workaround, support, later]) is None
    assert Signal.RECURRING_AFTER_FIX not in cluster_signals([workaround, support, later], 3)


def test_a_code_fix_without_a_resolution_time_does_not_count() -> None:
    unresolved = t("ZD-1", "C-1", 0, fix=FixKind.CODE_FIX, resolved=None)
    assert recurs_after_fix([unresolved, t("ZD-2", "C-2", 9)]) is None


def test_tickets_without_a_creation_time_never_recur() -> None:
    fixed = t("ZD-1", "C-1", 0, fix=FixKind.CODE_FIX, resolved=5)
    assert recurs_after_fix([fixed, t("ZD-2", "C-2", None)]) is None


def test_the_earliest_fix_is_checked_first() -> None:
    early = t("ZD-1", "C-1", 0, fix=FixKind.CODE_FIX, resolved=2)
    late = t("ZD-2", "C-2", 3, fix=FixKind.CODE_FIX, resolved=10)
    back = t("ZD-3", "C-3", 12)
    # ZD-2 came after ZD-1's fix (day 2): that recurrence is reported, not ZD-3's.
    assert recurs_after_fix([late, back, early]) == (early, late)
    assert recurs_after_fix([late, back]) == (late, back)


def test_naive_times_are_read_as_utc() -> None:
    fixed = IndexedTicket("ZD-1", "C-1", datetime(2026, 11, 1, 9, 0),
                          fix_kind=FixKind.CODE_FIX, resolved_at=datetime(2026, 11, 2, 9, 0))
    later = IndexedTicket("ZD-2", "C-2", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    assert recurs_after_fix([fixed, later]) == (fixed, later)


# -- severity rising --------------------------------------------------------------------------


def test_medium_then_high_then_critical_rises_in_time_order() -> None:
    medium = t("ZD-1", "C-1", 0, severity=Severity.MEDIUM)
    high = t("ZD-2", "C-2", 2, severity=Severity.HIGH)
    critical = t("ZD-3", "C-3", 4, severity=Severity.CRITICAL)
    assert severity_rising([critical, medium, high]) == (medium, high, critical)


def test_one_spike_in_the_middle_is_not_a_trend() -> None:
    group = [t("ZD-1", "C-1", 0, severity=Severity.MEDIUM),
             t("ZD-2", "C-2", 1, severity=Severity.MEDIUM),
             t("ZD-3", "C-3", 2, severity=Severity.CRITICAL),
             t("ZD-4", "C-4", 3, severity=Severity.MEDIUM)]
    assert severity_rising(group) == ()


def test_more_steps_down_than_up_is_not_a_trend_even_if_it_ends_higher() -> None:
    # medium -> critical -> high -> medium -> high: ups 2, downs 2, last above first.
    ranks = [Severity.MEDIUM, Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.HIGH]
    group = [t(f"ZD-{i}", f"C-{i}", i, severity=s) for i, s in enumerate(ranks)]
    assert severity_rising(group) == ()
    rising = [*group, t("ZD-9", "C-9", 9, severity=Severity.CRITICAL)]  # ups 3, downs 2
    assert severity_rising(rising) == tuple(rising)


def test_falling_or_flat_severity_is_not_rising() -> None:
    falling = [t("ZD-1", "C-1", 0, severity=Severity.CRITICAL),
               t("ZD-2", "C-2", 1, severity=Severity.MEDIUM)]
    flat = [t("ZD-1", "C-1", 0, severity=Severity.HIGH),
            t("ZD-2", "C-2", 1, severity=Severity.HIGH)]
    assert severity_rising(falling) == ()
    assert severity_rising(flat) == ()


def test_fewer_than_two_known_severities_say_nothing() -> None:
    assert severity_rising([]) == ()
    assert severity_rising([t("ZD-1", "C-1", 0, severity=Severity.MEDIUM),
                            t("ZD-2", "C-2", 1)]) == ()
    # A severity without a creation time is not placed in time, so it does not count.
    assert severity_rising([t("ZD-1", "C-1", 0, severity=Severity.MEDIUM),
                            t("ZD-2", "C-2", None, severity=Severity.CRITICAL)]) == ()


def test_unknown_severities_are_skipped_not_counted_as_steps() -> None:
    medium = t("ZD-1", "C-1", 0, severity=Severity.MEDIUM)
    critical = t("ZD-3", "C-3", 4, severity=Severity.CRITICAL)
    assert severity_rising([medium, t("ZD-2", "C-2", 2), critical]) == (medium, critical)


# -- signals and clusters ----------------------------------------------------------------------


def test_three_customers_is_a_pattern_at_threshold_three_two_is_not() -> None:
    two = [t("ZD-1", "C-1", 0), t("ZD-2", "C-2", 1), t("ZD-3", "C-2", 2)]
    three = [*two, t("ZD-4", "C-3", 3)]
    assert cluster_signals(two, 3) == ()
    assert cluster_signals(three, 3) == (Signal.THREE_PLUS_CUSTOMERS,)
    assert cluster_signals(two, 2) == (Signal.THREE_PLUS_CUSTOMERS,)


def test_signals_come_in_a_fixed_order() -> None:
    group = [t("ZD-3", "C-3", 9, severity=Severity.CRITICAL),
             t("ZD-1", "C-1", 0, severity=Severity.MEDIUM, fix=FixKind.CODE_FIX, resolved=2),
             t("ZD-2", "C-2", 5, severity=Severity.HIGH)]
    assert cluster_signals(group, 3) == (Signal.THREE_PLUS_CUSTOMERS,
                                         Signal.RECURRING_AFTER_FIX,
                                         Signal.SEVERITY_INCREASING)
    assert cluster_signals(group, 4) == (Signal.RECURRING_AFTER_FIX,
                                         Signal.SEVERITY_INCREASING)


def test_build_cluster_orders_members_by_time_then_id_and_spans_first_to_last_seen() -> None:
    members = [
        t("ZD-30", "C-3", 6, subject="CSV export fails with error 500"),
        t("ZD-10", "C-1", 1, subject="Export to CSV fails"),
        t("ZD-05", None, None, subject="Error 500 on export"),
        t("ZD-21", "C-2", 3, subject="CSV export fails again"),
        t("ZD-20", "C-1", 3, subject="Exporting CSV fails with 500"),
    ]
    cluster = build_cluster("C7", members, pattern_customers=3)
    assert cluster.id == "C7"
    # Oldest first, same moment by id, no creation time last.
    assert cluster.ticket_ids == ("ZD-10", "ZD-20", "ZD-21", "ZD-30", "ZD-05")
    assert cluster.first_seen == day(1)
    assert cluster.last_seen == day(6)
    assert cluster.distinct_customers == 4  # C-1, C-2, C-3 and the unknown one
    assert cluster.signals == (Signal.THREE_PLUS_CUSTOMERS,)
    # Terms in 3 of 5 subjects: csv, export, fail, 500 ("error" is in only 2); two subjects
    # carry all four and the shorter one wins.
    assert cluster.label == "Exporting CSV fails with 500"


def test_build_cluster_without_any_time_has_no_first_or_last_seen() -> None:
    cluster = build_cluster("C1", [t("ZD-2", "C-1", None), t("ZD-1", "C-2", None)], 3)
    assert cluster.first_seen is None and cluster.last_seen is None
    assert cluster.ticket_ids == ("ZD-1", "ZD-2")
    assert cluster.label == ""
    assert cluster.signals == ()


def test_build_cluster_reads_naive_times_as_utc() -> None:
    naive = IndexedTicket("ZD-1", "C-1", datetime(2026, 11, 3, 8, 0))
    aware = IndexedTicket("ZD-2", "C-2", datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    cluster = build_cluster("C1", [aware, naive], 3)
    assert cluster.ticket_ids == ("ZD-1", "ZD-2")
    assert cluster.first_seen == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


# -- labels -----------------------------------------------------------------------------------


def test_label_is_the_subject_sharing_most_of_the_groups_terms() -> None:
    subjects = ["Export to CSV fails", "CSV export fails with error 500",
                "Error 500 on export", "Login is slow"]
    assert label_for(subjects) == "CSV export fails with error 500"


def test_label_ties_go_to_the_shorter_subject() -> None:
    subjects = ["CSV export fails for the quarterly report", "CSV export fails badly"]
    # Both share csv, export, fail; neither shares more.
    assert label_for(subjects) == "CSV export fails badly"


def test_label_of_chinese_subjects() -> None:
    subjects = ["导出报表时提示错误", "报表导出失败", "报表导出一直失败"]
    assert label_for(subjects) == "报表导出失败"


def test_label_lists_the_frequent_terms_when_no_subject_shares_any() -> None:
    subjects = ["Login page is slow", "Invoice PDF missing logo"]
    label = label_for(subjects, max_terms=3)
    terms = label.split(" · ")
    assert len(terms) == 3
    every = text_terms(subjects[0]) | text_terms(subjects[1])
    assert set(terms) <= every
    assert terms == sorted(terms)  # all equally frequent: alphabetical


def test_label_of_one_subject_is_that_subject_whitespace_collapsed() -> None:
    assert label_for(["  Webhook   deliveries\tdelayed  "]) == "Webhook deliveries delayed"


def test_label_of_nothing_is_empty() -> None:
    assert label_for([]) == ""
    assert label_for(["", "   ", "\n"]) == ""


def test_a_long_english_label_is_cut_at_a_word_with_an_ellipsis() -> None:
    subject = ("The nightly CSV export of the quarterly revenue report fails with an internal "
               "server error")
    label = label_for([subject], max_chars=30)
    assert label == "The nightly CSV export of…"
    assert len(label) <= 30


def test_a_long_chinese_label_is_cut_between_characters() -> None:
    subject = "导出报表时一直提示服务器内部错误并且下载的文件是空的"
    label = label_for([subject], max_chars=10)
    assert label == "导出报表时一直提示…"
    assert len(label) == 10


def test_a_label_is_not_cut_when_it_fits() -> None:
    subject = "CSV export fails"
    assert label_for([subject], max_chars=len(subject)) == subject
    assert label_for([subject], max_chars=len(subject) - 1) == "CSV export…"


subject_text = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(["CSV", "export", "fails", "500", "报表", "导出", "失败", "error",
                              "  ", "\t", "—", "log-in", "名前"]),
             max_size=25).map(" ".join),
)


@given(st.lists(subject_text, max_size=6), st.integers(min_value=1, max_value=90),
       st.integers(min_value=1, max_value=6))
def test_a_label_never_exceeds_max_chars_and_is_empty_only_for_empty_input(
        subjects: list[str], max_chars: int, max_terms: int) -> None:
    label = label_for(subjects, max_terms=max_terms, max_chars=max_chars)
    assert len(label) <= max_chars
    has_text = any(s.strip() for s in subjects)
    assert (label != "") == has_text
    assert label == label.strip()


# -- evidence for a new ticket ----------------------------------------------------------------


def test_customers_affected_counts_the_new_ticket_and_cites_each_customers_first_ticket() -> None:
    matches = [match(t("ZD-3", "C-1", 3), 0.9), match(t("ZD-1", "C-1", 1), 0.7),
               match(t("ZD-2", "C-2", 2), 0.8)]
    evidence = evidence_for("ZD-9", "C-9", day(10), matches)
    assert evidence.customers_affected == 3
    assert evidence.customer_tickets == ("ZD-1", "ZD-2", "ZD-9")
    assert [m.ticket.ticket_id for m in evidence.matches] == ["ZD-3", "ZD-1", "ZD-2"]


def test_the_new_ticket_is_cited_first_when_it_is_the_oldest() -> None:
    evidence = evidence_for("ZD-9", "C-9", day(0), [match(t("ZD-1", "C-1", 1)),
                                                    match(t("ZD-2", "C-2", 2))])
    assert evidence.customer_tickets == ("ZD-9", "ZD-1", "ZD-2")


def test_matches_from_the_same_customer_only_do_not_make_it_broader() -> None:
    evidence = evidence_for("ZD-9", "C-1", day(10), [match(t("ZD-1", "C-1", 1))])
    assert evidence.customers_affected is None
    assert evidence.customer_tickets == ()
    assert len(evidence.matches) == 1


def test_unknown_customers_count_per_ticket_in_the_evidence() -> None:
    evidence = evidence_for("ZD-9", None, day(10), [match(t("ZD-1", None, 1)),
                                                    match(t("ZD-2", "C-2", 2))])
    assert evidence.customers_affected == 3


def test_a_ticket_never_matches_itself() -> None:
    evidence = evidence_for("ZD-9", "C-9", day(10), [match(t("ZD-9", "C-9", 10), 1.0)])
    assert evidence == PatternEvidence()
    mixed = evidence_for("ZD-9", "C-9", day(10), [match(t("ZD-9", "C-9", 10), 1.0),
                                                  match(t("ZD-1", "C-1", 1))])
    assert [m.ticket.ticket_id for m in mixed.matches] == ["ZD-1"]
    assert mixed.customers_affected == 2


def test_no_matches_no_evidence() -> None:
    evidence = evidence_for("ZD-9", "C-9", day(10), [])
    assert evidence == PatternEvidence()
    assert not evidence.severity_increasing


def test_resolved_in_support_is_the_best_scoring_match_resolved_in_support() -> None:
    workaround = t("ZD-1", "C-1", 1, fix=FixKind.WORKAROUND, resolved=2)
    deescalated = t("ZD-2", "C-2", 2, deescalated=DeEscalationReason.WORKAROUND_FOUND)
    code = t("ZD-3", "C-3", 3, fix=FixKind.CODE_FIX, resolved=4)
    self_resolved = t("ZD-4", "C-4", 4, deescalated=DeEscalationReason.SELF_RESOLVED)
    evidence = evidence_for("ZD-9", "C-9", day(10), [
        match(workaround, 0.6), match(deescalated, 0.8), match(code, 0.95),
        match(self_resolved, 0.9)])
    assert evidence.resolved_in_support == deescalated
    only_code = evidence_for("ZD-9", "C-9", day(10), [match(code, 0.95),
                                                      match(self_resolved, 0.9)])
    assert only_code.resolved_in_support is None


def test_fixed_before_only_when_the_ticket_arrived_after_the_fix() -> None:
    fixed = t("ZD-1", "C-1", 0, fix=FixKind.CODE_FIX, resolved=5, escalation="ESC-4",
              status=Status.RESOLVED)
    assert evidence_for("ZD-9", "C-9", day(3), [match(fixed)]).fixed_before is None
    assert evidence_for("ZD-9", "C-9", day(5), [match(fixed)]).fixed_before is None
    assert evidence_for("ZD-9", "C-9", day(7), [match(fixed)]).fixed_before == fixed


def test_fixed_before_never_comes_from_a_workaround() -> None:
    workaround = t("ZD-1", "C-1", 0, fix=FixKind.WORKAROUND, resolved=5)
    assert evidence_for("ZD-9", "C-9", day(7), [match(workaround)]).fixed_before is None


def test_fixed_before_is_the_best_scoring_fix_the_ticket_came_after() -> None:
    weak = t("ZD-1", "C-1", 0, fix=FixKind.CODE_FIX, resolved=1)
    strong_but_later = t("ZD-2", "C-2", 0, fix=FixKind.CODE_FIX, resolved=20)
    strong = t("ZD-3", "C-3", 0, fix=FixKind.CODE_FIX, resolved=2)
    evidence = evidence_for("ZD-9", "C-9", day(10), [
        match(weak, 0.6), match(strong_but_later, 0.95), match(strong, 0.9)])
    assert evidence.fixed_before == strong


def test_open_escalations_are_the_active_ones_in_match_order_without_repeats() -> None:
    matches = [
        match(t("ZD-1", "C-1", 1, escalation="ESC-1", status=Status.OPEN)),
        match(t("ZD-2", "C-2", 2, escalation="ESC-2", status=Status.RESOLVED)),
        match(t("ZD-3", "C-3", 3, escalation="ESC-3", status=Status.IN_PROGRESS)),
        match(t("ZD-4", "C-4", 4, escalation="ESC-1", status=Status.ACKNOWLEDGED)),
        match(t("ZD-5", "C-5", 5, escalation="ESC-5", status=Status.CLOSED)),
        match(t("ZD-6", "C-6", 6, escalation="ESC-6", status=Status.DE_ESCALATED)),
        match(t("ZD-7", "C-7", 7)),
    ]
    evidence = evidence_for("ZD-9", "C-9", day(10), matches)
    assert evidence.open_escalations == ("ESC-1", "ESC-3")


def test_the_severity_trend_comes_from_the_matches() -> None:
    medium = t("ZD-1", "C-1", 1, severity=Severity.MEDIUM)
    high = t("ZD-2", "C-2", 2, severity=Severity.HIGH)
    evidence = evidence_for("ZD-9", "C-9", day(10), [match(high), match(medium)])
    assert evidence.severity_trend == (medium, high)
    assert evidence.severity_increasing
    flat = evidence_for("ZD-9", "C-9", day(10), [match(medium)])
    assert not flat.severity_increasing


# -- citations --------------------------------------------------------------------------------


def test_cite_shows_the_first_five_and_counts_the_rest() -> None:
    ids = [f"ZD-{n}" for n in (11, 19, 23, 31, 40, 52, 60)]
    assert cite(ids) == "ZD-11, ZD-19, ZD-23, ZD-31, ZD-40, … (+2 more)"


def test_cite_of_five_or_fewer_lists_them_all() -> None:
    assert cite(["ZD-1", "ZD-2", "ZD-3", "ZD-4", "ZD-5"]) == "ZD-1, ZD-2, ZD-3, ZD-4, ZD-5"
    assert cite(["ZD-1"]) == "ZD-1"
    assert cite([]) == ""


@pytest.mark.parametrize(("limit", "expected"), [(1, "ZD-1, … (+2 more)"),
                                                 (3, "ZD-1, ZD-2, ZD-3")])
def test_cite_limit(limit: int, expected: str) -> None:
    assert cite(["ZD-1", "ZD-2", "ZD-3"], limit=limit) == expected
