"""A member's trading: positions and their close, exchange accounts (never a key), the calculator on their own
balance, the decision on a call ("why"), and their notifications."""

from __future__ import annotations

from typing import Any, Final

from core.api.common import Members, owned
from core.api.errors import Invalid, NotFound
from core.api.servers import check_trading
from core.api.views import (
    AccountView,
    Caller,
    OrderView,
    PositionView,
)
from core.crypto import SecretBox
from core.domain import LIVE, TradeMode
from core.risk.calculator import CalcError, CalcResult
from core.services.decide.deciding import Decider
from core.services.orders.routing import GatewayRouter
from core.services.trade.closing import PositionCloser
from models import ExchangeAccount, OrderIntent, Position
from models.orders import ACTIVE, ENDED
from models.query import where
from models.refs import ref


def position_view(p: Position, stops: list[OrderIntent] | None = None) -> PositionView:
    """`stops`: the position's live stop orders, when its protection is to be shown."""
    return PositionView(id=str(p.id), symbol=p.symbol, side=p.side.value, status=p.status, mode=p.mode.value,
                        amount=p.amount, entry_price=p.entry_price, leverage=p.leverage, stop_loss=p.stop_loss,
                        take_profits=list(p.take_profits), targets_hit=p.targets_hit, realized_pnl=p.realized_pnl,
                        close_reason=p.close_reason, protection=protection(p, stops) if stops is not None else "")


def protection(p: Position, stops: list[OrderIntent]) -> str:
    """Who holds an open position's stop: the exchange; Signalcord (it fires the stop, so only while it runs);
    or nobody (no stop was given, or it is not working)."""
    if p.status != "open":
        return ""
    if any(not s.emulated for s in stops):
        return PROTECTED_ON_EXCHANGE
    return PROTECTED_WHILE_RUNNING if stops else UNPROTECTED


def order_view(i: OrderIntent) -> OrderView:
    return OrderView(id=str(i.id), position_id=i.position_id, symbol=i.symbol, leg=i.leg, role=i.role,
                     side=i.side.value, order_type=i.order_type, amount=i.amount, filled=i.filled, price=i.price,
                     stop_price=i.stop_price, status=i.status.value, on_exchange=not i.emulated)


def account_view(a: ExchangeAccount) -> AccountView:
    return AccountView(id=str(a.id), label=a.label, exchange=a.exchange, mode=a.mode.value, is_default=a.is_default,
                       has_keys=a.api_key is not None, live_opt_in=a.live_opt_in)


PROTECTED_ON_EXCHANGE = "on the exchange"
PROTECTED_WHILE_RUNNING = "while Signalcord runs"
UNPROTECTED = "no working stop"


