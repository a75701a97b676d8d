"""A member's exchange accounts (never a key): added with their keys sealed and checked through ccxt (the key
works, trading is allowed, withdrawals are refused), switched between paper, testnet and live (live only after
a passing check and a typed confirmation), removed; and the position calculator on the account's balance."""

from __future__ import annotations

import logging
from typing import Any, Final

from core.api.common import Members, owned
from core.api.errors import Invalid, NotFound
from core.api.servers import check_trading
from core.api.views import AccountView, Caller
from core.config.logs import register_secret
from core.crypto import SecretBox
from core.domain import TradeMode
from core.execution.key_check import KeyCheck, KeyChecker
from core.risk.calculator import CalcError, CalcResult
from core.services.decide.deciding import Decider
from core.services.orders.routing import GatewayRouter, credentials
from models import ExchangeAccount, Position
from models.query import where
from models.refs import ref

logger = logging.getLogger(__name__)
EXCHANGES: Final = ("binance", "bybit", "okx")  # the venues Signalcord connects to
MARKETS: Final = ("futures", "spot")  # USDT-M perpetuals, or spot
SPOT_VENUES: Final = ("binance",)  # where spot accounts are offered (tested against Binance's spot rules)
# venues whose key is checked and stored but whose orders are refused for now, and why (said when the account is added)
NOT_TRADED: Final = {"okx": "okx: orders are refused for now: OKX counts its perpetuals in contracts (0.01 BTC each "
                            "on BTC-USDT-SWAP) and Signalcord does not convert contract sizes yet"}

SPOT_TERMS: Final = ("spot: long calls only (a short call is not traded), no leverage; the stop rests on the exchange "
                     "as a stop-limit, targets are watched while Signalcord runs (paper trades like futures)")


def account_view(a: ExchangeAccount, key_check: list[str] | None = None) -> AccountView:
    return AccountView(id=str(a.id), label=a.label, exchange=a.exchange, market=a.market, mode=a.mode.value,
                       is_default=a.is_default,
                       has_keys=a.api_key is not None, live_opt_in=a.live_opt_in, checked_for=list(a.permissions),
                       key_check=key_check or [])


