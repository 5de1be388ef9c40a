"""The web dashboard: server-rendered pages (Jinja2) with htmx, signed in by token.

One module per page: `session` (sign-in, sign-out, language), `queue`, `escalation` (the page
and its actions), `new`, `patterns`, `reports`; `pages` holds what they share (templates,
rendering, CSRF, error pages) and `i18n` the dashboard's words in English and Chinese.
"""

from __future__ import annotations

from fastapi import APIRouter

from escalation.web.dashboard import escalation, new, patterns, queue, reports, session

router = APIRouter(include_in_schema=False)
for _page in (session, queue, escalation, new, patterns, reports):
    router.include_router(_page.router)
