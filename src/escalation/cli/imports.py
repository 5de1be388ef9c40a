"""`escalate import SOURCE FILE`: bring a helpdesk export into the store."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from escalation.cli.common import (
    DbOption,
    NowOption,
    actor,
    app,
    current_policy,
    fail,
    now_from,
    open_store,
    use_db,
    user_errors,
)


class Source(StrEnum):
    """Helpdesks and formats `escalate import` reads."""

    zendesk = "zendesk"
    freshdesk = "freshdesk"
    jira = "jira"
    intercom = "intercom"
    github = "github"
    csv = "csv"


@app.command("import")
def import_command(
    source: Annotated[Source, typer.Argument(help="Which helpdesk's format FILE is in.")],
    path: Annotated[str, typer.Argument(metavar="FILE", help="The export or API page(s).")],
    mapping: Annotated[str | None, typer.Option(
        "--mapping", metavar="FILE.toml",
        help="[import.SOURCE] mapping: tags → category, priority → facts, custom fields … "
             "(default: the policy file's [import.SOURCE] tables).",
    )] = None,
    now: NowOption = None,
    db: DbOption = None,
) -> None:
    """Import tickets from a helpdesk export (streamed), upserting by source and id.

    Prints "imported N new, M updated, K unchanged, S skipped"; each skipped record is named
    on stderr with its position and reason. Imported tickets are indexed for patterns. When
    facts were read from the words of new or updated tickets (policy [derive]), a second line
    says how many, and how many of those would escalate.
    """
    from escalation.imports import ImportFailedError, import_file, load_mapping  # noqa: PLC0415

    use_db(db)
    show = _progress if sys.stderr.isatty() else None
    with user_errors():
        moment = now_from(now)
        policy = current_policy()
        try:
            # --mapping wins; else the policy file's [import.SOURCE] tables, if any.
            table = load_mapping(mapping) if mapping is not None else (
                policy.import_mapping() if policy.imports else None)
            summary = import_file(open_store(), policy, source.value, path, table, moment,
                                  actor(), progress=show)
        except ImportFailedError as exc:
            fail(str(exc))
    if show:
        sys.stderr.write("\r\033[K")
    for position, reason in summary.skipped:
        typer.echo(f"record {position}: {reason}", err=True)
    typer.echo(summary.line())
    if summary.derived:
        typer.echo(summary.derived_line())


def _progress(seen: int) -> None:
    sys.stderr.write(f"\rimporting… {seen} records")
    sys.stderr.flush()
