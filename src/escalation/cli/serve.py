"""`escalate serve`: the API, the dashboard and the reminder worker in one process (or several)."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from typing import Annotated

import typer

from escalation.cli.common import app, current_policy, db_url, state, user_errors

# The people of the demo data, with the role and team each signs in as.
DEMO_PEOPLE: tuple[tuple[str, str, str | None], ...] = (
    ("demo-admin", "admin", None),
    ("maya.chen", "agent", "emea-support"),
    ("li.wei", "agent", "apac-support"),
    ("sam.okafor", "lead", "emea-support"),
    ("eng-oncall", "engineering", None),
    ("product-triage", "product", None),
    ("sec-oncall", "security", None),
    ("vp-support", "leadership", None),
)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Load demo escalations (into an empty database) and print sign-in "
                       "tokens for each role.")] = False,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, help="Server processes. On SQLite they read side by side and "
                                 "take turns to write; PostgreSQL scales further.")] = 1,
    no_worker: Annotated[bool, typer.Option(
        "--no-worker", help="Do not deliver reminders here (run `escalate worker` instead).",
    )] = False,
) -> None:
    """Run the API (/api/v1, /docs), the dashboard (/) and the reminder worker."""
    import uvicorn  # noqa: PLC0415 - only this command serves

    from escalation.adapters.db.store import Store  # noqa: PLC0415

    url = db_url()
    with user_errors():
        policy = current_policy()
        store = Store(url)
        store.ensure_schema()
        if demo:
            _load_demo(store, policy)
    # Every process must sign sessions with the same key, and know the same database.
    os.environ["ESCALATION_DB"] = url
    if state.policy_path:
        os.environ["ESCALATION_POLICY"] = state.policy_path
    os.environ.setdefault("ESCALATION_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ["ESCALATION_RUN_WORKER"] = "0" if no_worker else "1"
    if workers > 1:  # one model thread per process: the processes share the cores
        os.environ.setdefault("ESCALATION_MODEL_THREADS", "1")
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    typer.echo(f"Escalation Desk on http://{shown}:{port}/ (API docs: /docs; database {url}"
               f"{'; reminders delivered here' if not no_worker else ''}). Ctrl-C stops.")
    uvicorn.run("escalation.web.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="info", access_log=False)


def _load_demo(store: object, policy: object) -> None:
    from escalation.adapters.db.store import Store  # noqa: PLC0415
    from escalation.demo import load_demo  # noqa: PLC0415
    from escalation.domain.access import Role  # noqa: PLC0415
    from escalation.domain.policy import Policy  # noqa: PLC0415
    from escalation.tokens import create_token  # noqa: PLC0415

    assert isinstance(store, Store) and isinstance(policy, Policy)
    now = datetime.now(UTC)
    with store.unit_of_work(read_only=True) as uow:
        existing = len(uow.list_escalations())
    if existing:
        typer.echo(f"demo: the database already holds {existing} escalations; keeping them")
    else:
        typer.echo("demo: loading demo escalations (first start takes a few seconds)…")
        summary = load_demo(store, policy, now)
        typer.echo(f"demo: {len(summary.opened)} escalations ({summary.active} active, "
                   f"{summary.ended} ended), {summary.pattern_tickets} tickets indexed for "
                   "patterns")
    typer.echo("demo: sign in with one of these tokens (new ones on each start):")
    for name, role, team in DEMO_PEOPLE:
        _record, secret = create_token(store, name=name, role=Role(role), team=team,
                                       by="demo", now=now)
        typer.echo(f"  {role:<11} {name:<15} {secret}")
