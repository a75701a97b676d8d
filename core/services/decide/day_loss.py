"""Today's loss of each user, from the start of the day in their own timezone: what exit fills realised today
(the `RealizedPnl` ledger: a position opened on an earlier day counts only what it realised today), plus the
open part of positions opened today marked to market."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clock import day_start, epoch_ms
from core.domain import Side
from models import Position, RealizedPnl, User
from models.query import one_of
from models.refs import ref


@dataclass(frozen=True)
class RealizedToday:
    """What one account's exit fills realised today (summed by the database, one row per account)."""

    user_id: str
    exchange: str
    realized_pnl: float


async def realized_today(users: list[User], now: datetime) -> dict[str, list[RealizedToday]]:
    """What each user's exit fills realised since the start of their own day, per account: one aggregate per
    distinct day start (users in one timezone share it)."""
    by_start: dict[int, list[str]] = {}
    for user in users:
        by_start.setdefault(epoch_ms(day_start(now, user.settings.timezone)), []).append(ref(user))
    realized: dict[str, list[RealizedToday]] = {}
    for start, ids in sorted(by_start.items()):
        rows = await RealizedPnl.aggregate([
            {"$match": {"user_id": one_of(sorted(ids)), "at_ms": {"$gte": start}}},
            {"$group": {"_id": "$account_id", "pnl": {"$sum": "$pnl"},
                        "user_id": {"$max": "$user_id"}, "exchange": {"$max": "$exchange"}}},
        ]).to_list()
        for row in rows:
            realized.setdefault(row["user_id"], []).append(
                RealizedToday(row["user_id"], row["exchange"], float(row["pnl"] or 0.0)))
    return realized


def _pnl(position: Position, mark: float) -> float:
    sign = 1 if position.side is Side.LONG else -1
    return sign * (mark - position.entry_price) * position.amount


def day_loss(user: User, open_positions: list[Position], realized: list[RealizedToday], marks: dict[str, float],
             now: datetime) -> tuple[float, dict[str, float]]:
    """Today's loss in all and per exchange (losses only: a net gain counts as 0). A position whose symbol has
    no mark is assumed stopped out."""
    start_ms = epoch_ms(day_start(now, user.settings.timezone))
    net: dict[str, float] = {}
    for row in realized:
        net[row.exchange] = net.get(row.exchange, 0.0) + row.realized_pnl
    for position in open_positions:
        if position.opened_at_ms >= start_ms:
            mark = marks.get(position.symbol)
            if mark is None:
                mark = position.stop_loss or position.entry_price  # unknown: assume the stop was hit
            # what its exits realised (net of their fees and of the closed part's entry fees) is in `realized`
            result = _pnl(position, mark) - position.open_entry_fees
            net[position.exchange] = net.get(position.exchange, 0.0) + result
    by_exchange = {name: max(0.0, -value) for name, value in net.items()}
    return max(0.0, -sum(net.values())), by_exchange
