"""A local fake of OKX's public instruments endpoint (`GET /api/v5/public/instruments`), enough for the real ccxt
client to load OKX's markets. It follows OKX's rule that `instType` is one of SPOT, MARGIN, SWAP, FUTURES, OPTION
(anything else: code 51000, "Parameter instType error"), and answers with OKX's real BTC-USDT-SWAP instrument:
amounts in contracts of 0.01 BTC (`ctVal`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

INST_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")
BTC_SWAP = {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "uly": "BTC-USDT", "instFamily": "BTC-USDT",
            "baseCcy": "", "quoteCcy": "", "settleCcy": "USDT", "ctVal": "0.01", "ctMult": "1", "ctValCcy": "BTC",
            "ctType": "linear", "optType": "", "stk": "", "listTime": "1611916828000", "expTime": "", "lever": "100",
            "tickSz": "0.1", "lotSz": "0.01", "minSz": "0.01", "alias": "", "state": "live", "maxLmtSz": "100000000",
            "maxMktSz": "12000", "maxLmtAmt": "20000000", "maxMktAmt": "", "maxTwapSz": "", "maxIcebergSz": "",
            "maxTriggerSz": "", "maxStopSz": "", "ruleType": "normal", "category": "1"}


def app() -> web.Application:
    async def instruments(request: web.Request) -> web.Response:
        kind = request.query.get("instType", "")
        if kind not in INST_TYPES:
            return web.json_response({"code": "51000", "msg": "Parameter instType error", "data": []})
        listed: list[dict[str, Any]] = [BTC_SWAP] if kind == "SWAP" else []
        return web.json_response({"code": "0", "msg": "", "data": listed})

    application = web.Application()
    application.router.add_get("/api/v5/public/instruments", instruments)
    return application
