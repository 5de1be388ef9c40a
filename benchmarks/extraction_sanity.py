"""Sanity of fact extraction on real third-party text: what fires, how often, and where it goes.

The labelled tables (`extraction_quality.py`) say how well the lexicons read tickets written for
them; this says whether they stay quiet on text nobody wrote for them. Each text becomes a
ticket with no customer and no facts (`subject` + `description` only), is read with the shipped
lexicons and assessed on the seed policy at a fixed time. Per data set it prints how many texts,
how often each fact fires (with a few examples of each), and how many would escalate and to
which target.

Data sets, from `--data` (default `../shared/data` beside the repository):

- banking77: `banking77/train.csv`, 10,003 online-banking customer queries with their intent
  (`category`); the intent is shown with each example, and per intent for the security facts.
- twcs: `twcs_sample/sample.csv`, customer tweets to company support (inbound only).
- it_tickets: `it_service_tickets/all_tickets_processed_improved_v3.zip`, 47,837 IT service
  tickets (`Document`, lower-cased and stop-word stripped), labelled with `Topic_group`.
- gitbugs: the Hadoop and SeaMonkey reports of GitBugs (`Summary` as subject, `Description`),
  labelled with the project.

Without the data directory (a clean clone), or with `--samples`, the samples under
`tests/fixtures/extraction/sanity/` are read instead (tests/fixtures/README.md says where they
come from; twcs has no sample, its licence being unclear). `--write-samples` (re)draws them
from the full data, deterministically.

    .venv/bin/python benchmarks/extraction_sanity.py [--samples] [--dataset NAME] [--examples N]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escalation.adapters.lexicon_files import load_lexicon
from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.extract import extract
from escalation.domain.lexicon import Lexicon
from escalation.domain.policy import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SAMPLES = ROOT / "tests" / "fixtures" / "extraction" / "sanity"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
IT_ZIP = "it_service_tickets/all_tickets_processed_improved_v3.zip"
IT_CSV = "all_tickets_processed_improved_v3.csv"
GITBUGS = (("hadoop", "gitbugs/hadoop_bugs.csv"), ("seamonkey", "gitbugs/SeaMonkey_bugs.csv"))
# How many rows each sample keeps (twcs: none, see the module docstring).
SAMPLE_SIZES = {"banking77": 2000, "it_tickets": 500, "gitbugs": 300}
SECURITY_FACTS = ("security_concern", "potential_data_exposure", "unauthorized_access",
                  "vulnerability_report", "compliance_concern")
csv.field_size_limit(10_000_000)


@dataclass(frozen=True, slots=True)
class Text:
    """One third-party text, as a ticket's subject and description, with its data set label."""

    id: str
    subject: str
    description: str
    label: str = ""


@dataclass
class Stats:
    """What extraction and assessment made of one data set."""

    name: str
    origin: str
    texts: int = 0
    seconds: float = 0.0
    fired: Counter[str] = field(default_factory=Counter)
    by_label: dict[str, Counter[str]] = field(default_factory=dict)
    labels: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    targets: Counter[str] = field(default_factory=Counter)
    escalated_examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def escalated(self) -> int:
        return sum(self.targets.values())

    def rate(self, fact: str) -> float:
        return self.fired[fact] / self.texts if self.texts else 0.0


# -- loading --------------------------------------------------------------------------------


def _csv_rows(text: str) -> Iterator[dict[str, str]]:
    yield from csv.DictReader(io.StringIO(text))


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def load_banking77(full: bool, data: Path = DATA) -> list[Text]:
    path = data / "banking77" / "train.csv" if full else SAMPLES / "banking77.csv"
    return [Text(f"b77-{i}", "", row["text"], row["category"])
            for i, row in enumerate(_csv_rows(_read(path)))]


def load_twcs(full: bool, data: Path = DATA) -> list[Text]:
    if not full:
        return []
    rows = _csv_rows(_read(data / "twcs_sample" / "sample.csv"))
    return [Text(f"tw-{row['tweet_id']}", "", row["text"], "inbound") for row in rows
            if row.get("inbound", "").strip().lower() == "true"]


def load_it_tickets(full: bool, data: Path = DATA) -> list[Text]:
    if full:
        with zipfile.ZipFile(data / IT_ZIP) as archive:
            text = archive.read(IT_CSV).decode("utf-8", errors="replace")
    else:
        text = _read(SAMPLES / "it_service_tickets.csv")
    return [Text(f"it-{i}", "", row["Document"], row["Topic_group"])
            for i, row in enumerate(_csv_rows(text))]


def load_gitbugs(full: bool, data: Path = DATA) -> list[Text]:
    if not full:
        return [Text(f"{row['project']}-{row['issue_id']}", row["summary"], row["description"],
                     row["project"]) for row in _csv_rows(_read(SAMPLES / "gitbugs.csv"))]
    out = []
    for project, name in GITBUGS:
        for row in _csv_rows(_read(data / name)):
            out.append(Text(f"{project}-{row['Issue id']}", row.get("Summary") or "",
                            row.get("Description") or "", project))
    return out


LOADERS: dict[str, Callable[[bool, Path], list[Text]]] = {
    "banking77": load_banking77,
    "twcs": load_twcs,
    "it_tickets": load_it_tickets,
    "gitbugs": load_gitbugs,
}


def full_data_present(data: Path = DATA) -> bool:
    """Whether the third-party data directory is there (it is not on a clean clone)."""
    return (data / "banking77" / "train.csv").is_file()


