"""Form handling shared by the pages: the posted fields as text, and the answer to a form post (a redirect back
with a toast for a browser, JSON for a script)."""

from __future__ import annotations

from aiohttp import web

from core.api import Invalid
from dashboard.security import wants_json

TOAST = "toast"


def price(name: str, text: str) -> float:
    """One typed price; the refusal names the field."""
    try:
        return float(text)
    except ValueError:
        raise Invalid([f"{name}: {text!r} is not a price"]) from None


def prices(name: str, text: str) -> list[float]:
    """Prices typed as a list ("43000, 44000" or with semicolons); ValueError names the field."""
    try:
        return [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a list of prices") from None


async def form_of(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="send a JSON object")
        return {str(k): "" if v is None else str(v) for k, v in body.items()}
    return {k: str(v) for k, v in (await request.post()).items() if k != "csrf_token"}


def back_to(request: web.Request, route: str, message: str) -> web.StreamResponse:
    """After a successful post: JSON `{"message"}` for a script, else back to the page with the message shown as
    a toast (passed in the address, so it survives the redirect without a session write)."""
    if wants_json(request):
        return web.json_response({"message": message})
    raise web.HTTPSeeOther(request.app.router[route].url_for().with_query({TOAST: message[:500]}))
