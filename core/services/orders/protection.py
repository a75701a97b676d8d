"""Keeping each position's protection right: `sync` compares the stop and targets a position should have
(core.execution.legs, rounded with the venue's rules) with the live ones and cancels/replaces the difference.
A filled target shrinks the stop; a filled stop leaves nothing to protect, so the targets are cancelled
(one-cancels-the-other, emulated); a moved stop is a new generation (sl.2). `take_targets` takes targets the
provider reports reached at market."""

from __future__ import annotations

import logging
from collections import Counter

from core.clock import epoch_ms
from core.domain import LIVE, ON_VENUE, MarketRules, OrderStatus
from core.execution.gateway import ExecutionGateway
from core.execution.leg_names import LegName
from core.execution.legs import PlannedLeg, protective_legs
from core.services.orders.desk import Leg, OrderDesk
from core.services.orders.fold import EPS, book, profile_of
from core.services.orders.positions import PositionKeeper
from core.services.orders.sending import OrderSender, live_legs
from models import ExchangeAccount, OrderIntent, Position
from models.orders import ENDED
from models.query import one_of, where
from models.refs import ref

logger = logging.getLogger(__name__)
SYNC_PASSES = 3  # a sync that lost its replacement to another process's reads again (bounded: the next sync goes on)
RETRY_FIRST_MS, RETRY_MAX_MS = 60_000, 3_600_000  # a refused order planned again waits 1, 2, 4 ... 60 minutes


def protective_leg(position: Position, leg: PlannedLeg, name: str, gateway: ExecutionGateway) -> Leg:
    """The order for a planned stop or target, emulated when the venue does not hold that order type."""
    return Leg(signal_id=position.signal_id, user_id=position.user_id, leg=name, symbol=position.symbol,
               side=leg.side, amount=leg.amount, price=None, stop_price=leg.stop_price,
               cause=f"protect {leg.amount:g} @ {leg.stop_price:g}", reduce_only=True, order_type=leg.order_type,
               role=leg.role, position_id=ref(position), emulated=not gateway.supports(leg.order_type))


async def protective_orders(position: Position) -> list[OrderIntent]:
    """Every stop and target the position has had, live or ended, in stored order."""
    return await OrderIntent.find(where({"position_id": ref(position), "role": one_of(["sl", "tp"])})
                                  ).sort("_id").to_list()


def same_leg(intent: OrderIntent, leg: PlannedLeg, rules: MarketRules) -> bool:
    return abs(intent.amount - leg.amount) <= rules.amount_step * 1.01 and intent.stop_price == leg.stop_price


def retry_waits(tried: list[OrderIntent], leg: PlannedLeg, rules: MarketRules, now_ms: int) -> bool:
    """Whether this very order (`tried`: the leg's generations in stored order) was refused lately: after n
    refusals of it in a row the next try waits 2^(n-1) minutes (at most an hour) after the last one, so an order the
    venue keeps refusing is not sent again under a new id every minute."""
    streak = 0
    for intent in reversed(tried):
        if intent.status is not OrderStatus.REJECTED or not same_leg(intent, leg, rules):
            break
        streak += 1
    if streak == 0:
        return False
    wait_ms: int = min(RETRY_FIRST_MS * 2 ** (streak - 1), RETRY_MAX_MS)
    return now_ms - tried[-1].updated_at_ms < wait_ms


