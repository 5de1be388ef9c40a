"""What every dashboard page shares: templates, the viewer, rendering, and HTML error pages.

Dashboard routes use `PageRoute`, which answers the desk's errors with a page in the viewer's
language instead of the API's JSON: 404 for escalations that do not exist for the viewer, 403
for a refused form, 429 when too fast, and a redirect to the sign-in page when signed out.
An htmx request gets the same content retargeted at the page's <main>.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from escalation.adapters.db.store import NotFoundError
from escalation.domain.access import AccessDeniedError, Principal
from escalation.domain.model import N_
from escalation.render.values import COLON
from escalation.web.dashboard import i18n
from escalation.web.deps import DeskContext

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LANG_COOKIE = "lang"
ZONE_COOKIE = "tz"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person looking at the dashboard, and how they read it."""

    principal: Principal
    lang: str
    zone: str


class SignInRequiredError(Exception):
    """The request has no valid session: send the browser to the sign-in page."""


class PageError(Exception):
    """A refusal shown as a page: `status`, a translated title and the detail line."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        super().__init__(detail)


# --- reading the request ---------------------------------------------------------------------


def context_of(request: Request) -> DeskContext:
    """The process's desk context."""
    context: DeskContext = request.app.state.desk
    return context


def lang_of(request: Request) -> str:
    """The viewer's language: their choice (cookie), else what the browser prefers."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen is not None and chosen in i18n.LANGUAGE_NAMES:
        return chosen
    accept = request.headers.get("accept-language", "").strip().lower()
    return "zh" if accept.startswith("zh") else i18n.DEFAULT_LANG


def zone_of(request: Request) -> str:
    """The viewer's time zone (desk.js reports the browser's), else UTC."""
    return i18n.zone_of(request.cookies.get(ZONE_COOKIE))


def wants_fragment(request: Request) -> bool:
    """An htmx request that swaps part of the page (not a history restore)."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use; a new one at every sign-in)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    """403 unless the form (or the htmx header) carries the session's CSRF token."""
    expected = request.session.get("csrf")
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not (isinstance(expected, str) and isinstance(sent, str)
            and secrets.compare_digest(expected.encode(), sent.encode())):
        lang = lang_of(request)
        raise PageError(403, i18n.translate(N_("Form expired"), lang), i18n.translate(
            N_("This form did not come from your current session (it may have expired). "
               "Reload the page and try again."), lang))


async def posted_form(request: Request) -> FormData:
    """The POSTed form, after its CSRF token has been checked."""
    form = await request.form()
    check_csrf(request, form)
    return form


def text(form: Mapping[str, Any], name: str) -> str:
    """One text field of a form ("" when absent or not text)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site, else "/" (never an open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 32 or ch == "\\" for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-line notice shown on the next page the viewer sees."""
    request.session["flash"] = {"kind": kind, "text": message}


def see_other(url: str) -> RedirectResponse:
    """POST-redirect-GET."""
    return RedirectResponse(url, status_code=303)


# --- templates -------------------------------------------------------------------------------


