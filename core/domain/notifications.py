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
    CALL_EDITED = "call_edited"
    CALL_DELETED = "call_deleted"
    DAILY_SUMMARY = "daily_summary"
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


class NotificationTopic(StrEnum):
    """What a user switches notifications on and off by: a few topics, each a group of kinds. `SAFETY` (a
    refused order, a position without a working stop, a halted market, a reconciled order) cannot be
    switched off: those need the user's attention while money is at risk."""

    OPENED = "opened"
    TARGETS = "targets"
    STOPS = "stops"
    CLOSED = "closed"
    SKIPPED = "skipped"
    PAUSED = "paused"
    PROVIDER = "provider"
    SUMMARY = "summary"
    SAFETY = "safety"

    @classmethod
    def of(cls, kind: NotificationKind) -> NotificationTopic:
        return _TOPICS[kind]

    @property
    def label(self) -> str:
        return _LABELS[self]


_K, _T = NotificationKind, NotificationTopic
_TOPICS = {
    _K.TRADE_OPENED: _T.OPENED, _K.ENTRY_PLACED: _T.OPENED, _K.FILL_ENTRY: _T.OPENED,
    _K.FILL_TP: _T.TARGETS, _K.PROVIDER_TP_HIT: _T.TARGETS,
    _K.FILL_SL: _T.STOPS, _K.PROVIDER_SL_HIT: _T.STOPS, _K.PROVIDER_MOVE_SL: _T.STOPS,
    _K.FILL_EXIT: _T.CLOSED, _K.PROVIDER_CLOSE: _T.CLOSED,
    _K.TRADE_BLOCKED: _T.SKIPPED, _K.SIGNAL_REJECTED: _T.SKIPPED,
    _K.TRADING_PAUSED: _T.PAUSED,
    _K.PROVIDER_CANCEL: _T.PROVIDER, _K.PROVIDER_OTHER: _T.PROVIDER, _K.CALL_EDITED: _T.PROVIDER,
    _K.CALL_DELETED: _T.PROVIDER, _K.DAILY_SUMMARY: _T.SUMMARY,
    _K.ORDER_REJECTED: _T.SAFETY, _K.ORDER_RECONCILED: _T.SAFETY, _K.POSITION_UNPROTECTED: _T.SAFETY,
    _K.FILL_STRAY: _T.SAFETY, _K.MARKET_HALTED: _T.SAFETY, _K.MARKET_RESUMED: _T.SAFETY,
}
_LABELS = {
    NotificationTopic.OPENED: "trades opened and entries placed",
    NotificationTopic.TARGETS: "take-profit targets hit",
    NotificationTopic.STOPS: "stop-loss hit or moved",
    NotificationTopic.CLOSED: "positions closed",
    NotificationTopic.SKIPPED: "calls skipped or rejected, with the reason",
    NotificationTopic.PAUSED: "trading paused (daily loss limit)",
    NotificationTopic.PROVIDER: "provider updates (cancelled calls, edits, other news)",
    NotificationTopic.SUMMARY: "the daily summary (set its time with /notifications summary)",
    NotificationTopic.SAFETY: "order refused, position without a working stop, market halted (always on)",
}
