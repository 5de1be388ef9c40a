"""Read a brief in the seed's Structured Escalation Format, text or Markdown, into a Brief.

The reader accepts what `escalate brief --format text|markdown` writes, in English or Simplified
Chinese, and what support agents write by hand from the seed's template: titles in any case,
Markdown headings and bold labels, `-`/`*`/`•` bullets, `1.`/`1)` numbers, `→`/`->` arrows,
extra blank lines and Windows line endings.

What the author wrote becomes `Said`. What is missing becomes `Needed(what, field)` with the
ticket field `build_brief` would name: an empty value, a value that is only a placeholder (the
seed's own `[One-line summary]`, `[Date/time]` … or `TBD`), a `[needed: …]` / `[待补充：…]`
marker, or a whole missing section. A marker inside other words keeps both: the words as `Said`
and the marker as `Needed`, joined by a placeholder-only `Phrase`. Severity and Target become
`Term`s when they name one of the seed's levels and teams.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from escalation.domain.brief import (
    Attempt,
    Brief,
    Line,
    Needed,
    Phrase,
    ReproductionSection,
    Said,
    Term,
    Value,
)
from escalation.domain.errors import InputError
from escalation.domain.model import N_, Severity, Target

# -- what each part of the brief is, and which ticket field fills it ------------------------

# part: (what is missing, in build_brief's words or else the line's label, so the message
# catalog translates it; the ticket field that would fill it)
SLOTS: Mapping[str, tuple[str, str]] = {
    "summary": (N_("one-line summary"), "subject"),
    "severity": (N_("Severity"), "severity"),
    "target": (N_("Target"), "target"),
    "customers_affected": (N_("number and names of customers affected"),
                           "facts.customers_affected"),
    "workflow_impact": (N_("what is broken for them: blocked or inconvenienced"),
                        "facts.blocked"),
    "revenue_at_risk": (N_("ARR at risk"), "customer.arr"),
    "sla_status": (N_("SLA status"), "customer.sla_hours"),
    "request_frequency": (N_("how many customers ask for this"), "facts.customers_affected"),
    "competitive_pressure": (N_("Competitive pressure"),
                             "facts.competitive_pressure"),
    "containment": (N_("immediate containment steps taken"), "facts.containment"),
    # The seed's "urgency assessment" for Security is the severity.
    "urgency": (N_("Urgency"), "severity"),
    "reputation": (N_("Reputation"),
                   "customer.reference_customer"),
    "description": (N_("3-5 sentences: what is happening, when it started, how it shows, scope"),
                    "description"),
    "steps": (N_("exact steps from a clean start state"), "reproduction.steps"),
    "expected": (N_("what should happen"), "reproduction.expected"),
    "actual": (N_("what happens instead, with the exact error text"), "reproduction.actual"),
    "environment": (N_("browser, OS, account type, feature flags, plan"),
                    "reproduction.environment"),
    "start_state": (N_("Start state"),
                    "reproduction.start_state"),
    "frequency": (N_("Frequency"), "reproduction.frequency"),
    "ruled_out": (N_("Ruled out"), "reproduction.ruled_out"),
    "tried": (N_("what support has already tried, and what happened"), "steps_tried"),
    "last_update": (N_("date and content of the last update to the customer"),
                    "communications"),
    "customer_expectation": (N_("what the customer expects, and by when"),
                             "customer_expectation"),
    "escalation_risk": (N_("Escalation risk"), "escalation_risk"),
    "ask": (N_("specific ask: investigate, fix, decide or approve"), "ask"),
    "deadline": (N_("date and time"), "deadline"),
    "supporting": (N_("logs, error messages or screenshots"), "links"),
}

# A marker at the start of Last update, before what was said, is its missing date.
_LEADING_FIELDS: Mapping[str, str] = {"last_update": "communications.at"}

# The `Label: value` lines of each section: key -> (English label as build_brief writes it,
# other ways people and the Chinese renderer write it).
_LABELS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "customers_affected": (N_("Customers affected"),
                           ("受影响客户", "affected customers", "customers")),
    "workflow_impact": (N_("Workflow impact"), ("工作流程影响", "workflow")),
    "revenue_at_risk": (N_("Revenue at risk"),
                        ("面临风险的收入", "revenue", "arr at risk", "arr")),
    "sla_status": (N_("SLA status"), ("sla状态", "sla")),
    "request_frequency": (N_("Request frequency"), ("需求频率", "frequency of request")),
    "competitive_pressure": (N_("Competitive pressure"), ("竞争压力",)),
    "containment": (N_("Containment taken"),
                    ("已采取的遏制措施", "containment", "containment steps taken")),
    "urgency": (N_("Urgency"), ("紧急程度", "urgency assessment")),
    "reputation": (N_("Reputation"), ("声誉影响",)),
    "expected": (N_("Expected"), ("预期", "expected result", "expected behavior",
                                  "expected behaviour")),
    "actual": (N_("Actual"), ("实际", "actual result", "actual behavior", "actual behaviour")),
    "environment": (N_("Environment"), ("环境", "env")),
    "start_state": (N_("Start state"), ("起始状态", "starting state", "starting point")),
    "frequency": (N_("Frequency"), ("出现频率", "频率")),
    "ruled_out": (N_("Ruled out"), ("已排除",)),
    "last_update": (N_("Last update"), ("最近一次更新", "last customer update")),
    "customer_expectation": (N_("Customer expectation"), ("客户预期", "expectation")),
    "escalation_risk": (N_("Escalation risk"), ("进一步升级的风险",)),
    "deadline": (N_("Deadline"), ("截止日期", "截止时间", "due", "due by")),
}
LABELS: Mapping[str, str] = {key: english for key, (english, _) in _LABELS.items()}

IMPACT_KEYS: tuple[str, ...] = (
    "customers_affected", "workflow_impact", "revenue_at_risk", "sla_status",
    "request_frequency", "competitive_pressure", "containment", "urgency", "reputation",
)
IMPACT_REQUIRED: tuple[str, ...] = IMPACT_KEYS[:4]
REPRODUCTION_KEYS: tuple[str, ...] = (
    "expected", "actual", "environment", "start_state", "frequency", "ruled_out",
)
COMMUNICATION_KEYS: tuple[str, ...] = ("last_update", "customer_expectation", "escalation_risk")

_HEADER_LABELS: Mapping[str, str] = {
    "escalation": "summary", "升级": "summary",
    "severity": "severity", "严重度": "severity", "严重程度": "severity",
    "target": "target", "接收方": "target", "escalate to": "target",
    "ticket": "ticket", "ticket id": "ticket", "工单": "ticket", "工单号": "ticket",
}

_SECTION_TITLES: Mapping[str, str] = {
    "impact": "impact", "business impact": "impact", "影响": "impact", "业务影响": "impact",
    "issue description": "description", "description": "description",
    "问题描述": "description",
    "reproduction steps": "reproduction", "steps to reproduce": "reproduction",
    "repro steps": "reproduction", "reproduction": "reproduction", "复现步骤": "reproduction",
    "what's been tried": "tried", "what has been tried": "tried", "what was tried": "tried",
    "what we've tried": "tried", "steps tried": "tried", "已尝试的措施": "tried",
    "customer communication": "communication", "客户沟通": "communication",
    "what's needed": "needed", "what is needed": "needed", "what we need": "needed",
    "所需行动": "needed",
    "supporting context": "supporting", "supporting information": "supporting",
    "补充资料": "supporting",
}

# -- reading one value -----------------------------------------------------------------------

_NEEDED_MARKER = re.compile(
    r"(?:\*\*|__)?\[\s*(?:needed|待补充)\s*[:：]\s*(?P<what>[^\[\]]*?)\s*\](?:\*\*|__)?",
    re.IGNORECASE,
)
# A value that is only a bracketed text is a template placeholder left in: the seed's own
# ("[One-line summary]", "[Date/time]", "[Action]") or any other template's.
_PLACEHOLDER = re.compile(r"\[(?P<what>[^\[\]]+)\]")
_UNKNOWN = re.compile(
    r"tbd|tba|todo|to\s+be\s+(?:determined|confirmed)|unknown|\?+|待定|待补充|未知",
    re.IGNORECASE,
)
# Only `**bold**`: `__` is too common in names (`__init__.py`) to read as emphasis.
_MARKDOWN_BOLD = re.compile(r"(?<!\\)\*\*(?P<words>\S(?:.*?\S)?)(?<!\\)\*\*")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|=])")
_SUPPORTING_EVIDENCE = re.compile(
    r"log|screenshot|error|evidence|console|trace|har\b|日志|截图|报错|错误|证据", re.IGNORECASE
)
_SUPPORTING_TICKET = re.compile(r"ticket|工单", re.IGNORECASE)


def _unmark(text: str) -> str:
    """Markdown's escapes, bold and hard line breaks removed: the words as the author meant them.

    Code spans stay: the linter reads `quoted` text as an exact value.
    """
    lines = [re.sub(r"(?<!\\)\\$", "", line) for line in text.split("\n")]
    text = _MARKDOWN_BOLD.sub(r"\g<words>", "\n".join(lines))
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def read_value(text: str, part: str, *, field: str | None = None, what: str | None = None,
               markdown: bool = False) -> Value:
    """One value as written: `Said`, `Needed` for a gap or placeholder, or both in a `Phrase`.

    `part` names the slot in `SLOTS` (what is missing, and the ticket field that fills it);
    `field` and `what` override them for parts with an index, such as `steps_tried[2].result`.
    """
    default_what, default_field = SLOTS.get(part, (part.replace("_", " "), part))
    what = what or default_what
    field = field or default_field
    if markdown:
        text = _unmark(text)
    text = text.strip()
    if not text or _UNKNOWN.fullmatch(text):
        return Needed(what, field)
    markers = list(_NEEDED_MARKER.finditer(text))
    if not markers:
        placeholder = _PLACEHOLDER.fullmatch(text)
        if placeholder is not None:
            return Needed(" ".join(placeholder.group("what").split()) or what, field)
        return Said(text)
    if len(markers) == 1 and markers[0].span() == (0, len(text)):
        return Needed(markers[0].group("what") or what, field)
    params: dict[str, Value] = {}
    position = 0
    for marker in markers:
        if marker.start() > position:
            params[f"p{len(params)}"] = Said(text[position:marker.start()])
        leading = marker.start() == 0 and marker.end() < len(text)
        params[f"p{len(params)}"] = Needed(
            marker.group("what") or what,
            _LEADING_FIELDS.get(part, field) if leading else field,
        )
        position = marker.end()
    if position < len(text):
        params[f"p{len(params)}"] = Said(text[position:])
    # A placeholder-only template is structure, not a sentence: renderers keep it as it is.
    return Phrase("".join(f"{{{name}}}" for name in params), params)


_SEVERITY_WORDS: tuple[tuple[re.Pattern[str], Severity], ...] = (
    (re.compile(r"crit(?:ical)?(?![a-z])|严重"), Severity.CRITICAL),
    (re.compile(r"high(?![a-z])|高"), Severity.HIGH),
    (re.compile(r"med(?:ium)?(?![a-z])|中"), Severity.MEDIUM),
)
_TARGET_WORDS: tuple[tuple[re.Pattern[str], Target], ...] = (
    (re.compile(r"l2(?![a-z0-9])|senior\s+support|tier\s*2(?![0-9])|资深支持|二线"), Target.L2),
    (re.compile(r"eng(?:ineering)?(?![a-z])|dev(?:elopment)?(?![a-z])|工程|研发"),
     Target.ENGINEERING),
    (re.compile(r"product(?![a-z])|pm(?![a-z])|产品"), Target.PRODUCT),
    (re.compile(r"security(?![a-z])|infosec(?![a-z])|安全"), Target.SECURITY),
    (re.compile(r"leadership(?![a-z])|exec(?:utives?)?(?![a-z])|领导|管理层"),
     Target.LEADERSHIP),
)


def read_term(text: str, kind: str, *, markdown: bool = False) -> Value:
    """Severity or Target: a `Term` when the text names one of the seed's levels or teams."""
    value = read_value(text, kind, markdown=markdown)
    if isinstance(value, Phrase):
        value = next(p for p in value.params.values() if isinstance(p, Needed))
    if not isinstance(value, Said):
        return value
    words: Sequence[tuple[re.Pattern[str], Severity | Target]] = (
        _SEVERITY_WORDS if kind == "severity" else _TARGET_WORDS)
    written = value.text.strip("*_ ").casefold()
    for pattern, code in words:
        if pattern.match(written):
            return Term(kind, code.value)
    choices = ("Critical, High or Medium" if kind == "severity"
               else "Engineering, Product, Security, Leadership or L2")
    return Needed(f"{kind}: {choices} (the brief says “{value.text}”)", kind)


