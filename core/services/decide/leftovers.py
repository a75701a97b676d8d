"""Orders left working from positions that have ended (their cancel failed when the position closed; the
monitor keeps cancelling them). A venue nets one account's positions per symbol, so such a reduce-only order
would take profit or stop out a new position on that symbol at levels that are not its own: no new position
is opened on that account and symbol until the leftovers are gone."""

from __future__ import annotations

from beanie import PydanticObjectId

from models import OrderIntent, Position
from models.orders import ENDED
from models.query import one_of


async def leftover_orders(symbol: str) -> dict[str, list[str]]:
    """Per account id: the legs (sl, tp1, ...) still working for its ended positions on `symbol`."""
    protective = await OrderIntent.live(symbol=symbol, role=one_of(["sl", "tp"]))
    ids = sorted({i.position_id for i in protective if i.position_id})
    if not ids:
        return {}
    ended = {str(p.id) for p in await Position.find({"_id": {"$in": [PydanticObjectId(i) for i in ids]},
                                                     "status": {"$in": list(ENDED)}}).to_list()}
    found: dict[str, list[str]] = {}
    for intent in protective:
        if intent.position_id in ended:
            found.setdefault(intent.account_id, []).append(intent.leg)
    return found
