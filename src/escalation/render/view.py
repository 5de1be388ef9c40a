"""The brief laid out in the seed's sections, with every label and value already rendered.

Text, Markdown and HTML share this layout so they cannot drift apart; each only decides how a
section, a numbered list, a bullet list or a `Label: value` line looks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from escalation.domain.brief import Brief, Line, Needed, Value
from escalation.domain.model import N_
from escalation.render.i18n import translate
from escalation.render.values import COLON, ValueRenderer, render_reason

# Section titles and labels of the seed's Structured Escalation Format.
ESCALATION = N_("ESCALATION")
SEVERITY = N_("Severity")
TARGET = N_("Target")
IMPACT = N_("IMPACT")
ISSUE_DESCRIPTION = N_("ISSUE DESCRIPTION")
REPRODUCTION_STEPS = N_("REPRODUCTION STEPS")
EXPECTED = N_("Expected")
ACTUAL = N_("Actual")
ENVIRONMENT = N_("Environment")
WHATS_BEEN_TRIED = N_("WHAT'S BEEN TRIED")
CUSTOMER_COMMUNICATION = N_("CUSTOMER COMMUNICATION")
WHATS_NEEDED = N_("WHAT'S NEEDED")
DEADLINE = N_("Deadline")
SUPPORTING_CONTEXT = N_("SUPPORTING CONTEXT")

SECTION_TITLES: tuple[str, ...] = (
    IMPACT,
    ISSUE_DESCRIPTION,
    REPRODUCTION_STEPS,
    WHATS_BEEN_TRIED,
    CUSTOMER_COMMUNICATION,
    WHATS_NEEDED,
    SUPPORTING_CONTEXT,
)

# Words of the HTML page around the brief.
PAGE_TITLE = N_("Escalation brief")
TICKET = N_("Ticket")
TIME_ZONE = N_("Times are shown in the {zone} time zone.")
REASONS = N_("ASSESSMENT REASONS")
NEEDED_NOTE = N_("Missing information is highlighted ({count}): fill it in before sending.")

# The arrow between an action and its result in WHAT'S BEEN TRIED (the seed's own).
ARROW = " → "


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a block: a value, with a label when it is a `Label: value` line."""

    text: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A run of entries shown one way: "paragraph", "numbered", "bullets" or "fields"."""

    kind: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """One titled section of the brief; `key` is stable across languages."""

    key: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class BriefView:
    """The whole brief, rendered value by value, ready for a format to lay out."""

    lang: str
    colon: str
    escalation_label: str
    summary: str
    severity_label: str
    severity: str
    severity_code: str | None
    target_label: str
    target: str
    target_code: str | None
    sections: tuple[Section, ...]
    reasons: tuple[str, ...]
    needed_count: int
    timezone: str


def build_view(
    brief: Brief,
    renderer: ValueRenderer,
    finish: Callable[[str], str] = str,
) -> BriefView:
    """Lay the brief out in the seed's order; `finish` wraps each rendered value (e.g. Markup)."""
    lang = renderer.lang

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    def value(v: Value) -> str:
        return finish(renderer.render(v))

    def line(item: Line) -> Item:
        return Item(value(item.value), t(item.label))

    sections: list[Section] = [
        Section("impact", t(IMPACT), (Block("bullets", tuple(line(i) for i in brief.impact)),)),
        Section("description", t(ISSUE_DESCRIPTION),
                (Block("paragraph", (Item(value(brief.description)),)),)),
    ]
    repro = brief.reproduction
    if repro is not None:
        fields = [
            Item(value(repro.expected), t(EXPECTED)),
            Item(value(repro.actual), t(ACTUAL)),
            Item(value(repro.environment), t(ENVIRONMENT)),
            *(line(extra) for extra in repro.extra),
        ]
        sections.append(Section("reproduction", t(REPRODUCTION_STEPS), (
            Block("numbered", tuple(Item(value(step)) for step in repro.steps)),
            Block("fields", tuple(fields)),
        )))
    if isinstance(brief.tried, Needed):
        tried = Block("paragraph", (Item(value(brief.tried)),))
    else:
        tried = Block("numbered", tuple(
            Item(finish(renderer.render(a.action) + ARROW + renderer.render(a.result)))
            for a in brief.tried
        ))
    sections.append(Section("tried", t(WHATS_BEEN_TRIED), (tried,)))
    sections.append(Section("communication", t(CUSTOMER_COMMUNICATION), (
        Block("bullets", tuple(line(i) for i in brief.communication)),
    )))
    sections.append(Section("needed", t(WHATS_NEEDED), (
        Block("bullets", (
            *(Item(value(ask)) for ask in brief.asks),
            Item(value(brief.deadline), t(DEADLINE)),
        )),
    )))
    sections.append(Section("supporting", t(SUPPORTING_CONTEXT), (
        Block("bullets", tuple(Item(value(s)) for s in brief.supporting)),
    )))
    return BriefView(
        lang=lang,
        colon=COLON[lang],
        escalation_label=t(ESCALATION),
        summary=value(brief.summary),
        severity_label=t(SEVERITY),
        severity=value(brief.severity),
        severity_code=brief.severity_name,
        target_label=t(TARGET),
        target=value(brief.target),
        target_code=brief.target_name,
        sections=tuple(sections),
        reasons=tuple(
            finish(renderer.desk(render_reason(r, lang))) for r in brief.reasons
        ),
        needed_count=len(brief.needed),
        timezone=brief.timezone,
    )
