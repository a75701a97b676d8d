"""Beanie documents: the persistence schema. Import `ALL_DOCUMENTS` to initialise Beanie."""

from beanie import Document

from models.events import AuditEvent, Notification
from models.market import Candle, MonitorCursor, VenueMarkets
from models.orders import Fill, OrderIntent, Position, RealizedPnl
from models.paper import PaperHoldingDoc, PaperJournal, PaperOrder
from models.providers import Provider, Subscription
from models.servers import ServerAccess
from models.signals import Decision, Message, Signal
from models.users import ExchangeAccount, User
from models.web import LoginLink, RateWindow, WebSession

ALL_DOCUMENTS: list[type[Document]] = [
    User, ExchangeAccount, Provider, Subscription, Message, Signal, Decision,
    OrderIntent, Fill, Position, RealizedPnl, Notification, AuditEvent, PaperOrder, PaperHoldingDoc,
    PaperJournal,
    Candle, MonitorCursor, VenueMarkets, ServerAccess, WebSession, LoginLink, RateWindow,
]

__all__ = [
    "ALL_DOCUMENTS",
    "AuditEvent",
    "Candle",
    "Decision",
    "ExchangeAccount",
    "Fill",
    "LoginLink",
    "Message",
    "MonitorCursor",
    "Notification",
    "OrderIntent",
    "PaperHoldingDoc",
    "PaperJournal",
    "PaperOrder",
    "Position",
    "Provider",
    "RateWindow",
    "RealizedPnl",
    "ServerAccess",
    "Signal",
    "Subscription",
    "User",
    "VenueMarkets",
    "WebSession",
]
