"""Markets counted in contracts: OKX's USDT perpetuals load (as SWAP instruments), and because ccxt's amounts on
them are contracts of 0.01 BTC while Signalcord sizes in coins, an order there is refused with the reason instead
of being sent at a hundredth of its size (and booked at a hundred times its fills)."""

from __future__ import annotations

import pytest

from core.domain import OrderSide
from core.execution.ccxt_gateway import CcxtGateway
from core.execution.gateway import OrderRejected, OrderRequest
from tests.conftest import served
from tests.fakes import okx


async def test_an_okx_perpetual_counted_in_contracts_is_refused_with_the_reason() -> None:
    async with served(okx.app()) as url:
        gateway = CcxtGateway.build("okx", api_key="k", secret="s", passphrase="p", mode="testnet", futures=True,
                                    base_url=url, rate_limit_ms=1)
        try:
            request = OrderRequest("sc" + "1" * 30, "acct", "BTC/USDT", OrderSide.BUY, "market", 0.08,
                                   ref_price=42_250.0, leverage=5)
            for call in (gateway.rules("BTC/USDT"), gateway.prepare(request), gateway.create_order(request)):
                with pytest.raises(OrderRejected) as refused:
                    await call
                assert refused.value.kind == "unsupported"
                assert "okx counts BTC/USDT in contracts of 0.01 BTC" in str(refused.value)
        finally:
            await gateway.close()
