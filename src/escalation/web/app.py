"""The FastAPI application: API, dashboard, error answers, limits, and the in-process worker."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from escalation import __version__
from escalation.adapters.db.store import ConflictError, NotFoundError, Store
from escalation.adapters.policy_file import load_policy
from escalation.domain.access import AccessDeniedError
from escalation.domain.errors import InputError
from escalation.domain.lifecycle import LifecycleError
from escalation.services import DeskError
from escalation.tokens import Authenticator
from escalation.web.deps import DeskContext
from escalation.web.ratelimit import RateLimiter
from escalation.web.settings import WebSettings

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
SESSION_COOKIE = "escalation_session"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def error_body(code: str, detail: str, field: str | None = None) -> dict[str, Any]:
    """The one shape of every error answer: a stable code, one readable line, the field."""
    return {"error": code, "detail": detail, "field": field}


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, before the route reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        too_big = False

        async def counted() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_big = True
                    raise _TooLargeError
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLargeError:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = JSONResponse(error_body(
            "too_large", f"request body: expected at most {self.limit} bytes"), status_code=413)
        await send({"type": "http.response.start", "status": 413,
                    "headers": body.raw_headers})
        await send({"type": "http.response.body", "body": body.body})


class _TooLargeError(Exception):
    pass


class SecurityHeaders:
    """Adds the browser hardening headers to every answer (a plain ASGI wrapper: no cost of
    re-streaming the body, unlike a `@app.middleware("http")` function)."""

    _ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Swagger UI's page runs an inline script: no CSP there.
        extra = list(self._ALWAYS)
        if scope.get("path") != "/docs":
            extra += [(b"content-security-policy", _CSP.encode()), (b"x-frame-options", b"DENY")]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def _field_of(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The whole web application over one store and policy."""
    settings = settings or WebSettings()
    store = Store(settings.db_url)
    store.ensure_schema()
    policy = load_policy(settings.policy_path)
    context = DeskContext(
        settings=settings, store=store, policy=policy,
        authenticator=Authenticator(store),
        limiter=RateLimiter(settings.requests_per_minute, settings.burst),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = _start_worker(context, stop) if settings.run_worker else None
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=10)

    app = FastAPI(
        title="Escalation Desk",
        version=__version__,
        description="Decide, brief, lint and track support escalations the way the escalation "
                    "playbook says. Authenticate with `Authorization: Bearer <token>` "
                    "(`escalate token create --role ROLE --name NAME`).",
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.desk = context
    _install_error_handlers(app)

    from escalation.web.api import router as api_router  # noqa: PLC0415 - routes need the app
    app.include_router(api_router)
    from escalation.web.intake import router as intake_router  # noqa: PLC0415
    app.include_router(intake_router)
    from escalation.web.dashboard import router as dashboard_router  # noqa: PLC0415
    app.include_router(dashboard_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="Escalation Desk API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    app.add_middleware(SecurityHeaders)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie=SESSION_COOKIE, same_site="lax",
                       https_only=settings.secure_cookies, max_age=12 * 3600)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """The app configured from ESCALATION_* variables (`uvicorn --factory`, several workers)."""
    return create_app(WebSettings.from_env())


def _install_error_handlers(app: FastAPI) -> None:
    def answer(status: int, body: dict[str, Any],
               headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(InputError)
    async def bad_input(_r: Request, exc: InputError) -> JSONResponse:
        return answer(422, error_body("invalid_input", exc.message, exc.path or None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_r: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = _field_of(first.get("loc", ()))
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        return answer(422, error_body("invalid_input", f"{field or 'request'}: {message}",
                                      field or None))

    @app.exception_handler(NotFoundError)
    async def not_found(_r: Request, exc: NotFoundError) -> JSONResponse:
        return answer(404, error_body("not_found", str(exc).strip("'\"")))

    @app.exception_handler(AccessDeniedError)
    async def forbidden(_r: Request, exc: AccessDeniedError) -> JSONResponse:
        return answer(403, error_body("forbidden", str(exc)))

    @app.exception_handler(LifecycleError)
    async def refused(_r: Request, exc: LifecycleError) -> JSONResponse:
        return answer(409, error_body("refused", str(exc)))

    @app.exception_handler(DeskError)
    async def desk_refused(_r: Request, exc: DeskError) -> JSONResponse:
        return answer(409, error_body("refused", str(exc)))

    @app.exception_handler(ConflictError)
    async def conflict(_r: Request, exc: ConflictError) -> JSONResponse:
        return answer(409, error_body("conflict", str(exc)))

    @app.exception_handler(HTTPException)
    async def http_error(_r: Request, exc: HTTPException) -> JSONResponse:
        codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405:
                 "method_not_allowed", 409: "conflict", 413: "too_large", 429: "rate_limited"}
        return answer(exc.status_code,
                      error_body(codes.get(exc.status_code, "error"), str(exc.detail)),
                      headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def internal(_r: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("internal error %s", incident, exc_info=exc)
        return answer(500, error_body(
            "internal", f"internal error {incident}: the server log has the details"))


def _start_worker(context: DeskContext, stop: threading.Event) -> threading.Thread:
    from escalation.services import Desk  # noqa: PLC0415
    from escalation.worker import Worker  # noqa: PLC0415

    desk = Desk(context.store, context.policy, "worker")
    worker = Worker(context.store, context.policy,
                    brief_for=lambda escalation, now: desk.brief(escalation.id, now).brief)
    thread = threading.Thread(target=worker.run, args=(stop,), name="escalation-worker",
                              daemon=True)
    thread.start()
    log.info("worker %s: delivering reminders in this process", worker.name)
    return thread
