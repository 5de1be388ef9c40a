"""The brief as plain text, in the seed's Structured Escalation Format line for line."""

from __future__ import annotations

from escalation.domain.brief import Brief
from escalation.render.values import ValueRenderer
from escalation.render.view import Block, build_view


def render_text(brief: Brief, lang: str) -> str:
    """`ESCALATION: …`, `Severity: …`, `Target: …`, then IMPACT … SUPPORTING CONTEXT."""
    view = build_view(brief, ValueRenderer(lang, brief.timezone, "plain"))
    colon = view.colon
    parts = [
        "\n".join((
            f"{view.escalation_label}{colon}{view.summary}",
            f"{view.severity_label}{colon}{view.severity}",
            f"{view.target_label}{colon}{view.target}",
        ))
    ]
    for section in view.sections:
        lines = [section.title]
        for block in section.blocks:
            lines.extend(_block_lines(block, colon))
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _block_lines(block: Block, colon: str) -> list[str]:
    lines: list[str] = []
    for number, item in enumerate(block.items, start=1):
        text = item.text if item.label is None else f"{item.label}{colon}{item.text}"
        if block.kind == "numbered":
            lines.append(hang(f"{number}. ", text))
        elif block.kind == "bullets":
            lines.append(hang("- ", text))
        elif block.kind == "fields":
            lines.append(hang("", text, indent="  "))
        else:
            lines.append(text)
    return lines


def hang(lead: str, text: str, indent: str | None = None) -> str:
    """`lead` + `text`, continuation lines indented under the text so the list stays a list."""
    pad = " " * len(lead) if indent is None else indent
    first, *rest = text.split("\n")
    return "\n".join([lead + first, *((pad + line) if line else "" for line in rest)])
