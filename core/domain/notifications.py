"""The kinds of notification a user can get: one enum, so preferences, the dashboard and the delivery job all
name the same things (stored as the value)."""

from __future__ import annotations

from enum import StrEnum


class NotificationKind(StrEnum):
    TRADE_OPENED = "trade_opened"
    ENTRY_PLACED = "entry_placed"
    TRADE_BLOCKED = "trade_blocked"
    SIGNAL_REJECTED = "signal_rejected"
    TRADING_PAUSED = "trading_paused"
    ORDER_REJECTED = "order_rejected"
    ORDER_RECONCILED = "order_reconciled"
    POSITION_UNPROTECTED = "position_unprotected"
    FILL_ENTRY = "fill_entry"
    FILL_SL = "fill_sl"
    FILL_TP = "fill_tp"
    FILL_EXIT = "fill_exit"
    FILL_STRAY = "fill_stray"
    PROVIDER_CLOSE = "provider_close"
    PROVIDER_TP_HIT = "provider_tp_hit"
    PROVIDER_SL_HIT = "provider_sl_hit"
    PROVIDER_MOVE_SL = "provider_move_sl"
    PROVIDER_CANCEL = "provider_cancel"
    PROVIDER_OTHER = "provider_other"
    MARKET_HALTED = "market_halted"
    MARKET_RESUMED = "market_resumed"

    @classmethod
    def fill(cls, role: str) -> NotificationKind:
        """A fill of an order leg: entry, sl, tp, exit (or an adopted stray)."""
        return cls(f"fill_{role}")

    @classmethod
    def provider(cls, action: str) -> NotificationKind:
        """A provider's update applied to the user's position (its UpdateAction value)."""
        return cls(f"provider_{action}")
