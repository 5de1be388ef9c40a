"""The web dashboard: server-rendered pages (Jinja2) with htmx, signed in by token."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
