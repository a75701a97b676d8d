"""Opening one subscriber's trade for a new signal: decide, record the order intent, execute, record."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from core.clock import Clock, epoch_ms
from core.domain import Block, DecisionOutcome, NewSignal, OrderStatus, RejectedSignal, SizedOrder
from core.execution.gateway import (
    ExecutionGateway,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderRequest,
    OrderResult,
)
from core.execution.ids import client_order_id
from core.market.prices import PriceSource, PriceUnavailable
from core.market.rules import paper_rules
from core.risk.sizing import entry_problem, size_fixed_percentage
from core.services.accounts import AccountService
from core.services.notify import Notifier
from models import Decision, ExchangeAccount, Fill, OrderIntent, Position, Signal, Subscription, User
from models.orders import Transition
from models.refs import ref

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TradeOutcome:
    user_id: str
    outcome: DecisionOutcome
    rule: str
    reason: str


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


class Trader:
    def __init__(self, *, gateway: ExecutionGateway, prices: PriceSource, notifier: Notifier,
                 accounts: AccountService, clock: Clock) -> None:
        self.gateway = gateway
        self.prices = prices
        self.notifier = notifier
        self.accounts = accounts
        self.clock = clock

    async def open_for(self, signal: Signal, parsed: NewSignal, sub: Subscription) -> TradeOutcome:
        user = await User.get(sub.user_id)
        if user is None:
            return TradeOutcome(str(sub.user_id), DecisionOutcome.BLOCK, "user", "subscriber no longer exists")
        existing = await Decision.find_one(Decision.signal_id == ref(signal), Decision.user_id == ref(user))
        if existing is not None and existing.outcome is DecisionOutcome.BLOCK:
            return TradeOutcome((ref(user)), existing.outcome, existing.rule, existing.reason)
        account = await self.accounts.default_account(sub.user_id)
        if existing is None:
            verdict = await self._decide(user, account, parsed)
            existing = await self._record_decision(signal, user, verdict)
            if isinstance(verdict, Block) or existing.outcome is DecisionOutcome.BLOCK:
                await self.notifier.notify(user, "trade_blocked", self._blocked_text(parsed, existing.reason),
                                           signal_id=ref(signal), payload={"rule": existing.rule})
                return TradeOutcome((ref(user)), existing.outcome, existing.rule, existing.reason)
        assert account is not None  # noqa: S101 - a TRADE decision needs an account
        return await self._execute(signal, parsed, user, account, existing)

    async def reject_for(self, signal: Signal, rejected: RejectedSignal, sub: Subscription) -> TradeOutcome:
        """A call that is not tradeable as written: recorded for the subscriber and told, never traded."""
        user = await User.get(sub.user_id)
        if user is None:
            return TradeOutcome(sub.user_id, DecisionOutcome.BLOCK, "user", "subscriber no longer exists")
        decision = await self._record_decision(signal, user, Block("signal_invalid", rejected.reason))
        await self.notifier.notify(user, "signal_rejected", self._blocked_text(rejected.draft, rejected.reason),
                                   signal_id=ref(signal))
        return TradeOutcome(ref(user), decision.outcome, decision.rule, decision.reason)

    async def _decide(self, user: User, account: ExchangeAccount | None, parsed: NewSignal) -> SizedOrder | Block:
        if user.trading_paused:
            return Block("paused", "your trading is paused")
        if account is None:
            return Block("account", "you have no exchange account set up")
        profile = user.settings.risk
        try:
            quote = await self.prices.quote(parsed.symbol, self.clock())
        except PriceUnavailable as exc:
            return Block("price", f"no market price: {exc}")
        problem = entry_problem(parsed, quote.price, profile.max_entry_deviation_pct)
        if problem:
            return Block("entry_zone", problem)
        quote_ccy = parsed.symbol.split("/")[-1]
        equity = account.paper_balances.get(quote_ccy, 0.0)
        return size_fixed_percentage(equity=equity, price=quote.price, signal=parsed, profile=profile,
                                     rules=paper_rules(parsed.symbol))

    async def _record_decision(self, signal: Signal, user: User, verdict: SizedOrder | Block) -> Decision:
        if isinstance(verdict, Block):
            outcome, rule, reason, details = DecisionOutcome.BLOCK, verdict.rule, verdict.reason, {}
        else:
            outcome, rule, reason = DecisionOutcome.TRADE, verdict.rule, verdict.reason
            details = {"amount": verdict.amount, "price": verdict.price, "notional": verdict.notional,
                       "margin": verdict.margin, "leverage": verdict.leverage}
        decision = Decision(signal_id=ref(signal), user_id=ref(user), provider_id=signal.provider_id,
                            outcome=outcome, rule=rule, reason=reason, details=details, created_at=self.clock())
        try:
            return await decision.insert()
        except DuplicateKeyError:  # a concurrent run decided first: follow its decision
            found = await Decision.find_one(Decision.signal_id == ref(signal), Decision.user_id == ref(user))
            assert found is not None  # noqa: S101
            return found

    async def _execute(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                       decision: Decision) -> TradeOutcome:
        intent = await self._claim_intent(signal, parsed, user, account, decision)
        try:
            result = await self._place(intent)
        except OrderRejected as exc:
            await self._transition(intent, OrderStatus.REJECTED, f"rejected: {exc}", error=str(exc))
            text = self._blocked_text(parsed, f"the order was refused: {exc}")
            await self.notifier.notify(user, "trade_failed", text, signal_id=ref(signal))
            return TradeOutcome((ref(user)), DecisionOutcome.BLOCK, "exchange", f"order refused: {exc}")
        except OrderOutcomeUnknown as exc:
            await self._transition(intent, OrderStatus.UNKNOWN, f"outcome unknown: {exc}", error=str(exc))
            return TradeOutcome((ref(user)), DecisionOutcome.TRADE, "exchange", f"order outcome unknown: {exc}")
        await self._record_fill(intent, result)
        position = await self._open_position(signal, parsed, user, account, intent, result, decision)
        await self.notifier.notify(user, "trade_opened", self._opened_text(parsed, position, account.mode),
                                   signal_id=ref(signal), payload={"position_id": ref(position)})
        return TradeOutcome((ref(user)), DecisionOutcome.TRADE, decision.rule, decision.reason)

    async def _claim_intent(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                            decision: Decision) -> OrderIntent:
        cid = client_order_id((ref(signal)), (ref(user)), "entry")
        now_ms = epoch_ms(self.clock())
        intent = OrderIntent(
            client_order_id=cid, signal_id=ref(signal), user_id=ref(user), account_id=ref(account), leg="entry",
            mode=account.mode, symbol=parsed.symbol, side=parsed.side.entry_order_side, order_type="market",
            amount=float(decision.details["amount"]), price=float(decision.details["price"]),
            history=[Transition(status=OrderStatus.PENDING, at_ms=now_ms, cause="sized from signal")],
            created_at=self.clock(), updated_at_ms=now_ms,
        )
        try:
            return await intent.insert()
        except DuplicateKeyError:
            found = await OrderIntent.find_one(OrderIntent.client_order_id == cid)
            assert found is not None  # noqa: S101
            return found

    async def _place(self, intent: OrderIntent) -> OrderResult:
        """Send the order once. An intent seen before is first looked up by its client id (never re-sent blind)."""
        if intent.status is OrderStatus.REJECTED:
            raise OrderRejected(intent.error or "rejected earlier")
        if len(intent.history) > 1 or intent.status is not OrderStatus.PENDING:
            found = await self.gateway.fetch_order(intent.client_order_id, intent.symbol)
            if found is not None:
                return found
        request = OrderRequest(client_order_id=intent.client_order_id, account_id=str(intent.account_id),
                               symbol=intent.symbol, side=intent.side, order_type=intent.order_type,
                               amount=intent.amount, price=intent.price, reduce_only=intent.reduce_only)
        await self._transition(intent, OrderStatus.SUBMITTED, "sent to " + self.gateway.mode)
        return await self.gateway.create_order(request)

    async def _transition(self, intent: OrderIntent, status: OrderStatus, cause: str, **fields: object) -> None:
        now_ms = epoch_ms(self.clock())
        step = Transition(status=status, at_ms=now_ms, cause=cause)
        intent.status, intent.updated_at_ms = status, now_ms
        intent.history.append(step)
        # the whole list is $set: nx-27017 turns sub-documents into strings under $push (see README)
        await OrderIntent.find_one(OrderIntent.id == intent.id).update(
            {"$set": {"status": status.value, "updated_at_ms": now_ms, **fields,
                      "history": [h.model_dump(mode="json") for h in intent.history]}}
        )

    async def _record_fill(self, intent: OrderIntent, result: OrderResult) -> None:
        if intent.status is not OrderStatus.FILLED:
            await self._transition(intent, result.status, f"filled {result.filled:g} @ {result.average_price:g}",
                                   exchange_order_id=result.exchange_order_id, filled=result.filled,
                                   average_price=result.average_price)
        fill = Fill(client_order_id=intent.client_order_id, user_id=intent.user_id, account_id=intent.account_id,
                    symbol=intent.symbol, side=intent.side, amount=result.filled,
                    price=result.average_price or 0.0, fee=result.fee, fee_currency=result.fee_currency,
                    trade_id=result.exchange_order_id + ":1", filled_at=result.at)
        try:
            await fill.insert()
        except DuplicateKeyError:
            pass  # recorded by an earlier run

    async def _open_position(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                             intent: OrderIntent, result: OrderResult, decision: Decision) -> Position:
        price = result.average_price or 0.0
        leverage = float(decision.details["leverage"])
        position = Position(
            user_id=ref(user), account_id=ref(account), signal_id=ref(signal), provider_id=signal.provider_id,
            mode=account.mode, symbol=parsed.symbol, side=parsed.side, amount=result.filled, entry_price=price,
            leverage=leverage, margin=result.filled * price / leverage, fees=result.fee,
            stop_loss=parsed.stop_loss if isinstance(parsed.stop_loss, float) else None,
            take_profits=[tp for tp in parsed.take_profits if isinstance(tp, float)], opened_at=result.at,
        )
        try:
            return await position.insert()
        except DuplicateKeyError:
            found = await Position.find_one(Position.user_id == ref(user), Position.signal_id == ref(signal))
            assert found is not None  # noqa: S101
            return found

    @staticmethod
    def _opened_text(parsed: NewSignal, position: Position, mode: str) -> str:
        stop = f", stop {position.stop_loss:g}" if position.stop_loss else ", no stop-loss given"
        return (f"Opened {parsed.side.value.upper()} {position.amount:g} {parsed.symbol} @ {position.entry_price:g} "
                f"({mode}, {position.leverage:g}x, margin {position.margin:,.2f}{stop}).")

    @staticmethod
    def _blocked_text(parsed: NewSignal, reason: str) -> str:
        return f"Did not trade {parsed.side.value.upper()} {parsed.symbol}: {_upper(reason)}."


