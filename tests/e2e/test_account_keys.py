"""Exchange accounts through the API against the fake Binance: a testnet key is checked and switched on; a live
key needs the typed confirmation, trading on and withdrawals off; a key that fails stays on paper with the reason;
the check can run again on the stored (sealed) key once the key is fixed on the exchange."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.api import Caller, Invalid
from core.app import Services, build_services
from tests.conftest import make_settings
from tests.fakes.binance import API_KEY, SECRET, FakeBinance

ALICE = Caller(discord_id=11, name="alice")


@pytest.fixture
async def keyed(mongo_url: str, tmp_path: Path, fake_binance: tuple[FakeBinance, str]
                ) -> AsyncIterator[tuple[Services, FakeBinance]]:
    fake, url = fake_binance
    name = f"t_{uuid.uuid4().hex[:10]}"
    settings = make_settings(tmp_path, MONGODB_URI=mongo_url, SIGNALCORD_DB_NAME=name,
                             SIGNALCORD_EXCHANGE_BASE_URL=url, SIGNALCORD_EXCHANGE_RATE_LIMIT_MS="1")
    async with build_services(settings) as built:
        yield built, fake
        await built.client.drop_database(name)


async def test_a_testnet_key_is_checked_and_switched_on(keyed: tuple[Services, FakeBinance]) -> None:
    services, _ = keyed
    added = await services.api.accounts.add(ALICE, exchange="binance", label="tn", api_key=API_KEY,
                                            api_secret=SECRET, mode="testnet")
    assert (added.mode, added.checked_for) == ("testnet", ["testnet"])
    assert added.key_check[0] == "binance accepted the key"
    refused = await services.api.accounts.add(ALICE, exchange="binance", label="tn2", api_key="not-the-key-123",
                                              api_secret=SECRET, mode="testnet")
    assert (refused.mode, refused.checked_for) == ("paper", [])
    assert refused.key_check[0].startswith("binance refused the key")
    assert refused.key_check[-1] == "tn2 stays on paper until its key passes the testnet check"


async def test_live_needs_the_confirmation_and_no_withdrawals(keyed: tuple[Services, FakeBinance]) -> None:
    services, fake = keyed
    accounts = services.api.accounts
    with pytest.raises(Invalid, match="type the account's label"):
        await accounts.add(ALICE, exchange="binance", label="main", api_key=API_KEY, api_secret=SECRET, mode="live")
    fake.restrictions["enableWithdrawals"] = True
    kept = await accounts.add(ALICE, exchange="binance", label="main", api_key=API_KEY, api_secret=SECRET,
                              mode="live", confirm="main")
    assert (kept.mode, kept.live_opt_in) == ("paper", False)
    assert "withdrawals are enabled: create a key without withdrawal permission" in kept.key_check
    with pytest.raises(Invalid, match="its key has not passed the live check"):
        await accounts.set_mode(ALICE, kept.id, "live")
    with pytest.raises(Invalid, match="withdrawals are enabled"):
        await accounts.check(ALICE, kept.id, "live", confirm="main")
    fake.restrictions["enableWithdrawals"] = False  # the user edits the key on the exchange
    live = await accounts.check(ALICE, kept.id, "live", confirm="main")
    assert (live.mode, live.live_opt_in, live.checked_for) == ("live", True, ["live"])
    assert (await accounts.set_mode(ALICE, kept.id, "paper")).mode == "paper"
    assert (await accounts.set_mode(ALICE, kept.id, "live")).mode == "live"


async def test_a_spot_account_is_checked_for_spot_trading(keyed: tuple[Services, FakeBinance]) -> None:
    """Binance states futures and spot trading apart: a spot account's live key must allow spot trading."""
    services, fake = keyed
    fake.restrictions["enableSpotAndMarginTrading"] = False  # a futures-only key
    kept = await services.api.accounts.add(ALICE, exchange="binance", label="spot", api_key=API_KEY,
                                           api_secret=SECRET, mode="live", confirm="spot", market="spot")
    assert (kept.mode, kept.market) == ("paper", "spot")
    assert "trading is NOT allowed for this key" in kept.key_check
    futures = await services.api.accounts.add(ALICE, exchange="binance", label="perp", api_key=API_KEY,
                                              api_secret=SECRET, mode="live", confirm="perp")
    assert (futures.mode, futures.market) == ("live", "futures")
    fake.restrictions["enableSpotAndMarginTrading"] = True  # the user allows spot on the key
    switched = await services.api.accounts.check(ALICE, kept.id, "live", confirm="spot")
    assert switched.mode == "live" and "trading is allowed" in switched.key_check
