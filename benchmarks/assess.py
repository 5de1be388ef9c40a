"""Benchmark: how fast the desk assesses tickets, in-process and through the CLI.

Prints tickets/s for 20,000 varied tickets (in-process: validate + assess + serialise), and the
CLI's wall time against the named baseline "json-roundtrip" (a bare `json.load` + `json.dump`
of the same file in a fresh interpreter) measured in the same run.
Targets: in-process >= 20,000 tickets/s; CLI / json-roundtrip <= 2.

Reading facts from the words (#8) is measured against the baseline "assess-only" (the same
tickets assessed without it, same run): extraction + assess must take at most 2x assess alone.

    .venv/bin/python benchmarks/assess.py [--tickets 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from escalation.domain.assess import assess
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.model import BOOL_FACTS, Category
from escalation.domain.policy import DEFAULT_POLICY
from escalation.services import batch_mode

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TARGET_TICKETS_PER_S = 20_000
TARGET_CLI_RATIO = 2.0
TARGET_EXTRACTION_RATIO = 2.0

_SUBJECTS = [
    "Checkout returns HTTP 500 for EU customers",
    "CSV export drops rows after 10,000 lines",
    "SSO login loops back to the sign-in page",
    "How do I add a second admin?",
    "Invoices show the wrong VAT rate",
    "Webhook deliveries delayed by 40 minutes",
    "Dashboard charts blank since this morning",
    "Need an exception to the refund policy",
    "API key visible to users of another workspace",
    "报表导出后数据丢失",
]
_PLANS = ["free", "pro", "business", "enterprise", None]
_ZONES = ["America/New_York", "Europe/Berlin", "Asia/Shanghai", "UTC", None]


def make_tickets(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` varied tickets following the ticket contract, the same for the same seed."""
    rng = random.Random(seed)
    categories = [c.value for c in Category]
    tickets = []
    for i in range(count):
        created = NOW - timedelta(hours=rng.uniform(0, 120))
        facts: dict[str, Any] = {
            name: True for name in BOOL_FACTS if rng.random() < 0.06
        }
        facts["category"] = rng.choice(categories)
        if rng.random() < 0.3:
            facts["customers_affected"] = rng.randint(1, 12)
        if rng.random() < 0.15:
            facts["known_workaround"] = "Use the legacy exporter at /export/v1"
        if rng.random() < 0.1:
            facts["documented_solution"] = "https://help.example.com/articles/123"
        if rng.random() < 0.2:
            facts["hours_waiting"] = round(rng.uniform(1, 90), 1)
        ticket: dict[str, Any] = {
            "id": f"ZD-{100000 + i}",
            "subject": rng.choice(_SUBJECTS),
            "description": "Since the 2.14 release, exports of more than 10,000 rows stop "
                           "early. The customer noticed missing invoices in their ERP. "
                           "It happens every time for large workspaces.",
            "created_at": created.isoformat().replace("+00:00", "Z"),
            "current_tier": rng.choice(["l1", "l2"]),
            "product_area": rng.choice(["billing", "exports", "auth", "api"]),
            "customer": {
                "id": f"C-{rng.randint(1, 4000)}",
                "name": f"Customer {rng.randint(1, 4000)}",
                "arr": rng.choice([None, 1200, 24000, 90000, 150000, 600000]),
                "plan": rng.choice(_PLANS),
                "reference_customer": rng.random() < 0.1,
                "timezone": rng.choice(_ZONES),
                "country": rng.choice(["US", "DE", "CN", None]),
            },
            "facts": facts,
            "steps_tried": [
                {"action": "Cleared the browser cache", "result": "Same error"},
                {"action": "Reproduced on a test account", "result": "Reproduced"},
            ][: rng.randint(0, 2)],
            "communications": [
                {"at": (created + timedelta(hours=1)).isoformat(), "direction": "outbound",
                 "summary": "We're investigating and will update you within 4 hours."},
            ],
        }
        if rng.random() < 0.4:
            ticket["reproduction"] = {
                "steps": ["Sign in as an admin of workspace 4411",
                          "Open Reports > Invoices and click Export CSV"],
                "expected": "A CSV with 12,408 rows",
                "actual": "A CSV with 10,000 rows",
                "environment": "Chrome 131, macOS 15, Enterprise plan",
            }
        if rng.random() < 0.05:
            ticket["customer"]["sla_hours"] = rng.choice([8, 24, 48])
        tickets.append(ticket)
    return tickets


