"""The composition root: settings -> key, database, gateways, services, scheduler, in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pymongo import AsyncMongoClient

from core.api import SignalcordAPI
from core.clock import Clock, system_clock
from core.config.settings import Settings
from core.crypto import SecretBox, decode_keys, load_or_create_key_file
from core.execution.costs import Costs, CostSettings
from core.execution.key_check import check_key
from core.execution.paper import PaperGateway
from core.market.failover import MarketData, MarketSource
from core.market.live import CcxtMarketData
from core.market.prices import PriceSource, QuoteBars, ReplayPriceSource
from core.services.decide.deciding import Decider
from core.services.intake.accounts import AccountService
from core.services.intake.market_list import MarketList
from core.services.intake.pipeline import Pipeline
from core.services.jobs.monitor import Monitor
from core.services.jobs.reconcile import Reconciler
from core.services.notify.delivery import Delivery
from core.services.notify.market_alerts import MarketAlerts
from core.services.notify.notifier import Notifier
from core.services.notify.summary import DailySummary
from core.services.orders.desk import OrderDesk
from core.services.orders.paper_store import MongoPaperStore
from core.services.orders.positions import PositionKeeper
from core.services.orders.protection import Protection
from core.services.orders.routing import GatewayRouter, ccxt_connector
from core.services.orders.sending import OrderSender
from core.services.trade.closing import PositionCloser
from core.services.trade.trading import Trader
from models.bootstrap import DatabaseUnavailable, make_client, open_database, ping
from models.embedded import EmbeddedMongo

logger = logging.getLogger(__name__)
DELIVERY_INTERVAL_S = 2  # notifications wait at most this long for the delivery job


@dataclass
class Services:
    settings: Settings
    client: AsyncMongoClient[dict[str, Any]]
    secrets: SecretBox
    accounts: AccountService
    notifier: Notifier
    pipeline: Pipeline
    scheduler: AsyncIOScheduler
    clock: Clock
    monitor: Monitor
    protection: Protection
    gateways: GatewayRouter
    paper: PaperGateway  # the paper exchange (its store recovers half-written batches at start-up)
    reconciler: Reconciler
    market_list: MarketList
    delivery: Delivery
    api: SignalcordAPI  # what the front-ends call

    async def health(self, timeout: float = 3.0) -> tuple[bool, dict[str, str]]:
        return await database_health(self.client, timeout)

    async def start_up(self) -> None:
        """Before taking new work: finish the paper exchange's half-written batches, learn what reached the venues
        while we were down (reconcile), then finish the messages an earlier run stopped in the middle of. A
        failing step is logged; the jobs retry it."""
        steps = (("paper exchange", self.paper.store.recover), ("market list", self.market_list.load),
                 ("reconcile", self.reconciler.run),
                 ("resume", self.pipeline.resume_unfinished))
        for name, step in steps:
            try:
                await step()
            except Exception:
                logger.exception("start-up %s failed; its scheduled job will try again", name)


async def database_health(client: AsyncMongoClient[dict[str, Any]], timeout: float = 3.0
                          ) -> tuple[bool, dict[str, str]]:
    """(healthy, report) for /healthz and the Docker HEALTHCHECK: each part and what is wrong with it."""
    try:
        await ping(client, timeout)
        db = "ok"
    except DatabaseUnavailable as exc:
        db = f"error: {exc}"
    healthy = db == "ok"
    return healthy, {"status": "ok" if healthy else "degraded", "db": db}


def load_secret_box(settings: Settings) -> SecretBox:
    if settings.secret_key is not None:
        return SecretBox(decode_keys(settings.secret_key.get_secret_value(), "SIGNALCORD_SECRET_KEY"))
    return SecretBox(load_or_create_key_file(settings.key_file))


def paper_costs(settings: Settings) -> CostSettings:
    return CostSettings(fee=settings.paper_fee_model, maker_rate=settings.paper_maker_fee_rate,
                        taker_rate=settings.paper_fee_rate, slippage=settings.paper_slippage,
                        slippage_bps=settings.paper_slippage_bps)


def market_data(settings: Settings, clock: Clock, alerts: MarketAlerts) -> PriceSource:
    """Offline candle replay (the default), or live tickers from a failover chain of exchanges."""
    if settings.price_feeds == "replay":
        return ReplayPriceSource()
    sources: list[MarketSource] = [
        CcxtMarketData.build(name, base_url=settings.exchange_base_url, rate_limit_ms=settings.exchange_rate_limit_ms)
        for name in settings.price_feeds.split(",")]
    return MarketData(sources, clock, max_age_s=settings.price_max_age_s, anomaly_pct=settings.price_anomaly_pct,
                      on_alert=alerts)


@asynccontextmanager
async def database_uri(settings: Settings) -> AsyncIterator[str]:
    """MONGODB_URI, or the embedded server in the data dir: started here, stopped on the way out."""
    if settings.mongodb_uri is not None:
        yield settings.mongodb_uri.get_secret_value()
        return
    embedded = EmbeddedMongo(settings.data_dir.resolve())
    uri = await asyncio.to_thread(embedded.start)
    try:
        yield uri
    finally:
        await asyncio.to_thread(embedded.stop)


@asynccontextmanager
async def build_services(
    settings: Settings, *, prices: PriceSource | None = None, clock: Clock = system_clock
) -> AsyncIterator[Services]:
    """Everything the roles need, opened in order and closed in reverse (also on errors)."""
    secrets = load_secret_box(settings)
    async with database_uri(settings) as uri:
        client = make_client(uri)
        scheduler = AsyncIOScheduler(timezone=UTC)
        gateways: GatewayRouter | None = None
        market: MarketData | None = None
        try:
            await open_database(client, settings.db_name)
            accounts = AccountService(settings.paper_start_balance)
            notifier = Notifier(clock)
            price_source = prices or market_data(settings, clock, MarketAlerts(notifier, clock))
            market = price_source if isinstance(price_source, MarketData) else None
            paper = PaperGateway(prices=price_source, store=MongoPaperStore(), clock=clock,
                                 costs=Costs.from_settings(paper_costs(settings)))
            gateways = GatewayRouter(paper, ccxt_connector(secrets, settings.exchange_base_url,
                                                              rate_limit_ms=settings.exchange_rate_limit_ms))
            desk = OrderDesk(gateways, clock)
            sender = OrderSender(desk, PositionKeeper(gateways, clock), notifier)
            protection = Protection(desk, sender, sender.keeper)
            sender.after_report = protection.sync  # a report that moved a position re-syncs its protection
            closer = PositionCloser(protection, notifier, clock)
            trader = Trader(desk=desk, protection=protection, decider=Decider(price_source, clock, gateways),
                            closer=closer, notifier=notifier, clock=clock)
            venues = [source for source in market.sources if isinstance(source, CcxtMarketData)] if market else []
            market_list = MarketList(venues, clock)
            pipeline = Pipeline(trader, market_list.current)
            feed = price_source if isinstance(price_source, ReplayPriceSource) else QuoteBars(price_source)
            monitor = Monitor(protection, feed, paper, clock, on_closed=trader.after_close)
            closer.on_closed = trader.after_close  # the daily-loss pause follows every close, not only the monitor's
            scheduler.add_job(monitor.tick, "interval", seconds=settings.monitor_interval_s, id="monitor",
                              max_instances=1, coalesce=True)
            reconciler = Reconciler(protection, notifier, clock)
            scheduler.add_job(reconciler.run, "interval", minutes=1, id="reconcile", max_instances=1, coalesce=True)
            scheduler.add_job(pipeline.resume_unfinished, "interval", minutes=1, id="resume_unfinished",
                              max_instances=1, coalesce=True)
            scheduler.add_job(market_list.refresh, "interval", hours=24, id="market_list", max_instances=1,
                              coalesce=True)
            delivery = Delivery(notifier, clock)
            scheduler.add_job(delivery.run, "interval", seconds=DELIVERY_INTERVAL_S, id="deliver_notifications",
                              max_instances=1, coalesce=True)
            scheduler.add_job(DailySummary(notifier, clock).run, "interval", minutes=5, id="daily_summary",
                              max_instances=1, coalesce=True)
            api = SignalcordAPI.build(accounts=accounts, decider=trader.decider, closer=closer, pipeline=pipeline,
                                      notifier=notifier, health=lambda timeout: database_health(client, timeout),
                                      secrets=secrets, router=gateways,
                                      check_key=partial(check_key, base_url=settings.exchange_base_url,
                                                        rate_limit_ms=settings.exchange_rate_limit_ms),
                                      scheduler=scheduler)
            scheduler.add_job(api.web_sessions.sweep, "interval", hours=1, id="web_sessions_sweep",
                              max_instances=1, coalesce=True)
            scheduler.add_job(api.rate_windows.sweep, "interval", hours=1, id="rate_windows_sweep",
                              max_instances=1, coalesce=True)
            yield Services(settings=settings, client=client, secrets=secrets, accounts=accounts,
                           notifier=notifier, pipeline=pipeline, scheduler=scheduler, clock=clock, monitor=monitor,
                           protection=protection, gateways=gateways, paper=paper, reconciler=reconciler,
                           market_list=market_list,
                           delivery=delivery, api=api)
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=False)
            if gateways is not None:
                await gateways.close()
            if market is not None:
                await market.close()
            await client.close()