def supporting_field(what: str) -> str:
    """The ticket field a missing SUPPORTING CONTEXT item names: evidence, the ticket, links."""
    if _SUPPORTING_EVIDENCE.search(what):
        return "reproduction.evidence"
    if _SUPPORTING_TICKET.search(what):
        return "url"
    return "links"


def read_supporting(text: str, *, markdown: bool = False) -> Value:
    """One SUPPORTING CONTEXT item; a placeholder names the ticket field that would fill it."""
    value = read_value(text, "supporting", markdown=markdown)
    if isinstance(value, Needed):
        return Needed(value.what, supporting_field(value.what))
    return value


def complete_lines(lines: Iterable[Line], required: Sequence[str]) -> tuple[Line, ...]:
    """`required` lines first in the seed's order (`Needed` where absent), then the rest."""
    written = list(lines)
    first: list[Line] = []
    for key in required:
        found = next((line for line in written if line.key == key), None)
        if found is None:
            found = Line(key, LABELS[key], read_value("", key))
        else:
            written.remove(found)
        first.append(found)
    return (*first, *written)


def settle_steps(steps: Sequence[Value]) -> tuple[Value, ...]:
    """The steps, or one `Needed` when none is written (only placeholders, or nothing)."""
    if not steps or all(isinstance(step, Needed) for step in steps):
        first = next((s for s in steps if isinstance(s, Needed)), None)
        return (first or read_value("", "steps"),)
    return tuple(steps)


