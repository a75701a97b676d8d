"""Providers' track records for the risk rules that read them (closed trades, wins, the summed winning and losing
returns), read in one aggregation for every provider a decision needs."""

from __future__ import annotations

from typing import Any

from core.risk.inputs import ProviderRecord
from models import Position


def _record_pipeline(provider_ids: list[str]) -> list[dict[str, Any]]:
    """Per provider: closed trades, wins, and the sums of winning and losing returns (% of the notional that
    entered; `amount` for a position that never recorded what entered)."""
    entered = {"$cond": [{"$gt": ["$entered", 0]}, "$entered", "$amount"]}
    won = {"$gt": ["$pct", 0]}
    return [
        {"$match": {"provider_id": {"$in": provider_ids}, "status": "closed"}},
        {"$project": {"provider_id": 1, "realized_pnl": 1, "notional": {"$multiply": ["$entry_price", entered]}}},
        {"$match": {"notional": {"$gt": 0}}},
        {"$project": {"provider_id": 1, "pct": {"$multiply": [{"$divide": ["$realized_pnl", "$notional"]}, 100]}}},
        {"$group": {"_id": "$provider_id", "trades": {"$sum": 1}, "wins": {"$sum": {"$cond": [won, 1, 0]}},
                    "won": {"$sum": {"$cond": [won, "$pct", 0]}}, "lost": {"$sum": {"$cond": [won, 0, "$pct"]}}}},
    ]


async def provider_records(provider_ids: set[str]) -> dict[str, ProviderRecord]:
    """Closed-trade records of these providers, from the positions that followed their calls (summed by the
    database: one row per provider comes back)."""
    rows = {row["_id"]: row for row in await Position.aggregate(_record_pipeline(sorted(provider_ids))).to_list()}
    records = {}
    for pid in provider_ids:
        row = rows.get(pid, {"trades": 0, "wins": 0, "won": 0.0, "lost": 0.0})
        wins, losses = row["wins"], row["trades"] - row["wins"]
        records[pid] = ProviderRecord(closed_trades=row["trades"], wins=wins,
                                      avg_win_pct=row["won"] / wins if wins else 0.0,
                                      avg_loss_pct=-row["lost"] / losses if losses else 0.0)
    return records
