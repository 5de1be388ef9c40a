"""Learnings: the issue's signature, the lexical match, and its threshold measured on real text."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escalation.domain.learnings import (
    AREA_BONUS,
    AREA_PENALTY,
    CATEGORY_BONUS,
    CATEGORY_PENALTY,
    DEFAULT_THRESHOLD,
    Learning,
    LearningMatch,
    learning_from,
    match_learnings,
    signature_terms,
    text_terms,
)
from escalation.domain.model import (
    Category,
    DeEscalationReason,
    Escalation,
    Facts,
    FixKind,
    Severity,
    Status,
    Target,
    Ticket,
)
from support import duplicate_groups

FIXTURES = Path(__file__).parent.parent / "fixtures"
RESOLVED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def ticket(subject: str | None = None, description: str | None = None, *,
           area: str | None = None, category: Category | None = None,
           ticket_id: str = "T-1") -> Ticket:
    return Ticket(id=ticket_id, subject=subject, description=description, product_area=area,
                  facts=Facts(category=category))


def learned(escalation_id: str, subject: str, description: str | None = None, *,
            area: str | None = None, category: Category | None = None,
            resolved_at: datetime = RESOLVED, ticket_id: str = "T-0") -> Learning:
    source = ticket(subject, description, area=area, category=category, ticket_id=ticket_id)
    return Learning(escalation_id, source.id, signature_terms(source), area, category,
                    "Patched", "Export per month", FixKind.WORKAROUND, None, resolved_at)


# -- the signature -----------------------------------------------------------------------------


def test_stopwords_short_tokens_and_punctuation_are_dropped() -> None:
    assert text_terms("Hi, we cannot open the Dashboard: it is broken!!") == {
        "open", "dashboard", "broken"}


def test_plurals_and_verb_forms_fold_to_one_term() -> None:
    assert text_terms("exports") == text_terms("export") == text_terms("exported") == {"export"}
    assert text_terms("failed") == text_terms("failing") == text_terms("fails") == {"fail"}
    assert text_terms("queries crashes timeouts") == {"query", "crash", "timeout"}
    assert text_terms("stopped stopping") == {"stop"}
    assert text_terms("update updated updating updates") == {"updat"}
    # Words that only look plural stay whole.
    assert text_terms("status analysis access") == {"status", "analysis", "access"}


def test_numbers_that_look_like_codes_are_kept_others_dropped() -> None:
    terms = text_terms("HTTP 500 and E1042 (0x80070005) on 2026-11-03, 12 rows, id 13404344")
    assert {"500", "e1042", "0x80070005"} <= terms
    assert not {"2026", "11", "03", "12", "13404344"} & terms


def test_underscores_and_hyphens_split_words() -> None:
    assert text_terms("new_export") == text_terms("new-export") == {"new", "export"}


def test_text_is_unicode_normalised() -> None:
    # Full-width Latin (common in CJK input methods) is the same text as ASCII.
    assert text_terms("ＥＸＰＯＲＴ ｆａｉｌｅｄ ５００") == {"export", "fail", "500"}
    assert text_terms("Café crashed") == text_terms("Café crashed") == {"café", "crash"}


def test_chinese_text_gives_character_bigrams_shared_across_word_order() -> None:
    a, b = text_terms("报表导出失败"), text_terms("导出报表失败")
    assert {"报表", "导出", "失败"} <= a & b
    assert all(len(term) == 2 for term in a | b)
    # Filler bigrams and lone characters carry nothing.
    assert text_terms("您好，请问") == frozenset()
    assert text_terms("的") == frozenset()


def test_mixed_chinese_and_english_keep_both_scripts() -> None:
    terms = text_terms("Dashboard 导出CSV失败, error E1042")
    assert {"dashboard", "csv", "error", "e1042", "导出", "失败"} <= terms


def test_template_headings_and_user_agents_are_not_the_issue() -> None:
    terms = text_terms(
        "User Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_2) AppleWebKit/605.1.15\n"
        "Steps to reproduce: open the archive.\nExpected results: moved.\n"
        "Actual results: nothing.\nEnvironment: Windows 11")
    assert terms == {"open", "archiv", "mov", "noth", "window"}


def test_signature_uses_subject_description_and_product_area() -> None:
    terms = signature_terms(ticket("CSV export fails", "Timeout after 30 s", area="Reporting"))
    assert terms == {"csv", "export", "fail", "timeout", "report"}
    assert signature_terms(ticket()) == frozenset()


def test_signature_is_deterministic() -> None:
    subject, description = "导出 CSV fails", "Exports of 10k rows time out (HTTP 504)"
    first = signature_terms(ticket(subject, description))
    assert all(signature_terms(ticket(subject, description)) == first for _ in range(3))


# -- a learning from an escalation ---------------------------------------------------------------


def _escalation(**changes: object) -> Escalation:
    base = Escalation(id="ESC-41", ticket_id="ZD-1", status=Status.RESOLVED,
                      severity=Severity.HIGH, target=Target.ENGINEERING,
                      opened_at=RESOLVED - timedelta(days=2), owner="mei")
    return replace(base, **changes)  # type: ignore[arg-type]


def test_learning_from_a_resolved_escalation() -> None:
    source = ticket("CSV export fails", area="Reporting", category=Category.BUG, ticket_id="ZD-1")
    escalation = _escalation(resolution="Fixed in 2.42", learning="Large exports timed out",
                             fix_kind=FixKind.CODE_FIX)
    learning = learning_from(escalation, source, RESOLVED)
    assert learning == Learning(
        escalation_id="ESC-41", ticket_id="ZD-1", terms=frozenset({"csv", "export", "fail",
                                                                  "report"}),
        product_area="Reporting", category=Category.BUG, resolution="Fixed in 2.42",
        learning="Large exports timed out", fix_kind=FixKind.CODE_FIX, deescalation_reason=None,
        resolved_at=RESOLVED)


def test_learning_from_a_de_escalation_keeps_its_note() -> None:
    escalation = _escalation(status=Status.DE_ESCALATED,
                             deescalation_reason=DeEscalationReason.WORKAROUND_FOUND,
                             deescalation_note="Export per month instead")
    learning = learning_from(escalation, ticket("CSV export fails"), RESOLVED)
    assert learning.deescalation_reason is DeEscalationReason.WORKAROUND_FOUND
    assert learning.learning == learning.resolution == "Export per month instead"
    assert learning.fix_kind is None


# -- matching ----------------------------------------------------------------------------------


def test_best_match_comes_first_and_cites_the_shared_terms() -> None:
    history = [
        learned("ESC-1", "Login page slow"),
        learned("ESC-2", "CSV export fails with timeout", "Large exports time out"),
        learned("ESC-3", "CSV import fails"),
    ]
    found = match_learnings(ticket("CSV export failing", "The export times out"), history)
    assert [m.learning.escalation_id for m in found] == ["ESC-2", "ESC-3"]
    assert found[0].score > found[1].score >= DEFAULT_THRESHOLD
    assert found[0].shared == ("csv", "export", "fail", "tim")
    assert all(0.0 <= m.score <= 1.0 for m in found)


def test_identical_text_scores_one_and_unrelated_text_nothing() -> None:
    same = match_learnings(ticket("CSV export fails"), [learned("ESC-1", "CSV export fails")])
    assert [m.score for m in same] == [1.0]
    assert match_learnings(ticket("Invoice address wrong"),
                           [learned("ESC-1", "CSV export fails")], threshold=0.0) == ()


def test_threshold_keeps_only_close_matches() -> None:
    history = [learned("ESC-1", "CSV export fails for large dashboards with many widgets",
                       "after the nightly refresh of shared reports")]
    query = ticket("CSV import fails on login page")
    (loose,) = match_learnings(query, history, threshold=0.0)
    assert loose.score < DEFAULT_THRESHOLD
    assert match_learnings(query, history) == ()
    assert match_learnings(query, history, threshold=loose.score) == (loose,)


def _score(query: Ticket, learning: Learning) -> float:
    (found,) = match_learnings(query, [learning], threshold=0.0)
    return found.score


def test_same_product_area_or_category_lifts_the_score() -> None:
    query = ticket("CSV export fails", "Large dashboards time out", area="Reporting",
                   category=Category.BUG)
    base = learned("ESC-1", "CSV export fails")
    plain = _score(query, base)
    assert plain < 0.8  # room for the bonuses below 1.0
    assert _score(query, replace(base, product_area=" reporting ")) == pytest.approx(
        plain + AREA_BONUS)
    assert _score(query, replace(base, category=Category.BUG)) == pytest.approx(
        plain + CATEGORY_BONUS)
    assert _score(query, replace(base, product_area="Reporting",
                                 category=Category.BUG)) == pytest.approx(
        plain + AREA_BONUS + CATEGORY_BONUS)


def test_different_product_area_or_category_lowers_the_score() -> None:
    query = ticket("CSV export fails", "Large dashboards time out", area="Reporting",
                   category=Category.BUG)
    base = learned("ESC-1", "CSV export fails")
    plain = _score(query, base)
    assert _score(query, replace(base, product_area="Billing")) == pytest.approx(
        plain - AREA_PENALTY)
    assert _score(query, replace(base, category=Category.CONFIGURATION)) == pytest.approx(
        plain - CATEGORY_PENALTY)
    # Unknown on either side is neither a bonus nor a penalty.
    no_area = ticket("CSV export fails", "Large dashboards time out")
    assert _score(no_area, replace(base, product_area="Billing")) == _score(no_area, base)


def test_penalty_can_drop_a_match_below_the_threshold() -> None:
    query = ticket("Export page slow", area="Reporting")
    learning = learned("ESC-1", "Export page times out for admins on Mondays after nightly refresh")
    same_area = match_learnings(query, [replace(learning, product_area="Reporting")])
    assert [m.learning.escalation_id for m in same_area] == ["ESC-1"]
    elsewhere = replace(learning, product_area="Billing")
    assert 0.0 < _score(query, elsewhere) < DEFAULT_THRESHOLD
    assert match_learnings(query, [elsewhere]) == ()


def test_chinese_tickets_match_across_word_order_and_script_mix() -> None:
    history = [learned("ESC-9", "报表导出失败", "导出 CSV 时超时")]
    found = match_learnings(ticket("导出报表失败", "CSV 导出超时"), history)
    assert [m.learning.escalation_id for m in found] == ["ESC-9"]
    assert {"报表", "导出", "失败", "csv"} <= set(found[0].shared)


def test_ties_go_to_the_most_recent_learning_then_the_id() -> None:
    history = [
        learned("ESC-1", "CSV export fails", resolved_at=RESOLVED),
        learned("ESC-3", "CSV export fails", resolved_at=RESOLVED + timedelta(days=1)),
        learned("ESC-2", "CSV export fails", resolved_at=RESOLVED + timedelta(days=1)),
    ]
    found = match_learnings(ticket("CSV export fails"), history)
    assert [m.learning.escalation_id for m in found] == ["ESC-2", "ESC-3", "ESC-1"]


def test_a_ticket_without_text_matches_nothing() -> None:
    assert match_learnings(ticket(), [learned("ESC-1", "CSV export fails")], threshold=0.0) == ()


def test_learnings_may_be_any_iterable() -> None:
    found = match_learnings(ticket("CSV export fails"),
                            (x for x in [learned("ESC-1", "CSV export fails")]))
    assert isinstance(found, tuple) and isinstance(found[0], LearningMatch)


# -- the threshold, measured on labelled duplicate bug reports (GitBugs) ------------------------


@dataclass(frozen=True)
class Measured:
    recall: float  # duplicate pairs scoring at or above the threshold
    false_positive_rate: float  # same-project non-duplicate pairs scoring at or above it
    precision: float  # of all pairs at or above it, the share that are duplicates
    best_right: float  # tickets whose best match is at or above it: the best is a duplicate
    duplicate_pairs: int
    other_pairs: int


def _gitbugs() -> list[dict[str, str]]:
    with (FIXTURES / "gitbugs_sample.csv").open(encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))





def _as_ticket(row: dict[str, str]) -> Ticket:
    # The desk knows a ticket's product; the project is the product area.
    return ticket(row["summary"], row["description"], area=row["project"],
                  ticket_id=row["issue_id"])


def measure(threshold: float) -> Measured:
    rows = _gitbugs()
    group = duplicate_groups(rows)
    learnings = {
        row["issue_id"]: learned(f"ESC-{row['issue_id']}", row["summary"], row["description"],
                                 area=row["project"], ticket_id=row["issue_id"])
        for row in rows
    }
    project = {row["issue_id"]: row["project"] for row in rows}
    hits = {"dup": 0, "other": 0}
    pairs = {"dup": 0, "other": 0}
    answered = right = 0
    for row in rows:
        me = row["issue_id"]
        others = [learning for other, learning in learnings.items() if other != me]
        found = match_learnings(_as_ticket(row), others, threshold=threshold)
        above = {m.learning.ticket_id for m in found}
        for other in learnings:
            if other == me or project[other] != project[me]:
                continue
            kind = "dup" if group[other] == group[me] else "other"
            pairs[kind] += 1
            hits[kind] += other in above
        if found:
            answered += 1
            right += group[found[0].learning.ticket_id] == group[me]
    return Measured(
        recall=hits["dup"] / pairs["dup"],
        false_positive_rate=hits["other"] / pairs["other"],
        precision=hits["dup"] / max(1, hits["dup"] + hits["other"]),
        best_right=right / max(1, answered),
        duplicate_pairs=pairs["dup"] // 2,
        other_pairs=pairs["other"] // 2,
    )


def test_gitbugs_sample_is_small_and_attributed() -> None:
    rows = _gitbugs()
    assert 100 <= len(rows) <= 200
    assert {row["project"] for row in rows} == {"hadoop", "seamonkey"}
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert "gitbugs_sample.csv" in readme and "CC BY 4.0" in readme


@pytest.mark.slow
def test_duplicates_score_above_the_threshold_far_more_often_than_other_pairs() -> None:
    # Measured at DEFAULT_THRESHOLD = 0.3 on the 200-report sample, product area = project
    # (138 duplicate pairs once the 110 labelled pairs are joined into groups; 10,387
    # same-project non-duplicate pairs): recall 0.68, false-positive rate 0.034 (20x fewer),
    # precision 0.95 on balanced pairs and 0.21 at the sample's 1 : 75 base rate; for 181 of the
    # 200 tickets some learning scores above the threshold, and the best one is a true
    # duplicate for 68% of them. At 0.25: recall 0.76, FPR 0.071; at 0.35: recall 0.49,
    # FPR 0.017.
    at = measure(DEFAULT_THRESHOLD)
    assert at.duplicate_pairs >= 100 and at.other_pairs >= 10_000
    assert at.recall >= 0.65
    assert at.false_positive_rate <= 0.04
    assert at.recall >= 15 * at.false_positive_rate  # "markedly more often"
    assert at.best_right >= 0.65
    # A stricter threshold trades recall for fewer false matches, a looser one the reverse:
    # the default sits between.
    strict, loose = measure(DEFAULT_THRESHOLD + 0.05), measure(DEFAULT_THRESHOLD - 0.05)
    assert strict.recall < at.recall < loose.recall
    assert strict.false_positive_rate < at.false_positive_rate < loose.false_positive_rate