class Positions:
    def __init__(self, members: Members, closer: PositionCloser) -> None:
        self.members = members
        self.closer = closer

    async def open(self, caller: Caller) -> list[PositionView]:
        user = await self.members.user(caller)
        found = await Position.active(user_id=ref(user))
        stops: dict[str, list[OrderIntent]] = {ref(p): [] for p in found}
        for stop in await OrderIntent.live(user_id=ref(user), role="sl"):
            stops.setdefault(stop.position_id or "", []).append(stop)
        return [position_view(p, stops[ref(p)]) for p in sorted(found, key=lambda p: p.opened_at_ms)]

    async def history(self, caller: Caller, limit: int = 50) -> list[PositionView]:
        user = await self.members.user(caller)
        found = await Position.find(where(Position.user_id == ref(user), {"status": {"$in": list(ENDED)}})
                                    ).sort("-opened_at_ms").limit(max(1, min(limit, 500))).to_list()
        return [position_view(p) for p in found]

    async def orders(self, caller: Caller) -> list[OrderView]:
        """The caller's live orders: entries waiting, stops and targets (on the exchange, or armed here)."""
        user = await self.members.user(caller)
        found = await OrderIntent.live(user_id=ref(user))
        return [order_view(i) for i in sorted(found, key=lambda i: (i.symbol, i.leg))]

    async def cancel_order(self, caller: Caller, order_id: str) -> str:
        """Cancel a waiting entry. Stops and targets follow the position (move the stop, or close it instead)."""
        intent = await owned(OrderIntent, order_id, await self.members.user(caller), "order")
        if intent.status not in LIVE:
            raise Invalid([f"{intent.symbol} {intent.leg} is already {intent.status.value}"])
        if intent.role != "entry":
            raise Invalid([f"{intent.symbol} {intent.leg} protects your position: move the stop or close the "
                           "position instead"])
        position = await Position.get(intent.position_id) if intent.position_id else None
        await self.closer.sender.cancel(intent, f"cancelled by you ({caller.name or caller.discord_id})", position)
        if position is not None:
            await self.closer.keeper.settle_entries(position, "you cancelled its entries")
        return f"cancelled {intent.symbol} {intent.leg}"

    async def move_stop(self, caller: Caller, position_id: str, price: float) -> PositionView:
        """Move a position's stop (a stop past the price exits at market at once). A price more than double or under
        half the entry on the wrong side is refused as a typo."""
        position = await owned(Position, position_id, await self.members.user(caller), "position")
        if position.status not in ACTIVE:
            raise Invalid([f"the {position.symbol} position is {position.status}"])
        if price <= 0:
            raise Invalid([f"price: {price:g} is not above 0"])
        long = position.side.value == "long"
        if position.entry_price and (price >= position.entry_price * 2 if long else price <= position.entry_price / 2):
            raise Invalid([f"a stop at {price:g} is far on the wrong side of the entry {position.entry_price:g}"])
        await self.closer.keeper.move_stop(position, price)
        await self.closer.protection.sync(position)
        fresh = await Position.get(position.id)
        return position_view(fresh or position)

    async def close(self, caller: Caller, position_id: str, fraction: float = 1.0) -> str:
        if not 0 < fraction <= 1:
            raise Invalid([f"fraction: {fraction:g} is not between 0 (excluded) and 1"])
        position = await owned(Position, position_id, await self.members.user(caller), "position")
        return await self.closer.close(str(position.id), f"closed by you ({caller.name or caller.discord_id})",
                                       fraction=fraction, leg="manual")

    async def close_all(self, caller: Caller) -> list[str]:
        """Close every open or pending position of the caller at market; what happened to each, in words. One
        that fails is reported and the others still close."""
        user = await self.members.user(caller)
        cause = f"closed by you ({caller.name or caller.discord_id})"
        done: list[str] = []
        for position in await Position.active(user_id=ref(user)):
            try:
                done.append(await self.closer.close(str(position.id), cause, leg="manual"))
            except Exception as exc:  # one position's venue never stops the others' close
                done.append(f"{position.symbol}: could not close now ({exc})")
        return done


EXCHANGES: Final = ("binance", "bybit", "okx")  # the venues Signalcord connects to


