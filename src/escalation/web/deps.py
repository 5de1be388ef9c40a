"""What every request needs: the desk context, the acting principal, and access checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from escalation.adapters.db.store import NotFoundError, Store
from escalation.domain.access import Principal, can_see, check_act
from escalation.domain.lifecycle import Action
from escalation.domain.model import Escalation
from escalation.domain.policy import Policy
from escalation.services import Desk
from escalation.tokens import Authenticator
from escalation.web.ratelimit import RateLimiter
from escalation.web.settings import WebSettings


@dataclass
class DeskContext:
    """One process's shared state: settings, store, policy, token checks, rate limits."""

    settings: WebSettings
    store: Store
    policy: Policy
    authenticator: Authenticator
    limiter: RateLimiter

    def now(self) -> datetime:
        """The current time (tests fix it through the settings' clock)."""
        return self.settings.clock()

    def desk(self, principal: Principal) -> Desk:
        """The use cases, acting as `principal` (the audit trail's actor)."""
        return Desk(self.store, self.policy, principal.name)

    def visible(self, principal: Principal, escalation_id: str) -> Escalation:
        """The escalation if it exists for `principal`; NotFoundError as if it did not."""
        escalation = Desk(self.store, self.policy, principal.name).get(escalation_id)
        if not can_see(principal, escalation):
            raise NotFoundError(escalation_id)
        return escalation

    def allowed(self, principal: Principal, action: Action, escalation_id: str) -> Escalation:
        """The escalation if `principal` may do `action` to it (404 if unseen, else 403)."""
        escalation = self.visible(principal, escalation_id)
        check_act(principal, action, escalation, self.authenticator.team_of)
        return escalation


def desk_context(request: Request) -> DeskContext:
    """The process's desk context (set up by the app factory)."""
    context: DeskContext = request.app.state.desk
    return context


ContextDep = Annotated[DeskContext, Depends(desk_context)]


def rate_limit(context: DeskContext, key: str) -> None:
    """429 with Retry-After when `key` has used up its requests."""
    allowed, wait = context.limiter.allow(key)
    if not allowed:
        raise HTTPException(
            status_code=429,
            detail=f"too many requests: at most {context.settings.requests_per_minute} a "
                   f"minute; retry in {max(1, round(wait))} s",
            headers={"Retry-After": str(max(1, round(wait)))},
        )


def api_principal(request: Request, context: ContextDep) -> Principal:
    """The holder of the request's bearer token; 401 without a valid one, 429 when too fast."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        client = request.client.host if request.client else "unknown"
        rate_limit(context, f"anonymous:{client}")
        raise HTTPException(
            status_code=401,
            detail="Authorization: expected 'Bearer <token>' (create one with "
                   "`escalate token create --role ROLE --name NAME`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = context.authenticator.principal(secret.strip(), context.now())
    if principal is None:
        client = request.client.host if request.client else "unknown"
        rate_limit(context, f"anonymous:{client}")
        raise HTTPException(status_code=401, detail="Authorization: unknown or revoked token",
                            headers={"WWW-Authenticate": "Bearer"})
    rate_limit(context, f"token:{principal.name}:{secret[:12]}")
    return principal


PrincipalDep = Annotated[Principal, Depends(api_principal)]
