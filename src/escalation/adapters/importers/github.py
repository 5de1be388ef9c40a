"""GitHub issues: the REST list (`GET /repos/{owner}/{repo}/issues`, a JSON array per page,
pages one after another in a file), search results (`{"items": [...]}`) and single issues.
Pull requests in the list are skipped unless `include_pull_requests = true`.

Mapped: id → `github-<owner>-<repo>-<number>` (`github-<number>` when the repository is
unknown); title, body, created_at; labels →
facts.category; the repository owner → customer (`github-org-<owner>`) unless `customers`
maps it; html_url → url; state kept as `status`.

Example mapping:

    [import.github]
    category_by_tag = { "type: bug" = "bug", "kind/feature" = "feature_request" }
    facts_by_tag = { "P0" = { production_down = true }, blocker = { blocked = true } }
    customers = { "octokit-fixture-org" = { name = "Octokit", arr = 50000 } }
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from escalation.adapters.importers._common import (
    SkipRecordError,
    customer_from,
    finish,
    iso,
    settings,
)
from escalation.adapters.importers._stream import json_records

SOURCE = "github"
DEFAULTS: dict[str, Any] = {
    "category_by_tag": {},
    "facts_by_tag": {},
    "customers": {},
    "include_pull_requests": False,
}


def records(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    yield from enumerate(json_records(stream, ("items",)), 1)


def to_ticket(record: Any, mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(record, Mapping) or record.get("number") is None:
        raise SkipRecordError("not a GitHub issue (no number)")
    conf = settings(SOURCE, mapping, DEFAULTS)
    if "pull_request" in record and not conf.get("include_pull_requests"):
        raise SkipRecordError(f"#{record['number']} is a pull request")
    owner, repo = _repository(record)
    external = f"{owner}-{repo}-{record['number']}" if owner and repo else str(record["number"])
    tags = [str(label.get("name") if isinstance(label, Mapping) else label)
            for label in record.get("labels") or []]
    ticket: dict[str, Any] = {
        "id": f"{SOURCE}-{external}",
        "subject": record.get("title"),
        "description": record.get("body"),
        "created_at": iso(record.get("created_at")),
        "customer": customer_from(conf, owner, owner, SOURCE) if owner else {},
        "url": record.get("html_url"),
        "status": record.get("state"),
    }
    return finish(ticket, tags, None, conf)


def _repository(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    url = record.get("repository_url")
    if isinstance(url, str) and "/repos/" in url:
        parts = url.split("/repos/", 1)[1].strip("/").split("/")
        if len(parts) >= 2:
            return parts[0], parts[1]
    return None, None
