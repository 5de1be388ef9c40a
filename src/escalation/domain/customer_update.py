"""A customer update drafted from the escalation's state: owed even when there is no news.

The seed: "Update the customer even if there's no new information ('We're still investigating
— here's what we know so far')". The draft is a list of paragraphs made of brief values, so the
renderers write it in the customer's language and time zone.
"""

from __future__ import annotations

from datetime import datetime

from escalation.domain.brief import Moment, Phrase, Said, Term, Value
from escalation.domain.model import N_, Escalation, Status


def draft_customer_update(
    escalation: Escalation,
    latest_internal_note: str | None,
    now: datetime,
) -> tuple[Value, ...]:
    """The paragraphs of the next customer update, greeting to sign-off."""
    e = escalation
    topic: Value = Said(e.summary) if e.summary else Phrase(N_("your request {ticket}"), {
        "ticket": Said(e.ticket_id)})
    name = e.customer.name
    paragraphs: list[Value] = [
        Phrase(N_("Hello {name},"), {"name": Said(name)}) if name else Phrase(N_("Hello,")),
    ]
    if e.status in (Status.OPEN, Status.ACKNOWLEDGED):
        paragraphs.append(Phrase(
            N_("We're still investigating \"{topic}\" — here's what we know so far."),
            {"topic": topic}))
    elif e.status is Status.IN_PROGRESS:
        paragraphs.append(Phrase(
            N_("Our {team} team is actively working on \"{topic}\"."),
            {"team": Term("target", e.target.value), "topic": topic}))
    elif e.status is Status.RESOLVED:
        paragraphs.append(Phrase(N_("Good news: \"{topic}\" has been resolved."),
                                 {"topic": topic}))
        if e.resolution:
            paragraphs.append(Phrase(N_("What we did: {resolution}"),
                                     {"resolution": Said(e.resolution)}))
    elif e.status is Status.DE_ESCALATED:
        paragraphs.append(Phrase(N_("An update on \"{topic}\": {note}"),
                                 {"topic": topic, "note": Said(e.deescalation_note or "")}))
    else:
        paragraphs.append(Phrase(N_("\"{topic}\" is closed. Thank you for your patience."),
                                 {"topic": topic}))
    if latest_internal_note and e.status.is_active:
        paragraphs.append(Phrase(N_("Latest from the team: {note}"),
                                 {"note": Said(latest_internal_note)}))
    elif e.status.is_active:
        paragraphs.append(Phrase(N_("There is no new finding since our last update; the team "
                                    "is still on it.")))
    if e.status.is_active:
        paragraphs.append(Phrase(N_("We are treating this with {severity} priority."),
                                 {"severity": Term("severity", e.severity.value)}))
        if e.customer_update is not None:
            next_at = max(e.customer_update.due_at, now)
            paragraphs.append(Phrase(N_("We will update you again by {at}, sooner if we "
                                        "learn more."), {"at": Moment(next_at)}))
    paragraphs.append(Phrase(N_("Best regards,\n{owner}"), {"owner": Said(e.owner)}))
    return tuple(paragraphs)
