"""Deciding one user's trade on one call: conflicts first (core.resolve), then the risk engine (core.risk).

The database reads happen here; the decisions themselves are pure. `SignalScope` holds what is the same
for every subscriber of a call (price, recent calls on the symbol, provider records), read once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from beanie import PydanticObjectId

from core.clock import Clock, epoch_ms
from core.domain import ConflictPolicy, DecisionOutcome, MarketRules, NewSignal, RiskProfile, TradeMode
from core.market.prices import PriceSource, PriceUnavailable
from core.market.rules import paper_rules
from core.resolve.conflicts import Call, Holding, Resolution, resolve
from core.risk.calculator import FREE_MARKET, CalcResult, calculate
from core.risk.checks import confidence_of, loss_limit
from core.risk.engine import evaluate
from core.risk.inputs import Exposure, ProviderRecord, RiskDecision, TradeRequest
from core.risk.profiles import effective_profile
from core.services.decide.day_loss import RealizedToday, day_loss, realized_today
from core.services.decide.provider_records import provider_records
from models import Decision, ExchangeAccount, Message, OrderIntent, Position, Provider, Signal, Subscription, User
from models.query import one_of, where
from models.refs import ref
from models.signals import CheckRecord, ConflictRecord, DecisionDetails, PlanRecord

logger = logging.getLogger(__name__)
RECENT_LIMIT = timedelta(days=1)  # the longest conflict window a profile may set
T = TypeVar("T")


class Venue(Protocol):
    """Where a testnet or live account's free balances and a symbol's market rules are read."""

    async def balance_of(self, account: ExchangeAccount) -> dict[str, float]: ...

    async def rules_of(self, account: ExchangeAccount, symbol: str) -> MarketRules: ...



@dataclass
class SignalScope:
    signal: Signal
    parsed: NewSignal
    posted_at: datetime  # when the provider posted it (Discord's time): the age rule reads this
    price: float | None
    price_problem: str | None
    recent: list[Signal]
    names: dict[str, str]
    records: dict[str, ProviderRecord] | None = None  # read only when a decision needs them (_load_records)
    marks: dict[str, float] = field(default_factory=dict)  # prices read for this signal, shared by its users


@dataclass(frozen=True)
class Seat:
    """One subscriber of a call: the subscription, its user and default account (None when missing)."""

    sub: Subscription
    user: User | None
    account: ExchangeAccount | None


def exposure(position: Position) -> Exposure:
    amount = position.amount if position.status == "open" else position.planned_amount
    if position.stop_loss is not None:
        risk = amount * abs(position.entry_price - position.stop_loss)
    else:
        risk = position.margin
    return Exposure(position.symbol, position.side, position.exchange, risk)


class Decider:
    def __init__(self, prices: PriceSource, clock: Clock, venue: Venue | None = None) -> None:
        self.prices = prices
        self.clock = clock
        self.venue = venue  # where a testnet or live account's balances and market rules are read

    async def balances(self, account: ExchangeAccount) -> dict[str, float]:
        """What sizing reads: a paper account's stored balances; a testnet or live account's free balances on
        its exchange, read now (it raises when the exchange does not answer)."""
        if account.mode is TradeMode.PAPER or self.venue is None:
            return dict(account.paper_balances)
        return await self.venue.balance_of(account)

    async def rules(self, account: ExchangeAccount, symbol: str) -> MarketRules:
        """The precision and minimums `symbol` is sized with on this account's venue (paper: the paper table)."""
        if account.mode is TradeMode.PAPER or self.venue is None:
            return paper_rules(symbol)
        return await self.venue.rules_of(account, symbol)

    async def _ask_all(self, accounts: list[ExchangeAccount], ask: Callable[[ExchangeAccount], Awaitable[T]],
                       what: str) -> dict[str, T | str]:
        """Each account's answer to `ask` (concurrently), or why its venue could not give it."""
        answers = await asyncio.gather(*(ask(a) for a in accounts), return_exceptions=True)
        found: dict[str, T | str] = {}
        for account, answer in zip(accounts, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer  # a cancellation or a kill: not the venue's answer
                logger.warning("%s of account %s: %s", what, ref(account), answer)
                found[ref(account)] = f"your {account.exchange} {what} could not be read, so nothing is sized: {answer}"
            else:
                found[ref(account)] = answer
        return found

    async def scope(self, stored: Awaitable[Signal], parsed: NewSignal, message: Message, provider: Provider
                    ) -> SignalScope:
        """What every subscriber's decision on this call shares: the price, the symbol's recent calls and the
        names of their providers (`provider` posted it in `message`). `stored` stores the call itself; it runs
        together with the reads, which do not need it (the poster's own calls are not among them)."""
        # Other providers' calls. The poster's own earlier calls matter only to users holding a position from
        # one (a duplicate, or the call a held position follows): `_held_calls` reads those.
        recent_calls = Signal.find(where({"kind": "signal", "symbol": parsed.symbol,
                                          "provider_id": {"$ne": ref(provider)},
                                          "created_at": {"$gte": message.received_at - RECENT_LIMIT}})).to_list()
        (price, problem), recent, signal = await asyncio.gather(self._price(parsed.symbol), recent_calls, stored)
        names = {ref(provider): provider.name}
        others = [PydanticObjectId(p) for p in sorted({s.provider_id for s in recent} - set(names))]
        if others:
            names |= {ref(p): p.name async for p in Provider.find({"_id": {"$in": others}})}
        return SignalScope(signal, parsed, message.posted_at, price, problem, recent, names)

    async def _price(self, symbol: str) -> tuple[float | None, str | None]:
        try:
            return (await self.prices.quote(symbol, self.clock())).price, None
        except PriceUnavailable as exc:
            return None, f"no market price: {exc}"

    @staticmethod
    async def _load_records(scope: SignalScope, profiles: list[RiskProfile], held: list[Position]) -> None:
        """Read the providers' records when a decision can use them: kelly sizing, or a conflict (an earlier call
        or a held position on the symbol) for a user whose policy compares providers' performance."""
        if scope.records is not None:
            return
        compares = any(p.conflicts.same_side == "best-performer" or p.conflicts.opposite == "follow-best-performer"
                       for p in profiles)
        conflicts = compares and (any(ref(s) != ref(scope.signal) for s in scope.recent)
                                  or any(p.symbol == scope.parsed.symbol for p in held))
        if conflicts or any(p.sizing_mode == "kelly" for p in profiles):
            scope.records = await provider_records({s.provider_id for s in scope.recent} | {scope.signal.provider_id})
        else:
            scope.records = {}

    async def seats(self, subs: list[Subscription]) -> list[Seat]:
        """The subscribers of a call with their users and default accounts (two reads for all of them)."""
        ids = sorted({s.user_id for s in subs})
        if not ids:
            return []
        found_users, found_accounts = await asyncio.gather(
            User.find({"_id": {"$in": [PydanticObjectId(i) for i in ids]}}).to_list(),
            ExchangeAccount.find(where({"user_id": one_of(ids), "is_default": True})).to_list())
        users = {ref(u): u for u in found_users}
        accounts = {a.user_id: a for a in found_accounts}
        return [Seat(sub, users.get(sub.user_id), accounts.get(sub.user_id)) for sub in subs]

    def _decision(self, scope: SignalScope, user_id: str, outcome: DecisionOutcome, rule: str, reason: str,
                  details: DecisionDetails | None = None) -> Decision:
        return Decision(signal_id=ref(scope.signal), user_id=user_id, provider_id=scope.signal.provider_id,
                        outcome=outcome, rule=rule, reason=reason, details=details or DecisionDetails(),
                        created_at=self.clock())

    def blocked(self, scope: SignalScope, user_id: str, rule: str, reason: str,
                details: DecisionDetails | None = None) -> Decision:
        """A decision not to trade, by `rule`, with the reason the user is told."""
        return self._decision(scope, user_id, DecisionOutcome.BLOCK, rule, reason, details)

    async def decide_many(self, scope: SignalScope, seats: list[Seat]) -> list[Decision]:
        """Each subscriber's decision on the call (not stored yet). What they hold, follow and lost today is read
        once for all."""
        now = self.clock()
        early: dict[int, Decision] = {}
        for n, seat in enumerate(seats):
            paused = self.paused_reason(seat.user) if seat.user else None
            if paused:
                early[n] = self.blocked(scope, seat.sub.user_id, "paused", paused)
            elif seat.account is None:
                early[n] = self.blocked(scope, seat.sub.user_id, "account", "you have no exchange account set up")
            elif scope.price is None:
                early[n] = self.blocked(scope, seat.sub.user_id, "price", scope.price_problem or "no market price")
        accounts = list({ref(s.account): s.account for n, s in enumerate(seats)
                         if n not in early and s.account is not None}.values())
        symbol = scope.parsed.symbol
        balances, rules = await asyncio.gather(self._ask_all(accounts, self.balances, "balance"),
                                               self._ask_all(accounts, lambda a: self.rules(a, symbol), "market rules"))
        for n, seat in enumerate(seats):
            if n in early or seat.account is None:
                continue
            problem = next((p for p in (balances[ref(seat.account)], rules[ref(seat.account)]) if isinstance(p, str)),
                           None)
            if problem is not None:
                early[n] = self.blocked(scope, seat.sub.user_id, "account", problem)
        leftover: dict[str, list[str]] = {}  # per account: the legs left working from its ended positions
        for intent in await OrderIntent.leftovers(symbol):
            leftover.setdefault(intent.account_id, []).append(intent.leg)
        for n, seat in enumerate(seats):
            legs = leftover.get(ref(seat.account)) if n not in early and seat.account is not None else None
            if legs:
                early[n] = self.blocked(scope, seat.sub.user_id, "leftover_order",
                                        f"an order left from your previous {symbol} position ({', '.join(legs)}) "
                                        f"could not be cancelled yet, and it would act on a new {symbol} position: "
                                        "Signalcord keeps cancelling it and opens nothing on this symbol until then")
        users = [s.user for n, s in enumerate(seats) if n not in early and s.user is not None]
        ids = sorted({ref(u) for u in users})
        held: dict[str, list[Position]] = {}
        open_positions, realized = await asyncio.gather(self._open_positions(ids), realized_today(users, now))
        for position in open_positions:
            held.setdefault(position.user_id, []).append(position)
        _, followed = await asyncio.gather(self._held_calls(scope, open_positions), self._followed(scope, ids))
        if scope.price is not None:
            scope.marks.setdefault(scope.parsed.symbol, scope.price)
        await self._mark(scope.marks, [p for positions in held.values() for p in positions])
        profiles = {n: effective_profile(s.user.settings.risk, s.sub.overrides) for n, s in enumerate(seats)
                    if n not in early and s.user is not None}
        await self._load_records(scope, list(profiles.values()), [p for ps in held.values() for p in ps])
        decisions = []
        for n, seat in enumerate(seats):
            if n in early or seat.user is None or seat.account is None:
                decisions.append(early.get(n) or self.blocked(scope, seat.sub.user_id, "user",
                                                              "subscriber no longer exists"))
                continue
            user, funds, market = seat.user, balances[ref(seat.account)], rules[ref(seat.account)]
            assert isinstance(funds, dict) and isinstance(market, MarketRules)  # noqa: S101 - else decided early
            decisions.append(self._decide(scope, user, seat.account, funds, market, seat.sub, profiles[n],
                                          held.get(ref(user), []), followed.get(ref(user), set()),
                                          realized.get(ref(user), []), now))
        return decisions

    def _decide(self, scope: SignalScope, user: User, account: ExchangeAccount, funds: dict[str, float],
                 market: MarketRules, sub: Subscription, profile: RiskProfile, positions: list[Position],
                 followed: set[str], realized: list[RealizedToday], now: datetime) -> Decision:
        assert scope.price is not None and scope.records is not None  # noqa: S101 - set by decide_many
        resolution = self._resolve(scope, positions, followed | {sub.provider_id}, profile.conflicts)
        conflict = ConflictRecord(action=resolution.action, rule=resolution.rule, reason=resolution.reason)
        if not resolution.opens:
            closing = resolution.position_id if resolution.action == "close" else None
            return self.blocked(scope, ref(user), resolution.rule, resolution.reason,
                                DecisionDetails(conflict=conflict, close_position=closing))
        kept = [p for p in positions if ref(p) != resolution.position_id]
        loss, by_exchange = day_loss(user, kept, realized, scope.marks, now)
        request = TradeRequest(
            signal=scope.parsed, profile=profile, price=scope.price,
            equity=funds.get(scope.parsed.symbol.split("/")[-1], 0.0),
            rules=market, now=now, posted_at=scope.posted_at,
            exchange=account.exchange, spot=account.market == "spot",
            open_positions=tuple(exposure(p) for p in kept), day_loss=loss,
            day_loss_by_exchange=by_exchange, provider=scope.records.get(scope.signal.provider_id, ProviderRecord()))
        decision = evaluate(request)
        details = self._details(decision, conflict)
        if decision.blocked:
            return self.blocked(scope, ref(user), decision.rule, decision.reason, details)
        reason = decision.reason if resolution.action == "open" else f"{resolution.reason}; {decision.reason}"
        details.close_position = resolution.position_id
        return self._decision(scope, ref(user), DecisionOutcome.TRADE, decision.rule, reason, details)

    @staticmethod
    async def _open_positions(user_ids: list[str]) -> list[Position]:
        """Their pending and open positions (resting entries count as exposure too)."""
        return await Position.active(user_id=one_of(user_ids)) if user_ids else []

    @staticmethod
    async def _held_calls(scope: SignalScope, positions: list[Position]) -> None:
        """Add to the scope's recent calls the poster's own earlier calls on the symbol that users hold
        positions from (`scope` read only the other providers' calls). Parts of a fan-out share the scope, so
        a call another part added meanwhile is not added twice."""
        known = {ref(s) for s in scope.recent} | {ref(scope.signal)}
        wanted = {p.signal_id for p in positions if p.provider_id == scope.signal.provider_id
                  and p.symbol == scope.parsed.symbol} - known
        if wanted:
            found = await Signal.find({"_id": {"$in": [PydanticObjectId(i) for i in sorted(wanted)]}}).to_list()
            known = {ref(s) for s in scope.recent}
            scope.recent += [s for s in found if ref(s) not in known]

    @staticmethod
    async def _followed(scope: SignalScope, user_ids: list[str]) -> dict[str, set[str]]:
        """Which of the providers of the symbol's recent calls each user follows (the call's own provider is
        followed by every subscriber, so only the others are read)."""
        others = sorted({s.provider_id for s in scope.recent} - {scope.signal.provider_id})
        followed: dict[str, set[str]] = {}
        if others and user_ids:
            async for sub in Subscription.find({"user_id": {"$in": user_ids}, "provider_id": {"$in": others},
                                                "enabled": True}):
                followed.setdefault(sub.user_id, set()).add(sub.provider_id)
        return followed

    async def _mark(self, marks: dict[str, float], positions: list[Position]) -> None:
        """Add the price of every symbol these positions hold to `marks` (a stop is assumed hit if unknown)."""
        for position in positions:
            if position.symbol not in marks:
                try:
                    marks[position.symbol] = (await self.prices.quote(position.symbol, self.clock())).price
                except PriceUnavailable:
                    continue

    async def calculate_for(self, user: User, account: ExchangeAccount, *, entry: float, stop: float,
                            targets: tuple[float, ...] = (), leverage: float = 1.0,
                            symbol: str | None = None, balance: float | None = None) -> CalcResult:
        """The calculator on the user's own balance (or `balance`, to try another), profile, open positions and
        today's losses."""
        positions, loss = await self.held_and_lost(user)
        if balance is None:
            balances = await self.balances(account)
            quote = symbol.split("/")[-1] if symbol else max(balances, key=lambda q: balances[q], default="")
            balance = balances.get(quote, 0.0)
        return calculate(balance=balance, entry=entry, stop=stop, targets=targets, leverage=leverage,
                         profile=user.settings.risk, rules=await self.rules(account, symbol) if symbol else FREE_MARKET,
                         open_positions=tuple(exposure(p) for p in positions), day_loss=loss)

    async def daily_limit_reason(self, user: User, account: ExchangeAccount, profile: dict[str, Any],
                                 quote: str) -> str | None:
        """Why today's losses now stop trading (the daily limit is reached), or None. `quote`: the currency the
        closed position was margined in (its equity is the % limit's base)."""
        rules = RiskProfile.model_validate(profile) if profile else user.settings.risk
        _, loss = await self.held_and_lost(user)
        try:
            equity: float | None = (await self.balances(account)).get(quote, 0.0) + loss
        except Exception as exc:  # the next call's decision blocks on an unreadable balance anyway
            logger.warning("daily limit of %s: the %% limit is skipped, balance unreadable: %s", ref(user), exc)
            equity = None
        limit = loss_limit(rules, equity)
        if limit is not None and loss >= limit:
            return f"today's loss {loss:,.2f} reached your daily limit {limit:,.2f}"
        return None

    def paused_reason(self, user: User) -> str | None:
        if not user.trading_paused:
            return None
        if user.paused_until_ms is not None and epoch_ms(self.clock()) >= user.paused_until_ms:
            return None  # the pause has run out
        why = user.paused_reason or "you paused it"
        return f"your trading is paused ({why})"

    def _resolve(self, scope: SignalScope, positions: list[Position], followed: set[str],
                 policy: ConflictPolicy) -> Resolution:
        symbol = scope.parsed.symbol
        traded = {p.signal_id for p in positions}
        calls = [self._call(s, scope, ref(s) in traded) for s in scope.recent
                 if s.provider_id in followed and s.side is not None and s.status != "rejected"]
        held = [Holding(ref(p), p.signal_id, p.provider_id, scope.names.get(p.provider_id, "a provider"), p.side,
                        p.opened_at) for p in positions if p.symbol == symbol]
        new = self._call(scope.signal, scope, False)
        return resolve(new, calls, held, policy, scope.records or {})

    @staticmethod
    def _call(signal: Signal, scope: SignalScope, traded: bool) -> Call:
        assert signal.side is not None and signal.symbol is not None  # noqa: S101 - kind "signal" has both
        entries = tuple(float(e) for e in signal.entries)
        return Call(ref(signal), signal.provider_id, scope.names.get(signal.provider_id, "a provider"), signal.symbol,
                    signal.side, entries, signal.created_at, confidence_of(signal.extras), traded)

    async def held_and_lost(self, user: User) -> tuple[list[Position], float]:
        """One user's open positions and today's loss (read together, as `decide_many` does for many)."""
        now = self.clock()
        positions, realized = await asyncio.gather(self._open_positions([ref(user)]), realized_today([user], now))
        marks: dict[str, float] = {}
        await self._mark(marks, positions)
        loss, _ = day_loss(user, positions, realized.get(ref(user), []), marks, now)
        return positions, loss

    @staticmethod
    def _details(decision: RiskDecision, conflict: ConflictRecord) -> DecisionDetails:
        details = DecisionDetails(checks=[CheckRecord(rule=c.rule, verdict=c.verdict, reason=c.reason)
                                          for c in decision.checks], conflict=conflict)
        plan = decision.plan
        if plan is not None:
            details.plan = PlanRecord(entry=plan.entry, stop=plan.stop, targets=list(plan.targets),
                                      leverage=plan.leverage, scale=plan.scale)
        if decision.sizing is not None:
            sized = decision.sizing
            details.amount, details.notional, details.margin = sized.quantity, sized.notional, sized.margin
            details.risk_amount, details.tp_amounts = sized.risk_amount, list(decision.tp_amounts)
            details.price, details.leverage = (plan.entry, plan.leverage) if plan else (None, 1.0)
        return details
