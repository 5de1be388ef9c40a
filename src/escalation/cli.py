"""The `escalate` command: parses arguments, calls the use cases, prints; nothing else."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from escalation import __version__
from escalation.adapters.policy_file import PolicyFileError, check_policy, load_policy
from escalation.domain.contract import (
    assessment_to_mapping,
    parse_timestamp,
    ticket_from_mapping,
)
from escalation.domain.errors import InputError
from escalation.domain.model import Assessment, Decision, Ticket
from escalation.domain.policy import Policy, policy_to_mapping

if TYPE_CHECKING:
    from escalation.domain.lint import Finding

EXIT_FINDINGS = 1  # lint found an error
EXIT_BAD_INPUT = 2  # nothing was done: the input or an option is wrong

app = typer.Typer(
    name="escalate",
    help="Escalation Desk: decide, brief, lint and track support escalations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Show or check the escalation policy file.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


class DataFormat(StrEnum):
    """Output formats for data commands."""

    json = "json"
    text = "text"


class BriefFormat(StrEnum):
    """Output formats of a brief."""

    text = "text"
    markdown = "markdown"
    json = "json"
    html = "html"


class Lang(StrEnum):
    """Languages a brief is written in."""

    en = "en"
    zh = "zh"


class _State:
    policy_path: str | None = None
    db: str | None = None


state = _State()


@app.callback()
def main_options(
    db: Annotated[str | None, typer.Option(
        "--db", envvar="ESCALATION_DB", help="Database URL (default sqlite:///./escalation.db).",
    )] = None,
    policy: Annotated[str | None, typer.Option(
        "--policy", envvar="ESCALATION_POLICY", help="Policy TOML file (default: the seed's).",
    )] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Escalation Desk: decide, brief, lint and track support escalations."""
    if version:
        typer.echo(f"escalate {__version__}")
        raise typer.Exit()
    state.db = db
    state.policy_path = policy


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


def _policy() -> Policy:
    return load_policy(state.policy_path)


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return parse_timestamp(value, "--now")


def _read_json(source: str) -> Any:
    text = _read_text(source)
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        name = "standard input" if source == "-" else source
        fail(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")


def _read_tickets(source: str, skip_invalid: bool) -> tuple[list[Ticket], bool]:
    data = _read_json(source)
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


def _dump(value: Any, as_list: bool) -> str:
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


@app.command("assess")
def assess_command(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="Ticket JSON (or a list).")],
    now: NowOption = None,
    fmt: Annotated[DataFormat, typer.Option("--format", help="json or text.")] = DataFormat.json,
    skip_invalid: SkipOption = False,
) -> None:
    """Decide: escalate or handle in support, to which target, at which severity, and why."""
    from escalation.services import assess_many, batch_mode  # noqa: PLC0415 - light start-up

    with user_errors(), batch_mode():
        policy = _policy()
        moment = _now(now)
        tickets, as_list = _read_tickets(source, skip_invalid)
        assessments = assess_many(tickets, policy, moment)
    if fmt is DataFormat.text:
        typer.echo("\n\n".join(_assessment_text(a) for a in assessments))
        return
    mapped = [assessment_to_mapping(a) for a in assessments]
    sys.stdout.write(_dump(mapped if as_list else mapped[0], as_list) + "\n")


def _assessment_text(a: Assessment) -> str:
    if a.decision is Decision.HANDLE_IN_SUPPORT:
        head = f"{a.ticket_id}: handle in support"
    else:
        notify = ", ".join(t.value for t in a.also_notify)
        also = f" (also notify {notify})" if notify else ""
        head = (f"{a.ticket_id}: ESCALATE to {a.target.value if a.target else '?'}{also}, "
                f"severity {a.severity.value if a.severity else '?'}")
    lines = [head, f"  SLA: {a.sla_status.value}"]
    lines += [f"  - {r.text}  [{r.code}]" for r in a.reasons]
    if a.impact.drivers:
        lines.append(f"  severity driven by: {'; '.join(a.impact.drivers)}")
    if a.missing:
        lines.append(f"  brief still lacks: {', '.join(a.missing)}")
    return "\n".join(lines)


@app.command("brief")
def brief_command(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="Ticket JSON.")],
    now: NowOption = None,
    fmt: Annotated[BriefFormat, typer.Option("--format", help="text, markdown, json or html.")]
    = BriefFormat.text,
    lang: Annotated[Lang, typer.Option("--lang", help="en or zh.")] = Lang.en,
) -> None:
    """Build the structured escalation brief in the playbook's format."""
    from escalation.render import render_brief  # noqa: PLC0415
    from escalation.services import brief_ticket  # noqa: PLC0415

    with user_errors():
        policy = _policy()
        moment = _now(now)
        tickets, as_list = _read_tickets(source, False)
        if as_list:
            fail(f"{source}: brief takes one ticket, got a list of {len(tickets)}")
        briefed = brief_ticket(tickets[0], policy, moment)
    if briefed.assessment.decision is Decision.HANDLE_IN_SUPPORT:
        typer.echo(
            f"escalate: note: {briefed.ticket.id} should be handled in support "
            f"({briefed.assessment.reasons[0].code}); the brief is for reference only",
            err=True,
        )
    sys.stdout.write(render_brief(briefed.brief, fmt.value, lang.value).rstrip("\n") + "\n")


