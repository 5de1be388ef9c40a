"""What earlier escalations taught, fed into `assess`: resolved before in support, or recurring
after a code fix (see the "History" paragraph of assess.py's module docstring)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.learnings import Learning, LearningMatch, match_learnings
from escalation.domain.model import (
    Assessment,
    Decision,
    DeEscalationReason,
    FixKind,
    Severity,
    Target,
)
from escalation.render.i18n import translate

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FIXED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def learning(
    fix_kind: FixKind | None = FixKind.WORKAROUND,
    *,
    escalation_id: str = "ESC-41",
    resolution: str = "Release 2.42 batches large exports",
    learned: str = "Export one month at a time",
    deescalated: DeEscalationReason | None = None,
    resolved_at: datetime = FIXED,
) -> Learning:
    return Learning(escalation_id, "ZD-1", frozenset({"csv", "export", "fail"}), "Reporting",
                    None, resolution, learned, fix_kind, deescalated, resolved_at)


def match(item: Learning, score: float = 0.8) -> LearningMatch:
    return LearningMatch(item, score, ("csv", "export"))


def run(history: tuple[LearningMatch, ...] | list[LearningMatch], tier: str = "l2",
        created_at: str | None = "2026-11-26T08:00:00Z", **facts: Any) -> Assessment:
    mapping: dict[str, Any] = {"id": "ZD-2", "current_tier": tier, "facts": facts,
                               "subject": "CSV export fails", "product_area": "Reporting"}
    if created_at is not None:
        mapping["created_at"] = created_at
    return assess(ticket_from_mapping(mapping), now=NOW, history=tuple(history))


def codes(result: Assessment) -> list[str]:
    return [r.code for r in result.reasons]


def reason(result: Assessment, code: str) -> str:
    return next(r.text for r in result.reasons if r.code == code)


# -- resolved before at the support level --------------------------------------------------------


def test_resolved_before_keeps_a_soft_trigger_in_support_and_cites_the_escalation() -> None:
    without = run((), infrastructure_suspected=True)
    assert without.decision is Decision.ESCALATE
    result = run((match(learning()),), infrastructure_suspected=True)
    assert result.decision is Decision.HANDLE_IN_SUPPORT
    assert codes(result) == ["support.resolved_before"]
    assert reason(result, "support.resolved_before") == (
        "Resolved before in ESC-41 (workaround: Export one month at a time)")
    assert result.target is None and result.severity is None


@pytest.mark.parametrize(
    ("fix_kind", "deescalated", "text"),
    [
        (FixKind.WORKAROUND, None, "Resolved before in ESC-41 (workaround: Export one month at "
                                   "a time)"),
        (FixKind.SUPPORT, None, "Resolved before at the support level in ESC-41: Export one "
                                "month at a time"),
        (None, DeEscalationReason.WORKAROUND_FOUND, "Resolved before in ESC-41 (workaround: "
                                                    "Export one month at a time)"),
        (None, DeEscalationReason.ROOT_CAUSE_SUPPORT, "Resolved before at the support level in "
                                                      "ESC-41: Export one month at a time"),
    ],
    ids=["workaround", "support", "deescalated-workaround", "deescalated-root-cause"],
)
def test_handle_in_support_reasons_cite_the_escalation(
    fix_kind: FixKind | None, deescalated: DeEscalationReason | None, text: str
) -> None:
    result = run((match(learning(fix_kind, deescalated=deescalated)),))
    assert result.decision is Decision.HANDLE_IN_SUPPORT
    assert [(r.code, r.category, r.text) for r in result.reasons] == [
        ("support.resolved_before", "support", text)]
    assert result.reasons[0].params["escalation"] == "ESC-41"


@pytest.mark.parametrize(
    ("fix_kind", "deescalated"),
    [(FixKind.OTHER, None), (None, DeEscalationReason.SELF_RESOLVED),
     (None, DeEscalationReason.SEVERITY_REASSESSED), (None, None)],
    ids=["other-fix", "self-resolved", "severity-reassessed", "nothing-recorded"],
)
def test_other_outcomes_teach_nothing_about_handling_in_support(
    fix_kind: FixKind | None, deescalated: DeEscalationReason | None
) -> None:
    result = run((match(learning(fix_kind, deescalated=deescalated)),),
                 infrastructure_suspected=True)
    assert result.decision is Decision.ESCALATE
    assert "support.resolved_before" not in codes(result)


def test_resolved_before_falls_back_to_the_resolution_then_the_id() -> None:
    only_resolution = run((match(learning(learned="  ")),))
    assert reason(only_resolution, "support.resolved_before") == (
        "Resolved before in ESC-41 (workaround: Release 2.42 batches large exports)")
    bare = run((match(learning(learned="", resolution="")),))
    assert reason(bare, "support.resolved_before") == "Resolved before in ESC-41"


def test_a_hard_trigger_still_escalates_with_a_workaround_on_record() -> None:
    result = run((match(learning()),), production_down=True)
    assert result.decision is Decision.ESCALATE
    assert (result.target, result.severity) == (Target.ENGINEERING, Severity.CRITICAL)
    assert codes(result) == ["impact.production_down"]


def test_a_firm_trigger_still_escalates_with_a_workaround_on_record() -> None:
    result = run((match(learning()),), bug_confirmed=True, needs_code_change=True)
    assert result.decision is Decision.ESCALATE
    assert codes(result) == ["technical.bug_code_fix"]


def test_resolved_before_sits_beside_the_explicit_support_facts() -> None:
    result = run((match(learning()),), previously_resolved_in_support=True,
                 known_workaround="Export per month")
    assert codes(result) == ["support.known_workaround", "support.previously_resolved",
                             "support.resolved_before"]


def test_no_resolved_before_when_the_ticket_says_it_recurs_after_a_fix() -> None:
    result = run((match(learning()),), recurring_after_fix=True)
    assert result.decision is Decision.ESCALATE
    assert codes(result) == ["pattern.recurring_after_fix"]
    assert reason(result, "pattern.recurring_after_fix") == (
        "Recurring issue that was supposedly fixed")


# -- recurring after a code fix ------------------------------------------------------------------


def test_recurring_after_a_code_fix_escalates_and_cites_the_fix() -> None:
    result = run((match(learning(FixKind.CODE_FIX)),), known_workaround="Export per month")
    assert result.decision is Decision.ESCALATE
    assert result.target is Target.ENGINEERING
    assert codes(result) == ["pattern.recurring_after_fix"]
    assert reason(result, "pattern.recurring_after_fix") == (
        "Recurring after the fix in ESC-41 (Release 2.42 batches large exports)")


def test_recurring_goes_up_the_tiers_from_l1() -> None:
    result = run((match(learning(FixKind.CODE_FIX)),), tier="l1")
    assert (result.decision, result.target) == (Decision.ESCALATE, Target.L2)


def test_a_ticket_from_before_the_fix_is_not_a_recurrence() -> None:
    result = run((match(learning(FixKind.CODE_FIX)),), created_at="2026-10-30T08:00:00Z")
    assert result.decision is Decision.HANDLE_IN_SUPPORT
    assert codes(result) == ["support.no_trigger"]
    at_the_fix = run((match(learning(FixKind.CODE_FIX)),), created_at="2026-11-01T12:00:00Z")
    assert "pattern.recurring_after_fix" not in codes(at_the_fix)


def test_a_ticket_of_unknown_age_counts_as_after_the_fix() -> None:
    result = run((match(learning(FixKind.CODE_FIX)),), created_at=None)
    assert codes(result) == ["pattern.recurring_after_fix"]


def test_naive_resolution_times_are_read_as_utc() -> None:
    naive = learning(FixKind.CODE_FIX, resolved_at=datetime(2026, 11, 26, 7, 0))
    assert codes(run((match(naive),))) == ["pattern.recurring_after_fix"]
    later = learning(FixKind.CODE_FIX, resolved_at=datetime(2026, 11, 26, 9, 0))
    assert "pattern.recurring_after_fix" not in codes(run((match(later),)))


def test_an_explicit_recurring_fact_wins_over_the_derived_one() -> None:
    result = run((match(learning(FixKind.CODE_FIX)),), recurring_after_fix=True)
    assert codes(result) == ["pattern.recurring_after_fix"]  # once, not twice
    assert reason(result, "pattern.recurring_after_fix") == (
        "Recurring issue that was supposedly fixed")


def test_recurring_without_a_recorded_resolution_still_cites_the_escalation() -> None:
    result = run((match(learning(FixKind.CODE_FIX, resolution=" ")),))
    assert reason(result, "pattern.recurring_after_fix") == "Recurring after the fix in ESC-41"


# -- only the best match counts ------------------------------------------------------------------


def test_only_the_best_match_counts_whatever_the_order() -> None:
    code_fix = match(learning(FixKind.CODE_FIX, escalation_id="ESC-50"), 0.9)
    workaround = match(learning(FixKind.WORKAROUND, escalation_id="ESC-41"), 0.6)
    for history in ([code_fix, workaround], [workaround, code_fix]):
        result = run(history)
        assert codes(result) == ["pattern.recurring_after_fix"]
        assert "ESC-50" in reason(result, "pattern.recurring_after_fix")
    result = run([match(learning(FixKind.CODE_FIX), 0.5), match(learning(), 0.7)])
    assert codes(result) == ["support.resolved_before"]


def test_without_history_nothing_changes() -> None:
    plain = run((), infrastructure_suspected=True)
    assert run([], infrastructure_suspected=True) == plain
    assert "support.resolved_before" not in codes(plain)


def test_matching_and_assessing_end_to_end() -> None:
    # The learning a workaround left, found again by a differently worded ticket.
    stored = Learning("ESC-41", "ZD-1", frozenset({"csv", "export", "fail", "timeout", "report"}),
                      "Reporting", None, "Batching", "Export one month at a time",
                      FixKind.WORKAROUND, None, FIXED)
    ticket = ticket_from_mapping({
        "id": "ZD-2", "subject": "CSV exports failing", "description": "Timeout on export",
        "product_area": "Reporting", "facts": {"infrastructure_suspected": True}})
    history = match_learnings(ticket, [stored])
    result = assess(ticket, now=NOW, history=history)
    assert result.decision is Decision.HANDLE_IN_SUPPORT
    assert "ESC-41" in reason(result, "support.resolved_before")


def test_the_new_sentences_are_translated() -> None:
    for result in (run((match(learning()),)), run((match(learning(FixKind.SUPPORT)),)),
                   run((match(learning(FixKind.CODE_FIX)),))):
        template = result.reasons[0].template
        zh = translate(template, "zh")
        assert zh != template and "{escalation}" in zh