def load(name: str, samples: bool | None = None, data: Path = DATA) -> tuple[str, list[Text]]:
    """The texts of one data set and where they came from ("full" or "sample")."""
    full = full_data_present(data) if samples is None else not samples
    return ("full" if full else "sample"), LOADERS[name](full, data)


# -- measuring ------------------------------------------------------------------------------


def measure(name: str, origin: str, texts: list[Text], lexicon: Lexicon | None = None,
            keep: int = 3) -> Stats:
    """Read and assess every text; count what fires and where escalations would go."""
    lexicon = lexicon if lexicon is not None else load_lexicon()
    stats = Stats(name, origin)
    started = time.perf_counter()
    for text in texts:
        mapping: dict[str, Any] = {"id": text.id}
        if text.subject.strip():
            mapping["subject"] = text.subject
        if text.description.strip():
            mapping["description"] = text.description
        ticket = ticket_from_mapping(mapping)
        extraction = extract(ticket, lexicon)
        stats.texts += 1
        stats.labels[text.label] += 1
        for fact, derived in extraction.derived.items():
            if fact == "category":
                key = f"category:{derived.value.value}"
            elif fact == "blocked" and derived.value is False:
                key = "inconvenienced"
            else:
                key = fact
            stats.fired[key] += 1
            stats.by_label.setdefault(key, Counter())[text.label] += 1
            shown = stats.examples.setdefault(key, [])
            if len(shown) < keep:
                shown.append((text.label, derived.cite(), _excerpt(text)))
        assessment = assess(ticket, DEFAULT_POLICY, NOW, derived=extraction)
        if assessment.target is not None:
            target = assessment.target.value
            stats.targets[target] += 1
            shown_esc = stats.escalated_examples.setdefault(target, [])
            if len(shown_esc) < keep:
                reasons = ", ".join(r.code for r in assessment.reasons[:3])
                shown_esc.append((text.label, f"{reasons}: {_excerpt(text)}"))
    stats.seconds = time.perf_counter() - started
    return stats


def _excerpt(text: Text, size: int = 110) -> str:
    words = " ".join(f"{text.subject} {text.description}".split())
    return words if len(words) <= size else words[: size - 1] + "…"


def report(stats: Stats) -> None:
    """Print one data set's numbers and examples."""
    n = stats.texts
    print(f"\n== {stats.name} ({stats.origin}): {n} texts, {stats.seconds:.1f} s")
    if not n:
        return
    esc = stats.escalated
    where = ", ".join(f"{t} {c}" for t, c in stats.targets.most_common()) or "-"
    print(f"would escalate: {esc} ({100 * esc / n:.1f}%) -> {where}")
    print(f"{'fact':34} {'fired':>6} {'rate':>7}")
    for fact, count in sorted(stats.fired.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{fact:34} {count:6} {100 * count / n:6.2f}%")
        for label, cite, excerpt in stats.examples.get(fact, []):
            print(f"    [{label}] {cite}  | {excerpt}")
        if fact in SECURITY_FACTS and stats.name == "banking77":
            top = ", ".join(f"{lab} {c}" for lab, c in stats.by_label[fact].most_common(6))
            print(f"    by intent: {top}")
    for target, shown in sorted(stats.escalated_examples.items()):
        print(f"  escalated to {target}:")
        for label, line in shown:
            print(f"    [{label}] {line}")


# -- samples --------------------------------------------------------------------------------


def write_samples(data: Path = DATA, out: Path = SAMPLES) -> None:
    """Draw the fixture samples from the full data (random.Random(2026), original order kept)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2026)

    def draw(rows: list[dict[str, str]], size: int) -> list[dict[str, str]]:
        keep = sorted(rng.sample(range(len(rows)), min(size, len(rows))))
        return [rows[i] for i in keep]

    banking = list(_csv_rows(_read(data / "banking77" / "train.csv")))
    _write(out / "banking77.csv", ["text", "category"],
           draw(banking, SAMPLE_SIZES["banking77"]))
    with zipfile.ZipFile(data / IT_ZIP) as archive:
        it_rows = list(_csv_rows(archive.read(IT_CSV).decode("utf-8", errors="replace")))
    _write(out / "it_service_tickets.csv", ["Document", "Topic_group"],
           draw(it_rows, SAMPLE_SIZES["it_tickets"]))
    bugs: list[dict[str, str]] = []
    share = {"hadoop": 180, "seamonkey": 120}
    for project, name in GITBUGS:
        rows = [{"project": project, "issue_id": r["Issue id"], "summary": r.get("Summary") or "",
                 "description": (r.get("Description") or "")[:2000]}
                for r in _csv_rows(_read(data / name))]
        bugs.extend(draw(rows, share[project]))
    _write(out / "gitbugs.csv", ["project", "issue_id", "summary", "description"], bugs)


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--samples", action="store_true", help="read the fixture samples")
    parser.add_argument("--dataset", choices=sorted(LOADERS), action="append")
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("--write-samples", action="store_true")
    args = parser.parse_args()
    if args.write_samples:
        write_samples(args.data)
        print(f"samples written to {SAMPLES}")
        return 0
    lexicon = load_lexicon()
    for name in args.dataset or list(LOADERS):
        samples = True if args.samples else None
        if not args.samples and not full_data_present(args.data):
            print(f"({args.data} missing: reading the samples)", file=sys.stderr)
        origin, texts = load(name, samples, args.data)
        if not texts:
            print(f"\n== {name}: no texts ({origin})")
            continue
        report(measure(name, origin, texts, lexicon, args.examples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