@cache
def environment(lang: str) -> Environment:
    """The templates with `lang`'s catalog installed (one environment per language)."""
    env = Environment(
        loader=PackageLoader("escalation.web.dashboard", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        label=_label, moment=_moment, short_moment=_short_moment, number=_number,
        money=_money, hours=_hours, percent=_percent, tojson=_tojson,
    )
    env.globals.update(countdown=_countdown)
    return env


@pass_context
def _label(context: Context, value: object, kind: str) -> str:
    return i18n.label(kind, value, context["lang"])


@pass_context
def _moment(context: Context, at: datetime | None) -> str:
    return i18n.moment(at, context["zone"], context["lang"])


@pass_context
def _short_moment(context: Context, at: datetime | None) -> str:
    return i18n.moment(at, context["zone"], context["lang"], short=True)


@pass_context
def _number(context: Context, value: float) -> str:
    return i18n.number(value, context["lang"])


@pass_context
def _money(context: Context, amount: float | None) -> str:
    return i18n.money(amount, context["currency"], context["lang"])


@pass_context
def _hours(context: Context, value: float | None) -> str:
    return i18n.hours(value, context["lang"])


@pass_context
def _percent(context: Context, value: float | None) -> str:
    return i18n.percent(value, context["lang"])


def _tojson(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@pass_context
def _countdown(context: Context, due_at: datetime, overdue_at: datetime) -> dict[str, str]:
    state, words = i18n.countdown(due_at, overdue_at, context["now"], context["soon_minutes"],
                                  context["lang"])
    return {"state": state, "text": words}


def render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None = None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    """A page (or fragment) in the viewer's language; never cached by the browser."""
    context = context_of(request)
    lang = viewer.lang if viewer else lang_of(request)
    session_flash = request.session.pop("flash", None) if viewer else None
    page = environment(lang).get_template(template).render(
        lang=lang,
        html_lang=i18n.HTML_LANG[lang],
        languages=i18n.LANGUAGE_NAMES,
        viewer=viewer,
        zone=viewer.zone if viewer else zone_of(request),
        now=context.now(),
        soon_minutes=context.policy.followups.due_soon_minutes,
        currency=context.policy.currency,
        csrf=csrf_token(request),
        csrf_field=CSRF_FIELD,
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        countdown_words=i18n.countdown_words(lang),
        colon=COLON[lang],
        flash=values.pop("flash", None) or session_flash,
        **values,
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """An error as a page; for htmx, the same content swapped into the page's <main>."""
    viewer = getattr(request.state, "viewer", None)
    if wants_fragment(request):
        response = render(request, "_error.html", viewer=viewer, status=status,
                          title=title, detail=detail)
        response.headers["HX-Retarget"] = "main"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "error.html", viewer=viewer, status=status, title=title,
                  detail=detail, active="")


# --- the route class -------------------------------------------------------------------------

_TITLES = {
    400: N_("Bad request"),
    401: N_("Sign-in needed"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Refused"),
    413: N_("Too large"),
    422: N_("Check the form"),
    429: N_("Too many requests"),
}


class PageRoute(APIRoute):
    """A dashboard route: errors become pages, a missing session becomes the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            lang = lang_of(request)

            def titled(status: int) -> str:
                return i18n.translate(_TITLES.get(status, N_("Something went wrong")), lang)

            try:
                return await handler(request)
            except SignInRequiredError:
                return _to_sign_in(request)
            except PageError as exc:
                return error_page(request, exc.status, exc.title, exc.detail)
            except NotFoundError as exc:
                return error_page(request, 404, titled(404), str(exc).strip("'\""))
            except AccessDeniedError as exc:
                return error_page(request, 403, titled(403), str(exc))
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
                return error_page(request, 422, titled(422),
                                  f"{where}: {first.get('msg', 'invalid')}")
            except HTTPException as exc:
                if exc.status_code == 404:
                    detail = i18n.translate(N_("There is no such page."), lang)
                else:
                    detail = str(exc.detail)
                response = error_page(request, exc.status_code, titled(exc.status_code), detail)
                response.headers.update(dict(exc.headers or {}))
                return response
            except Exception as exc:  # a page, not a traceback; the log has the details
                incident = uuid.uuid4().hex[:12]
                log.exception("internal error %s", incident, exc_info=exc)
                return error_page(request, 500, titled(500),
                                  f"internal error {incident}: the server log has the details")

        return page_handler


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or wants_fragment(request):
        # Back to the page the form was on (htmx names it), never to a POST-only address.
        current = urlsplit(request.headers.get("hx-current-url", ""))
        target = safe_next(current.path + (f"?{current.query}" if current.query else ""))
    url = "/sign-in" if target == "/" else f"/sign-in?next={quote(target, safe='/')}"
    if wants_fragment(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
