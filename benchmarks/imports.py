"""Benchmark: streaming a large helpdesk export, against loading it whole.

Writes a Zendesk incremental export of --tickets tickets (default 200,000, about 200 MB; pages
of 1,000 one after another, as `escalate import zendesk` reads them), then, each in a fresh
interpreter so peak memory is its own:

- stream: the importer's reader and mapper over the whole file (`records` + `to_ticket` +
  contract validation, no store): records/s and peak RSS;
- baseline "json-load": `json.load` of each page, the way a reader that is not streamed holds
  a page (or the whole file, with --whole): peak RSS;
- import: `import_file` of the first --import-tickets (default 2,000) tickets into a fresh
  SQLite database, pattern indexing included (MiniLM embeds each new ticket): tickets/s.

Target (the issue): a 1 GB export must not be loaded into memory: the stream's peak RSS stays
flat as the file grows (it holds one record and one 64 KiB chunk).

    .venv/bin/python benchmarks/imports.py [--tickets 200000] [--import-tickets 2000] [--whole]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

_SUBJECTS = [
    "Checkout returns HTTP 500 for EU customers", "CSV export drops rows after 10,000 lines",
    "SSO login loops back to the sign-in page", "Webhook deliveries arrive hours late",
    "How do I add a second admin?", "Invoice shows the wrong VAT rate",
]


def write_export(path: Path, tickets: int, seed: int = 7) -> int:
    """A Zendesk incremental export: pages of 1,000 tickets, one JSON object after another."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for start in range(0, tickets, 1000):
            page = []
            for i in range(start, min(start + 1000, tickets)):
                page.append({
                    "id": 100000 + i, "subject": rng.choice(_SUBJECTS) + f" (#{i})",
                    "description": " ".join(rng.choice(_SUBJECTS) for _ in range(12)),
                    "created_at": f"2026-11-2{rng.randint(0, 5)}T0{rng.randint(0, 9)}:00:00Z",
                    "priority": rng.choice(["low", "normal", "high", "urgent"]),
                    "status": "open", "type": "incident", "organization_id": 1000 + i % 300,
                    "tags": rng.sample(["export", "billing", "sso", "api", "bug"], 2),
                })
            json.dump({"tickets": page, "end_of_stream": start + 1000 >= tickets,
                       "next_page": None}, out)
            out.write("\n")
    return path.stat().st_size


_STREAM = """
import resource, sys, time
from escalation.adapters.importers import importer
from escalation.domain.contract import ticket_from_mapping
records, to_ticket = importer("zendesk")
start = time.perf_counter(); n = 0
with open(sys.argv[1], encoding="utf-8") as stream:
    for _position, record in records(stream):
        ticket_from_mapping(to_ticket(record, None)); n += 1
took = time.perf_counter() - start
print(n, took, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_LOAD = """
import json, resource, sys, time
start = time.perf_counter(); n = 0
if sys.argv[2] == "whole":
    text = open(sys.argv[1], encoding="utf-8").read()
    pages = [json.loads(line) for line in text.splitlines()]
    n = sum(len(p["tickets"]) for p in pages)
else:
    with open(sys.argv[1], encoding="utf-8") as lines:
        for line in lines:
            n += len(json.loads(line)["tickets"])
took = time.perf_counter() - start
print(n, took, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_IMPORT = """
import sys, time
from datetime import UTC, datetime
from escalation.adapters.db.store import Store
from escalation.adapters.policy_file import load_policy
from escalation.imports import import_file
store = Store("sqlite:///" + sys.argv[2])
start = time.perf_counter()
summary = import_file(store, load_policy(None), "zendesk", sys.argv[1], None,
                      datetime(2026, 11, 26, 10, tzinfo=UTC), "bench")
print(summary.new, time.perf_counter() - start)
"""


def run(code: str, *args: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--import-tickets", type=int, default=2_000)
    parser.add_argument("--whole", action="store_true",
                        help="baseline holds the whole file, not a page at a time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="escalation-imports-") as folder:
        big = Path(folder) / "export.json"
        size = write_export(big, args.tickets)
        print(f"export: {args.tickets:,} tickets, {size / 2**20:,.0f} MiB ({big})")
        n, took, rss = run(_STREAM, str(big))
        print(f"stream     {int(n):>9,} records  {n / took:>9,.0f} records/s  "
              f"peak RSS {rss / 1024:>7,.0f} MiB")
        mode = "whole" if args.whole else "page"
        n, took, rss_base = run(_LOAD, str(big), mode)
        print(f"json-load  {int(n):>9,} records  {n / took:>9,.0f} records/s  "
              f"peak RSS {rss_base / 1024:>7,.0f} MiB  (baseline: json.load, {mode})")
        print(f"stream peak RSS / baseline: {rss / rss_base:.2f}")
        small = Path(folder) / "small.json"
        write_export(small, args.import_tickets)
        new, took = run(_IMPORT, str(small), str(Path(folder) / "desk.db"))
        print(f"import     {int(new):>9,} tickets  {new / took:>9,.1f} tickets/s  "
              "(validate, store, audit, index for patterns with MiniLM)")


if __name__ == "__main__":
    main()
