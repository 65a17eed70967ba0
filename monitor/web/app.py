"""The workspace web app: FastAPI, server-rendered pages, the JSON API and Atom feeds on the same store.

    app = create_app(Workspace(settings=settings, store=store, watchlist=watchlist, clock=SystemClock()))
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from monitor.web import api, auth, forms, pages
from monitor.web.deps import LoginRequired, Workspace, csrf_nonce
from monitor.web.render import TEMPLATES, show

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
JSON_PREFIXES = ("/api/", "/feeds/", "/healthz", "/openapi.json")


def create_app(ws: Workspace) -> FastAPI:
    """Build the app around one Workspace."""
    app = FastAPI(title="rights-monitor", version="1", docs_url="/docs/swagger", redoc_url=None,
                  description="Incidents, reviews, subscriptions, companies and sources of rights-monitor. "
                              "Authenticate with `Authorization: Bearer TOKEN` (`rights-monitor token create`).")
    app.state.workspace = ws
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    pages.register_filters(TEMPLATES.env)
    for router in (api.router, pages.router, forms.router):
        app.include_router(router)

    @app.get("/docs", include_in_schema=False)
    def api_reference(request: Request) -> Response:
        """The API reference, rendered from the OpenAPI document on the server (works offline)."""
        return show(request, "api_docs.html", spec=app.openapi())

    _handle_errors(app)
    _add_headers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return show(request, "error.html", status_code=exc.status_code, code=exc.status_code, detail=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)


def _add_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:
        response = await call_next(request)
        if request.url.path != "/docs/swagger":  # Swagger UI loads its own script and styles
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.cookies.get(auth.CSRF_COOKIE) and not _wants_json(request):
            nonce = getattr(request.state, "csrf_nonce", None) or csrf_nonce(request)
            response.set_cookie(auth.CSRF_COOKIE, nonce, httponly=True, samesite="lax",
                                secure=request.url.scheme == "https")
        return response
