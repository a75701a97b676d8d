"""The front-end API (service-layer issue, item 2) on the real embedded database: providers for admins, a
member's subscriptions, risk profile, accounts, positions, why and notifications; refusals with their reason;
and the ownership matrix: another user's id is NotFound for every call that takes one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core.api import Caller, Forbidden, Invalid, NotFound, SignalcordAPI
from core.app import Services
from core.domain import RawMessage
from models import ExchangeAccount, OrderIntent, Position
from models.refs import ref

ADMIN = Caller(discord_id=1, name="admin", admin=True)
ALICE = Caller(discord_id=11, name="alice")
BOB = Caller(discord_id=12, name="bob")
CHANNEL = 777


@pytest.fixture
def api(services: Services) -> SignalcordAPI:
    return services.api


async def _call(services: Services, text: str, message_id: int = 1) -> None:
    await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=message_id, author="p", text=text,
                                              created_at=datetime(2026, 4, 1, 12, tzinfo=UTC), guild_id=7))


async def test_providers_are_managed_by_admins_only(api: SignalcordAPI) -> None:
    with pytest.raises(Forbidden, match="needs a server admin"):
        await api.providers.register(ALICE, "Alpha", CHANNEL)
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL, guild_id=7, default_quote="USDT", language="ru")
    assert (alpha.name, alpha.channel_id, alpha.language, alpha.enabled) == ("Alpha", CHANNEL, "ru", True)
    with pytest.raises(Invalid, match="colour: not a format hint"):
        await api.providers.set_hints(ADMIN, alpha.id, colour="red")
    with pytest.raises(Invalid, match="default_leverage"):
        await api.providers.set_hints(ADMIN, alpha.id, default_leverage="lots")
    assert (await api.providers.set_hints(ADMIN, alpha.id, prices_in_satoshis=True)).prices_in_satoshis
    off = await api.providers.set_enabled(ADMIN, alpha.id, False, "too many losses")
    assert (off.enabled, off.disabled_reason) == (False, "too many losses")
    with pytest.raises(Invalid, match="Alpha is disabled: too many losses"):
        await api.subscriptions.subscribe(ALICE, alpha.id)
    assert [p.name for p in await api.providers.list()] == ["Alpha"]
    with pytest.raises(Forbidden):
        await api.providers.remove(BOB, alpha.id)
    assert await api.providers.remove(ADMIN, alpha.id) == "removed Alpha; its history stays"
    with pytest.raises(NotFound, match="no provider with id"):
        await api.providers.set_enabled(ADMIN, alpha.id, True)


async def test_a_member_subscribes_sets_overrides_and_risk_with_readable_refusals(api: SignalcordAPI) -> None:
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL)
    sub = await api.subscriptions.subscribe(ALICE, alpha.id)
    assert (sub.provider, sub.enabled, sub.priority) == ("Alpha", True, 0)
    assert (await api.subscriptions.set_priority(ALICE, alpha.id, 5)).priority == 5
    with pytest.raises(Invalid, match="priority: 500 is outside"):
        await api.subscriptions.set_priority(ALICE, alpha.id, 500)
    effective = await api.subscriptions.set_overrides(ALICE, alpha.id, {"max_leverage": 5})
    assert effective.profile["max_leverage"] == 5
    with pytest.raises(Invalid) as refused:
        await api.risk.patch(ALICE, {"risk_pct": -1})
    assert refused.value.lines and refused.value.lines[0].startswith("risk_pct")
    assert (await api.risk.patch(ALICE, {"risk_pct": 0.5})).profile["risk_pct"] == 0.5
    assert await api.risk.save_preset(ALICE, "Careful") == "careful"
    assert (await api.risk.show(ALICE)).presets == ["careful"]
    with pytest.raises(Invalid, match="timezone"):
        await api.risk.set_timezone(ALICE, "Mars/Olympus")
    assert (await api.risk.set_timezone(ALICE, "Europe/Berlin")).timezone == "Europe/Berlin"
    paused = await api.risk.pause(ALICE)
    assert paused.paused and paused.paused_reason == "you paused it"
    assert not (await api.risk.resume(ALICE)).paused
    assert [s.provider for s in await api.subscriptions.list(ALICE)] == ["Alpha"]
    assert "unsubscribed from Alpha" in await api.subscriptions.unsubscribe(ALICE, alpha.id)
    with pytest.raises(NotFound, match="you are not subscribed to Alpha"):
        await api.subscriptions.set_priority(BOB, alpha.id, 1)


async def test_positions_accounts_why_and_notifications(api: SignalcordAPI, services: Services) -> None:
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL)
    await api.subscriptions.subscribe(ALICE, alpha.id)
    await _call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x")
    [opened] = await api.positions.open(ALICE)
    assert (opened.symbol, opened.side, opened.status, opened.stop_loss) == ("BTC/USDT", "long", "open", 41_000)
    why = await api.activity.why(ALICE, CHANNEL, 1)
    assert why.outcome == "trade" and why.checks
    with pytest.raises(NotFound, match="no record of that message"):
        await api.activity.why(ALICE, CHANNEL, 999)
    [note] = await api.activity.notifications(ALICE)
    assert note.kind == "trade_opened" and note.delivery == "pending"
    [paper] = await api.accounts.list(ALICE)
    assert (paper.mode, paper.is_default, paper.has_keys) == ("paper", True, False)
    with pytest.raises(Invalid, match="add this account's exchange keys on the dashboard first"):
        await api.accounts.set_mode(ALICE, paper.id, "live")
    with pytest.raises(Invalid, match="mode: 'margin' is not one of"):
        await api.accounts.set_mode(ALICE, paper.id, "margin")
    calc = await api.accounts.calculate(ALICE, entry=100, stop=95, targets=(110,))
    assert calc.quantity > 0 and calc.side == "long"
    with pytest.raises(Invalid, match="stop equals the entry"):
        await api.accounts.calculate(ALICE, entry=100, stop=100)
    assert (await api.positions.close(ALICE, opened.id)).startswith("closed BTC/USDT")
    assert [p.status for p in await api.positions.history(ALICE)] == ["closed"]


async def test_orders_listed_an_entry_cancelled_a_stop_moved_and_protection_never_cancelled(
        api: SignalcordAPI, services: Services) -> None:
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL)
    await api.subscriptions.subscribe(ALICE, alpha.id)
    await _call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x")
    orders = await api.positions.orders(ALICE)
    assert {o.role for o in orders} == {"sl", "tp"}
    stop = next(o for o in orders if o.role == "sl")
    with pytest.raises(Invalid, match="protects your position: move the stop or close the position instead"):
        await api.positions.cancel_order(ALICE, stop.id)
    [position] = await api.positions.open(ALICE)
    moved = await api.positions.move_stop(ALICE, position.id, 41_500)
    assert moved.stop_loss == 41_500 and moved.status == "open"
    assert [o.stop_price for o in await api.positions.orders(ALICE) if o.role == "sl"] == [41_500]
    with pytest.raises(Invalid, match="far on the wrong side"):
        await api.positions.move_stop(ALICE, position.id, 90_000)
    for not_a_price in (float("nan"), float("inf")):
        with pytest.raises(Invalid, match="is not above 0"):
            await api.positions.move_stop(ALICE, position.id, not_a_price)
        with pytest.raises(Invalid, match="is not above 0"):
            await api.positions.reprice_entry(ALICE, position.id, not_a_price)
    [live_stop] = [o for o in await api.positions.orders(ALICE) if o.role == "sl"]
    with pytest.raises(Invalid, match="protects your position: move the stop instead"):
        await api.positions.reprice_entry(ALICE, live_stop.id, 41_200)
    [entry] = [i for i in await OrderIntent.find(OrderIntent.role == "entry").to_list()]
    with pytest.raises(Invalid, match="is already filled"):  # in at market
        await api.positions.reprice_entry(ALICE, str(entry.id), 42_000)


async def test_admins_teach_and_test_a_providers_format(api: SignalcordAPI) -> None:
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL)
    odd = ("KAS quick trade\nBag zone 0.112 / 0.109\nInvalidation 0.101\nCashout 0.118 then 0.125\nMultiplier 5")
    reading = {"symbol": "KAS/USDT", "side": "long", "entries": [0.112, 0.109], "take_profits": [0.118, 0.125],
               "stop_loss": 0.101, "leverage": 5}
    with pytest.raises(Forbidden):
        await api.providers.teach(ALICE, alpha.id, odd, reading)
    with pytest.raises(Invalid, match="is not written in the message"):
        await api.providers.teach(ADMIN, alpha.id, odd, {**reading, "stop_loss": 0.2})
    assert await api.providers.teach(ADMIN, alpha.id, odd, reading) == 1
    later = odd.replace("KAS", "SEI").replace("0.112 / 0.109", "0.50 / 0.48").replace("0.101", "0.44").replace(
        "0.118 then 0.125", "0.53 then 0.56")
    tested = await api.providers.test(later, alpha.id)
    assert tested.record["take_profits"] == [0.53, 0.56] and tested.explanation[-1] == "result: signal"
    assert (await api.providers.test(later)).record["take_profits"] == []  # the general rules miss the targets
    assert await api.risk.presets(ALICE) == ["conservative", "balanced", "aggressive"]


OwnedCall = Callable[[SignalcordAPI, str], Awaitable[Any]]
TAKES_AN_OWNED_ID: dict[str, OwnedCall] = {
    "positions.close": lambda api, pid: api.positions.close(BOB, pid),
    "positions.move_stop": lambda api, pid: api.positions.move_stop(BOB, pid, 41_500),
    "positions.cancel_order": lambda api, oid: api.positions.cancel_order(BOB, oid),
    "positions.reprice_entry": lambda api, oid: api.positions.reprice_entry(BOB, oid, 41_900),
    "accounts.set_default": lambda api, aid: api.accounts.set_default(BOB, aid),
    "accounts.set_mode": lambda api, aid: api.accounts.set_mode(BOB, aid, "paper"),
    "accounts.remove": lambda api, aid: api.accounts.remove(BOB, aid),
}


@pytest.mark.parametrize("name", sorted(TAKES_AN_OWNED_ID))
async def test_another_users_id_is_not_found_for_every_call_that_takes_one(
        name: str, api: SignalcordAPI, services: Services) -> None:
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL)
    await api.subscriptions.subscribe(ALICE, alpha.id)
    await api.subscriptions.subscribe(BOB, alpha.id)  # bob exists and has his own account
    await _call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x")
    alice = await services.accounts.ensure_user(ALICE.discord_id, ALICE.name)
    position = await Position.find_one(Position.user_id == ref(alice))
    account = await ExchangeAccount.find_one(ExchangeAccount.user_id == ref(alice))
    assert position is not None and account is not None
    order = await OrderIntent.find_one(OrderIntent.user_id == ref(alice))
    assert order is not None
    target = {"positions.close": str(position.id), "positions.move_stop": str(position.id),
              "positions.cancel_order": str(order.id), "positions.reprice_entry": str(order.id)
              }.get(name, str(account.id))
    with pytest.raises(NotFound):
        await TAKES_AN_OWNED_ID[name](api, target)
    with pytest.raises(NotFound):
        await TAKES_AN_OWNED_ID[name](api, "not-an-id")
    still = await Position.get(position.id)
    mine = await ExchangeAccount.get(account.id)
    assert still is not None and still.status == "open" and still.stop_loss == 41_000
    assert mine is not None and mine.is_default


async def test_a_waiting_entry_is_cancelled_and_its_position_with_it(api: SignalcordAPI, services: Services) -> None:
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL)
    await api.subscriptions.subscribe(ALICE, alpha.id)
    await api.risk.patch(ALICE, {"entry_style": "limit"})
    await _call(services, "BTC/USDT LONG entry 42000 TP1 43000 SL 41000 10x")  # the market is above: it waits
    [entry] = [o for o in await api.positions.orders(ALICE) if o.role == "entry"]
    assert await api.positions.cancel_order(ALICE, entry.id) == f"cancelled BTC/USDT {entry.leg}"
    assert await api.positions.open(ALICE) == [] and await api.positions.orders(ALICE) == []
    [ended] = await api.positions.history(ALICE)
    assert ended.status == "cancelled"
    with pytest.raises(Invalid, match="is already cancelled"):
        await api.positions.cancel_order(ALICE, entry.id)


async def test_exchange_keys_are_sealed_never_returned_and_accounts_route_by_their_new_mode(
        api: SignalcordAPI, services: Services) -> None:
    canary_key, canary_secret = "CANARYKEY0123456789", "CANARYSECRET0123456789"
    with pytest.raises(Invalid) as refused:
        await api.accounts.add(ALICE, exchange="kraken", label="", api_key="x", api_secret="y")
    assert len(refused.value.lines) == 3
    added = await api.accounts.add(ALICE, exchange="binance", label="main", api_key=canary_key,
                                   api_secret=canary_secret, passphrase="CANARYPASS")
    assert (added.mode, added.has_keys, added.is_default) == ("paper", True, False)
    assert canary_key not in added.model_dump_json() and canary_secret not in added.model_dump_json()
    stored = await ExchangeAccount.get(added.id)
    assert stored is not None and stored.api_key is not None and stored.api_passphrase is not None
    raw = stored.model_dump_json()
    assert canary_key not in raw and canary_secret not in raw and "CANARYPASS" not in raw
    sealed = stored.api_key
    assert services.secrets.open(sealed, owner=stored.user_id, field="api_key") == canary_key  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="already have an account called 'main'"):
        await api.accounts.add(ALICE, exchange="okx", label="main", api_key=canary_key, api_secret=canary_secret)
    okx = await api.accounts.add(ALICE, exchange="okx", label="okx", api_key=canary_key, api_secret=canary_secret)
    assert any("okx: orders are refused for now" in line for line in okx.key_check)  # told when it is added
    assert not any("refused for now" in line for line in added.key_check)
    await api.accounts.remove(ALICE, okx.id)

    await services.gateways.for_account(added.id)  # routed (and remembered) as paper
    assert added.id in services.gateways._paper_accounts
    with pytest.raises(Invalid, match="its key has not passed the testnet check"):
        await api.accounts.set_mode(ALICE, added.id, "testnet")
    await ExchangeAccount.find_one(ExchangeAccount.label == "main").update(  # as a passing check leaves it
        {"$set": {"permissions": ["testnet"]}})
    await api.accounts.set_mode(ALICE, added.id, "testnet")
    assert added.id not in services.gateways._paper_accounts  # the next order routes by the new mode
    assert (await api.accounts.set_default(ALICE, added.id)).is_default

    [paper] = [a for a in await api.accounts.list(ALICE) if a.label == "paper"]
    with pytest.raises(Invalid, match="the paper account stays"):
        await api.accounts.remove(ALICE, paper.id)
    assert await api.accounts.remove(ALICE, added.id) == "removed main; its keys are deleted"
    assert [(a.label, a.is_default) for a in await api.accounts.list(ALICE)] == [("paper", True)]
