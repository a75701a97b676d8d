"""Where a member stands now, for the dashboard's overview and heat view: equity, today's loss against the daily
limit, and each open position's risk to its stop against the portfolio heat limit."""

from __future__ import annotations

import asyncio
import logging

from pydantic import BaseModel

from core.api.activity import recent_notifications
from core.api.common import Members
from core.api.errors import NotFound
from core.api.trading import open_views
from core.api.views import Caller, NotificationView, PositionView
from core.risk.checks import loss_limit
from core.services.decide.deciding import Decider, exposure
from models import Position, User
from models.refs import ref

logger = logging.getLogger(__name__)


class HeatView(BaseModel):
    position_id: str
    symbol: str
    side: str
    risk: float  # loss if the stop is hit (the margin when there is no stop), quote currency


class StandingView(BaseModel):
    account: str
    mode: str
    quote: str
    equity: float | None  # None: the exchange did not answer (`problem` says why)
    problem: str | None
    day_loss: float
    daily_limit: float | None
    paused: bool
    paused_reason: str | None
    heat: list[HeatView]
    heat_total: float
    heat_limit: float | None


class OverviewView(BaseModel):
    """The dashboard's first page in one read: where the member stands, open positions, latest notifications."""

    standing: StandingView
    positions: list[PositionView]
    notifications: list[NotificationView]


class Standing:
    def __init__(self, members: Members, decider: Decider) -> None:
        self.members = members
        self.decider = decider

    async def now(self, caller: Caller) -> StandingView:
        user = await self.members.user(caller)
        return await self._standing(user, *await self.decider.held_and_lost(user))

    async def overview(self, caller: Caller, notifications: int = 8) -> OverviewView:
        user = await self.members.user(caller)
        (positions, loss), notes = await asyncio.gather(self.decider.held_and_lost(user),
                                                        recent_notifications(user, notifications))
        return OverviewView(standing=await self._standing(user, positions, loss),
                            positions=await open_views(user, positions), notifications=notes)

    async def _standing(self, user: User, positions: list[Position], loss: float) -> StandingView:
        account = await self.members.accounts.default_account(ref(user))
        if account is None:
            raise NotFound("you have no exchange account")
        equity: float | None
        problem = None
        quote = ""
        try:
            balances = await self.decider.balances(account)
            quote = max(balances, key=lambda q: balances[q], default="")
            equity = balances.get(quote, 0.0)
        except Exception as exc:  # an exchange that does not answer must not take the page down
            logger.warning("standing of %s: balance unreadable: %s", ref(user), exc)
            equity, problem = None, f"{account.exchange} did not return the balance ({type(exc).__name__})"
        profile = user.settings.risk
        heat = [HeatView(position_id=str(p.id), symbol=p.symbol, side=p.side.value, risk=exposure(p).risk)
                for p in positions]
        cap = profile.max_portfolio_heat_pct
        return StandingView(
            account=account.label, mode=account.mode.value, quote=quote, equity=equity, problem=problem,
            day_loss=loss, daily_limit=loss_limit(profile, equity), paused=user.trading_paused,
            paused_reason=user.paused_reason, heat=heat, heat_total=sum(h.risk for h in heat),
            heat_limit=None if cap is None or equity is None else cap * equity / 100)
