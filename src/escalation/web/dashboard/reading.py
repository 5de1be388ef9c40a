""""Read from the ticket": the facts derived from a ticket's words, each with the phrase and
field it was read in, and the phrases read but set aside (negated, hedged, a question …), for
the New escalation page and the escalation page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from escalation.domain.extract import Evidence, Extraction
from escalation.domain.model import N_
from escalation.web.dashboard import i18n

# Derivable facts the form's key-fact checkboxes do not name (those use LABELS["fact"]).
_MORE_FACTS: Mapping[str, str] = {
    "category": N_("Category"),
    "compliance_concern": N_("Compliance concern"),
    "customers_affected": N_("Customers affected"),
    "data_integrity_at_risk": N_("Data integrity at risk"),
    "hours_waiting": N_("Hours waiting"),
    "inconvenienced": N_("Customer can still work"),
    "known_workaround": N_("Known workaround"),
    "policy_exception_needed": N_("Policy exception needed"),
    "pr_or_legal_risk": N_("PR or legal risk"),
    "severity_increasing": N_("Severity increasing"),
    "unauthorized_access": N_("Unauthorized access"),
    "users_affected": N_("Users affected"),
    "vulnerability_report": N_("Vulnerability report"),
}
_FIELDS: Mapping[str, str] = {
    "subject": N_("Subject"),
    "description": N_("Description"),
    "tags": N_("Tags"),
}
_MESSAGE = N_("Message %(number)s")
# Why a phrase was set aside: the kind (the words before ":" or " (") as the dashboard says it;
# what follows (the cue as written, e.g. "no", "might") is shown as it is.
_WHY: Mapping[str, str] = {
    "negated": N_("Negated"),
    "hedged": N_("Hedged"),
    "question": N_("A question"),
    "quoted": N_("Quoted"),
    "pasted log": N_("Pasted log"),
    "excluded": N_("Excluded"),
    "outweighed": N_("Outweighed"),
    "overridden": N_("The ticket states this fact"),
    "no usable number": N_("No usable number"),
}
_YES, _NO = N_("yes"), N_("no")
_COMMUNICATION = re.compile(r"^communications\[(\d+)\]$")


def fact_label(name: str, lang: str) -> str:
    """A fact's name as the dashboard says it (`category:bug` as "Category: Bug")."""
    if name.startswith("category:"):
        return (f"{i18n.translate(_MORE_FACTS['category'], lang)}: "
                f"{i18n.label('category', name.removeprefix('category:'), lang)}")
    if name in i18n.LABELS["fact"]:
        return i18n.label("fact", name, lang)
    msgid = _MORE_FACTS.get(name)
    return i18n.translate(msgid, lang) if msgid else name


def field_label(field: str, lang: str) -> str:
    """Where the words were: Subject, Description, Message 2, Tags."""
    found = _COMMUNICATION.match(field)
    if found:
        return i18n.translate(_MESSAGE, lang, number=int(found.group(1)) + 1)
    msgid = _FIELDS.get(field)
    return i18n.translate(msgid, lang) if msgid else field


def _value(name: str, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return i18n.translate(_YES if value else _NO, lang)
    if name == "category":
        return i18n.label("category", value, lang)
    if isinstance(value, int | float):
        return i18n.number(value, lang)
    return str(value)


def _why(why: str, lang: str) -> tuple[str, str]:
    """(the kind in `lang`, the rest as written)."""
    kind, _, rest = why.partition(":")
    base, _, note = kind.partition(" (")
    msgid = _WHY.get(base.strip())
    if msgid is None:
        return why, ""
    detail = rest.strip() or note.rstrip(")")
    return i18n.translate(msgid, lang), detail


def _evidence(e: Evidence, lang: str) -> dict[str, str]:
    return {"field": field_label(e.field, lang), "phrase": e.phrase, "source": e.source}


def reading_view(extraction: Extraction | None, lang: str) -> dict[str, Any] | None:
    """What the template shows; None when derivation is off (nothing was read)."""
    if extraction is None:
        return None
    derived = [
        {"fact": fact.name, "label": fact_label(fact.name, lang),
         "value": _value(fact.name, fact.value, lang), "boolean": fact.value is True,
         "evidence": [_evidence(e, lang) for e in fact.evidence]}
        for fact in extraction.derived.values()
    ]
    set_aside = []
    for mention in extraction.mentions:
        why, detail = _why(mention.why, lang)
        set_aside.append({"fact": mention.fact, "label": fact_label(mention.fact, lang),
                          "why": why, "detail": detail,
                          **_evidence(mention.evidence, lang)})
    return {"derived": derived, "set_aside": set_aside}
