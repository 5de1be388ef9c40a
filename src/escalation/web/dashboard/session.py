"""Signing in and out with a token, the viewer of every page, and the language switch.

The session (a signed, HttpOnly, SameSite=Lax cookie) keeps the token's hash, never the
secret, and a random CSRF token that every POST form carries (htmx sends it as a header).
A revoked token stops working on the next request, as in the API.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from escalation.domain.model import N_
from escalation.tokens import hash_secret
from escalation.web.dashboard import i18n
from escalation.web.dashboard.pages import (
    LANG_COOKIE,
    PageRoute,
    SignInRequiredError,
    Viewer,
    context_of,
    lang_of,
    posted_form,
    render,
    safe_next,
    see_other,
    text,
    zone_of,
)
from escalation.web.deps import rate_limit

router = APIRouter(route_class=PageRoute)

_YEAR = 365 * 24 * 3600


def current_viewer(request: Request) -> Viewer:
    """The signed-in viewer; SignInRequiredError without a valid session."""
    context = context_of(request)
    stored = request.session.get("token_hash")
    digest = stored if isinstance(stored, str) else ""
    principal = (context.authenticator.principal_for_hash(digest, context.now())
                 if digest else None)
    if principal is None:
        request.session.pop("token_hash", None)
        raise SignInRequiredError
    viewer = Viewer(principal, lang_of(request), zone_of(request))
    request.state.viewer = viewer  # error pages keep the navigation
    rate_limit(context, f"dashboard:{digest[:16]}")
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
FormDep = Annotated[FormData, Depends(posted_form)]


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request, next_page: Annotated[str, Query(alias="next")] = "/",
) -> Response:
    """Paste a token to sign in."""
    return render(request, "sign_in.html", next=safe_next(next_page), error=None)


@router.post("/sign-in")
def sign_in(request: Request, form: FormDep) -> Response:
    """Check the pasted token; keep only its hash in the session."""
    context = context_of(request)
    client = request.client.host if request.client else "unknown"
    rate_limit(context, f"anonymous:{client}")
    secret = text(form, "token").strip()
    target = safe_next(text(form, "next"))
    principal = context.authenticator.principal(secret, context.now()) if secret else None
    if principal is None:
        lang = lang_of(request)
        error = i18n.translate(
            N_("That token is unknown or revoked. Ask an admin for one "
               "(escalate token create --role ROLE --name NAME)."), lang)
        return render(request, "sign_in.html", next=target, error=error, status=401)
    chosen = request.cookies.get(LANG_COOKIE)
    request.session.clear()
    request.session["token_hash"] = hash_secret(secret)
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.session["flash"] = {"kind": "ok", "text": i18n.translate(
        N_("Signed in as %(name)s."), i18n.language(chosen) if chosen else lang_of(request),
        name=principal.name)}
    return see_other(target)


@router.post("/sign-out")
def sign_out(request: Request, _form: FormDep) -> Response:
    """Forget the session."""
    request.session.clear()
    return see_other("/sign-in")


@router.post("/language")
def switch_language(request: Request, form: FormDep) -> Response:
    """Show the whole dashboard in another language (remembered for a year)."""
    lang = i18n.language(text(form, "lang"))
    response: RedirectResponse = see_other(safe_next(text(form, "next")))
    response.set_cookie(LANG_COOKIE, lang, max_age=_YEAR, httponly=True, samesite="lax",
                        secure=context_of(request).settings.secure_cookies)
    return response
