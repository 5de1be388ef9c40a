"""The brief as one self-contained HTML page: inline CSS, no scripts, nothing fetched."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from escalation.domain.brief import Brief
from escalation.render.i18n import fill, format_number, translate
from escalation.render.values import ValueRenderer
from escalation.render.view import (
    NEEDED_NOTE,
    PAGE_TITLE,
    REASONS,
    TICKET,
    TIME_ZONE,
    build_view,
)

# The `lang` attribute of the page (BCP 47).
_HTML_LANG = {"en": "en", "zh": "zh-Hans"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the page templates; autoescape is always on."""
    return Environment(
        loader=PackageLoader("escalation.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render_html(brief: Brief, lang: str) -> str:
    """The brief as an HTML page; every value is escaped where it is rendered."""
    renderer = ValueRenderer(lang, brief.timezone, "html")
    # Values come out of the renderer already escaped (missing information as <mark>), so
    # they are marked safe; labels and titles are plain strings the template escapes.
    view = build_view(brief, renderer, finish=Markup)
    return environment().get_template("brief.html.j2").render(
        html_lang=_HTML_LANG[lang],
        page_title=translate(PAGE_TITLE, lang),
        ticket_label=translate(TICKET, lang),
        ticket_id=brief.ticket_id,
        time_zone_note=fill(
            translate(TIME_ZONE, lang), lambda name: brief.timezone if name == "zone" else None
        ),
        reasons_title=translate(REASONS, lang),
        needed_note=fill(
            translate(NEEDED_NOTE, lang),
            lambda name: format_number(view.needed_count, lang) if name == "count" else None,
        ),
        view=view,
    )
