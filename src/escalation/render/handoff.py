"""The brief as a ready-to-send issue for an engineering tracker: Jira, GitHub or Linear.

Pure functions from a `Brief` to the JSON each tracker's create-issue call takes. Jira gets the
brief as an Atlassian Document Format (ADF) document, GitHub and Linear get the Markdown brief.
Severity and target come from the brief's codes (`severity_name`, `target_name`), so labels and
priorities are the same in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalation.domain.brief import Brief
from escalation.render.i18n import check_language, translate
from escalation.render.markdown import render_markdown
from escalation.render.values import ValueRenderer
from escalation.render.view import REASONS, Block, BriefView, build_view

TRACKERS: tuple[str, ...] = ("jira", "github", "linear")
DEFAULT_JIRA_PROJECT = "ESC"

# The seed's severity on each tracker's priority scale (an unknown severity reads as Medium).
JIRA_PRIORITY: Mapping[str, str] = {"critical": "Highest", "high": "High", "medium": "Medium"}
LINEAR_PRIORITY: Mapping[str, int] = {"critical": 1, "high": 2, "medium": 3}  # 1 = Urgent

JSON = dict[str, Any]


def severity_code(brief: Brief) -> str:
    """critical, high or medium (medium when the brief carries none, e.g. handle-in-support)."""
    name = brief.severity_name
    return name if name is not None and name in JIRA_PRIORITY else "medium"


def handoff_labels(brief: Brief) -> list[str]:
    """["escalation", "severity-high", "engineering"]: stable codes, never translated."""
    labels = ["escalation", f"severity-{severity_code(brief)}"]
    if brief.target_name:
        labels.append(brief.target_name)
    return labels


def handoff_title(brief: Brief, lang: str, escalation_id: str | None = None) -> str:
    """"[ESC-1] Checkout returns HTTP 500 …" (the ticket id when there is no escalation)."""
    summary = ValueRenderer(check_language(lang), brief.timezone).render(brief.summary)
    summary = " ".join(summary.split())
    reference = escalation_id or brief.ticket_id
    return f"[{reference}] {summary}" if reference else summary


def jira_payload(
    brief: Brief, lang: str, *, project: str = DEFAULT_JIRA_PROJECT,
    escalation_id: str | None = None,
) -> JSON:
    """Jira REST v3 create-issue body: `{"fields": {...}}` with an ADF description."""
    return {"fields": {
        "project": {"key": project},
        "issuetype": {"name": "Bug" if brief.reproduction is not None else "Task"},
        "summary": handoff_title(brief, lang, escalation_id)[:255],  # Jira's summary limit
        "description": adf_document(brief, lang, escalation_id),
        "priority": {"name": JIRA_PRIORITY[severity_code(brief)]},
        "labels": handoff_labels(brief),
    }}


def github_payload(brief: Brief, lang: str, *, escalation_id: str | None = None) -> JSON:
    """GitHub create-issue body: title, the Markdown brief, labels."""
    return {
        "title": handoff_title(brief, lang, escalation_id),
        "body": render_markdown(brief, check_language(lang)),
        "labels": handoff_labels(brief),
    }


def linear_payload(brief: Brief, lang: str, *, escalation_id: str | None = None) -> JSON:
    """Linear issue fields: title, Markdown description, priority 1–3, label names."""
    return {
        "title": handoff_title(brief, lang, escalation_id),
        "description": render_markdown(brief, check_language(lang)),
        "priority": LINEAR_PRIORITY[severity_code(brief)],
        "labelNames": handoff_labels(brief),
    }


def handoff_payload(
    brief: Brief, tracker: str, lang: str, *, project: str = DEFAULT_JIRA_PROJECT,
    escalation_id: str | None = None,
) -> JSON:
    """The payload for `tracker` (jira, github, linear)."""
    if tracker == "jira":
        return jira_payload(brief, lang, project=project, escalation_id=escalation_id)
    if tracker == "github":
        return github_payload(brief, lang, escalation_id=escalation_id)
    if tracker == "linear":
        return linear_payload(brief, lang, escalation_id=escalation_id)
    raise ValueError(f"unknown tracker {tracker!r}: expected one of {', '.join(TRACKERS)}")


# --- Atlassian Document Format -----------------------------------------------------------------


def adf_document(brief: Brief, lang: str, escalation_id: str | None = None) -> JSON:
    """The brief as an ADF `doc` (version 1): the seed's sections as headings and lists."""
    view = build_view(brief, ValueRenderer(check_language(lang), brief.timezone))
    content: list[JSON] = [
        _heading(2, f"{view.escalation_label}{view.colon}{view.summary}"),
        _paragraph([
            *_labelled(view.severity_label, view.severity, view.colon),
            {"type": "hardBreak"},
            *_labelled(view.target_label, view.target, view.colon),
        ]),
    ]
    for section in view.sections:
        content.append(_heading(3, section.title))
        content.extend(node for block in section.blocks if (node := _block(block, view)))
    if view.reasons:
        content.append(_heading(3, translate(REASONS, view.lang)))
        content.append(_list("bulletList", [_inline(r) for r in view.reasons]))
    content.append(_code_block(_reference_lines(brief, escalation_id)))
    return {"type": "doc", "version": 1, "content": content}


def _reference_lines(brief: Brief, escalation_id: str | None) -> str:
    lines = []
    if escalation_id:
        lines.append(f"escalation: {escalation_id}")
    lines += [
        f"ticket: {brief.ticket_id or '-'}",
        f"severity: {brief.severity_name or '-'}",
        f"target: {brief.target_name or '-'}",
    ]
    if brief.reasons:
        lines.append("reasons: " + ", ".join(r.code for r in brief.reasons))
    return "\n".join(lines)


def _block(block: Block, view: BriefView) -> JSON | None:
    items = [i for i in block.items if i.text.strip() or i.label]
    if not items:
        return None
    if block.kind == "paragraph":
        return _paragraph(_inline("\n".join(i.text for i in items)))
    kind = "orderedList" if block.kind == "numbered" else "bulletList"
    return _list(kind, [
        _labelled(i.label, i.text, view.colon) if i.label is not None else _inline(i.text)
        for i in items
    ])


def _labelled(label: str, text: str, colon: str) -> list[JSON]:
    return [_text(label, strong=True), *_inline(f"{colon}{text}")]


def _list(kind: str, items: list[list[JSON]]) -> JSON:
    return {"type": kind, "content": [
        {"type": "listItem", "content": [_paragraph(inline)]} for inline in items
    ]}


def _heading(level: int, text: str) -> JSON:
    return {"type": "heading", "attrs": {"level": level}, "content": _inline(text)}


def _paragraph(inline: list[JSON]) -> JSON:
    node: JSON = {"type": "paragraph"}
    if inline:
        node["content"] = inline
    return node


def _code_block(text: str) -> JSON:
    return {"type": "codeBlock", "attrs": {"language": "yaml"},
            "content": [_text(text)]}


def _inline(text: str) -> list[JSON]:
    """Text nodes (ADF forbids empty ones) with hard breaks for the line breaks."""
    nodes: list[JSON] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            nodes.append({"type": "hardBreak"})
        if line:
            nodes.append(_text(line))
    return nodes


def _text(text: str, *, strong: bool = False) -> JSON:
    node: JSON = {"type": "text", "text": text}
    if strong:
        node["marks"] = [{"type": "strong"}]
    return node
