"""Read our own brief JSON (`escalate brief --format json`, version 1) back into a Brief.

The structure is documented in `escalation.render.json_brief`. Each `text` is read the way
`brief_text` reads a written value: the author's words become `Said`, `[needed: …]` markers and
placeholders become `Needed` with the ticket field `build_brief` names. When `text` is empty the
`needed` description is used. When `text` says something, it wins over a stale `needed`: it is
what the reader of the brief sees. A missing key is a missing part (`Needed`); a key of the
wrong type is an `InputError` naming its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalation.domain.brief import (
    Attempt,
    Brief,
    Line,
    Moment,
    Needed,
    Phrase,
    ReproductionSection,
    Term,
    Value,
)
from escalation.domain.brief_text import (
    COMMUNICATION_KEYS,
    IMPACT_REQUIRED,
    LABELS,
    attempt_part,
    complete_lines,
    read_supporting,
    read_term,
    read_value,
    settle_steps,
    settle_tried,
    slug,
)
from escalation.domain.contract import parse_timestamp
from escalation.domain.errors import InputError
from escalation.domain.model import Reason, Severity, Target

KIND = "escalation_brief"
VERSIONS = (1,)


def is_brief_json(data: object) -> bool:
    """Whether parsed JSON is a brief (`"kind": "escalation_brief"`) rather than a ticket."""
    return isinstance(data, Mapping) and data.get("kind") == KIND


def brief_from_json(data: Mapping[str, Any]) -> Brief:
    """The brief a `--format json` document describes; `InputError` with the path when malformed."""
    data = _object(data, "")
    if data.get("kind") != KIND:
        raise InputError("kind", f'"{KIND}"', data.get("kind"))
    version = data.get("version", 1)
    if isinstance(version, bool) or version not in VERSIONS:
        raise InputError("version", " or ".join(str(v) for v in VERSIONS), version)
    ticket_id = _string(data.get("ticket_id", ""), "ticket_id")
    timezone = _string(data.get("timezone", "UTC"), "timezone") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError("timezone", "an IANA time zone such as \"Europe/Berlin\"",
                         timezone) from exc
    severity = _term(data.get("severity"), "severity", {s.value for s in Severity})
    target = _term(data.get("target"), "target", {t.value for t in Target})
    asks = tuple(_value(item, f"needed_asks[{i}]", "ask")
                 for i, item in enumerate(_list(data.get("needed_asks"), "needed_asks")))
    return Brief(
        ticket_id=ticket_id,
        summary=_value(data.get("summary"), "summary", "summary"),
        severity=severity,
        target=target,
        impact=complete_lines(_labelled(data.get("impact"), "impact"), IMPACT_REQUIRED),
        description=_value(data.get("description"), "description", "description"),
        reproduction=_reproduction(data.get("reproduction")),
        tried=settle_tried([
            _attempt(item, i) for i, item in enumerate(_list(data.get("tried"), "tried"))
        ]),
        communication=complete_lines(_labelled(data.get("communication"), "communication"),
                                     COMMUNICATION_KEYS),
        asks=asks or (read_value("", "ask"),),
        deadline=_deadline(data.get("deadline")),
        supporting=tuple(
            read_supporting(_text(item, f"supporting[{i}]"))
            for i, item in enumerate(_list(data.get("supporting"), "supporting"))
        ),
        timezone=timezone,
        reasons=tuple(_reason(item, f"reasons[{i}]")
                      for i, item in enumerate(_list(data.get("reasons"), "reasons"))),
        target_name=target.value if isinstance(target, Term) else None,
        severity_name=severity.value if isinstance(severity, Term) else None,
    )


# -- shapes ------------------------------------------------------------------------------------


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(path, "an object", value)
    return value


def _list(value: object, path: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(path, "a list", value)
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InputError(path, "a string", value)
    return value


def _texts(value: object, path: str) -> tuple[str, str | None]:
    """`text` and `needed` of a FIELD (`{"text": str, "needed": null | str}`)."""
    if value is None:
        return "", None
    field = _object(value, path)
    text = _string(field.get("text", ""), f"{path}.text")
    needed = field.get("needed")
    if needed is not None and not isinstance(needed, str):
        raise InputError(f"{path}.needed", "a string or null", needed)
    return text, needed


def _text(value: object, path: str) -> str:
    """What a FIELD shows; its `needed` description as a marker when the text is empty."""
    text, needed = _texts(value, path)
    return f"[needed: {needed}]" if needed and not text.strip() else text


def _value(value: object, path: str, part: str) -> Value:
    return read_value(_text(value, path), part)


def _attempt(value: object, index: int) -> Attempt:
    attempt = _object(value, f"tried[{index}]")
    return Attempt(
        attempt_part(_text(attempt.get("action"), f"tried[{index}].action"), index, "action"),
        attempt_part(_text(attempt.get("result"), f"tried[{index}].result"), index, "result"),
    )


def _term(value: object, kind: str, codes: set[str]) -> Value:
    text = _text(value, kind)
    code = _object(value, kind).get("code") if value is not None else None
    if code is None:
        return read_term(text, kind)
    if not isinstance(code, str) or code not in codes:
        raise InputError(f"{kind}.code", ", ".join(sorted(codes)) + " or null", code)
    return Term(kind, code)


def _labelled(value: object, path: str) -> list[Line]:
    """A `{key: LABELLED}` object as lines; known keys keep the English label build_brief uses."""
    if value is None:
        return []
    lines: list[Line] = []
    for key, item in _object(value, path).items():
        where = f"{path}.{key}"
        label = _object(item, where).get("label", key) if item is not None else key
        label = _string(label, f"{where}.label")
        part = key if key in LABELS else slug(key)
        lines.append(Line(part, LABELS.get(key, label), _value(item, where, part)))
    return lines


def _reproduction(value: object) -> ReproductionSection | None:
    if value is None:
        return None
    repro = _object(value, "reproduction")
    return ReproductionSection(
        steps=settle_steps([
            _value(step, f"reproduction.steps[{i}]", "steps")
            for i, step in enumerate(_list(repro.get("steps"), "reproduction.steps"))
        ]),
        expected=_value(repro.get("expected"), "reproduction.expected", "expected"),
        actual=_value(repro.get("actual"), "reproduction.actual", "actual"),
        environment=_value(repro.get("environment"), "reproduction.environment",
                           "environment"),
        extra=tuple(_labelled(repro.get("extra"), "reproduction.extra")),
    )


def _deadline(value: object) -> Value:
    deadline = _value(value, "deadline", "deadline")
    at = _object(value, "deadline").get("at") if value is not None else None
    if at is None or isinstance(deadline, Needed):
        return deadline
    moment = Moment(parse_timestamp(_string(at, "deadline.at"), "deadline.at"))
    # The text as written, anchored at its moment so readers that route on `at` keep it.
    return Phrase("{text}", {"text": deadline, "at": moment})


def _reason(value: object, path: str) -> Reason:
    reason = _object(value, path)
    return Reason(
        code=_string(reason.get("code", ""), f"{path}.code"),
        category=_string(reason.get("category", ""), f"{path}.category"),
        template=_string(reason.get("text", ""), f"{path}.text"),
    )
