"""Turn the brief's values (Said, Phrase, Needed, Money, …) into text for one language and format.

Every leaf is escaped for its target format where it is produced (a person's words, the desk's
translated words, numbers and dates alike), so composed text is safe to place in Markdown or
HTML as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markupsafe import escape

from escalation.domain.brief import (
    WITHHELD_REVENUE,
    Moment,
    Money,
    Needed,
    Number,
    Phrase,
    Said,
    Term,
    Value,
)
from escalation.domain.model import N_, READ_IN, Reason
from escalation.render.i18n import (
    check_language,
    fill,
    format_moment,
    format_money,
    format_number,
    has_translation,
    is_structural,
    localize_structure,
    translate,
)

STYLES: tuple[str, ...] = ("plain", "markdown", "html")

# The desk's vocabulary, in the seed's words.
TERMS: Mapping[tuple[str, str], str] = {
    ("severity", "critical"): N_("Critical"),
    ("severity", "high"): N_("High"),
    ("severity", "medium"): N_("Medium"),
    ("target", "engineering"): N_("Engineering"),
    ("target", "product"): N_("Product"),
    ("target", "security"): N_("Security"),
    ("target", "leadership"): N_("Leadership"),
    ("target", "l2"): N_("L2 (senior support)"),
    ("sla_status", "within"): N_("Within SLA"),
    ("sla_status", "at_risk"): N_("At risk"),
    ("sla_status", "breached"): N_("Breached"),
    ("sla_status", "unknown"): N_("Unknown"),
}


# The visible marker of missing information: "[needed: …]".
_NEEDED_WORD = N_("needed")

# Label/value separator: "Label: value" in English, "标签：值" in Chinese.
COLON: Mapping[str, str] = {"en": ": ", "zh": "："}

# Inline: emphasis, code, links and HTML; ">" and list marks only matter at a line start.
_MD_INLINE = re.compile(r"([\\`*\[\]<~])")
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)


def markdown_escape(text: str) -> str:
    """Backslash-escape what would turn a person's words into Markdown structure."""
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark = match.group(1), match.group(2)
    if mark[0].isdigit():
        return f"{indent}{mark[:-1]}\\{mark[-1]}"
    return f"{indent}\\{mark}"


def markdown_escape_inline(text: str) -> str:
    """Escape desk text placed inside a line (never at its start)."""
    return _MD_UNDERSCORE.sub(r"\\_", _MD_INLINE.sub(r"\\\1", text))


def _html_escape(text: str) -> str:
    return str(escape(text))


_ESCAPES: Mapping[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    # style: (escape for a person's words, escape for the desk's words)
    "plain": (str, str),
    "markdown": (markdown_escape, markdown_escape_inline),
    "html": (_html_escape, _html_escape),
}


def needed_marker(what: str, lang: str) -> str:
    """`[needed: what]` / `[待补充：what]` as plain text, `what` already translated."""
    return f"[{translate(_NEEDED_WORD, lang)}{COLON[lang]}{what}]"


def term_text(term: Term, lang: str) -> str:
    """A severity, target or SLA status in the reader's language."""
    msgid = TERMS.get((term.kind, term.value))
    return translate(msgid, lang) if msgid else term.value


def phrase_template(template: str, lang: str) -> str:
    """The template of a generated sentence in `lang`.

    A template made only of placeholders and punctuation is structure, not a sentence: it
    keeps its shape with the separators of the language, unless the catalog words it.
    """
    if is_structural(template) and not (lang != "en" and has_translation(template, lang)):
        return localize_structure(template, lang)
    return translate(template, lang)


@dataclass(frozen=True, slots=True)
class ValueRenderer:
    """Renders brief values in one language, time zone and output style."""

    lang: str
    timezone: str
    style: str = "plain"

    def __post_init__(self) -> None:
        check_language(self.lang)
        if self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}: expected one of {', '.join(STYLES)}")

    def said(self, text: str) -> str:
        """A person's words, escaped for the style, never translated."""
        return _ESCAPES[self.style][0](text)

    def desk(self, text: str) -> str:
        """Words the desk wrote (already translated), escaped for the style."""
        return _ESCAPES[self.style][1](text)

    def needed(self, value: Needed) -> str:
        """The visible marker for missing information."""
        what = translate(value.what, self.lang)
        if self.style == "markdown":
            # Square brackets not followed by "(" or "[" stay literal in Markdown: no escape.
            word = self.desk(f"{translate(_NEEDED_WORD, self.lang)}{COLON[self.lang]}{what}")
            return f"**[{word}]**"
        marker = self.desk(needed_marker(what, self.lang))
        if self.style == "html":
            title = _html_escape(value.field)
            return f'<mark class="needed" data-field="{title}">{marker}</mark>'
        return marker

    def render(self, value: Value) -> str:
        """One value as text of this renderer's language and style."""
        if isinstance(value, Said):
            return self.said(value.text)
        if isinstance(value, Needed):
            return self.needed(value)
        if isinstance(value, Phrase):
            params = value.params

            def param(name: str) -> str | None:
                return self.render(params[name]) if name in params else None

            return fill(phrase_template(value.template, self.lang), param, self.desk)
        if isinstance(value, Term):
            return self.desk(term_text(value, self.lang))
        if isinstance(value, Money):
            return self.desk(format_money(value.amount, value.currency, self.lang))
        if isinstance(value, Moment):
            return self.desk(format_moment(value.at, self.timezone, self.lang))
        if isinstance(value, Number):
            return self.desk(format_number(value.value, self.lang))
        raise TypeError(f"not a brief value: {value!r}")


def render_reason(reason: Reason, lang: str) -> str:
    """A reason of the assessment as one sentence in `lang`."""
    check_language(lang)
    params = reason.params

    def param(name: str) -> str | None:
        # Reason parameters are people's words or plain numbers: never translated (only the
        # marker that stands in for a withheld revenue figure is the desk's own words).
        value = params.get(name)
        return translate(value, lang) if value == WITHHELD_REVENUE else value

    said = fill(translate(reason.template, lang), param)
    if not reason.cites:
        return said
    cites = reason.cites
    return fill(translate(READ_IN, lang),
                lambda name: said if name == "reason" else cites if name == "cites" else None)
