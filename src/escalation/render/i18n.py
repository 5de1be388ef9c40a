"""Message catalog and locale-aware formatting of numbers, money and dates for the renderers.

The Simplified Chinese catalog's source of truth is `locale/zh_Hans/LC_MESSAGES/escalation.po`;
it is read with Babel and compiled in memory on first use, so no binary `.mo` file is kept in
the repository. English is the source language: its catalog is the identity.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, get_timezone_gmt
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES: tuple[str, ...] = ("en", "zh")

# The Babel locale each language is formatted in.
BABEL_LOCALES: Mapping[str, str] = {"en": "en_US", "zh": "zh_Hans_CN"}

# Catalog directory name per language (English needs none).
_CATALOG_LOCALES: Mapping[str, str] = {"zh": "zh_Hans"}
DOMAIN = "escalation"

# Date and time, then the zone (see `format_moment`), so a reader elsewhere knows the clock.
_MOMENT_PATTERNS: Mapping[str, tuple[str, str]] = {
    # language: (date and time, zone name)
    "en": ("EEE, MMM d, yyyy, h:mm a", "z"),
    "zh": ("yyyy年M月d日（EEE）HH:mm", "zzzz"),
}

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Punctuation of a placeholder-only template ("{s0}; {s1} ({area})") in Chinese typography.
_ZH_PUNCTUATION: tuple[tuple[str, str], ...] = (
    ("; ", "；"),
    (", ", "、"),
    (": ", "："),
    (" (", "（"),
    ("(", "（"),
    (")", "）"),
)


def check_language(lang: str) -> str:
    """`lang` itself when it is a supported language; ValueError naming the choices otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(
            f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}"
        )
    return lang


def po_path(lang: str) -> Traversable:
    """Where the `.po` source of `lang`'s catalog lives inside the package."""
    check_language(lang)
    folder = _CATALOG_LOCALES[lang]
    return (
        resources.files("escalation.render") / "locale" / folder / "LC_MESSAGES"
        / f"{DOMAIN}.po"
    )


@cache
def _compiled(lang: str) -> tuple[gettext.NullTranslations, frozenset[str]]:
    if lang not in _CATALOG_LOCALES:
        return gettext.NullTranslations(), frozenset()
    with po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=_CATALOG_LOCALES[lang], domain=DOMAIN)
    translated = frozenset(
        str(message.id)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    )
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer), translated


def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang` (cached; English is the identity)."""
    return _compiled(check_language(lang))[0]


def has_translation(msgid: str, lang: str) -> bool:
    """Whether the catalog of `lang` translates `msgid` (always true for English)."""
    if check_language(lang) == "en":
        return True
    return msgid in _compiled(lang)[1]


def translate(msgid: str, lang: str) -> str:
    """`msgid` in `lang`; the English text itself when the catalog lacks it."""
    if check_language(lang) == "en" or not msgid:
        return msgid
    return catalog(lang).gettext(msgid)


def placeholders(template: str) -> frozenset[str]:
    """The `{name}` placeholders of a template."""
    return frozenset(PLACEHOLDER.findall(template))


def is_structural(template: str) -> bool:
    """A template made only of placeholders and punctuation ("{s0}; {s1}"): not a sentence."""
    return not any(ch.isalnum() for ch in PLACEHOLDER.sub("", template))


def localize_structure(template: str, lang: str) -> str:
    """A placeholder-only template with the separators of `lang`."""
    if check_language(lang) != "zh":
        return template
    for western, chinese in _ZH_PUNCTUATION:
        template = template.replace(western, chinese)
    return template


def fill(
    template: str,
    params: Callable[[str], str | None],
    literal: Callable[[str], str] = str,
) -> str:
    """Replace each `{name}` by `params(name)`; `literal` transforms the text around them.

    Unlike `str.format`, braces inside the values are left alone, and a placeholder with no
    value stays visible as `{name}` instead of raising.
    """
    out: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(template):
        out.append(literal(template[position:match.start()]))
        value = params(match.group(1))
        out.append(literal(match.group(0)) if value is None else value)
        position = match.end()
    out.append(literal(template[position:]))
    return "".join(out)


def format_number(value: float, lang: str) -> str:
    """A count or quantity in the reader's locale ("1,234", "20.5")."""
    return format_decimal(value, locale=BABEL_LOCALES[check_language(lang)])


def format_money(amount: float, currency: str, lang: str) -> str:
    """An amount in the reader's locale; whole amounts without cents ("$240,000")."""
    locale = BABEL_LOCALES[check_language(lang)]
    if float(amount).is_integer():
        pattern = Locale.parse(locale).currency_formats["standard"].pattern
        whole = pattern.split(";")[0].replace(".00", "")
        return format_currency(amount, currency, format=whole, locale=locale,
                               currency_digits=False)
    return format_currency(amount, currency, locale=locale)


def format_moment(at: datetime, timezone: str, lang: str) -> str:
    """A point in time on the clock of `timezone`, naming the zone, in the reader's locale.

    The zone is the locale's name for it ("EST", "中欧标准时间"); where the locale has no
    abbreviation (English for most zones outside North America) it is the GMT offset.
    """
    locale = BABEL_LOCALES[check_language(lang)]
    local = at.astimezone(ZoneInfo(timezone))
    moment, zone_pattern = _MOMENT_PATTERNS[lang]
    zone = format_datetime(local, zone_pattern, locale=locale)
    if not zone[:1].isalpha():
        zone = get_timezone_gmt(local, width="long", locale=locale)
    return f"{format_datetime(local, moment, locale=locale)} {zone}"
