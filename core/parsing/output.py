"""A parse result as a flat JSON-ready record with the keys of the labelled corpus (plus reason)."""

from __future__ import annotations

from typing import Any

from core.domain import NewSignal, Noise, ParseResult, RejectedSignal, SignalUpdate


def _number(value: float | str | None) -> float | int | str | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_record(message_id: Any, result: ParseResult) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": message_id, "kind": "noise", "symbol": None, "side": None, "entries": [], "entry_type": None,
        "take_profits": [], "stop_loss": None, "leverage": None, "update_action": None, "reason": None,
    }
    if isinstance(result, Noise):
        record["reason"] = result.reason
        return record
    if isinstance(result, SignalUpdate):
        record.update(kind="update", symbol=result.symbol, update_action=result.action.value,
                      target=result.target, new_stop=result.new_stop, percentage=result.percentage,
                      reply_to=result.reply_to)
        return record
    signal: NewSignal = result.draft if isinstance(result, RejectedSignal) else result
    record.update(
        kind="signal", symbol=signal.symbol or None, side=signal.side.value,
        entries=[_number(e) for e in signal.entries],
        entry_type=signal.entry_type.value, take_profits=[_number(t) for t in signal.take_profits],
        stop_loss=_number(signal.stop_loss), leverage=_number(signal.leverage), extras=dict(signal.extras),
        valid=not isinstance(result, RejectedSignal),
        reason=f"not tradeable: {result.reason}" if isinstance(result, RejectedSignal) else None,
    )
    return record
