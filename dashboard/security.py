"""Every response's protections: security headers, CSRF on state changes (a per-session token and the Origin
header), rate limits (per user and per address, 429 with Retry-After) and errors shown as a friendly page or a
JSON problem with an error id, never a stack trace."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp_jinja2
import aiohttp_session
from aiohttp import web
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from pydantic import BaseModel

from core.api import ApiError, Forbidden, Invalid, NotFound
from dashboard.config import WebConfig

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_EXEMPT = ("/webhook/",)  # authenticated by their own secret token, posted by other servers
CONFIG = web.AppKey("web_config", WebConfig)
LIMITER: web.AppKey[RateLimits] = web.AppKey("rate_limiter")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
STATUS_OF: dict[type[ApiError], int] = {NotFound: 404, Forbidden: 403, Invalid: 422}


def wants_json(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/webhook/")) or "application/json" in request.headers.get("Accept", "")


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, one line per reason (the JSON API's error answers)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[str]
    error_id: str | None = None


def problem(request: web.Request, status: int, title: str, detail: str | list[str], *,
            error_id: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON problem (RFC 9457) for the API, a friendly page for a browser."""
    lines = detail if isinstance(detail, list) else [detail]
    if wants_json(request):
        body = Problem(title=title, status=status, detail="; ".join(lines), errors=lines, error_id=error_id)
        return web.json_response(body.model_dump(exclude_none=True), status=status, headers=headers,
                                 content_type="application/problem+json")
    response = aiohttp_jinja2.render_template("error.html", request, {
        "status": status, "title": title, "lines": lines, "error_id": error_id}, status=status)
    response.headers.update(headers or {})
    return response


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        lines = exc.lines if isinstance(exc, Invalid) else [str(exc)]
        status = STATUS_OF.get(type(exc), 400)
        return problem(request, status, {404: "Not found", 403: "Not allowed"}.get(status, "Not accepted"), lines)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        titles = {404: "Page not found", 405: "Method not allowed", 413: "Request too large"}
        return problem(request, exc.status, titles.get(exc.status, exc.reason), exc.text or exc.reason,
                       headers={k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")})
    except Exception:
        error_id = secrets.token_hex(6)
        logger.exception("dashboard error %s on %s %s", error_id, request.method, request.path)
        return problem(request, 500, "Something went wrong",
                       "the dashboard hit an error; it is logged under the id below", error_id=error_id)


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects too
        _protect(request, exc)
        raise
    _protect(request, response)
    return response


def _protect(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:  # a websocket: its handshake went out already
        return
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.app[CONFIG].https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"


def _same_origin(request: web.Request, public_url: str) -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is None:
        return True  # non-browser clients send no Origin; the CSRF token still has to match
    given = urlsplit(origin)
    wanted = urlsplit(public_url)
    return (given.scheme, given.netloc) == (wanted.scheme, wanted.netloc) or given.netloc == request.host


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS or request.path.startswith(CSRF_EXEMPT):
        return await handler(request)
    if not _same_origin(request, request.app[CONFIG].public_url):
        return problem(request, 403, "Not allowed", "this request came from another site (Origin check)")
    session = await aiohttp_session.get_session(request)
    expected = session.get("csrf")
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        given = str((await request.post()).get("csrf_token", ""))
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        return problem(request, 403, "Not allowed",
                       "the form's security token is missing or stale: reload the page and try again")
    return await handler(request)


class RateLimits:
    """Moving-window limits per key (limits library), counted in `storage`: the API's MongoDB-backed one, so every
    dashboard process counts against one limit."""

    def __init__(self, storage: Storage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)

    async def check(self, request: web.Request, rule: str, *keys: str) -> None:
        item: RateLimitItem = parse(rule)
        for key in keys:
            if not await self.limiter.hit(item, request.path.split("/")[1] or "root", key):
                reset, _ = await self.limiter.get_window_stats(item, request.path.split("/")[1] or "root", key)
                wait = max(1, int(reset - time.time()) + 1)
                raise web.HTTPTooManyRequests(text=f"too many requests: try again in {wait} s",
                                              headers={"Retry-After": str(wait)})


RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (  # path prefix, methods ("" = all), limit per window
    ("/auth/", (), "20/minute"),
    ("/dashboard/exchanges", ("POST",), "10/minute"),
    ("/api/v1/exchanges", ("POST", "DELETE"), "10/minute"),
    ("/api/", (), "300/minute"),
    ("/dashboard", ("POST",), "60/minute"),
)


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    rule = next((limit for prefix, methods, limit in RULES
                 if request.path.startswith(prefix) and (not methods or request.method in methods)), None)
    if rule is not None:
        session = await aiohttp_session.get_session(request)
        keys = [f"ip:{request.remote or 'unknown'}"]
        if session.get("discord_id") is not None:
            keys.append(f"user:{session['discord_id']}")
        await request.app[LIMITER].check(request, rule, *keys)
    return await handler(request)
