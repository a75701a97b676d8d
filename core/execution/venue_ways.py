"""What each venue does its own way where ccxt does not make venues alike: which order types it holds itself,
where its conditional orders live, whether its answers carry the order's state, how its position mode is read
and whether its margin mode is set per symbol. Data, read by the ccxt gateway; a venue not listed holds market
and limit orders only and the engine emulates its stops and targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.domain import OrderSide

PLAIN = frozenset({"market", "limit"})
STOPS = frozenset({"stop_market", "take_profit"})
CONDITIONAL = {"stop_market": "stopLossPrice", "take_profit": "takeProfitPrice"}  # the ccxt param of each


@dataclass(frozen=True)
class VenueWays:
    held: frozenset[str] = PLAIN  # order types resting on the venue; the others are emulated by the engine
    # conditional orders are looked up, cancelled and listed apart from the plain ones (ccxt's trigger=True), and
    # once triggered they place a market order under ids of its own (Binance's algo orders)
    conditional_apart: bool = False
    # the answer to a create or a cancel carries the order's state; else it names the order only and the state
    # is read after it (Bybit v5)
    full_answers: bool = True
    # an order is found by its client id in the open orders, then in the closed ones (Bybit: one lookup by id
    # reaches only the last 500 orders)
    lookup_by_lists: bool = False
    position_mode: Literal["fetch", "positions"] = "fetch"  # ccxt's fetchPositionMode, or read from positions
    # margin mode set per symbol; False where it belongs to the whole account (Bybit's unified account: changing
    # it for one call would change it for every position), so the account's own setting applies
    margin_per_symbol: bool = True
    # in hedge mode an order names its side of the book: Binance's positionSide, or ccxt's `hedged` (Bybit's
    # positionIdx, which ccxt derives from the side and reduce-only)
    hedge_by: Literal["positionSide", "hedged"] = "positionSide"
    id_param: str = "clientOrderId"  # names an order by our id in look-ups and cancels (ccxt's, or the venue's)
    # the venue holds a stop only as a stop-limit (Binance spot's STOP_LOSS_LIMIT): once triggered it sells (buys)
    # down (up) to this fraction past the trigger, which a fast market can outrun (the monitor then exits at market)
    stop_limit_gap: float | None = None
    # spot: a resting sell holds its coins, so an exit must first cancel the stop that holds them, and a moved
    # stop can only be placed once the old one is cancelled
    holds_coins: bool = False
    # an order is replaced in one request (cancel, then place, inside the exchange: Binance spot's cancel-replace)
    cancel_replace: bool = False


WAYS: dict[tuple[str, bool], VenueWays] = {  # by (ccxt exchange id, futures)
    ("binance", True): VenueWays(held=PLAIN | STOPS, conditional_apart=True),
    ("bybit", True): VenueWays(held=PLAIN | STOPS, full_answers=False, lookup_by_lists=True,
                               position_mode="positions", margin_per_symbol=False, id_param="orderLinkId",
                               hedge_by="hedged"),
    ("binance", False): VenueWays(held=PLAIN | {"stop_market"}, stop_limit_gap=0.02, holds_coins=True,
                                  cancel_replace=True),
    ("bybit", False): VenueWays(full_answers=False, lookup_by_lists=True, id_param="orderLinkId"),
}
OTHERS = VenueWays()


# the ccxt market type of a venue's USDT-margined perpetuals: (defaultType, the fetchMarkets type to load)
PERPETUALS: dict[str, tuple[str, str]] = {"okx": ("swap", "swap")}  # OKX names instrument types SWAP, FUTURES...
LINEAR = ("future", "linear")  # Binance USDT-M, Bybit linear


def stop_limit(side: OrderSide, trigger: float, gap: float) -> float:
    """The limit of a stop held as a stop-limit: `gap` (a fraction) past its trigger, away from the market (a sell
    stop sells down to it)."""
    return trigger * (1 - gap if side is OrderSide.SELL else 1 + gap)


def perpetual_types(exchange_id: str) -> tuple[str, str]:
    return PERPETUALS.get(exchange_id, LINEAR)


def ways_of(exchange_id: str, futures: bool) -> VenueWays:
    return WAYS.get((exchange_id, futures), OTHERS)
