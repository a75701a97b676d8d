"""Which gateway serves an exchange account: the shared paper exchange, or a ccxt connection per account
(testnet, or live only when the account opted in). Credentials are decrypted only here, only to connect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from beanie import PydanticObjectId

from core.crypto import Sealed, SecretBox
from core.domain import MarketRules, TradeMode
from core.execution.ccxt_gateway import CcxtGateway
from core.execution.gateway import ExecutionGateway, OrderRejected
from models import ExchangeAccount

Connect = Callable[[ExchangeAccount], Awaitable[ExecutionGateway]]


class GatewayRouter:
    def __init__(self, paper: ExecutionGateway, connect: Connect | None = None) -> None:
        self.paper = paper
        self.connect = connect
        self._connected: dict[str, ExecutionGateway] = {}
        self._paper_accounts: set[str] = set()

    async def for_account(self, account_id: str) -> ExecutionGateway:
        if account_id in self._paper_accounts:
            return self.paper
        if account_id in self._connected:
            return self._connected[account_id]
        account = await ExchangeAccount.find_one(ExchangeAccount.id == PydanticObjectId(account_id))
        if account is None:
            raise OrderRejected("the exchange account no longer exists", "auth")
        return await self.route(account)

    async def forget(self, account_id: str) -> None:
        """The account's mode or keys changed: its next call routes (and connects) afresh."""
        self._paper_accounts.discard(account_id)
        gateway = self._connected.pop(account_id, None)
        if gateway is not None:
            await gateway.close()

    async def route(self, account: ExchangeAccount) -> ExecutionGateway:
        """The gateway of an account already read (no second read of it)."""
        account_id = str(account.id)
        if account_id in self._connected:
            return self._connected[account_id]
        if account.mode is TradeMode.PAPER:
            self._paper_accounts.add(account_id)
            return self.paper
        if account.mode is TradeMode.LIVE and not account.live_opt_in:
            raise OrderRejected("live trading is not switched on for this account (opt in on the dashboard first)",
                                "auth")
        if self.connect is None:
            raise OrderRejected(f"{account.mode.value} trading is not configured on this server", "auth")
        gateway = self._connected[account_id] = await self.connect(account)
        return gateway

    async def venue_rules(self, account_id: str, symbol: str) -> MarketRules:
        """The precision and minimums of `symbol` on the venue this account trades on: what sizing, stops and
        targets round with (paper: the paper table; testnet and live: the market ccxt loaded)."""
        return await (await self.for_account(account_id)).rules(symbol)

    async def rules_of(self, account: ExchangeAccount, symbol: str) -> MarketRules:
        """`venue_rules` for an account already read."""
        return await (await self.route(account)).rules(symbol)

    async def balance_of(self, account: ExchangeAccount) -> dict[str, float]:
        """The account's free balances on its venue (raises as the gateway classifies a failure)."""
        return await (await self.route(account)).balance(str(account.id))

    async def close(self) -> None:
        for gateway in self._connected.values():
            await gateway.close()
        self._connected.clear()


def credentials(secrets: SecretBox, account: ExchangeAccount) -> tuple[str, str, str | None]:
    """The account's key, secret and passphrase (None when it has none), decrypted: only to connect or check."""
    if account.api_key is None or account.api_secret is None:
        raise ValueError(f"{account.label} has no API key stored")
    owner = account.user_id

    def opened(field: str) -> str | None:
        sealed = getattr(account, field)
        return None if sealed is None else secrets.open(Sealed(**sealed.model_dump()), owner=owner, field=field)

    return opened("api_key") or "", opened("api_secret") or "", opened("api_passphrase")


def ccxt_connector(secrets: SecretBox, base_url: str | None = None, rate_limit_ms: float | None = None) -> Connect:
    """Open a ccxt connection for an account with its decrypted keys (testnet: the exchange's sandbox), to the
    market it trades (perpetuals or spot). `rate_limit_ms` paces ccxt's limiter (None: the exchange's published
    pace)."""

    async def connect(account: ExchangeAccount) -> ExecutionGateway:
        if account.api_key is None or account.api_secret is None:
            raise OrderRejected("this account has no API key stored", "auth")
        key, secret, phrase = credentials(secrets, account)
        return CcxtGateway.build(account.exchange, api_key=key, secret=secret, passphrase=phrase,
                                 mode=account.mode.value,
                                 futures=account.market == "futures", base_url=base_url or None,
                                 rate_limit_ms=rate_limit_ms)

    return connect
