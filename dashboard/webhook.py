"""POST /webhook/{token}: an alert (TradingView style, JSON or plain text) for a webhook provider. No session and
no CSRF token (other servers post here); the token in the path is the provider's secret. At most 100 alerts a
minute per token."""

from __future__ import annotations

import hashlib

from aiohttp import web

from dashboard.context import API
from dashboard.security import LIMITER

routes = web.RouteTableDef()
MAX_BODY = 16 * 1024
PER_MINUTE = "100/minute"


@routes.post("/webhook/{token}", name="webhook")
async def webhook(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    key = hashlib.sha256(token.encode()).hexdigest()[:32]
    await request.app[LIMITER].check(request, PER_MINUTE, f"webhook:{key}")
    if (request.content_length or 0) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length or 0)
    body = await request.read()
    summary = await request.app[API].webhooks.receive(token, body[:MAX_BODY], request.content_type)
    return web.json_response(summary.model_dump(mode="json"), status=200 if summary.status == "duplicate" else 202)
