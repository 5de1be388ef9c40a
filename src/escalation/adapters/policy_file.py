"""Read the team's policy TOML file into a validated Policy, with errors that name key and line."""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalation.adapters.lexicon_files import check_lexicon_files
from escalation.domain.errors import PolicyError
from escalation.domain.policy import DEFAULT_POLICY, Policy, policy_from_mapping


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One thing wrong with a policy file."""

    file: str
    key: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class PolicyFileError(ValueError):
    """A policy file that cannot be used; `problems` lists every one found."""

    def __init__(self, problems: list[PolicyProblem]):
        self.problems = problems
        super().__init__(str(problems[0]) + (
            f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        ))


def load_policy(path: str | Path | None) -> Policy:
    """The policy in `path`, or the seed's defaults when `path` is None."""
    if path is None:
        return DEFAULT_POLICY
    policy, problems = check_policy(path)
    if problems or policy is None:
        raise PolicyFileError(problems)
    return policy


def check_policy(path: str | Path) -> tuple[Policy | None, list[PolicyProblem]]:
    """Validate a policy file; returns the policy (or None) and every problem found."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [PolicyProblem(name, "", None, "no such file")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [PolicyProblem(name, "", None, f"cannot read the file: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        return None, [PolicyProblem(name, "", line, f"not valid TOML: {exc}")]

    problems: list[PolicyProblem] = []
    # Report every problem in one run: drop each offending key and validate again.
    remaining: dict[str, Any] = copy.deepcopy(data)
    for _ in range(100):
        try:
            policy_from_mapping(remaining)
            break
        except PolicyError as exc:
            problems.append(PolicyProblem(name, exc.path, _line_of(text, exc.path),
                                          exc.message.split(": ", 1)[1]))
            if not _drop(remaining, exc.path):
                break
    policy = None
    if not problems:
        policy = policy_from_mapping(data)
        zone = policy.calendar.default_timezone
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            key = "calendar.default_timezone"
            problems.append(PolicyProblem(
                name, key, _line_of(text, key),
                f'expected an IANA time zone like "Europe/Berlin", got "{zone}"',
            ))
            policy = None
    if policy is not None and policy.derive.lexicons:
        policy = _with_lexicons(policy, Path(path), name, text, problems)
    problems.sort(key=lambda p: p.line or 0)
    return policy, problems


def _with_lexicons(policy: Policy, path: Path, name: str, text: str,
                   problems: list[PolicyProblem]) -> Policy | None:
    """The policy with its `[derive] lexicons` resolved next to the policy file and checked."""
    resolved = tuple(str((path.parent / p).resolve()) if not Path(p).is_absolute() else p
                     for p in policy.derive.lexicons)
    found = check_lexicon_files(resolved)
    for index, message in found:
        key = f"derive.lexicons[{index}]"
        problems.append(PolicyProblem(name, key, _line_of(text, key), message))
    if found:
        return None
    return replace(policy, derive=replace(policy.derive, lexicons=resolved))


def _drop(data: dict[str, Any], key_path: str) -> bool:
    """Remove the key (or list) at a dotted path; False when there is nothing to remove."""
    parts = re.sub(r"\[\d+\]", "", key_path).split(".")
    node: Any = data
    for part in parts[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if isinstance(node, dict) and parts[-1] in node:
        del node[parts[-1]]
        return True
    return False


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"\.]+)\s*=")


def _line_of(text: str, key_path: str) -> int | None:
    """Best line for a dotted key path: the key's own line, else its table's header."""
    wanted = re.sub(r"\[\d+\]", "", key_path).split(".")
    table: list[str] = []
    best: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = [part.strip().strip('"') for part in header.group(1).split(".")]
            if table == wanted[: len(table)] and best is None and table:
                best = number
            continue
        key = _KEY.match(line)
        if key:
            full = table + [p.strip('"') for p in key.group(1).split(".")]
            if full == wanted:
                return number
            if full == wanted[: len(full)]:
                best = number
    return best

