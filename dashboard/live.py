"""GET /ws: live updates for a logged-in page. The socket sends the member's overview (standing, open positions
with their protection, latest notifications) when it changes, checking every few seconds, with heartbeats so a
dead connection is noticed. A page whose socket drops falls back to polling (static/app.js)."""

from __future__ import annotations

import asyncio
import hashlib
import json

from aiohttp import WSMsgType, web

from dashboard.context import API, caller

routes = web.RouteTableDef()
INTERVAL_S = web.AppKey("live_interval_s", float)
HEARTBEAT_S = 20.0


@routes.get("/ws", name="live")
async def live(request: web.Request) -> web.WebSocketResponse:
    who = await caller(request)
    socket = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=4096)
    await socket.prepare(request)
    interval = request.app.get(INTERVAL_S, 5.0)
    sent = ""
    while not socket.closed:
        seen = (await request.app[API].standing.overview(who)).model_dump(mode="json")
        version = hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:16]
        if version != sent:
            await socket.send_json({"type": "overview", "version": version, **seen})
            sent = version
        try:
            message = await socket.receive(timeout=interval)
        except TimeoutError:
            continue
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            break
        if message.type == WSMsgType.TEXT and message.data == "ping":
            await socket.send_json({"type": "pong"})
    await asyncio.shield(socket.close())
    return socket
