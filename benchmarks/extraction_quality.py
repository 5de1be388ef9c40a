"""Quality of fact extraction: precision and recall per fact on the labelled ticket tables.

Reads `tests/fixtures/extraction/{tuned,holdout}_*.jsonl` (one labelled ticket per line, see
the README there),
derives facts from each ticket's words with the shipped lexicons, and prints per fact: true
positives, false positives, false negatives, precision and recall; then how often the whole
assessment (decision, target, severity) matches the expected one. The baseline named
"no-derive" is the same assessment without reading the words, measured in the same run.

    .venv/bin/python benchmarks/extraction_quality.py [--table tuned|holdout|all] [--json F]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escalation.adapters.lexicon_files import load_lexicon
from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.extract import extract
from escalation.domain.policy import DEFAULT_POLICY

TABLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "extraction"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
# Facts whose expected value is a number or a category, compared exactly; the rest are true.
VALUED = ("category", "customers_affected", "users_affected", "hours_waiting")


@dataclass
class Row:
    """One labelled ticket: its contract form and what a senior support lead expects."""

    id: str
    lang: str
    ticket: dict[str, Any]
    facts: dict[str, Any]
    decision: str
    target: str | None
    severity: str | None
    table: str = ""
    note: str = ""


@dataclass
class Outcome:
    """What the desk derived and decided for one row."""

    row: Row
    derived: dict[str, Any]
    decision: tuple[str, str | None, str | None]
    baseline: tuple[str, str | None, str | None]
    wrong_facts: list[str] = field(default_factory=list)

    @property
    def expected_decision(self) -> tuple[str, str | None, str | None]:
        return (self.row.decision, self.row.target, self.row.severity)


def load_rows(table: str = "all") -> list[Row]:
    """The labelled rows of `tuned.jsonl`, `holdout.jsonl` or both."""
    names = ["tuned", "holdout"] if table == "all" else [table]
    rows = []
    paths = [path for name in names for path in sorted(TABLES.glob(f"{name}*.jsonl"))]
    for path in paths:
        name = path.stem
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            data = json.loads(line)
            expect = data["expect"]
            rows.append(Row(data["id"], data["lang"], data["ticket"], dict(expect["facts"]),
                            expect["decision"], expect.get("target"), expect.get("severity"),
                            name, data.get("note", "")))
            if "category" not in expect["facts"]:
                raise ValueError(f"{path.name}:{number}: expect.facts needs a category "
                                 "(a category or null)")
    return rows


def normalise(derived: dict[str, Any]) -> dict[str, Any]:
    """Derived facts as comparable plain values (true for text facts such as workarounds)."""
    out: dict[str, Any] = {}
    for name, value in derived.items():
        if name == "category":
            out[name] = value.value if value is not None else None
        elif name == "blocked" and value is False:
            continue  # "inconvenienced": the default, said out loud
        elif isinstance(value, str):
            out[name] = True
        elif isinstance(value, float) and value.is_integer():
            out[name] = int(value)
        else:
            out[name] = value
    out.setdefault("category", None)
    return out


def run(rows: list[Row]) -> list[Outcome]:
    """Derive and assess every row, with and without reading the words."""
    lexicon = load_lexicon()
    outcomes = []
    for row in rows:
        ticket = ticket_from_mapping(row.ticket)
        extraction = extract(ticket, lexicon)
        derived = normalise({k: v.value for k, v in extraction.derived.items()})
        with_words = assess(ticket, DEFAULT_POLICY, NOW, derived=extraction)
        without = assess(ticket, DEFAULT_POLICY, NOW)
        outcome = Outcome(row, derived, _decision(with_words), _decision(without))
        expected = dict(row.facts)
        for name in sorted(set(expected) | set(derived)):
            if expected.get(name) != derived.get(name):
                outcome.wrong_facts.append(
                    f"{name}: expected {expected.get(name)!r}, derived {derived.get(name)!r}")
        outcomes.append(outcome)
    return outcomes


def _decision(a: Any) -> tuple[str, str | None, str | None]:
    return (a.decision.value, a.target.value if a.target else None,
            a.severity.value if a.severity else None)


def per_fact(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """tp, fp, fn, precision and recall per fact (a wrong value counts as fp and fn)."""
    counts: dict[str, Counter[str]] = {}
    for o in outcomes:
        expected, derived = o.row.facts, o.derived
        for name in set(expected) | set(derived):
            want, got = expected.get(name), derived.get(name)
            c = counts.setdefault(name, Counter())
            if want is None and got is None:
                continue
            if want == got:
                c["tp"] += 1
            else:
                if got is not None:
                    c["fp"] += 1
                if want is not None:
                    c["fn"] += 1
    out = {}
    for name, c in sorted(counts.items()):
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        out[name] = {"tp": tp, "fp": fp, "fn": fn,
                     "precision": tp / (tp + fp) if tp + fp else 1.0,
                     "recall": tp / (tp + fn) if tp + fn else 1.0}
    return out


def report(outcomes: list[Outcome], title: str) -> dict[str, Any]:
    """Print the per-fact table and the decision agreement; return them as data."""
    facts = per_fact(outcomes)
    total = Counter()
    for c in facts.values():
        total.update({k: int(c[k]) for k in ("tp", "fp", "fn")})
    agree = sum(o.decision == o.expected_decision for o in outcomes)
    base = sum(o.baseline == o.expected_decision for o in outcomes)
    langs = Counter(o.row.lang for o in outcomes)
    print(f"\n== {title}: {len(outcomes)} tickets ("
          + ", ".join(f"{n} {lang}" for lang, n in sorted(langs.items())) + ")")
    print(f"{'fact':34} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}")
    for name, c in facts.items():
        print(f"{name:34} {c['tp']:4} {c['fp']:4} {c['fn']:4} {c['precision']:10.2f} "
              f"{c['recall']:8.2f}")
    tp, fp, fn = total["tp"], total["fp"], total["fn"]
    micro_p = tp / (tp + fp) if tp + fp else 1.0
    micro_r = tp / (tp + fn) if tp + fn else 1.0
    print(f"{'all facts (micro)':34} {tp:4} {fp:4} {fn:4} {micro_p:10.2f} {micro_r:8.2f}")
    print(f"decision+target+severity as expected: {agree}/{len(outcomes)} "
          f"(baseline no-derive: {base}/{len(outcomes)})")
    return {"tickets": len(outcomes), "facts": facts, "micro_precision": micro_p,
            "micro_recall": micro_r, "decisions_agree": agree, "baseline_agree": base}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", choices=["tuned", "holdout", "all"], default="all")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    results = {}
    for table in (["tuned", "holdout"] if args.table == "all" else [args.table]):
        if not list(TABLES.glob(f"{table}*.jsonl")):
            print(f"(no {table}*.jsonl)", file=sys.stderr)
            continue
        outcomes = run(load_rows(table))
        results[table] = report(outcomes, table)
        if args.show_misses:
            for o in outcomes:
                if o.wrong_facts or o.decision != o.expected_decision:
                    print(f"  {o.row.id}: {'; '.join(o.wrong_facts)}"
                          + (f" decision {o.decision} != {o.expected_decision}"
                             if o.decision != o.expected_decision else ""))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
