"""Position arithmetic over fills, without I/O: what a venue report adds (`fill_of`), how a fill moves a
position (`fold`: entries grow it at the new average, exits shrink it and realise P&L net of fees), and the
ledger rows that exits realise (`fold_all`). The keeper (positions.py) stores what these compute."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.clock import epoch_ms
from core.domain import MarketRules, OrderStatus, RiskProfile, Side
from core.execution.gateway import OrderResult
from core.execution.leg_names import LegName
from core.execution.legs import Book, tightened_stop
from core.market.rules import amount_to_step
from models import Fill, OrderIntent, Position, RealizedPnl
from models.refs import ref

EPS = 1e-12


def book(position: Position) -> Book:
    return Book(position.side, position.amount, position.entered, position.entry_price, position.stop_loss,
                tuple(position.take_profits), position.targets_hit)


def profile_of(position: Position) -> RiskProfile:
    return RiskProfile.model_validate(position.profile) if position.profile else RiskProfile()


def describe(result: OrderResult) -> str:
    """A venue report in the words of an order's history."""
    if result.filled > EPS and result.average_price is not None:
        return f"{result.status.value}: {result.filled:g} @ {result.average_price:g}"
    return f"{result.status.value} on the venue"


def fill_of(intent: OrderIntent, result: OrderResult, booked: Sequence[Fill] = ()) -> Fill | None:
    """The part a venue report adds to the order's fills booked so far (`booked`), or None when it adds nothing:
    the report's cumulative amount, cost and fee less what is booked. The part is named by where it starts (the
    venue's order id and the amount booked before it), so two bookings of one order from the same point — two
    reports read by two runners — are the same trade id and count once, however far each report had got."""
    base = sum(f.amount for f in booked)
    delta = result.filled - base
    if delta <= EPS * max(1.0, result.filled):
        return None
    cost = result.filled * (result.average_price or 0.0) - sum(f.amount * f.price for f in booked)
    return Fill(client_order_id=intent.client_order_id, user_id=intent.user_id, account_id=intent.account_id,
                symbol=intent.symbol, side=intent.side, amount=delta, price=cost / delta,
                fee=max(0.0, result.fee - sum(f.fee for f in booked)), fee_currency=result.fee_currency,
                trade_id=f"{result.exchange_order_id}:from:{base:.12g}", filled_at=result.at)


def fee_in_quote(symbol: str, fill: Fill) -> tuple[float, float]:
    """The fill's fee in the quote currency, and the part of it paid in the coin traded (spot takes a buy's
    commission from the coin bought: 0.01 BTC bought leaves 0.00999)."""
    if fill.fee_currency and fill.fee_currency == symbol.split("/")[0]:
        return fill.fee * fill.price, fill.fee
    return fill.fee, 0.0


def fold(position: Position, intent: OrderIntent, fill: Fill, rules: MarketRules,
         filled_through: float | None = None) -> float | None:
    """Move the position by the fill; returns what an exit realised (None for an entry). `rules` are the
    venue's for the symbol (a break-even stop after a target is rounded to its tick). `filled_through` is what
    the order's recorded fills add up to with this one (default: the order's filled amount as read): a target
    is hit once that covers it, even if the order itself is not marked filled yet (another process recorded
    the fill and has not moved the order)."""
    delta = fill.amount
    position.applied.append(fill.trade_id)
    fee, coin_fee = fee_in_quote(position.symbol, fill)
    position.fees += fee
    if intent.role == "entry":
        # spot takes a buy's commission from the coins bought: what is held is the rest, to the lot step (the dust
        # below it cannot be sold and stays in the wallet)
        delta = amount_to_step(delta - coin_fee, rules) if coin_fee else delta
        total = position.amount + delta
        if total <= EPS:
            return None
        position.entry_price = (position.amount * position.entry_price + delta * fill.price) / total
        if position.status == "pending":
            position.opened_at, position.opened_at_ms = fill.filled_at, epoch_ms(fill.filled_at)
            position.best_price = fill.price
        position.amount, position.entered, position.status = total, position.entered + delta, "open"
        position.entry_fees += fee
        position.open_entry_fees += fee
        position.margin = total * position.entry_price / (position.leverage or 1)
        return None
    sign = 1 if position.side is Side.LONG else -1
    closed = min(delta, position.amount)
    # the closed part's share of the entry fees still open (right when entries fill after a partial exit)
    entry_fee_share = position.open_entry_fees * closed / position.amount if position.amount > EPS else 0.0
    position.open_entry_fees -= entry_fee_share
    pnl = sign * (fill.price - position.entry_price) * closed - fee - entry_fee_share
    position.realized_pnl += pnl
    position.amount = max(0.0, position.amount - closed)
    through = intent.filled if filled_through is None else filled_through
    done = intent.status is OrderStatus.FILLED or max(through, intent.filled) >= intent.amount - EPS * max(
        1.0, intent.amount)
    if intent.role == "tp" and done:  # a target is hit once its order filled in full, not at its first part
        position.targets_hit = max(position.targets_hit, LegName.parse(intent.leg).number)
        moved = tightened_stop(book(position), position.best_price or fill.price, profile_of(position), rules)
        position.stop_loss = moved if moved is not None else position.stop_loss  # break-even after target n
    if position.amount < rules.amount_step / 2:  # less than any order can trade: a float remainder, not a position
        reason = {"sl": "stop-loss hit", "tp": "last target hit"}.get(intent.role, intent.history[0].cause)
        position.amount, position.status, position.exit_price = 0.0, "closed", fill.price
        position.close_reason, position.closed_at_ms = reason, epoch_ms(fill.filled_at)
    return pnl


def fold_all(folds: Iterable[tuple[Position, OrderIntent, Fill, MarketRules, float | None]]) -> list[RealizedPnl]:
    """Fold each fill into its position, in order (each with its order's `filled_through`, see `fold`); returns the
    ledger rows of what the exits realised."""
    return [RealizedPnl(trade_id=fill.trade_id, position_id=ref(position), user_id=position.user_id,
                        account_id=position.account_id, exchange=position.exchange, symbol=position.symbol,
                        pnl=pnl, at_ms=epoch_ms(fill.filled_at))
            for position, intent, fill, rules, through in folds
            if (pnl := fold(position, intent, fill, rules, through)) is not None]


def filled_through(fills: Iterable[Fill]) -> dict[str, float]:
    """For each fill (by trade id), what its order's fills add up to with it: `fills` in the order they traded."""
    total: dict[str, float] = {}
    through: dict[str, float] = {}
    for fill in fills:
        total[fill.client_order_id] = total.get(fill.client_order_id, 0.0) + fill.amount
        through[fill.trade_id] = total[fill.client_order_id]
    return through
