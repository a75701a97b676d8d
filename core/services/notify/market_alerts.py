"""Market-data alerts (a symbol halted because the exchanges disagree, or resumed): written to the audit log
and told to every user holding a position in that symbol, since its automatic exits wait while it is halted."""

from __future__ import annotations

from core.clock import Clock, epoch_ms
from core.domain import NotificationKind
from core.services.notify import messages
from core.services.notify.notifier import Notifier
from models import AuditEvent, Position, User


class MarketAlerts:
    def __init__(self, notifier: Notifier, clock: Clock) -> None:
        self.notifier = notifier
        self.clock = clock

    async def __call__(self, symbol: str, text: str, halted: bool) -> None:
        kind = NotificationKind.MARKET_HALTED if halted else NotificationKind.MARKET_RESUMED
        await AuditEvent(actor="system", action=kind, subject=symbol, details={"text": text},
                         created_at=self.clock()).insert()
        stamp = str(epoch_ms(self.clock()))
        for position in await Position.active(symbol=symbol):
            user = await User.get(position.user_id)
            if user is not None:
                await self.notifier.notify(user, kind, messages.market_alert(text, halted),
                                           signal_id=position.signal_id, once_per=stamp)
