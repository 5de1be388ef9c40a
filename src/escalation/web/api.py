"""The JSON API under /api/v1: the desk's use cases, one route each."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from escalation.web.deps import ContextDep

router = APIRouter(prefix="/api/v1")


@router.get("/healthz", tags=["meta"])
def healthz(context: ContextDep) -> dict[str, Any]:
    """Liveness and the database revision (no token needed)."""
    return {"status": "ok", "schema": context.store.revision()}
