"""A user's testnet account on a fake exchange (Binance unless named): keys sealed as the app seals them, made the
default account."""

from __future__ import annotations

from typing import Any

from core.domain import TradeMode
from models import ExchangeAccount, User
from models.refs import ref
from tests.fakes.binance import API_KEY, SECRET


async def add_testnet_account(services: Any, user: User, key: str = API_KEY, secret: str = SECRET,
                              exchange: str = "binance", market: str = "futures") -> ExchangeAccount:
    """`key`/`secret`: the fake's main account, or one of its `other_accounts`; `market`: futures or spot."""
    owner, seal = ref(user), services.secrets.seal
    await ExchangeAccount.find_one(ExchangeAccount.user_id == owner).update({"$set": {"is_default": False}})
    account = ExchangeAccount(user_id=owner, label=f"{exchange}-testnet", exchange=exchange, mode=TradeMode.TESTNET,
                              market=market, is_default=True,
                              api_key=seal(key, owner=owner, field="api_key").__dict__,
                              api_secret=seal(secret, owner=owner, field="api_secret").__dict__,
                              paper_balances={"USDT": 10_000.0})
    return await account.insert()
