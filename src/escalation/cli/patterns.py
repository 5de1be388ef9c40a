"""The patterns command: the same issue across customers, from a file of tickets."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from escalation.cli.common import (
    DataFormat,
    DbOption,
    NowOption,
    SkipOption,
    app,
    current_policy,
    now_from,
    open_desk,
    read_tickets,
    state,
    use_db,
    user_errors,
)

if TYPE_CHECKING:
    from escalation.domain.patterns import Cluster


@app.command("patterns")
def patterns_command(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="A JSON list of tickets.")],
    now: NowOption = None,
    fmt: Annotated[DataFormat, typer.Option("--format", help="json or text.")] = DataFormat.json,
    skip_invalid: SkipOption = False,
    db: DbOption = None,
) -> None:
    """Group tickets that describe the same issue; name each group's pattern signals.

    Only id, subject, description, customer.id, created_at and product_area are read. Groups of
    two or more tickets are listed, most customers first, with the signals
    three_plus_customers (policy thresholds.pattern_customers), recurring_after_fix and
    severity_increasing. With --db (or ESCALATION_DB) the tickets are added to the store's
    pattern index and grouped together with the indexed tickets they resemble, whose
    escalations (fixed in code, resolved in support, severities) feed the signals.
    """
    from escalation.domain.patterns import cluster_to_mapping  # noqa: PLC0415
    from escalation.patterns import find_patterns  # noqa: PLC0415 - loads the model

    use_db(db)
    with user_errors():
        policy = current_policy()
        moment = now_from(now)
        tickets, _as_list = read_tickets(source, skip_invalid)
        if state.db is not None:
            desk = open_desk()
            desk.index_tickets(tickets, moment)
            with desk.store.unit_of_work(read_only=True) as uow:
                clusters = find_patterns(tickets, policy, index=desk.patterns, uow=uow)
        else:
            clusters = find_patterns(tickets, policy)
    if fmt is DataFormat.text:
        typer.echo(_text(clusters) if clusters else "no pattern: no two tickets look alike")
        return
    sys.stdout.write(json.dumps({"clusters": [cluster_to_mapping(c) for c in clusters]},
                                ensure_ascii=False, indent=2) + "\n")


def _text(clusters: list[Cluster]) -> str:
    blocks = []
    for c in clusters:
        signals = ", ".join(s.value for s in c.signals) or "no signal"
        seen = (f"{c.first_seen:%Y-%m-%d} .. {c.last_seen:%Y-%m-%d}"
                if c.first_seen and c.last_seen else "dates unknown")
        blocks.append(f"{c.id}: {c.label}\n  {len(c.ticket_ids)} tickets, "
                      f"{c.distinct_customers} customers, {seen}; {signals}\n  "
                      + ", ".join(c.ticket_ids))
    return "\n\n".join(blocks)
