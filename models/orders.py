"""Order intents (one per signal x user x leg, stored before the exchange call), fills, positions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document, Indexed, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from core.domain import LIVE, OrderSide, OrderStatus, Side, TradeMode
from models.query import find_in, one_of
from models.refs import Ref
from models.users import utcnow

NO_SIGNAL = "0" * 24  # the signal reference of an adopted stray order (one we placed but have no record of)


class Transition(BaseModel):
    status: OrderStatus
    at_ms: int
    cause: str


LIVE_VALUES = sorted(s.value for s in LIVE)  # order statuses still working, as stored
ACTIVE = ("pending", "open")  # position statuses that hold (or wait for) coins: exposure, monitoring, closing
ENDED = ("closed", "cancelled")  # position statuses that are over: history


class OrderIntent(Document):
    client_order_id: Indexed(str, unique=True)  # type: ignore[valid-type]
    signal_id: Ref
    user_id: Ref
    account_id: Ref
    leg: str  # entry | entry1.. | sl | tp1.. | exit...; replacements add a generation: sl.2
    role: str = "entry"  # entry | sl | tp | exit
    position_id: Ref | None = None
    mode: TradeMode
    symbol: str
    side: OrderSide
    order_type: str  # market | limit | stop_market ...
    amount: float
    price: float | None = None
    stop_price: float | None = None
    reduce_only: bool = False
    leverage: float | None = None
    margin_mode: str | None = None
    emulated: bool = False  # a trigger the venue does not hold: armed here, fired as a market order
    expires_at_ms: int | None = None
    replaces: str | None = None  # a re-priced entry: the client id of the order it replaces (sent once that ended)
    status: OrderStatus = OrderStatus.PENDING
    exchange_order_id: str | None = None
    filled: float = 0.0
    average_price: float | None = None
    fee: float = 0.0
    error: str | None = None
    history: list[Transition] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at_ms: int = 0

    @property
    def sent_as(self) -> str:
        """The order type the venue holds it under: an emulated trigger (armed here, or a stop the venue refused as
        already passed) is sent as a market order, so it is looked up and cancelled among the plain orders."""
        return "market" if self.emulated else self.order_type

    @classmethod
    async def live(cls, **match: Any) -> list[OrderIntent]:
        """Live intents (resting here or on the venue) matching `match`, in stored order: the one query for them."""
        return await find_in(cls, match, "status", LIVE_VALUES)

    @classmethod
    async def leftovers(cls, symbol: str) -> list[OrderIntent]:
        """Stops and targets on `symbol` still working for a position that has ended (their cancel failed when it
        closed): the one query for them (the monitor cancels them; no new position opens over them)."""
        protective = await cls.live(symbol=symbol, role=one_of(["sl", "tp"]))
        ids = sorted({i.position_id for i in protective if i.position_id})
        if not ids:
            return []
        ended = {str(p.id) for p in await Position.find({"_id": {"$in": [PydanticObjectId(i) for i in ids]},
                                                         "status": {"$in": list(ENDED)}}).to_list()}
        return [i for i in protective if i.position_id in ended]

    class Settings:
        name = "order_intents"
        indexes = [
            IndexModel([("status", ASCENDING), ("updated_at_ms", ASCENDING)]),
            IndexModel([("user_id", ASCENDING), ("signal_id", ASCENDING)]),
            IndexModel([("position_id", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("symbol", ASCENDING), ("status", ASCENDING)]),
        ]


class Fill(Document):
    client_order_id: str
    user_id: Ref
    account_id: Ref
    symbol: str
    side: OrderSide
    amount: float
    price: float
    fee: float
    fee_currency: str
    trade_id: str
    filled_at: datetime

    class Settings:
        name = "fills"
        indexes = [
            IndexModel([("trade_id", ASCENDING)], unique=True),
            IndexModel([("client_order_id", ASCENDING)]),
        ]


class Position(Document):
    user_id: Ref
    account_id: Ref
    signal_id: Ref
    provider_id: Ref
    mode: TradeMode
    exchange: str = "binance"
    symbol: str
    side: Side
    amount: float = 0.0  # open now
    entry_price: float = 0.0  # average of the entry fills
    planned_amount: float = 0.0  # what the entries ask for
    entered: float = 0.0  # filled by the entries so far
    leverage: float
    margin: float = 0.0
    stop_loss: float | None = None  # the current stop (trailing and break-even moves included)
    take_profits: list[float] = Field(default_factory=list)
    targets_hit: int = 0
    best_price: float | None = None  # the best price since entry (trailing stops)
    profile: dict[str, Any] = Field(default_factory=dict)  # the effective risk profile it was opened with
    status: str = "pending"  # pending (entries resting) | open | closed | cancelled
    applied: list[str] = Field(default_factory=list)  # trade ids of the fills folded in (see PositionKeeper.catch_up)
    realized_pnl: float = 0.0  # net of the exit fees and of the entry fees' share of what was closed
    fees: float = 0.0
    entry_fees: float = 0.0  # every entry fill's fee
    open_entry_fees: float = 0.0  # the entry fees of the part still open (each exit books its share of them)
    exit_price: float | None = None
    close_reason: str | None = None
    opened_at: datetime = Field(default_factory=utcnow)
    opened_at_ms: int = 0  # epoch ms: range-queried (daily loss) and, for closed_at_ms, set in place
    closed_at_ms: int | None = None
    close_handled: bool = False  # the monitor ran the after-close checks (daily loss) for it

    @classmethod
    async def active(cls, **match: Any) -> list[Position]:
        """Pending and open positions matching `match` (field=value or an operator), in stored order: the one
        query for them (exposure, monitoring, closing, a user's open positions)."""
        return await find_in(cls, match, "status", ACTIVE)

    class Settings:
        name = "positions"
        indexes = [
            IndexModel([("user_id", ASCENDING), ("signal_id", ASCENDING)], unique=True),
            # a user's positions by status, newest first (open ones; the history page)
            IndexModel([("user_id", ASCENDING), ("status", ASCENDING), ("opened_at_ms", DESCENDING)]),
            IndexModel([("provider_id", ASCENDING), ("status", ASCENDING)]),
            # the monitor, alerts and reconciliation read open positions, and the monitor the closed ones it
            # has not handled, by status (and symbol) on every tick; without this they scanned every position
            IndexModel([("status", ASCENDING), ("close_handled", ASCENDING), ("symbol", ASCENDING)]),
            IndexModel([("signal_id", ASCENDING), ("status", ASCENDING)]),  # a provider's update to its call
        ]


class RealizedPnl(Document):
    """What one exit fill realised (net of its fee and of the closed part's entry fees): the daily-loss ledger.
    Stored before the position that folds the fill in, so a crash in between folds it again and the ledger
    keeps the first row (unique trade id)."""

    trade_id: str
    position_id: Ref
    user_id: Ref
    account_id: Ref
    exchange: str
    symbol: str
    pnl: float
    at_ms: int  # when the fill happened (epoch ms): a day's losses are a range of it

    class Settings:
        name = "realized_pnl"
        indexes = [
            IndexModel([("trade_id", ASCENDING)], unique=True),
            IndexModel([("user_id", ASCENDING), ("at_ms", ASCENDING)]),
        ]
