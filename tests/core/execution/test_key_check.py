"""Checking an API key through the real ccxt client against the fake Binance (which answers as Binance
documents), and the Bybit and OKX permission answers as their APIs document them: a key that works with trading
on and withdrawals off passes for live; a withdrawal-enabled key, a trading-disabled key and a refused key do not;
where the permissions cannot be read (Binance's testnet has no /sapi) a working key passes for testnet only."""

from __future__ import annotations

from typing import Any

import pytest

from core.execution.key_check import READERS, KeyCheck, Permissions, check_key
from tests.fakes.binance import API_KEY, SECRET, FakeBinance


async def _check(url: str, mode: str = "live", key: str = API_KEY) -> KeyCheck:
    return await check_key("binance", mode=mode, api_key=key, secret=SECRET, base_url=url, rate_limit_ms=1)


async def test_a_trading_key_without_withdrawals_passes_for_live(fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    check = await _check(url)
    assert check.authenticated and check.permissions == Permissions(can_trade=True, can_withdraw=False)
    assert check.allows("live") and check.lines == ["binance accepted the key", "trading is allowed",
                                                    "withdrawals are disabled"]
    assert ("GET", "/sapi/v1/account/apiRestrictions") in fake.calls


async def test_a_withdrawal_enabled_key_is_refused(fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    fake.restrictions["enableWithdrawals"] = True
    check = await _check(url)
    assert not check.allows("live")
    assert "withdrawals are enabled: create a key without withdrawal permission" in check.lines


async def test_a_key_without_futures_trading_is_refused(fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    fake.restrictions["enableFutures"] = False
    check = await _check(url)
    assert not check.allows("live") and "trading is NOT allowed for this key" in check.lines


async def test_a_refused_key_and_an_unreachable_exchange(fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    refused = await _check(url, key="someone-elses-key")
    assert not refused.authenticated and refused.lines[0].startswith("binance refused the key")
    fake.inject("/account", "unavailable")
    down = await _check(url)
    assert not down.allows("testnet") and "could not be asked" in down.lines[0]


async def test_on_testnet_a_working_key_passes_without_a_permission_read(fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    check = await _check(url, mode="testnet")
    assert check.authenticated and check.permissions is None
    assert check.allows("testnet") and not check.allows("live")
    assert "could not be read on its testnet" in check.lines[-1]
    assert not any(path.startswith("/sapi") for _, path in fake.calls)


class _Answers:
    """The documented JSON answers of Bybit's and OKX's key-permission endpoints."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    async def private_get_v5_user_query_api(self) -> dict[str, Any]:
        return self.answer

    async def private_get_account_config(self) -> dict[str, Any]:
        return self.answer


@pytest.mark.parametrize(("answer", "expected"), [
    ({"retCode": 0, "result": {"readOnly": 0, "permissions": {"ContractTrade": ["Order", "Position"],
                                                              "Wallet": ["AccountTransfer"]}}},
     Permissions(can_trade=True, can_withdraw=False)),
    ({"retCode": 0, "result": {"readOnly": 0, "permissions": {"ContractTrade": ["Order"],
                                                              "Wallet": ["AccountTransfer", "Withdraw"]}}},
     Permissions(can_trade=True, can_withdraw=True)),
    ({"retCode": 0, "result": {"readOnly": 1, "permissions": {"ContractTrade": []}}},
     Permissions(can_trade=False, can_withdraw=False)),
])
async def test_bybit_permissions(answer: dict[str, Any], expected: Permissions) -> None:
    assert await READERS["bybit"](_Answers(answer), True) == expected


@pytest.mark.parametrize(("perm", "expected"), [
    ("read_only,trade", Permissions(can_trade=True, can_withdraw=False)),
    ("read_only,withdraw,trade", Permissions(can_trade=True, can_withdraw=True)),
    ("read_only", Permissions(can_trade=False, can_withdraw=False)),
])
async def test_okx_permissions(perm: str, expected: Permissions) -> None:
    answer = {"code": "0", "data": [{"perm": perm, "uid": "44705892343619584"}], "msg": ""}
    assert await READERS["okx"](_Answers(answer), True) == expected