class Accounts:
    def __init__(self, members: Members, decider: Decider, secrets: SecretBox, router: GatewayRouter,
                 check_key: KeyChecker | None = None) -> None:
        self.members = members
        self.decider = decider
        self.secrets = secrets
        self.router = router
        self.check_key = check_key

    async def _check(self, exchange: str, market: str, mode: str, api_key: str, secret: str, passphrase: str | None
                     ) -> KeyCheck:
        if self.check_key is None:
            return KeyCheck(False, None, [f"{mode} trading is not configured on this server"])
        try:
            return await self.check_key(exchange, mode=mode, api_key=api_key, secret=secret, passphrase=passphrase,
                                        futures=market == "futures")
        except Exception as exc:  # the check itself broke: the account stays on paper, the page says so
            logger.warning("key check on %s failed: %s", exchange, type(exc).__name__)
            return KeyCheck(False, None, [f"the key check could not run ({type(exc).__name__}); try again later"])

    async def add(self, caller: Caller, *, exchange: str, label: str, api_key: str, api_secret: str,
                  passphrase: str | None = None, mode: str = "paper", confirm: str = "", market: str = "futures"
                  ) -> AccountView:
        """Store an exchange account's keys, sealed (never returned, logged or shown again). For testnet or live
        the key is checked first (for the market it trades); an account whose check does not pass is stored on
        paper, with the reasons. Live also needs `confirm` to repeat the account's label (real money)."""
        user = await self.members.user(caller)
        problems = [] if exchange in EXCHANGES else [f"exchange: {exchange!r} is not one of {', '.join(EXCHANGES)}"]
        if market not in MARKETS:
            problems.append(f"market: {market!r} is not one of {', '.join(MARKETS)}")
        elif market == "spot" and exchange not in SPOT_VENUES:
            problems.append(f"market: spot accounts are offered on {', '.join(SPOT_VENUES)} only")
        name = label.strip()
        if not name or len(name) > 32 or name == "paper":
            problems.append("label: 1-32 characters, not 'paper'")
        if len(api_key.strip()) < 8 or len(api_secret.strip()) < 8:
            problems.append("api_key / api_secret: paste the whole key and secret the exchange showed")
        wanted = _mode(mode)
        if wanted is TradeMode.LIVE and confirm.strip() != name:
            problems.append(f"live: type the account's label ({name!r}) to confirm trading real money")
        if await ExchangeAccount.find_one(where(ExchangeAccount.user_id == ref(user), ExchangeAccount.label == name)):
            problems.append(f"label: you already have an account called {name!r}")
        if problems:
            raise Invalid(problems)
        if wanted is not TradeMode.PAPER:
            await check_trading(caller, wanted.value)
        key, secret, phrase = api_key.strip(), api_secret.strip(), (passphrase or "").strip() or None
        for value in (key, secret, phrase):  # masked in every log line from now on, before anything uses them
            register_secret(value)
        paper = wanted is TradeMode.PAPER
        check = KeyCheck(False, None, ["paper: the key is stored, not used until you switch the mode"]) if paper \
            else await self._check(exchange, market, wanted.value, key, secret, phrase)
        passed = wanted is not TradeMode.PAPER and check.allows(wanted.value)
        owner = ref(user)
        account = ExchangeAccount(
            user_id=owner, label=name, exchange=exchange, market=market, mode=wanted if passed else TradeMode.PAPER,
            is_default=False, live_opt_in=passed and wanted is TradeMode.LIVE,
            permissions=[wanted.value] if passed else [],
            api_key=self.secrets.seal(key, owner=owner, field="api_key").__dict__,
            api_secret=self.secrets.seal(secret, owner=owner, field="api_secret").__dict__,
            api_passphrase=self.secrets.seal(phrase, owner=owner, field="api_passphrase").__dict__ if phrase else None)
        await account.insert()
        lines = check.lines + ([] if passed or wanted is TradeMode.PAPER else
                               [f"{name} stays on paper until its key passes the {wanted.value} check"])
        lines += [NOT_TRADED[exchange]] if exchange in NOT_TRADED else []
        lines += [SPOT_TERMS] if market == "spot" else []
        return account_view(account, lines)

    async def check(self, caller: Caller, account_id: str, mode: str, confirm: str = "") -> AccountView:
        """Check the stored key again for `mode`; a passing check switches the account to it."""
        account = await owned(ExchangeAccount, account_id, await self.members.user(caller), "exchange account")
        wanted = _mode(mode)
        if wanted is TradeMode.PAPER:
            return await self.set_mode(caller, account_id, "paper")
        await check_trading(caller, wanted.value)
        if account.api_key is None or account.api_secret is None:
            raise Invalid([f"{account.label}: add this account's exchange keys on the dashboard first"])
        if wanted is TradeMode.LIVE and confirm.strip() != account.label:
            raise Invalid([f"live: type the account's label ({account.label!r}) to confirm trading real money"])
        check = await self._check(account.exchange, account.market, wanted.value, *credentials(self.secrets, account))
        if not check.allows(wanted.value):
            await account.set({ExchangeAccount.permissions: [p for p in account.permissions if p != wanted.value]})
            raise Invalid([*check.lines, f"{account.label} stays in {account.mode.value} mode"])
        changes: dict[Any, Any] = {ExchangeAccount.permissions: sorted({*account.permissions, wanted.value}),
                                   ExchangeAccount.mode: wanted}
        if wanted is TradeMode.LIVE:
            changes[ExchangeAccount.live_opt_in] = True
        await account.set(changes)
        await self.router.forget(ref(account))
        return account_view(account, check.lines)

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
        """Paper on any account; testnet and live need keys that passed that mode's check on the dashboard; live
        also the opt-in (a typed confirmation there)."""
        account = await owned(ExchangeAccount, account_id, await self.members.user(caller), "exchange account")
        wanted = _mode(mode)
        await check_trading(caller, wanted.value)
        if wanted is not TradeMode.PAPER and account.api_key is None:
            raise Invalid([f"{account.label}: add this account's exchange keys on the dashboard first"])
        if wanted is not TradeMode.PAPER and wanted.value not in account.permissions:
            raise Invalid([f"{account.label}: its key has not passed the {wanted.value} check: run it on the "
                           "dashboard's Exchanges page"])
        if wanted is TradeMode.LIVE and not account.live_opt_in:
            raise Invalid([f"{account.label}: live trading needs the opt-in on the dashboard (a typed confirmation)"])
        await account.set({ExchangeAccount.mode: wanted})
        await self.router.forget(ref(account))  # the next order routes by the new mode
        return account_view(account)

    async def calculate(self, caller: Caller, *, entry: float, stop: float, targets: tuple[float, ...] = (),
                        leverage: float = 1.0, symbol: str | None = None, balance: float | None = None) -> CalcResult:
        """The position calculator on the caller's default account balance (or `balance`), profile, open
        positions and today's losses."""
        user = await self.members.user(caller)
        account = await self.members.accounts.default_account(ref(user))
        if account is None:
            raise NotFound("you have no exchange account")
        try:
            result = await self.decider.calculate_for(user, account, entry=entry, stop=stop, targets=targets,
                                                      leverage=leverage, symbol=symbol, balance=balance)
        except CalcError as exc:
            raise Invalid([str(exc)]) from None
        return result


def _mode(mode: str) -> TradeMode:
    try:
        return TradeMode(mode)
    except ValueError:
        raise Invalid([f"mode: {mode!r} is not one of paper, testnet, live"]) from None
