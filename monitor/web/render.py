"""Server-rendered pages: one Jinja2 environment, autoescaped, with the helpers every template uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from monitor.digest import safe_url
from monitor.hygiene import mask_secrets, mask_target
from monitor.sources import SOURCES
from monitor.types import LABELS, REVIEW_STATES
from monitor.web.deps import csrf_for, session_user

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.autoescape = True
TEMPLATES.env.filters["safe_url"] = safe_url
TEMPLATES.env.filters["mask_target"] = mask_target  # a webhook URL is a credential: shown as its host only
TEMPLATES.env.filters["mask_secrets"] = mask_secrets
TEMPLATES.env.filters["when"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M") if moment else "—"
TEMPLATES.env.filters["day"] = lambda moment: moment.strftime("%Y-%m-%d") if moment else "—"
TEMPLATES.env.globals["urlencode"] = urlencode
TEMPLATES.env.globals["LABELS"] = LABELS
TEMPLATES.env.globals["REVIEW_STATES"] = REVIEW_STATES
TEMPLATES.env.globals["SEVERITIES"] = ("low", "medium", "high", "critical")
TEMPLATES.env.globals["SOURCE_KINDS"] = SOURCES.kinds()  # the registered source kinds (rss, html, json...)


def show(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the user, the CSRF token and the current path."""
    user = context.pop("user", None) or session_user(request)
    context.update(request=request, user=user, csrf_token=csrf_for(request), path=request.url.path)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
