"""Every sentence a user is told, in one place: wording changes here, and a translation replaces this module's
functions. Each takes plain values and returns the text of one notification."""

from __future__ import annotations

from core.domain import NewSignal

_LEG_NAMES = {"entry": "entry order", "sl": "stop-loss", "tp": "take-profit", "exit": "closing order"}


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def trade_opened(parsed: NewSignal, amount: float, entry_price: float, mode: str, leverage: float, margin: float,
                 stop: float | None) -> str:
    stop_text = f", stop {stop:g}" if stop else ", no stop-loss given"
    return (f"Opened {parsed.side.value.upper()} {amount:g} {parsed.symbol} @ {entry_price:g} "
            f"({mode}, {leverage:g}x, margin {margin:,.2f}{stop_text}).")


def entries_placed(parsed: NewSignal, resting: list[tuple[float, float]], mode: str, expiry_h: float) -> str:
    orders = ", ".join(f"{amount:g} @ {price:g}" for amount, price in resting)
    return (f"Placed {parsed.side.value.upper()} {parsed.symbol} entries: {orders} ({mode}); they expire in "
            f"{expiry_h:g} h.")


def not_traded(parsed: NewSignal, reason: str) -> str:
    return f"Did not trade {parsed.side.value.upper()} {parsed.symbol}: {_first_upper(reason)}."


def trading_paused(until: str, reason: str) -> str:
    return f"Trading paused {until}: {reason}."


def order_refused(symbol: str, role: str, leg: str, reason: str, working_stop: float | None = None) -> str:
    """`working_stop`: the trigger of an earlier stop that stays in place (a refused replacement)."""
    text = f"Your {symbol} {_LEG_NAMES.get(role, 'order')} ({leg}) was refused: {reason}."
    if role != "sl":
        return text
    if working_stop is not None:
        return text + f" Your earlier stop at {working_stop:g} stays in place; it will be tried again."
    return text + " Your position has no stop on the exchange: watch it."


def order_filled(role: str, number: int, side: str, amount: float, symbol: str, price: float, mode: str,
                 closed_pnl: float | None) -> str:
    verb = {"entry": "Bought" if side == "buy" else "Sold", "sl": "Stop-loss filled:",
            "tp": f"Target {number} filled:", "exit": "Closed:"}.get(role, "Filled")
    text = f"{verb} {amount:g} {symbol} @ {price:g} ({mode})."
    return text + (f" Position closed, P&L {closed_pnl:+,.2f}." if closed_pnl is not None else "")


def provider_update(symbol: str, action: str, done: str) -> str:
    return f"Provider update on your {symbol} position ({action}): {done}."


def order_vanished(symbol: str, leg: str) -> str:
    return (f"Your {symbol} order {leg} is no longer on the exchange (cancelled there?). Signalcord marked it "
            "cancelled.")


def stray_adopted(side: str, amount: float, symbol: str, price: float | None, account: str) -> str:
    at = f" @ {price:g}" if price else ""
    return (f"Found an open {side} order for {amount:g} {symbol}{at} on your {account} account that Signalcord "
            "placed but has no record of. It is tracked now; cancel it on the exchange if you do not want it.")


def position_unprotected(symbol: str, stop: float) -> str:
    return (f"Your {symbol} position has no stop-loss on the exchange and Signalcord could not place one "
            f"(stop {stop:g}). Watch it or close it.")


def market_alert(text: str, halted: bool) -> str:
    return text + (" Stops and targets Signalcord watches wait until prices agree again." if halted else "")


def call_edited(symbol: str, changes: list[str]) -> str:
    what = "; ".join(changes) if changes else "the wording changed, not the levels"
    return (f"The provider edited the {symbol} call ({what}). Your position was opened on the original levels; "
            "nothing was changed for you. Use /stop or /close if you want to follow the edit.")


def call_deleted(symbol: str) -> str:
    return (f"The provider deleted the {symbol} call. Your position stays open with its stop and targets; use "
            "/close if you want out.")


def daily_summary(day: str, realized: float, closed: int, open_positions: int, paused: str | None) -> str:
    text = (f"Your day ({day}): realised P&L {realized:+,.2f} from {closed} closed trade(s); "
            f"{open_positions} position(s) open.")
    return text + (f" Trading is paused: {paused}." if paused else "")