def in_process(tickets: list[dict[str, Any]], repeat: int, batch: bool) -> tuple[float, float]:
    """Best tickets/s of (validate + assess + serialise) and of assess alone.

    `batch` runs inside `services.batch_mode()` as `escalate assess` and `assess_many` do;
    otherwise it is a plain loop with the cyclic garbage collector on.
    """
    best_full = best_assess = 0.0
    for _ in range(repeat):
        with batch_mode() if batch else nullcontext():
            start = time.perf_counter()
            parsed = [ticket_from_mapping(t) for t in tickets]
            mid = time.perf_counter()
            results = [assess(t, DEFAULT_POLICY, NOW) for t in parsed]
            assessed = time.perf_counter()
            for result in results:
                assessment_to_mapping(result)
            end = time.perf_counter()
        best_full = max(best_full, len(tickets) / (end - start))
        best_assess = max(best_assess, len(tickets) / (assessed - mid))
        del parsed, results
    return best_full, best_assess


def with_extraction(tickets: list[dict[str, Any]], repeat: int) -> tuple[float, float, float]:
    """Best seconds of assess alone, of extraction alone and of extraction + assess (batch)."""
    from escalation.adapters.lexicon_files import load_lexicon
    from escalation.domain.extract import extract

    lexicon = load_lexicon()
    parsed = [ticket_from_mapping(t) for t in tickets]
    best_assess = best_extract = best_both = float("inf")
    with batch_mode():
        for _ in range(repeat):
            start = time.perf_counter()
            for ticket in parsed:
                assess(ticket, DEFAULT_POLICY, NOW)
            mid = time.perf_counter()
            read = [extract(ticket, lexicon) for ticket in parsed]
            extracted = time.perf_counter()
            for ticket, found in zip(parsed, read, strict=True):
                assess(ticket, DEFAULT_POLICY, NOW, derived=found)
            end = time.perf_counter()
            best_assess = min(best_assess, mid - start)
            best_extract = min(best_extract, extracted - mid)
            best_both = min(best_both, end - mid)
            del read
    return best_assess, best_extract, best_both


def _wall(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def cli_ratio(path: Path, repeat: int) -> tuple[float, float]:
    """Best wall times of the json-roundtrip baseline and of `escalate assess`."""
    baseline = [sys.executable, "-c",
                "import json,sys; json.dump(json.load(open(sys.argv[1])), sys.stdout)",
                str(path)]
    escalate = shutil.which("escalate", path=str(Path(sys.executable).parent)) or "escalate"
    ours = [escalate, "assess", str(path), "--now", NOW.isoformat(), "--format", "json"]
    return _wall(baseline, repeat), _wall(ours, repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    tickets = make_tickets(args.tickets)
    print(f"tickets: {len(tickets)}")
    for batch, label in ((True, "batch mode (escalate assess, assess_many)"),
                         (False, "plain loop, cyclic GC on")):
        full, assess_only = in_process(tickets, args.repeat, batch)
        verdict = "OK" if full >= TARGET_TICKETS_PER_S else "MISS"
        print(f"in-process, {label}:")
        print(f"  validate+assess+serialise: {full:,.0f} tickets/s "
              f"(target >= {TARGET_TICKETS_PER_S:,}) {verdict}")
        print(f"  assess only:               {assess_only:,.0f} tickets/s")

    alone, extraction, both = with_extraction(tickets, args.repeat)
    ratio = both / alone
    print("reading facts from the words (#8):")
    print(f"  baseline assess-only:        {alone:.3f} s "
          f"({len(tickets) / alone:,.0f} tickets/s)")
    print(f"  extraction alone:            {extraction:.3f} s "
          f"({extraction / len(tickets) * 1e6:.0f} µs/ticket)")
    print(f"  extraction + assess:         {both:.3f} s")
    print(f"  ratio to assess-only: {ratio:.2f} (target <= {TARGET_EXTRACTION_RATIO}) "
          f"{'OK' if ratio <= TARGET_EXTRACTION_RATIO else 'MISS'}")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tickets.json"
        path.write_text(json.dumps(tickets), encoding="utf-8")
        size = path.stat().st_size / 1e6
        baseline, ours = cli_ratio(path, args.repeat)
    ratio = ours / baseline
    print(f"input file: {size:.1f} MB")
    print(f"baseline json-roundtrip (json.load + json.dump): {baseline:.3f} s")
    print(f"escalate assess FILE --format json:              {ours:.3f} s")
    print(f"CLI ratio: {ratio:.2f} (target <= {TARGET_CLI_RATIO}) "
          f"{'OK' if ratio <= TARGET_CLI_RATIO else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