def settle_tried(attempts: Sequence[Attempt]) -> tuple[Attempt, ...] | Needed:
    """The attempts, or `Needed` when none is written (only placeholders, or nothing)."""
    if not attempts or all(
            isinstance(a.action, Needed) and isinstance(a.result, Needed) for a in attempts):
        return Needed(*SLOTS["tried"])
    return tuple(attempts)


def attempt_part(text: str, index: int, part: str, *, markdown: bool = False) -> Value:
    """The action or result of attempt `index` of WHAT'S BEEN TRIED."""
    return read_value(text, part, field=f"steps_tried[{index}].{part}", what=part,
                      markdown=markdown)


def slug(label: str) -> str:
    """A stable key for a label nobody defined ("Browser version" -> "browser_version")."""
    return re.sub(r"\W+", "_", label.casefold()).strip("_") or "note"


# -- reading the layout ----------------------------------------------------------------------

_NUMBER = re.compile(
    r"^(?:(?:step|步骤)\s*\d{1,3}\s*[.):：、]?|\d{1,3}\s*[.)、．](?!\d))\s*", re.IGNORECASE)
_BULLET = re.compile(r"^[-*•·+–](?:\s+|$)")
_HEADING = re.compile(r"^#{1,6}\s+")
_LABEL = re.compile(
    r"^(?:\*\*|__)?(?P<label>[^\s:：*_\[\]][^:：\n]{0,48}?)\s*(?:\*\*|__)?\s*[:：]"
    r"\s*(?:\*\*|__)?[ \t]*"
)
_ARROW = re.compile(r"\s*(?:→|->|=>|⇒|➔|⟶)\s*")
_NOTHING = re.compile(
    r"(?:none|nothing|nothing\s+yet|none\s+yet|n/?a|-+|无|暂无|没有|尚无)[.。]?", re.IGNORECASE
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


def _norm(label: str) -> str:
    label = label.translate(_APOSTROPHES).strip("*_ \t").casefold()
    label = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", label)
    return " ".join(label.split())


_LABEL_KEYS: Mapping[str, str] = {
    _norm(name): key
    for key, (english, others) in _LABELS.items()
    for name in (english, *others)
}


def _split_label(text: str, markdown: bool = False) -> tuple[str, str] | None:
    """`Label: value` (also `**Label**: value`, `标签：值`) as (label, value), else None."""
    match = _LABEL.match(text)
    if match is None:
        return None
    label = match.group("label").strip().strip("*_").strip()
    if markdown:
        label = _unmark(label)
    rest = text[match.end():]
    if (not label or rest.startswith("//") or len(label.split()) > 5
            or not re.search(r"[^\W\d_]", label)
            or (label[-1].isdigit() and rest[:1].isdigit())):
        return None
    return label, rest


@dataclass(slots=True)
class _Item:
    """One entry of a section: a numbered step, a bullet, or a line of its own."""

    mark: str  # "number" | "bullet" | "plain"
    text: str


def _items(lines: Sequence[str]) -> list[_Item]:
    """Entries of a list section; indented lines and lines without a blank before continue one."""
    items: list[_Item] = []
    blanks = 0
    for raw in lines:
        if not raw.strip():
            blanks += 1
            continue
        indented = raw[:1].isspace()
        line = raw.strip()
        number = _NUMBER.match(line)
        bullet = None if number else _BULLET.match(line)
        if number is not None:
            items.append(_Item("number", line[number.end():]))
        elif bullet is not None:
            items.append(_Item("bullet", line[bullet.end():]))
        elif items and (indented or (blanks == 0 and _split_label(line) is None)):
            items[-1].text += "\n" * (blanks + 1) + line
        else:
            items.append(_Item("plain", line))
        blanks = 0
    return items


def _section_title(raw: str) -> tuple[str, str] | None:
    """The section a line opens, with any text after `TITLE:` on the same line."""
    line = raw.strip()
    heading = _HEADING.match(line)
    if heading is not None:
        line = line[heading.end():].strip()
    if not line or _BULLET.match(line) or _NUMBER.match(line):
        return None
    key = _SECTION_TITLES.get(_norm(line.rstrip("*_ ").rstrip(":：")))
    if key is not None:
        return key, ""
    split = _split_label(line)
    if split is not None and (heading is not None or split[0].isupper()):
        key = _SECTION_TITLES.get(_norm(split[0]))
        if key is not None and split[1].strip():
            return key, split[1]
    return None


def _looks_like_markdown(lines: Sequence[str]) -> bool:
    return any(
        _HEADING.match(line.strip()) or re.match(r"^(?:[-*•]\s+)?\*\*[^*\n]+\*\*", line.strip())
        for line in lines
    )


@dataclass(slots=True)
class _Layout:
    """The brief split into its header lines and its sections' lines."""

    header: list[str]
    sections: dict[str, list[str]]


def _layout(lines: Sequence[str]) -> _Layout:
    layout = _Layout([], {})
    current: list[str] | None = None
    for raw in lines:
        title = _section_title(raw)
        if title is not None:
            key, inline = title
            current = layout.sections.setdefault(key, [])
            if inline.strip():
                current.append(inline)
            continue
        (layout.header if current is None else current).append(raw)
    return layout


# -- the brief -------------------------------------------------------------------------------

_EXPECTED_FORMAT = (
    "a brief in the Structured Escalation Format: an 'ESCALATION: <one-line summary>' line "
    "and sections such as IMPACT, ISSUE DESCRIPTION, WHAT'S BEEN TRIED, WHAT'S NEEDED"
)
_TICKET_ID = re.compile(r"^(?:ticket|工单)(?:\s*(?:id|号))?\s*[:：#]?\s*(?P<id>[\w.-]*\d[\w.-]*)",
                        re.IGNORECASE)


def parse_brief_text(text: str) -> Brief:
    """The brief a person or `escalate brief` wrote, as a `Brief` the linter can read.

    Raises `InputError` (path `brief`) when the text has no `ESCALATION:` line and no section
    of the format.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    markdown = _looks_like_markdown(lines)
    layout = _layout(lines)
    header = _read_header(layout.header, markdown)
    if "summary" not in header and not layout.sections:
        first = next((line.strip() for line in lines if line.strip()), "")
        raise InputError("brief", _EXPECTED_FORMAT, first)
    sections = layout.sections

    def read(value: str, part: str) -> Value:
        return read_value(value, part, markdown=markdown)

    supporting = tuple(
        read_supporting(item.text, markdown=markdown)
        for item in _items(sections.get("supporting", [])) if item.text.strip()
    )
    severity = read_term(header.get("severity", ""), "severity", markdown=markdown)
    target = read_term(header.get("target", ""), "target", markdown=markdown)
    asks, deadline = _needed(sections.get("needed", []), markdown)
    return Brief(
        ticket_id=header.get("ticket", "") or _ticket_id(supporting),
        summary=read(header.get("summary", ""), "summary"),
        severity=severity,
        target=target,
        impact=complete_lines(
            _lines(sections.get("impact", []), IMPACT_KEYS, markdown), IMPACT_REQUIRED),
        description=read(textwrap.dedent("\n".join(sections.get("description", []))),
                         "description"),
        reproduction=None if "reproduction" not in sections
        else _reproduction(sections["reproduction"], markdown),
        tried=_tried(sections.get("tried", []), markdown),
        communication=complete_lines(
            _lines(sections.get("communication", []), COMMUNICATION_KEYS, markdown),
            COMMUNICATION_KEYS),
        asks=asks,
        deadline=deadline,
        supporting=supporting,
        timezone="UTC",
        target_name=target.value if isinstance(target, Term) else None,
        severity_name=severity.value if isinstance(severity, Term) else None,
    )


def _read_header(lines: Sequence[str], markdown: bool) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw in lines:
        line = raw.strip()
        heading = _HEADING.match(line)
        if heading is not None:
            line = line[heading.end():]
        split = _split_label(line, markdown)
        if split is None:
            continue
        part = _HEADER_LABELS.get(_norm(split[0]))
        if part is not None and part not in found:
            found[part] = split[1].strip() if part == "ticket" else split[1]
    return found


def _ticket_id(supporting: Sequence[Value]) -> str:
    for item in supporting:
        text = item.text if isinstance(item, Said) else ""
        match = _TICKET_ID.match(text)
        if match is not None:
            return match.group("id").rstrip(".")
    return ""


def _lines(raw: Sequence[str], keys: Sequence[str], markdown: bool) -> list[Line]:
    """`Label: value` entries; known labels get their stable key, others keep theirs."""
    lines: list[Line] = []
    for item in _items(raw):
        split = _split_label(item.text, markdown)
        if split is None:
            lines.append(_note(item.text, markdown))
            continue
        label, rest = split
        key = _LABEL_KEYS.get(_norm(label))
        if key is not None and key in keys:
            lines.append(Line(key, LABELS[key], read_value(rest, key, markdown=markdown)))
        else:
            lines.append(_other(label, rest, markdown))
    return lines


def _other(label: str, text: str, markdown: bool) -> Line:
    """A `Label: value` line the format does not name, kept under the author's label."""
    return Line(slug(label), label, read_value(text, slug(label), what=label,
                                               markdown=markdown))


def _note(text: str, markdown: bool) -> Line:
    """A line without a label, kept under "Note"."""
    return Line("note", N_("Note"), read_value(text, "note", what="note", markdown=markdown))


def _reproduction(raw: Sequence[str], markdown: bool) -> ReproductionSection:
    steps: list[Value] = []
    fields: list[Line] = []
    for item in _items(raw):
        # Numbered entries are steps; after the first field, other entries are fields too.
        split = None if item.mark == "number" else _split_label(item.text, markdown)
        key = _LABEL_KEYS.get(_norm(split[0])) if split is not None else None
        if split is not None and key is not None and key in REPRODUCTION_KEYS:
            fields.append(Line(key, LABELS[key], read_value(split[1], key, markdown=markdown)))
        elif item.mark != "number" and fields:
            fields.append(_note(item.text, markdown) if split is None
                          else _other(*split, markdown))
        else:
            steps.append(read_value(item.text, "steps", markdown=markdown))
    core = {line.key: line.value for line in fields if line.key in ("expected", "actual",
                                                                       "environment")}
    return ReproductionSection(
        steps=settle_steps(steps),
        expected=core.get("expected") or read_value("", "expected"),
        actual=core.get("actual") or read_value("", "actual"),
        environment=core.get("environment") or read_value("", "environment"),
        extra=tuple(line for line in fields
                    if line.key not in ("expected", "actual", "environment")),
    )


def _tried(raw: Sequence[str], markdown: bool) -> tuple[Attempt, ...] | Needed:
    items = _items(raw)
    if len(items) == 1:
        only = (_unmark(items[0].text) if markdown else items[0].text).strip()
        marker = _NEEDED_MARKER.fullmatch(only)
        if marker is not None:
            # One `[needed: …]` line is how a brief says nothing tried is recorded.
            return Needed(marker.group("what") or SLOTS["tried"][0], SLOTS["tried"][1])
        if _NOTHING.fullmatch(only):
            items = []
    attempts: list[Attempt] = []
    for index, item in enumerate(items):
        arrows = list(_ARROW.finditer(item.text))
        if arrows:
            # The last arrow: an action may walk a menu ("Settings → Billing → Export").
            action, result = item.text[:arrows[-1].start()], item.text[arrows[-1].end():]
        else:
            action, result = item.text, ""
        attempts.append(Attempt(attempt_part(action, index, "action", markdown=markdown),
                                attempt_part(result, index, "result", markdown=markdown)))
    return settle_tried(attempts)


def _needed(raw: Sequence[str], markdown: bool) -> tuple[tuple[Value, ...], Value]:
    asks: list[Value] = []
    deadline: Value | None = None
    for item in _items(raw):
        split = _split_label(item.text, markdown)
        if (split is not None and deadline is None
                and _LABEL_KEYS.get(_norm(split[0])) == "deadline"):
            deadline = read_value(split[1], "deadline", markdown=markdown)
            continue
        asks.append(read_value(item.text, "ask", markdown=markdown))
    return (tuple(asks) or (read_value("", "ask"),),
            deadline if deadline is not None else read_value("", "deadline"))
