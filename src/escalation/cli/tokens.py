"""`escalate token create|list|revoke`: who may use the API and the dashboard, with which role."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from escalation.cli.common import (
    DataFormat,
    NowOption,
    actor,
    app,
    now_from,
    open_desk,
    user_errors,
)
from escalation.domain.access import Role

if TYPE_CHECKING:
    from escalation.adapters.db.store import Store

token_app = typer.Typer(help="API and dashboard tokens (stored hashed; shown once).",
                        no_args_is_help=True)
app.add_typer(token_app, name="token")


def _store() -> Store:
    return open_desk().store


@token_app.command("create")
def token_create_command(
    role: Annotated[Role, typer.Option("--role", help="agent, lead, engineering, product, "
                                       "security, leadership or admin.")],
    name: Annotated[str, typer.Option("--name", help="Who holds it: the audit trail's actor, "
                                      "and the owner name an agent acts as.")],
    team: Annotated[str | None, typer.Option(
        "--team", help="The holder's team: agents may act on their team's escalations.")] = None,
    now: NowOption = None,
) -> None:
    """Create a token and print its secret once (only its hash is stored)."""
    from escalation.tokens import create_token  # noqa: PLC0415

    with user_errors():
        record, secret = create_token(_store(), name=name, role=role, team=team, by=actor(),
                                      now=now_from(now))
    typer.echo(secret)
    typer.echo(f"token {record.id} for {record.name} ({record.role.value}"
               f"{', team ' + record.team if record.team else ''}): keep it now, it is not "
               "shown again", err=True)


@token_app.command("list")
def token_list_command(
    fmt: Annotated[DataFormat, typer.Option("--format", help="text or json.")] = DataFormat.text,
) -> None:
    """Every token: id, prefix, holder, role, team, created, last used, revoked."""
    from escalation.tokens import list_tokens  # noqa: PLC0415

    with user_errors():
        records = list_tokens(_store())
    if fmt is DataFormat.json:
        sys.stdout.write(json.dumps([{
            "id": r.id, "prefix": r.prefix, "name": r.name, "role": r.role.value,
            "team": r.team, "created_at": r.created_at.isoformat(), "created_by": r.created_by,
            "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
            "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
        } for r in records], indent=2) + "\n")
        return
    if not records:
        typer.echo("no tokens (create one: escalate token create --role admin --name NAME)")
        return
    for r in records:
        used = r.last_used_at.strftime("%Y-%m-%d %H:%M") if r.last_used_at else "never"
        state = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        typer.echo(f"{r.id:<4} {r.prefix}…  {r.name:<20} {r.role.value:<11} "
                   f"{r.team or '-':<12} used {used:<16} {state}")


@token_app.command("revoke")
def token_revoke_command(
    which: Annotated[str, typer.Argument(metavar="ID|PREFIX|NAME",
                                         help="Token id, its prefix, or a holder's name.")],
    now: NowOption = None,
) -> None:
    """Revoke a token (or every active token of a name); it stops working within seconds."""
    from escalation.tokens import revoke_token  # noqa: PLC0415

    with user_errors():
        revoked = revoke_token(_store(), which, by=actor(), now=now_from(now))
    for r in revoked:
        typer.echo(f"revoked token {r.id} ({r.prefix}…, {r.name}, {r.role.value})")
