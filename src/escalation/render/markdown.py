"""The brief as Markdown: the seed's sections as headings, lists and numbered steps."""

from __future__ import annotations

from escalation.domain.brief import Brief
from escalation.render.text import hang
from escalation.render.values import ValueRenderer
from escalation.render.view import Block, build_view


def render_markdown(brief: Brief, lang: str) -> str:
    """`## ESCALATION: …`, a bold Severity/Target block, then `### IMPACT` and the rest.

    People's words are escaped so a `#`, `*` or `[` in a ticket cannot change the structure.
    """
    view = build_view(brief, ValueRenderer(lang, brief.timezone, "markdown"))
    colon = view.colon
    parts = [
        f"## {view.escalation_label}{colon}{view.summary}",
        # A trailing backslash is Markdown's visible-in-source hard line break.
        f"**{view.severity_label}**{colon}{view.severity}\\\n"
        f"**{view.target_label}**{colon}{view.target}",
    ]
    for section in view.sections:
        parts.append(f"### {section.title}")
        parts.extend(_block(block, colon) for block in section.blocks if block.items)
    return "\n\n".join(parts) + "\n"


def _block(block: Block, colon: str) -> str:
    lines: list[str] = []
    for number, item in enumerate(block.items, start=1):
        text = item.text
        if item.label is not None:
            text = f"**{item.label}**{colon}{text}"
        if block.kind == "numbered":
            lines.append(hang(f"{number}. ", text))
        elif block.kind in ("bullets", "fields"):
            lines.append(hang("- ", text))
        else:
            lines.append(text)
    return "\n".join(lines)
