"""The front-ends' only door: the Discord bot and the dashboard call these and nothing else. Plain arguments in
(a `Caller`, ids, values), plain typed results out (`core.api.views`), refusals as `NotFound`, `Forbidden` or
`Invalid` with a readable message. Ownership is checked here: another user's object is NotFound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.api.accounts import Accounts
from core.api.activity import Activity
from core.api.channels import (
    Health,
    IngestSummary,
    Intake,
    NotificationEvent,
    Notifications,
    NotificationSink,
    PermanentDeliveryError,
)
from core.api.common import Members
from core.api.errors import ApiError, Forbidden, Invalid, NotFound
from core.api.feed import Feed
from core.api.market import Market
from core.api.members import Risk, Subscriptions
from core.api.providers import Providers
from core.api.rate_windows import MongoRateStorage
from core.api.servers import Servers
from core.api.standing import Standing
from core.api.status import Status
from core.api.trading import Positions
from core.api.views import Caller
from core.api.web import LoginLinks, WebSessions
from core.api.webhooks import Webhooks
from core.crypto import SecretBox
from core.execution.key_check import KeyChecker
from core.services.decide.deciding import Decider
from core.services.intake.accounts import AccountService
from core.services.intake.edits import CallEdits
from core.services.intake.pipeline import Pipeline
from core.services.notify.notifier import Notifier
from core.services.orders.routing import GatewayRouter
from core.services.trade.closing import PositionCloser


@dataclass(frozen=True)
class SignalcordAPI:
    providers: Providers
    subscriptions: Subscriptions
    risk: Risk
    positions: Positions
    accounts: Accounts
    activity: Activity
    intake: Intake
    notifications: Notifications
    status: Status
    servers: Servers
    standing: Standing
    web_sessions: WebSessions
    login_links: LoginLinks
    rate_windows: MongoRateStorage  # the dashboard's rate-limit counts, shared by its processes
    market: Market
    feed: Feed
    webhooks: Webhooks

    @classmethod
    def build(cls, *, accounts: AccountService, decider: Decider, closer: PositionCloser, pipeline: Pipeline,
              notifier: Notifier, health: Health, secrets: SecretBox, router: GatewayRouter,
              check_key: KeyChecker | None = None, scheduler: Any = None) -> SignalcordAPI:
        members = Members(accounts)
        return cls(providers=Providers(), subscriptions=Subscriptions(members), risk=Risk(members),
                   positions=Positions(members, closer),
                   accounts=Accounts(members, decider, secrets, router, check_key),
                   activity=Activity(members, decider), intake=Intake(pipeline, CallEdits(notifier)),
                   notifications=Notifications(notifier), status=Status(health, decider.prices, scheduler),
                   servers=Servers(),
                   standing=Standing(members, decider), web_sessions=WebSessions(), login_links=LoginLinks(),
                   rate_windows=MongoRateStorage(),
                   market=Market(decider), feed=Feed(members), webhooks=Webhooks(pipeline, decider.clock))


__all__ = ["ApiError", "Caller", "Forbidden", "IngestSummary", "Invalid", "NotFound", "NotificationEvent",
           "NotificationSink", "PermanentDeliveryError", "SignalcordAPI"]
