"""Commands on the policy file: show and check."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from escalation.adapters.policy_file import check_policy
from escalation.cli.common import (
    EXIT_BAD_INPUT,
    current_policy,
    fail,
    policy_app,
    user_errors,
)
from escalation.domain.policy import policy_to_mapping


@policy_app.command("show")
def policy_show(
    fmt: Annotated[str, typer.Option("--format", help="toml or json.")] = "toml",
) -> None:
    """Print the effective policy (the file given with --policy, else the seed's defaults)."""
    with user_errors():
        policy = current_policy()
        data = policy_to_mapping(policy)
    # The [derive] settings are shown even at their defaults (the mapping leaves them out).
    data.setdefault("derive", {"enabled": policy.derive.enabled,
                               "lexicons": list(policy.derive.lexicons)})
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
    scalars = {k: v for k, v in data.items()
               if not isinstance(v, dict) and not (isinstance(v, list) and v
                                                   and isinstance(v[0], dict))}
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
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                out += ["", f"[[{key}]]"]
                out += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
    return "\n".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


