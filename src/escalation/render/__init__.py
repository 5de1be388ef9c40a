"""Render escalation briefs as text, Markdown, JSON or HTML, in English or Simplified Chinese."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from escalation.domain.brief import Brief, Value
from escalation.render.html_page import render_html
from escalation.render.i18n import LANGUAGES, check_language, translate
from escalation.render.json_brief import render_json
from escalation.render.markdown import render_markdown
from escalation.render.text import render_text
from escalation.render.values import ValueRenderer, render_reason

_RENDERERS: Mapping[str, Callable[[Brief, str], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
    "html": render_html,
}
FORMATS: tuple[str, ...] = tuple(_RENDERERS)


def render_customer_update(paragraphs: Sequence[Value], lang: str, timezone: str) -> str:
    """A drafted customer update as plain text in `lang`, times in the customer's zone."""
    renderer = ValueRenderer(check_language(lang), timezone)
    return "\n\n".join(renderer.render(p) for p in paragraphs) + "\n"


def render_brief(brief: Brief, fmt: str, lang: str) -> str:
    """The brief in `fmt` (text, markdown, json, html) and `lang` (en, zh)."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return renderer(brief, check_language(lang))


__all__ = [
    "FORMATS",
    "LANGUAGES",
    "render_brief",
    "render_customer_update",
    "render_reason",
    "translate",
]
