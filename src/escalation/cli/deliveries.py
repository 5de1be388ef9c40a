"""Commands on notifications: the worker, the delivery log, retries and snoozes."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from escalation.cli.common import (
    DataFormat,
    NowOption,
    app,
    fail,
    now_from,
    open_desk,
    user_errors,
    when,
)
from escalation.domain.model import FollowupKind
from escalation.domain.notifications import parse_duration

if TYPE_CHECKING:
    from escalation.worker import Worker

deliveries_app = typer.Typer(help="The notification delivery log.", invoke_without_command=True)
app.add_typer(deliveries_app, name="deliveries")


def _worker() -> Worker:
    from escalation.worker import Worker  # noqa: PLC0415 - only this command sends

    desk = open_desk()
    # E-mails carry the brief as the escalation stands when the message goes out.
    return Worker(desk.store, desk.policy,
                  brief_for=lambda escalation, now: desk.brief(escalation.id, now).brief)


@app.command("worker")
def worker_command(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    now: NowOption = None,
) -> None:
    """Deliver due notifications and reminders (several workers may share one database)."""
    with user_errors():
        worker = _worker()
        if once:
            report = worker.run_once(now_from(now))
            typer.echo(f"worker {worker.name}: claimed {report.claimed}, sent {report.sent}, "
                       f"retrying {report.retrying}, dead {report.dead}, "
                       f"consolidated {report.superseded}")
            for error in report.errors:
                typer.echo(f"escalate: {error}", err=True)
            return
    if now is not None:
        fail("--now only goes with --once (a running worker follows the clock)")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"worker {worker.name}: polling every "
               f"{worker.policy.notifications.delivery.poll_seconds:g} s (Ctrl-C stops)")
    worker.run(stop)


@deliveries_app.callback()
def deliveries_command(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Only dead-lettered messages.")]
    = False,
    fmt: Annotated[DataFormat, typer.Option("--format", help="text or json.")]
    = DataFormat.text,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 50,
) -> None:
    """Recent notifications with their status, attempts and last error."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        desk = open_desk()
        with desk.store.unit_of_work(read_only=True) as uow:
            rows = uow.outbox.deliveries(["dead"] if failed else None, limit=limit)
    if fmt is DataFormat.json:
        sys.stdout.write(json.dumps([{
            "id": r.id, "key": r.key, "event": r.event, "escalation_id": r.escalation_id,
            "channel": r.channel, "status": r.status, "attempts": r.attempts,
            "due_at": r.due_at.isoformat(), "available_at": r.available_at.isoformat(),
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            "last_error": r.last_error} for r in rows], ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        typer.echo("No dead-lettered deliveries." if failed else "No deliveries yet.")
        return
    for r in rows:
        error = f"  last error: {r.last_error}" if r.last_error else ""
        typer.echo(f"#{r.id:<6} {r.status:<10} {r.escalation_id:<8} {r.event:<24} "
                   f"{r.channel:<12} tries {r.attempts}{error}")


@deliveries_app.command("retry")
def deliveries_retry_command(
    message_id: Annotated[int, typer.Argument(metavar="ID", help="Delivery id (#12 → 12).")],
    now: NowOption = None,
) -> None:
    """Re-queue a dead-lettered (or waiting) delivery to go out on the next pass."""
    with user_errors():
        desk = open_desk()
        moment = now_from(now)
        with desk.store.unit_of_work() as uow:
            record = uow.outbox.retry(message_id, moment)
            if record is not None:
                uow.append_event(moment, desk.actor, "notification.requeued",
                                 record.escalation_id or None, {"key": record.key})
    if record is None:
        fail(f"no delivery #{message_id} waiting or dead-lettered")
    typer.echo(f"#{record.id} re-queued: {record.key}")


@app.command("snooze")
def snooze_command(
    escalation_id: Annotated[str, typer.Argument(metavar="ESC-ID")],
    span: Annotated[str, typer.Option("--for", help='How long: "30m", "2h", "1d".')],
    reason: Annotated[str, typer.Option("--reason", help="Why it can wait.")],
    internal: Annotated[bool, typer.Option("--internal")] = False,
    customer: Annotated[bool, typer.Option("--customer")] = False,
    now: NowOption = None,
) -> None:
    """Push the next internal or customer follow-up back (audited)."""
    if internal == customer:
        fail("say which follow-up to snooze: --internal or --customer")
    kind = FollowupKind.INTERNAL if internal else FollowupKind.CUSTOMER
    with user_errors():
        duration = parse_duration(span, "--for")
        escalation = open_desk().snooze(escalation_id, kind, duration, reason, now_from(now))
    clock = escalation.internal if internal else escalation.customer_update
    typer.echo(f"{escalation.id}: {kind.value} follow-up now due "
               f"{when(clock.due_at if clock else None, escalation.customer.timezone)}")
