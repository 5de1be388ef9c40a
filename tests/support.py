"""Shared test data: the ticket the lifecycle and worker tests open again and again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday: 10:00 in New York, 00:00 in Tokyo


def bug_ticket(
    ticket_id: str = "ZD-1", customer: str = "C-1", *, opened: datetime = T0, **facts: Any
) -> dict[str, Any]:
    """A confirmed bug blocking an enterprise customer, created 2 h before `opened`.

    Assessed at L2 it is High and goes to Engineering; `facts` add to or override its facts.
    """
    return {
        "id": ticket_id,
        "subject": "CSV export drops rows after 10,000 lines",
        "description": "Exports of more than 10,000 rows stop early since release 2.41.",
        "created_at": (opened - timedelta(hours=2)).isoformat(),
        "current_tier": "l2",
        "product_area": "exports",
        "customer": {"id": customer, "name": f"Customer {customer}", "arr": 120000,
                     "plan": "enterprise", "timezone": "America/New_York", "country": "US"},
        "facts": {"category": "bug", "bug_confirmed": True, "needs_code_change": True,
                  "blocked": True, **facts},
    }


def duplicate_groups(rows: list[dict[str, str]]) -> dict[str, str]:
    """GitBugs fixture rows -> issue id -> its group's id (union-find over `duplicate_of`)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in rows:
        for other in row["duplicate_of"].split():
            parent[find(row["issue_id"])] = find(other)
    return {row["issue_id"]: find(row["issue_id"]) for row in rows}


# One bug (CSV export answers HTTP 500) as four customers wrote it.
EXPORT_500 = [
    ("ZD-101", "C-ACME", "CSV export fails with HTTP 500",
     "Clicking Export > CSV on the Reports page shows 'Internal Server Error (500)'. Started "
     "after this morning's update."),
    ("ZD-102", "C-GLOBEX", "Report export to CSV broken - error 500",
     "None of our users can download reports as CSV any more, the server returns a 500 "
     "error."),
    ("ZD-103", "C-INITECH", "Exporting reports as CSV gives a server error",
     "When we try to export the monthly report to CSV we get error 500 and no file is "
     "downloaded."),
    ("ZD-104", "C-UMBRELLA", "CSV download of reports returns 500",
     "Export to CSV on any report fails with a 500 internal server error since yesterday."),
]
