"""Audit trail: the hash chain verifies, and every edit, deletion, reorder or duplicate shows."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.domain.audit import (
    GENESIS,
    AuditEvent,
    canonical,
    event_hash,
    next_event,
    verify_chain,
)

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
N = 6


def chain(
    n: int = N, details: list[dict[str, Any]] | None = None
) -> tuple[list[AuditEvent], tuple[int, str] | None]:
    """`n` events as the store appends them, and the head it keeps apart."""
    events: list[AuditEvent] = []
    head: tuple[int, str] | None = None
    for i in range(n):
        event = next_event(
            head, T0 + timedelta(minutes=7 * i), f"agent{i % 3}", f"action.{i}",
            f"ESC-{i % 2}", details[i] if details else {"step": i, "note": f"n{i}"},
        )
        events.append(event)
        head = (event.seq, event.hash)
    return events, head


def test_an_untouched_chain_verifies() -> None:
    events, head = chain()
    assert verify_chain(events, head) == (N, None)
    assert [e.seq for e in events] == list(range(1, N + 1))
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    assert len({e.hash for e in events}) == N


def test_an_empty_log_verifies_and_a_missing_head_does_not() -> None:
    assert verify_chain([], None) == (0, None)
    events, _ = chain()
    checked, problem = verify_chain(events, None)
    assert checked == N
    assert problem is not None and problem.seq == 1 and "head" in problem.reason


def test_first_event_chains_to_genesis() -> None:
    event = next_event(None, T0, "mei", "escalation.opened", "ESC-1", {"severity": "high"})
    assert (event.seq, event.prev_hash) == (1, GENESIS)
    body = canonical(1, T0, "mei", "escalation.opened", "ESC-1", {"severity": "high"})
    assert event.hash == event_hash(GENESIS, body)


# -- edits -----------------------------------------------------------------------------------

EDITS: dict[str, Any] = {
    "actor": lambda e: replace(e, actor=e.actor + "x"),
    "action": lambda e: replace(e, action="escalation.closed"),
    "details-value": lambda e: replace(e, details={**e.details, "note": "rewritten"}),
    "details-extra-key": lambda e: replace(e, details={**e.details, "by": "someone"}),
    "details-dropped-key": lambda e: replace(e, details={"step": e.details["step"]}),
    "at": lambda e: replace(e, at=e.at + timedelta(microseconds=1)),
    "escalation_id": lambda e: replace(e, escalation_id="ESC-99"),
    "escalation_id-none": lambda e: replace(e, escalation_id=None),
    "hash": lambda e: replace(e, hash="f" * 64),
    "prev_hash": lambda e: replace(e, prev_hash="e" * 64),
}


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("index", range(N))
def test_changing_any_field_of_any_event_is_caught_at_its_seq(edit: str, index: int) -> None:
    events, head = chain()
    tampered = events[:]
    tampered[index] = EDITS[edit](events[index])
    assert tampered[index] != events[index]
    checked, problem = verify_chain(tampered, head)
    assert problem is not None
    assert problem.seq == index + 1
    assert checked == index  # the events before it still verify
    assert str(problem).startswith(f"audit event {index + 1}:")


@pytest.mark.parametrize("index", range(N))
def test_rehashing_an_edited_event_is_caught_by_the_next_link(index: int) -> None:
    events, head = chain()
    e = events[index]
    details = {**e.details, "note": "quietly rewritten"}
    forged = replace(e, details=details, hash=event_hash(
        e.prev_hash, canonical(e.seq, e.at, e.actor, e.action, e.escalation_id, details)))
    tampered = events[:]
    tampered[index] = forged
    _, problem = verify_chain(tampered, head)
    assert problem is not None
    # The forged event itself is consistent; the next event (or the head) no longer fits.
    assert problem.seq == min(index + 2, N)


def test_the_same_instant_in_another_zone_is_not_an_edit() -> None:
    events, head = chain()
    moved = [replace(e, at=e.at.astimezone(ZoneInfo("Asia/Shanghai"))) for e in events]
    assert verify_chain(moved, head) == (N, None)


# -- deletions, reorders, duplicates ---------------------------------------------------------


@pytest.mark.parametrize("index", range(1, N - 1))
def test_deleting_a_middle_event_names_it(index: int) -> None:
    events, head = chain()
    checked, problem = verify_chain(events[:index] + events[index + 1:], head)
    assert problem is not None
    assert problem.seq == index + 1
    assert "missing" in problem.reason
    assert checked == index


def test_deleting_the_first_event_names_it() -> None:
    events, head = chain()
    _, problem = verify_chain(events[1:], head)
    assert problem is not None and problem.seq == 1


@pytest.mark.parametrize("removed", [1, 2, N])
def test_deleting_from_the_end_is_a_head_mismatch(removed: int) -> None:
    events, head = chain()
    assert head == (N, events[-1].hash)
    checked, problem = verify_chain(events[:-removed], head)
    assert problem is not None
    assert problem.seq == N
    assert checked == N - removed
    assert "removed from the end" in problem.reason


@pytest.mark.parametrize(("i", "j"), [(0, 1), (1, 4), (0, N - 1), (N - 2, N - 1)])
def test_swapping_two_events_names_the_first_position(i: int, j: int) -> None:
    events, head = chain()
    swapped = events[:]
    swapped[i], swapped[j] = swapped[j], swapped[i]
    checked, problem = verify_chain(swapped, head)
    assert problem is not None
    assert problem.seq == i + 1
    assert checked == i


@pytest.mark.parametrize(("i", "j"), [(0, 1), (2, 3), (1, 4)])
def test_swapping_contents_but_keeping_seq_numbers_is_caught(i: int, j: int) -> None:
    events, head = chain()
    swapped = events[:]
    swapped[i] = replace(events[j], seq=i + 1)
    swapped[j] = replace(events[i], seq=j + 1)
    _, problem = verify_chain(swapped, head)
    assert problem is not None and problem.seq == i + 1


@pytest.mark.parametrize("index", range(N))
def test_duplicating_an_event_is_caught(index: int) -> None:
    events, head = chain()
    doubled = [*events[: index + 1], events[index], *events[index + 1:]]
    checked, problem = verify_chain(doubled, head)
    assert problem is not None
    assert problem.seq == index + 1
    assert "duplicated" in problem.reason
    assert checked == index + 1


def test_appending_a_duplicate_of_the_last_event_is_caught() -> None:
    events, head = chain()
    _, problem = verify_chain([*events, events[-1]], head)
    assert problem is not None and problem.seq == N


# -- canonical form --------------------------------------------------------------------------


def test_canonical_ignores_dict_insertion_order_at_every_depth() -> None:
    one = {"a": 1, "b": {"x": [1, 2], "y": "z"}, "c": None}
    two = {"c": None, "b": {"y": "z", "x": [1, 2]}, "a": 1}
    assert list(one) != list(two)
    assert canonical(3, T0, "mei", "note", "ESC-1", one) == canonical(
        3, T0, "mei", "note", "ESC-1", two
    )


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Asia/Shanghai", "Asia/Kolkata", "Pacific/Chatham"]
)
def test_canonical_ignores_the_time_zone_of_the_same_instant(zone: str) -> None:
    local = T0.astimezone(ZoneInfo(zone))
    assert local.utcoffset() != timedelta(0)
    assert canonical(1, local, "mei", "note", None, {}) == canonical(1, T0, "mei", "note", None, {})


def test_canonical_is_compact_sorted_json_with_utc_time() -> None:
    body = canonical(2, T0.astimezone(ZoneInfo("America/New_York")), "mei", "note", "ESC-1",
                     {"b": 1, "a": 2})
    assert body == (
        b'{"action":"note","actor":"mei","at":"2026-03-04T09:00:00.000000+00:00",'
        b'"details":{"a":2,"b":1},"escalation_id":"ESC-1","seq":2}'
    )


Fields = tuple[int, datetime, str, str, str | None, dict[str, Any]]


def test_canonical_tells_apart_every_field() -> None:
    base: Fields = (1, T0, "mei", "note", "ESC-1", {"k": "v"})
    variants: list[Fields] = [
        (2, T0, "mei", "note", "ESC-1", {"k": "v"}),
        (1, T0 + timedelta(microseconds=1), "mei", "note", "ESC-1", {"k": "v"}),
        (1, T0, "meI", "note", "ESC-1", {"k": "v"}),
        (1, T0, "mei", "notes", "ESC-1", {"k": "v"}),
        (1, T0, "mei", "note", "ESC-2", {"k": "v"}),
        (1, T0, "mei", "note", None, {"k": "v"}),
        (1, T0, "mei", "note", "ESC-1", {"k": "V"}),
        (1, T0, "mei", "note", "ESC-1", {"k": ["v"]}),
    ]
    bodies = {canonical(*v) for v in [base, *variants]}
    assert len(bodies) == len(variants) + 1


def test_chinese_details_round_trip_and_verify() -> None:
    details = {"note": "客户仍在等待——我们正在调查", "原因": "证书过期", "emoji": "✅"}
    event = next_event(None, T0, "李雷", "escalation.noted", "ESC-8", details)
    assert event.details == details
    body = canonical(event.seq, event.at, event.actor, event.action, event.escalation_id,
                     event.details)
    assert "客户仍在等待".encode() in body  # stored as UTF-8, not \\u escapes
    assert json.loads(body.decode("utf-8"))["details"] == details
    # As a database would give it back: through JSON text and a UTC timestamp.
    stored = replace(event, details=json.loads(json.dumps(dict(event.details))),
                     at=event.at.astimezone(UTC))
    assert verify_chain([stored], (1, event.hash)) == (1, None)


def test_next_event_stores_details_as_plain_json() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = next_event(None, T0, "mei", "x", "ESC-1", {"at": when, "ids": ("a", "b")})
    assert event.details == {"at": str(when), "ids": ["a", "b"]}
    assert verify_chain([event], (1, event.hash)) == (1, None)


# -- properties ------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(10**12), max_value=10**12)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)
EVENTS = st.lists(
    st.tuples(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([UTC, ZoneInfo("Asia/Shanghai"),
                                                ZoneInfo("America/New_York")])),
        st.text(min_size=1, max_size=12),
        st.sampled_from(["escalation.opened", "follow_up.recorded", "severity.changed",
                         "checklist.ticked", "escalation.closed"]),
        st.none() | st.from_regex(r"ESC-[0-9]{1,4}", fullmatch=True),
        # Every event carries a note, as the desk's events do.
        st.builds(lambda note, rest: {**rest, "note": note}, st.text(max_size=30),
                   st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)),
    ),
    min_size=1,
    max_size=12,
)


def _build(
    specs: list[tuple[datetime, str, str, str | None, dict[str, Any]]],
) -> tuple[list[AuditEvent], tuple[int, str]]:
    events: list[AuditEvent] = []
    head: tuple[int, str] | None = None
    for at, actor, action, escalation_id, details in specs:
        event = next_event(head, at, actor, action, escalation_id, details)
        events.append(event)
        head = (event.seq, event.hash)
    assert head is not None
    return events, head


@settings(max_examples=100, deadline=None)
@given(specs=EVENTS)
def test_random_chains_verify(
    specs: list[tuple[datetime, str, str, str | None, dict[str, Any]]],
) -> None:
    events, head = _build(specs)
    assert verify_chain(events, head) == (len(events), None)


_ALNUM = list(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _letters_in_strings(raw: bytes | bytearray) -> list[int]:
    """Offsets of ASCII letters and digits inside JSON strings, escape sequences excluded."""
    found: list[int] = []
    inside, skip = False, 0
    for i, b in enumerate(raw):
        if skip:
            skip -= 1
        elif not inside:
            inside = b == ord('"')
        elif b == ord("\\"):
            skip = 5 if raw[i + 1] == ord("u") else 1
        elif b == ord('"'):
            inside = False
        elif b in _ALNUM:
            found.append(i)
    return found


def _details_bytes(details: Any) -> bytes:
    return json.dumps(details, sort_keys=True, ensure_ascii=False).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(specs=EVENTS, data=st.data())
def test_any_single_byte_change_to_details_is_caught(
    specs: list[tuple[datetime, str, str, str | None, dict[str, Any]]], data: st.DataObject,
) -> None:
    events, head = _build(specs)
    index = data.draw(st.integers(0, len(events) - 1), label="event")
    original = events[index].details
    raw = bytearray(_details_bytes(original))
    letters = _letters_in_strings(raw)
    if data.draw(st.integers(0, 3), label="where") > 0:
        # A letter or digit inside a key or string swapped for another keeps the JSON valid.
        at = data.draw(st.sampled_from(letters), label="byte")
        raw[at] = data.draw(st.sampled_from(_ALNUM).filter(lambda b: b != raw[at]))
    else:
        at = data.draw(st.integers(0, len(raw) - 1), label="byte")
        raw[at] = data.draw(st.integers(0, 255).filter(lambda b: b != raw[at]))
    try:
        changed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        # No longer JSON, so no store could hand it back as details.
        return
    tampered = events[:]
    tampered[index] = replace(events[index], details=changed)
    checked, problem = verify_chain(tampered, head)
    if _details_bytes(changed) == _details_bytes(original):
        # Only a change JSON cannot express (e.g. to insignificant whitespace).
        assert problem is None
        return
    assert problem is not None
    assert problem.seq == index + 1
    assert checked == index