class Accounts:
    def __init__(self, members: Members, decider: Decider, secrets: SecretBox, router: GatewayRouter) -> None:
        self.members = members
        self.decider = decider
        self.secrets = secrets
        self.router = router

    async def add(self, caller: Caller, *, exchange: str, label: str, api_key: str, api_secret: str,
                  passphrase: str | None = None) -> AccountView:
        """Store an exchange account's keys, sealed (never returned, logged or shown again). It trades on paper
        until its keys are checked on the dashboard (trading allowed, no withdrawal permission)."""
        user = await self.members.user(caller)
        problems = [] if exchange in EXCHANGES else [f"exchange: {exchange!r} is not one of {', '.join(EXCHANGES)}"]
        name = label.strip()
        if not name or len(name) > 32 or name == "paper":
            problems.append("label: 1-32 characters, not 'paper'")
        if len(api_key.strip()) < 8 or len(api_secret.strip()) < 8:
            problems.append("api_key / api_secret: paste the whole key and secret the exchange showed")
        if await ExchangeAccount.find_one(where(ExchangeAccount.user_id == ref(user), ExchangeAccount.label == name)):
            problems.append(f"label: you already have an account called {name!r}")
        if problems:
            raise Invalid(problems)
        owner = ref(user)
        account = ExchangeAccount(
            user_id=owner, label=name, exchange=exchange, mode=TradeMode.PAPER, is_default=False,
            api_key=self.secrets.seal(api_key.strip(), owner=owner, field="api_key").__dict__,
            api_secret=self.secrets.seal(api_secret.strip(), owner=owner, field="api_secret").__dict__,
            api_passphrase=(self.secrets.seal(passphrase, owner=owner, field="api_passphrase").__dict__
                            if passphrase else None))
        await account.insert()
        return account_view(account)

    async def remove(self, caller: Caller, account_id: str) -> str:
        """An account with open positions stays (close them first); the paper account always stays."""
        user = await self.members.user(caller)
        account = await owned(ExchangeAccount, account_id, user, "exchange account")
        if account.label == "paper":
            raise Invalid(["the paper account stays: it is where calls trade when no other account is set"])
        held = len(await Position.active(account_id=ref(account)))
        if held:
            raise Invalid([f"{account.label} still has {held} open position(s): close them first"])
        await self.router.forget(ref(account))
        await account.delete()
        if account.is_default:
            paper = await self.members.accounts.ensure_paper_account(ref(user))
            await paper.set({ExchangeAccount.is_default: True})
        return f"removed {account.label}; its keys are deleted"

    async def list(self, caller: Caller) -> list[AccountView]:
        user = await self.members.user(caller)
        return [account_view(a) for a in await ExchangeAccount.find(where(ExchangeAccount.user_id == ref(user))
                                                                     ).to_list()]

    async def set_default(self, caller: Caller, account_id: str) -> AccountView:
        user = await self.members.user(caller)
        account = await owned(ExchangeAccount, account_id, user, "exchange account")
        for other in await ExchangeAccount.find(where(ExchangeAccount.user_id == ref(user))).to_list():
            if other.is_default and other.id != account.id:
                await other.set({ExchangeAccount.is_default: False})
        await account.set({ExchangeAccount.is_default: True})
        return account_view(account)

    async def set_mode(self, caller: Caller, account_id: str, mode: str) -> AccountView:
        """Paper on any account; testnet needs keys; live needs keys and the live opt-in (given on the dashboard
        with a typed confirmation)."""
        account = await owned(ExchangeAccount, account_id, await self.members.user(caller), "exchange account")
        try:
            wanted = TradeMode(mode)
        except ValueError:
            raise Invalid([f"mode: {mode!r} is not one of paper, testnet, live"]) from None
        await check_trading(caller, wanted.value)
        if wanted is not TradeMode.PAPER and account.api_key is None:
            raise Invalid([f"{account.label}: add this account's exchange keys on the dashboard first"])
        if wanted is TradeMode.LIVE and not account.live_opt_in:
            raise Invalid([f"{account.label}: live trading needs the opt-in on the dashboard (a typed confirmation)"])
        await account.set({ExchangeAccount.mode: wanted})
        await self.router.forget(ref(account))  # the next order routes by the new mode
        return account_view(account)

    async def calculate(self, caller: Caller, *, entry: float, stop: float, targets: tuple[float, ...] = (),
                        leverage: float = 1.0, symbol: str | None = None, balance: float | None = None) -> CalcResult:
        """The position calculator on the caller's default account balance, profile, open positions and losses."""
        user = await self.members.user(caller)
        account = await self.members.accounts.default_account(ref(user))
        if account is None:
            raise NotFound("you have no exchange account")
        try:
            return await self.decider.calculate_for(user, account, entry=entry, stop=stop, targets=targets,
                                                    leverage=leverage, symbol=symbol, balance=balance)
        except CalcError as exc:
            raise Invalid([str(exc)]) from None


__all__: list[Any] = ["Accounts", "Positions"]
