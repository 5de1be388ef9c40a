"""What every `escalate` command shares: the app, global options, input reading, errors."""

from __future__ import annotations

import getpass
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from escalation import __version__
from escalation.adapters.policy_file import PolicyFileError, load_policy
from escalation.domain.contract import (
    parse_timestamp,
    ticket_from_mapping,
)
from escalation.domain.errors import InputError
from escalation.domain.lifecycle import LifecycleError
from escalation.domain.model import Ticket
from escalation.domain.policy import Policy
from escalation.services import Desk, DeskError

if TYPE_CHECKING:
    from escalation.adapters.db.store import Store

EXIT_FINDINGS = 1  # lint found an error
EXIT_BAD_INPUT = 2  # nothing was done: the input, an option or an id is wrong
EXIT_REFUSED = 3  # nothing was done: the escalation's state does not allow it (yet)
EXIT_CONFLICT = 4  # nothing was done: someone else changed the escalation meanwhile

DEFAULT_DB = "sqlite:///./escalation.db"

app = typer.Typer(
    name="escalate",
    help="Escalation Desk: decide, brief, lint and track support escalations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Show or check the escalation policy file.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


class DataFormat(StrEnum):
    """Output formats for data commands."""

    json = "json"
    text = "text"


class _State:
    policy_path: str | None = None
    db: str | None = None
    actor: str | None = None
    derive: bool = True  # False with --no-derive: no facts are read from the ticket's words

    def __init__(self) -> None:
        # The stores this command opened: closed when it ends, whichever way it ends.
        self.stores: list[Store] = []

    def close_stores(self) -> None:
        while self.stores:
            self.stores.pop().close()


state = _State()


def _print_version() -> NoReturn:
    typer.echo(f"escalate {__version__}")
    raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", envvar="ESCALATION_DB", help="Database URL (default sqlite:///./escalation.db).",
    )] = None,
    policy: Annotated[str | None, typer.Option(
        "--policy", envvar="ESCALATION_POLICY", help="Policy TOML file (default: the seed's).",
    )] = None,
    actor: Annotated[str | None, typer.Option(
        "--actor", envvar="ESCALATION_ACTOR",
        help="Who is acting, for the audit trail (default: the login name).",
    )] = None,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True,
        callback=lambda value: _print_version() if value else None,
    )] = False,
) -> None:
    """Escalation Desk: decide, brief, lint and track support escalations."""
    state.db = db
    state.policy_path = policy
    state.actor = actor
    state.derive = True
    state.stores = []
    ctx.call_on_close(state.close_stores)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """One clear line on stderr, nothing on stdout, a non-zero exit."""
    typer.echo(f"escalate: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn input errors into one line on stderr and exit 2 — never a traceback."""
    try:
        yield
    except InputError as exc:
        fail(exc.message)
    except PolicyFileError as exc:
        fail(f"policy: {exc}")
    except LookupError as exc:  # an unknown escalation id (the store's NotFoundError)
        fail(str(exc).strip("'\""))
    except (LifecycleError, DeskError) as exc:
        fail(str(exc), EXIT_REFUSED)
    except Exception as exc:
        # Store errors, matched by name so commands that need no store never import it.
        if type(exc).__name__ == "ConflictError":
            fail(str(exc), EXIT_CONFLICT)
        if type(exc).__module__.startswith("sqlalchemy"):
            fail(f"database {db_url()}: {str(exc).splitlines()[0]}")
        raise


_ESC_ID = re.compile(r"^(?i:esc-)?\d+$")


def looks_like_escalation_id(value: str) -> bool:
    """ESC-7, esc-7 or 7 — and no file of that name exists."""
    return bool(_ESC_ID.match(value)) and not Path(value).exists()


def when(at: datetime | None, zone: str | None) -> str:
    """A moment in the customer's time zone, e.g. "2026-11-26 14:00 EST" ("-" for none)."""
    if at is None:
        return "-"
    try:
        local = at.astimezone(ZoneInfo(zone)) if zone else at
    except (ZoneInfoNotFoundError, ValueError):
        local = at
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def db_url() -> str:
    """The database named by --db / ESCALATION_DB, else the SQLite file in this folder."""
    return state.db or DEFAULT_DB


def actor() -> str:
    """Who is acting: --actor / ESCALATION_ACTOR, else the login name."""
    if state.actor:
        return state.actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def open_store(*, migrate: bool = True) -> Store:
    """The configured store, closed when the command ends."""
    from escalation.adapters.db.store import Store  # noqa: PLC0415 - only for store commands

    store = Store(db_url(), migrate=migrate)
    state.stores.append(store)
    return store


def open_desk() -> Desk:
    """The use cases over the configured store, policy and actor."""
    return Desk(open_store(), current_policy(), actor())


def current_policy() -> Policy:
    """The policy named by --policy / ESCALATION_POLICY, else the seed's defaults (with fact
    derivation turned off for this run by --no-derive)."""
    policy = load_policy(state.policy_path)
    if not state.derive:
        from escalation.services import without_derive  # noqa: PLC0415

        policy = without_derive(policy)
    return policy


def now_from(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return parse_timestamp(value, "--now")


def read_text(source: str) -> str:
    """The UTF-8 text of FILE, or of standard input for `-`; one line on stderr otherwise."""
    name = "standard input" if source == "-" else source
    try:
        if source == "-":
            return sys.stdin.read()
        path = Path(source)
        if not path.is_file():
            fail(f"{source}: no such file")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{name}: not UTF-8 text")
    except OSError as exc:
        fail(f"{name}: cannot read ({exc.strerror})")


def read_json(source: str) -> Any:
    text = read_text(source)
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        name = "standard input" if source == "-" else source
        fail(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")


def read_tickets(source: str, skip_invalid: bool) -> tuple[list[Ticket], bool]:
    data = read_json(source)
    if not isinstance(data, list):
        return [ticket_from_mapping(data)], False
    tickets: list[Ticket] = []
    for index, item in enumerate(data):
        try:
            tickets.append(ticket_from_mapping(item, f"tickets[{index}]"))
        except InputError as exc:
            if not skip_invalid:
                raise
            typer.echo(f"escalate: skipped {exc.message}", err=True)
    return tickets, True


def dump(value: Any, as_list: bool) -> str:
    if as_list:
        # One item per line keeps the output readable and uses the C encoder (fast).
        if not value:
            return "[]"
        return "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in value) + "\n]"
    return json.dumps(value, ensure_ascii=False, indent=2)


NowOption = Annotated[str | None, typer.Option(
    "--now", help="Judge time as of this ISO-8601 timestamp (default: the current time).",
)]
SkipOption = Annotated[bool, typer.Option(
    "--skip-invalid", help="In a list, skip invalid tickets (each reported on stderr).",
)]
# The global --db, also accepted after the command (`escalate patterns FILE --db URL`).
DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL (same as the global --db / ESCALATION_DB).",
)]


NoDeriveOption = Annotated[bool, typer.Option(
    "--no-derive", help="Read no facts from the ticket's words for this run (only the facts it "
                        "states; the policy's [derive] table turns it off for good).",
)]


def use_derive(no_derive: bool) -> None:
    """--no-derive: the policy of this run reads no facts from the ticket's text."""
    if no_derive:
        state.derive = False


def use_db(db: str | None) -> None:
    """A --db given after the command wins over the global one."""
    if db is not None:
        state.db = db


