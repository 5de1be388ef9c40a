"""The brief formats and languages every interface offers (CLI options, API parameters)."""

from __future__ import annotations

from enum import StrEnum


class BriefFormat(StrEnum):
    """Formats a brief is rendered in."""

    text = "text"
    markdown = "markdown"
    json = "json"
    html = "html"


class Lang(StrEnum):
    """Languages a brief or customer update is written in."""

    en = "en"
    zh = "zh"