@app.command("lint")
def lint_command(
    source: Annotated[str, typer.Argument(
        metavar="FILE|-",
        help="Ticket JSON (or a list), brief JSON, or a brief written as text or Markdown.",
    )],
    now: NowOption = None,
    fmt: Annotated[DataFormat, typer.Option("--format", help="json or text.")] = DataFormat.text,
) -> None:
    """Check a brief like a demanding receiving team; exit 1 when any finding is an error.

    FILE (or - for standard input) is a ticket JSON or a list of tickets (the brief is built
    first), a brief JSON from `escalate brief --format json`, or a brief written by hand in the
    seed's Structured Escalation Format, as plain text or Markdown, in English or Chinese.
    """
    from escalation.domain.lint import has_errors  # noqa: PLC0415

    with user_errors():
        moment = _now(now)
        results, as_list = _lint_source(source, moment)
    if fmt is DataFormat.json:
        payload = [
            {"ticket_id": ticket_id, "findings": [
                {"code": f.code, "level": f.level.value, "field": f.field,
                 "message": f.message, "hint": f.hint} for f in findings]}
            for ticket_id, findings in results
        ]
        sys.stdout.write(_dump(payload if as_list else payload[0], as_list) + "\n")
    else:
        blocks = []
        for ticket_id, findings in results:
            if not findings:
                blocks.append(f"{ticket_id}: no findings")
                continue
            lines = [f"{ticket_id}: {len(findings)} finding(s)"]
            for f in findings:
                lines.append(f"  {f.level.value:<7} {f.code:<28} {f.field}: {f.message}")
                lines.append(f"  {'':<7} {'':<28} hint: {f.hint}")
            blocks.append("\n".join(lines))
        typer.echo("\n\n".join(blocks))
    if any(has_errors(findings) for _, findings in results):
        raise typer.Exit(EXIT_FINDINGS)


def _read_text(source: str) -> str:
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


def _lint_source(source: str, now: datetime) -> tuple[list[tuple[str, tuple[Finding, ...]]],
                                                       bool]:
    """Findings per ticket or brief in FILE, and whether FILE held a list.

    Input that does not start like JSON is a written brief; a JSON object with
    `"kind": "escalation_brief"` is our brief JSON; any other JSON is tickets, as before.
    """
    from escalation.domain.brief_json import brief_from_json, is_brief_json  # noqa: PLC0415
    from escalation.domain.brief_text import parse_brief_text  # noqa: PLC0415
    from escalation.domain.lint import lint_brief  # noqa: PLC0415
    from escalation.services import brief_ticket  # noqa: PLC0415

    name = "standard input" if source == "-" else source
    shown = "stdin" if source == "-" else Path(source).name
    text = _read_text(source)
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if not start:
        fail(f"{name}: empty: expected ticket JSON, brief JSON or a brief written in the "
             "Structured Escalation Format")
    if start not in ("{", "["):
        try:
            brief = parse_brief_text(text)
        except InputError as exc:
            fail(f"{name}: neither JSON nor a brief in the seed's format: {exc.message}")
        return [(brief.ticket_id or shown, lint_brief(brief, None))], False
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        fail(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    as_list = isinstance(data, list)
    policy: Policy | None = None
    results: list[tuple[str, tuple[Finding, ...]]] = []
    for index, item in enumerate(data if as_list else [data]):
        if is_brief_json(item):
            try:
                brief = brief_from_json(item)
            except InputError as exc:
                raise exc.under(f"[{index}]" if as_list else "") from None
            label = f"{shown}[{index}]" if as_list else shown
            results.append((brief.ticket_id or label, lint_brief(brief, None)))
            continue
        ticket = ticket_from_mapping(item, f"tickets[{index}]" if as_list else "")
        policy = policy or _policy()
        briefed = brief_ticket(ticket, policy, now)
        results.append((briefed.ticket.id, briefed.findings))
    return results, as_list


@policy_app.command("show")
def policy_show(
    fmt: Annotated[str, typer.Option("--format", help="toml or json.")] = "toml",
) -> None:
    """Print the effective policy (the file given with --policy, else the seed's defaults)."""
    with user_errors():
        data = policy_to_mapping(_policy())
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "toml":
        typer.echo(_to_toml(data))
    else:
        fail(f"--format: expected toml or json, got {fmt!r}")


@policy_app.command("check")
def policy_check(
    path: Annotated[str, typer.Argument(metavar="FILE", help="Policy TOML file.")],
) -> None:
    """Validate a policy file; every problem is printed with its key and line."""
    policy, problems = check_policy(path)
    if problems or policy is None:
        for problem in problems:
            typer.echo(f"escalate: {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"{path}: ok (policy {policy.version})")


def _to_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for the policy's shape: scalars, lists and nested tables."""
    out: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    out += [f"{k} = {_toml_value(v)}" for k, v in scalars.items()]

    def table(prefix: str, body: dict[str, Any]) -> None:
        out.append("")
        out.append(f"[{prefix}]")
        for key, value in body.items():
            if not isinstance(value, dict):
                out.append(f"{key} = {_toml_value(value)}")
        for key, value in body.items():
            if isinstance(value, dict):
                table(f"{prefix}.{key}", value)

    for key, value in data.items():
        if isinstance(value, dict):
            table(key, value)
    return "\n".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def main() -> None:
    """Console entry point."""
    if os.environ.get("ESCALATION_TRACEBACK"):
        app()
        return
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