class Protection:
    def __init__(self, desk: OrderDesk, sender: OrderSender, keeper: PositionKeeper) -> None:
        self.desk = desk
        self.sender = sender
        self.keeper = keeper

    async def sync(self, position: Position) -> None:
        """Make the live protective legs match what the position needs now. A leg that changes gets a new
        generation placed first and the old one cancelled after it is live (a refused replacement leaves the old
        one working): a position is never without its stop in between, and two reduce-only stops for a moment
        can only close what is open.

        Another process can claim the same replacement first at another price (the lock is this process's): the
        stored one is sent, and the position is synced again so the stop working is the position's stop."""
        for _ in range(SYNC_PASSES):
            if await self._sync_once(position):
                return
        logger.warning("position %s: protection still changing after %d syncs; the next sync goes on",
                       ref(position), SYNC_PASSES)

    async def _sync_once(self, position: Position) -> bool:
        """One pass of `sync`: False when a replacement someone else stored differs from what this pass planned."""
        # guards claiming a position's protective orders (not the position: the keeper writes that)
        async with self.desk.position_lock(ref(position)):
            fresh = await Position.get(ref(position))
            if fresh is None:
                return True
            position = fresh
            closing = position.status in ENDED
            rules = await self.keeper.rules(position)
            wanted = [] if closing else protective_legs(book(position), profile_of(position), rules)
            # one reading names both what is live and the next generation: another process that read the same
            # names the same replacement (one client id), one that read later finds it live
            live: dict[str, list[OrderIntent]] = {}
            tried: dict[str, list[OrderIntent]] = {}
            for intent in await protective_orders(position):  # in stored order: the newest generation last
                base = LegName.parse(intent.leg).base
                tried.setdefault(base, []).append(intent)
                if intent.status in LIVE:
                    live.setdefault(base, []).append(intent)
            generations = Counter({base: len(intents) for base, intents in tried.items()})
            now_ms = epoch_ms(self.desk.clock())
            to_send: list[tuple[PlannedLeg, list[OrderIntent]]] = []
            stale: list[OrderIntent] = []
            for leg in wanted:
                current = live.pop(leg.name, [])
                keep = next((i for i in reversed(current) if same_leg(i, leg, rules)), None)
                if keep is None and retry_waits(tried.get(leg.name, []), leg, rules, now_ms):
                    logger.info("%s of position %s was refused lately; tried again later", leg.name, ref(position))
                elif keep is None:
                    to_send.append((leg, current))
                else:
                    stale += [i for i in current if i is not keep]  # a replacement whose old one outlived it
            for leftover in live.values():
                stale += leftover
            for intent in stale:
                await self.sender.cancel(intent, "no longer needed: position " + ("closed" if closing else "changed"))
            if closing:
                for entry in await live_legs(position, "entry"):
                    await self.sender.cancel(entry, f"position {position.status}")
            account = await ExchangeAccount.get(position.account_id)
            if account is None:
                return True
            gateway = await self.desk.gateways.for_account(ref(account))
            # claimed under the lock, so an overlapping sync finds the replacement live and leaves it be
            claimed = [(await self._claim(position, leg, generations[leg.name], account, gateway), leg, old)
                       for leg, old in to_send]
        for intent, leg, old in claimed:  # sent outside it: a fill on sending syncs this position again
            if intent.status is OrderStatus.PENDING and old and gateway.holds_coins():
                await self._replace(intent, leg, old, position)
            elif intent.status is OrderStatus.PENDING:
                await self.sender.send(intent, position)
            await self._retire(intent, leg, old)
        return all(same_leg(intent, leg, rules) for intent, leg, _ in claimed)

    async def _replace(self, replacement: OrderIntent, leg: PlannedLeg, old: list[OrderIntent],
                       position: Position) -> None:
        """Spot: the old order holds the coins its replacement sells, so it cannot stay until the new one works.
        The venue cancels it and places the replacement in one request (Binance's cancel-replace), so the coins
        pass from the old stop to the new one inside the exchange; any further old one is cancelled first."""
        for intent in old[:-1]:
            await self.sender.cancel(intent, f"replaced: {leg.name} now {leg.amount:g} @ {leg.stop_price:g} "
                                             "(cancelled first: it holds the coins)")
        await self.sender.send(replacement, position, replacing=old[-1])

    async def _retire(self, replacement: OrderIntent, leg: PlannedLeg, old: list[OrderIntent]) -> None:
        """Cancel what `replacement` replaces, once the replacement is working (resting on the venue, or armed)."""
        if not old:
            return
        now = await OrderIntent.get(replacement.id) if replacement.id else None
        working = now is not None and (now.status in ON_VENUE | {OrderStatus.FILLED}
                                       or (now.emulated and now.status is OrderStatus.PENDING))
        if not working:
            logger.warning("%s replacement %s is not working (%s): the old one stays", leg.name,
                           replacement.client_order_id, now.status.value if now else "gone")
            return
        for intent in old:
            current = await OrderIntent.get(intent.id) if intent.id else None
            if current is not None and current.status in LIVE:
                await self.sender.cancel(current, f"replaced: {leg.name} now {leg.amount:g} @ {leg.stop_price:g}")

    async def _claim(self, position: Position, leg: PlannedLeg, generation: int, account: ExchangeAccount,
                     gateway: ExecutionGateway) -> OrderIntent:
        """Store the leg's next generation (sl, sl.2, ...; `generation` of it are stored) as an intent, or find
        it stored already."""
        name = leg.name if generation == 0 else f"{leg.name}.{generation + 1}"
        return await self.desk.claim(protective_leg(position, leg, name, gateway), account)

    async def at_market(self, intent: OrderIntent, position: Position, account: ExchangeAccount, cause: str) -> None:
        """Cancel an exit resting on the venue and send what it had left at market, under its leg's name (`tp2.m`,
        `sl.m`: the fold counts it as that leg)."""
        await self.sender.cancel(intent, cause, position)
        fresh = await OrderIntent.get(intent.id) if intent.id else None
        rest = fresh.amount - fresh.filled if fresh is not None else 0.0
        if fresh is None or fresh.status is OrderStatus.FILLED or rest <= EPS:
            return
        leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg=LegName.parse(intent.leg).at_market(),
                  symbol=position.symbol, side=intent.side, amount=rest, price=None, stop_price=intent.stop_price,
                  cause=cause, reduce_only=True, role=intent.role, position_id=ref(position))
        claimed = await self.desk.claim(leg, account)
        if claimed.status is OrderStatus.PENDING:
            await self.sender.send(claimed, position)

    async def take_targets(self, position: Position, upto: int, cause: str) -> str:
        """Targets 1..upto were reached by the provider's account: take those of ours still open at market
        (an armed one is fired; one resting on the venue is cancelled and its rest sent as a market order
        under the same target name, so the fold counts it as that target). Returns what was done."""
        if position.status != "open":
            return f"no open position to take profit on (it is {position.status})"
        taken: list[str] = []
        account = await ExchangeAccount.get(position.account_id)
        for intent in sorted(await live_legs(position, "tp"), key=lambda i: i.leg):
            name = LegName.parse(intent.leg)
            if name.number > upto:
                continue
            if intent.emulated and intent.status is OrderStatus.PENDING:
                await self.sender.fire(intent, cause)
            elif account is not None:
                await self.at_market(intent, position, account, cause)
            taken.append(f"target {name.number}")
        if not taken:
            return f"targets up to {upto} had already filled; nothing to do"
        fresh_position = await Position.get(ref(position)) or position
        left = "position closed" if fresh_position.status == "closed" else f"{fresh_position.amount:g} left open"
        return f"took {', '.join(taken)} at market; {left}"
