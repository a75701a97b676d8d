"""Checking an exchange API key before it trades: the exchange accepts it (a balance read), trading is allowed,
and withdrawals are NOT allowed. Each venue states a key's permissions on its own endpoint (reached through
ccxt's implicit methods); the readers below turn each answer into the same three facts. When a check cannot run
(no such endpoint on a testnet, the exchange does not answer) the result says why and the account stays on
paper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import ccxt.async_support as ccxt

from core.execution.ccxt_client import make_exchange, short


@dataclass(frozen=True)
class Permissions:
    can_trade: bool
    can_withdraw: bool


@dataclass(frozen=True)
class KeyCheck:
    authenticated: bool
    permissions: Permissions | None  # None: the venue's permission endpoint could not be read
    lines: list[str] = field(default_factory=list)  # what was found, one readable line each

    def allows(self, mode: str) -> bool:
        """Testnet needs a working key; live also needs trading on and withdrawals off, as read from the venue."""
        if not self.authenticated:
            return False
        if mode != "live":
            return True
        return self.permissions is not None and self.permissions.can_trade and not self.permissions.can_withdraw


async def _binance(exchange: Any, futures: bool) -> Permissions:
    answer = await exchange.sapi_get_account_apirestrictions()
    trade = answer.get("enableFutures") if futures else answer.get("enableSpotAndMarginTrading")
    return Permissions(can_trade=bool(trade), can_withdraw=bool(answer.get("enableWithdrawals")))


async def _bybit(exchange: Any, futures: bool) -> Permissions:
    result = (await exchange.private_get_v5_user_query_api()).get("result") or {}
    granted = result.get("permissions") or {}
    trade_scope = granted.get("ContractTrade" if futures else "Spot") or []
    withdraw = any("withdraw" in str(p).lower() for scope in granted.values() for p in (scope or []))
    return Permissions(can_trade=str(result.get("readOnly")) == "0" and bool(trade_scope), can_withdraw=withdraw)


async def _okx(exchange: Any, futures: bool) -> Permissions:
    data = (await exchange.private_get_account_config()).get("data") or [{}]
    perms = {p.strip() for p in str(data[0].get("perm", "")).split(",")}
    return Permissions(can_trade="trade" in perms, can_withdraw="withdraw" in perms)


READERS: dict[str, Callable[[Any, bool], Awaitable[Permissions]]] = {
    "binance": _binance, "bybit": _bybit, "okx": _okx}


async def check_key(exchange_id: str, *, mode: str, api_key: str, secret: str, passphrase: str | None = None,
                    futures: bool = True, base_url: str | None = None, rate_limit_ms: float | None = None) -> KeyCheck:
    credentials: dict[str, Any] = {"apiKey": api_key, "secret": secret, "timeout": 15_000}
    if passphrase:
        credentials["password"] = passphrase
    exchange = make_exchange(exchange_id, futures=futures, base_url=base_url, rate_limit_ms=rate_limit_ms,
                             sandbox=mode == "testnet", **credentials)
    try:
        try:
            await exchange.fetch_balance()
        except ccxt.AuthenticationError as exc:
            return KeyCheck(False, None, [f"{exchange_id} refused the key: {short(exc)}"])
        except ccxt.BaseError as exc:
            return KeyCheck(False, None, [f"{exchange_id} could not be asked ({type(exc).__name__}: {short(exc)}); "
                                          "try again later"])
        lines = [f"{exchange_id} accepted the key"]
        reader = READERS.get(exchange_id)
        try:
            if reader is None:
                raise ccxt.NotSupported(f"no permission reader for {exchange_id}")
            permissions = await reader(exchange, futures)
        except (ccxt.BaseError, KeyError, AttributeError) as exc:
            where = "its testnet" if mode == "testnet" else exchange_id
            return KeyCheck(True, None, [*lines, f"the key's permissions could not be read on {where} "
                                         f"({type(exc).__name__}: {short(exc)})"])
        lines.append("trading is allowed" if permissions.can_trade else "trading is NOT allowed for this key")
        lines.append("withdrawals are enabled: create a key without withdrawal permission"
                     if permissions.can_withdraw else "withdrawals are disabled")
        return KeyCheck(True, permissions, lines)
    finally:
        await exchange.close()


KeyChecker = Callable[..., Awaitable[KeyCheck]]
