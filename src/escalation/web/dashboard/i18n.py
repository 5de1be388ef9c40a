"""The dashboard's words in English and Simplified Chinese, and how it shows times and amounts.

The Chinese catalog's source of truth is `locale/zh_Hans/LC_MESSAGES/dashboard.po`, read with
Babel and compiled in memory on first use (like `escalation.render.i18n`): no `.mo` file is
kept. Templates call `_("…")` (Jinja2's i18n extension, new-style: `%(name)s` placeholders,
autoescaped); Python code marks its words with `N_` and translates them with `translate`.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from escalation.domain.model import N_
from escalation.render.i18n import BABEL_LOCALES, LANGUAGES, format_money

DOMAIN = "dashboard"
DEFAULT_LANG = "en"
_CATALOG_LOCALES: Mapping[str, str] = {"zh": "zh_Hans"}
HTML_LANG: Mapping[str, str] = {"en": "en", "zh": "zh-Hans"}
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "zh": "中文"}

# --- the catalog ---------------------------------------------------------------------------


def po_path(lang: str = "zh") -> Traversable:
    """Where the `.po` source of `lang`'s dashboard catalog lives inside the package."""
    folder = _CATALOG_LOCALES[lang]
    return (resources.files("escalation.web.dashboard") / "locale" / folder / "LC_MESSAGES"
            / f"{DOMAIN}.po")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang` (English is the identity)."""
    if lang not in _CATALOG_LOCALES:
        return gettext.NullTranslations()
    with po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=_CATALOG_LOCALES[lang], domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def language(value: str | None) -> str:
    """`value` when it is a supported language, else English."""
    return value if value in LANGUAGES else DEFAULT_LANG


def translate(msgid: str, lang: str, **params: object) -> str:
    """`msgid` in `lang`, with `%(name)s` placeholders filled from `params`."""
    text = translations(language(lang)).gettext(msgid) if msgid else msgid
    return text % params if params else text


# --- the desk's vocabulary, as the dashboard labels it ------------------------------------

LABELS: Mapping[str, Mapping[str, str]] = {
    "status": {
        "open": N_("Open"),
        "acknowledged": N_("Acknowledged"),
        "in_progress": N_("In progress"),
        "resolved": N_("Resolved"),
        "de_escalated": N_("De-escalated"),
        "closed": N_("Closed"),
    },
    "severity": {"critical": N_("Critical"), "high": N_("High"), "medium": N_("Medium")},
    "target": {
        "l2": N_("L2 (senior support)"),
        "engineering": N_("Engineering"),
        "product": N_("Product"),
        "security": N_("Security"),
        "leadership": N_("Leadership"),
    },
    "role": {
        "agent": N_("Agent"),
        "lead": N_("Lead"),
        "engineering": N_("Engineering"),
        "product": N_("Product"),
        "security": N_("Security"),
        "leadership": N_("Leadership"),
        "admin": N_("Admin"),
    },
    "deescalation": {
        "root_cause_support": N_("Root cause found: support can resolve it"),
        "workaround_found": N_("A workaround unblocks the customer"),
        "self_resolved": N_("Resolved itself (root cause still documented)"),
        "severity_reassessed": N_("New information changed the severity"),
    },
    "checklist": {
        "notify_team": N_("Notify the team you escalated to"),
        "update_ticket": N_("Update the ticket with the resolution"),
        "inform_customer": N_("Inform the customer of the resolution"),
        "document_learning": N_("Document what was learned"),
    },
    "fix_kind": {
        "code_fix": N_("Code fix"),
        "workaround": N_("Workaround"),
        "support": N_("Resolved in support"),
        "other": N_("Other"),
    },
    "followup": {"internal": N_("Internal follow-up"), "customer": N_("Customer update")},
    "signal": {
        "three_plus_customers": N_("3+ customers"),
        "recurring_after_fix": N_("Recurring after a fix"),
        "severity_increasing": N_("Severity increasing"),
    },
    "lint": {"error": N_("Error"), "warning": N_("Warning"), "info": N_("Info")},
    "decision": {"escalate": N_("Escalate"), "handle_in_support": N_("Handle in support")},
    "dimension": {
        "breadth": N_("Breadth"),
        "depth": N_("Depth"),
        "duration": N_("Duration"),
        "revenue": N_("Revenue"),
        "reputation": N_("Reputation"),
        "contractual": N_("Contractual"),
    },
    "level": {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low"),
              "unknown": N_("Unknown")},
    "sla": {"within": N_("Within SLA"), "at_risk": N_("At risk"), "breached": N_("Breached"),
            "unknown": N_("Unknown")},
    "tier": {"l1": N_("L1 (frontline)"), "l2": N_("L2 (senior support)")},
    "category": {
        "bug": N_("Bug"),
        "how_to": N_("How-to question"),
        "feature_request": N_("Feature request"),
        "billing": N_("Billing"),
        "account": N_("Account"),
        "integration": N_("Integration"),
        "security": N_("Security"),
        "data": N_("Data"),
        "performance": N_("Performance"),
        "configuration": N_("Configuration"),
        "training": N_("Training"),
        "outage": N_("Outage"),
        "other": N_("Other"),
    },
    "event": {
        "escalation.opened": N_("Opened"),
        "escalation.acknowledged": N_("Acknowledged"),
        "escalation.in_progress": N_("Work started"),
        "followup.internal": N_("Internal follow-up recorded"),
        "followup.customer": N_("Customer update recorded"),
        "followup.snoozed": N_("Follow-up snoozed"),
        "severity.changed": N_("Severity changed"),
        "escalation.deescalated": N_("De-escalated"),
        "escalation.resolved": N_("Resolved"),
        "checklist.done": N_("Checklist item done"),
        "escalation.closed": N_("Closed"),
        "escalation.reopened": N_("Reopened"),
        "ticket.linked": N_("Ticket linked"),
        "pattern.detected": N_("Pattern detected"),
    },
    "fact": {
        "production_down": N_("Production down"),
        "data_loss": N_("Data loss"),
        "data_corruption": N_("Data corruption"),
        "security_concern": N_("Security concern"),
        "potential_data_exposure": N_("Potential data exposure"),
        "blocked": N_("Customer blocked"),
        "major_functionality_broken": N_("Major functionality broken"),
        "bug_confirmed": N_("Bug confirmed"),
        "needs_code_change": N_("Needs a code change"),
        "churn_risk": N_("Churn risk"),
        "executive_involvement_requested": N_("Executive involvement requested"),
        "feature_gap": N_("Feature gap"),
        "recurring_after_fix": N_("Recurring after a fix"),
        "stalled": N_("Stalled"),
    },
}


def label(kind: str, value: object, lang: str) -> str:
    """The word for one value of the desk's vocabulary (`value` itself when unknown)."""
    code = str(getattr(value, "value", value))
    msgid = LABELS.get(kind, {}).get(code)
    return translate(msgid, lang) if msgid else code


# --- times, spans and amounts ----------------------------------------------------------------

# Units of a countdown: (days, hours, minutes, seconds), the space between a number and its
# unit, and between parts. desk.js receives the same through the page (see `countdown_words`).
_UNITS: Mapping[str, tuple[tuple[str, str, str, str], str, str]] = {
    "en": (("d", "h", "min", "s"), " ", " "),
    "zh": (("天", "小时", "分", "秒"), "", ""),
}
COUNTDOWN_IN = N_("in %(span)s")
COUNTDOWN_DUE = N_("due %(span)s ago")
COUNTDOWN_OVERDUE = N_("overdue %(span)s")

_MOMENT = {"en": "MMM d, yyyy, HH:mm", "zh": "yyyy年M月d日 HH:mm"}
_SHORT = {"en": "MMM d, HH:mm", "zh": "M月d日 HH:mm"}
_WEEK = {"en": "MMM d", "zh": "M月d日"}


def zone_of(value: str | None) -> str:
    """`value` when it names a time zone the server knows, else UTC."""
    if not value or len(value) > 64:
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return value


def span(delta: timedelta, lang: str) -> str:
    """A length of time as a countdown shows it: seconds under a day, minutes beyond."""
    (days_u, hours_u, minutes_u, seconds_u), unit_gap, part_gap = _UNITS[language(lang)]
    total = int(abs(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts: list[tuple[int, str]] = []
    if days:
        parts = [(days, days_u), (hours, hours_u), (minutes, minutes_u)]
        parts = [p for p in parts if p[0]] or [(days, days_u)]
    else:
        if hours:
            parts.append((hours, hours_u))
        if hours or minutes:
            parts.append((minutes, minutes_u))
        parts.append((seconds, seconds_u))
    return part_gap.join(f"{n}{unit_gap}{unit}" for n, unit in parts)


def countdown(due_at: datetime, overdue_at: datetime, now: datetime, soon_minutes: int,
              lang: str) -> tuple[str, str]:
    """(css state, text) of a follow-up clock at `now`: upcoming, soon, due or overdue."""
    left = due_at.astimezone(UTC) - now.astimezone(UTC)
    if now >= overdue_at:
        return "overdue", translate(COUNTDOWN_OVERDUE, lang, span=span(left, lang))
    if left <= timedelta(0):
        return "due", translate(COUNTDOWN_DUE, lang, span=span(left, lang))
    state = "soon" if left <= timedelta(minutes=soon_minutes) else "upcoming"
    return state, translate(COUNTDOWN_IN, lang, span=span(left, lang))


def countdown_words(lang: str) -> dict[str, object]:
    """What desk.js needs to write countdowns in `lang` (placed on the page as JSON)."""
    units, unit_gap, part_gap = _UNITS[language(lang)]
    return {
        "in": translate(COUNTDOWN_IN, lang, span="{span}"),
        "due": translate(COUNTDOWN_DUE, lang, span="{span}"),
        "overdue": translate(COUNTDOWN_OVERDUE, lang, span="{span}"),
        "units": list(units), "unitGap": unit_gap, "partGap": part_gap,
    }


def moment(at: datetime | None, zone: str, lang: str, *, short: bool = False) -> str:
    """A point in time on the viewer's clock, in the viewer's language ("—" for none)."""
    if at is None:
        return "—"
    local = at.astimezone(ZoneInfo(zone))
    patterns = _SHORT if short else _MOMENT
    return format_datetime(local, patterns[language(lang)], locale=BABEL_LOCALES[language(lang)])


def week_label(day: date, lang: str) -> str:
    """The Monday that starts a reporting week ("Nov 23" / "11月23日")."""
    return format_date(day, _WEEK[language(lang)], locale=BABEL_LOCALES[language(lang)])


def number(value: float, lang: str) -> str:
    """A count or quantity in the viewer's locale."""
    return format_decimal(value, locale=BABEL_LOCALES[language(lang)])


def hours(value: float | None, lang: str) -> str:
    """A duration in hours, one decimal ("—" when there is none)."""
    if value is None:
        return "—"
    return translate(N_("%(hours)s h"), lang,
                     hours=format_decimal(round(value, 1), locale=BABEL_LOCALES[language(lang)]))


def percent(value: float | None, lang: str) -> str:
    """A share as a percentage ("—" when there is none)."""
    if value is None:
        return "—"
    return format_percent(value, locale=BABEL_LOCALES[language(lang)])


def money(amount: float | None, currency: str, lang: str) -> str:
    """An amount of money in the viewer's locale ("—" when unknown)."""
    if amount is None:
        return "—"
    return format_money(amount, currency, language(lang))
