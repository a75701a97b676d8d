"""The signal pipeline: store the raw message, parse it, and hand the result to the right service.

Each step is idempotent, keyed by unique indexes (message: channel+message id; signal: message;
decision: signal+user; order: client id), so a replayed message is a no-op and an interrupted one can be
resumed (`resume_unfinished`) without a second order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from pymongo.errors import DuplicateKeyError

from core.clock import epoch_ms
from core.config.logs import RateLimitedLog
from core.domain import NewSignal, Noise, ParseResult, RawMessage, RejectedSignal, SignalUpdate
from core.parsing import ParseContext, parse
from core.services.intake.provider_updates import ProviderUpdates
from core.services.trade.trading import TradeOutcome, Trader
from models import Message, Provider, Signal, Subscription
from models.providers import FormatHints
from models.query import where
from models.refs import ref

logger = logging.getLogger(__name__)
_resume_log = RateLimitedLog(logger)
RESUME_GRACE: Final = timedelta(seconds=60)  # a message younger than this may still be in its live ingest
RESUME_LEASE_MS: Final = 5 * 60 * 1000


@dataclass
class IngestResult:
    status: str  # ignored | duplicate | processed
    kind: str | None = None  # signal | rejected | update | noise
    reason: str | None = None
    outcomes: list[TradeOutcome] = field(default_factory=list)


def reading_context(provider: Provider | None, reply_to: int | None = None,
                    markets: frozenset[str] | None = None) -> ParseContext:
    """How a provider's messages are read: its format hints and taught formats (none given: the defaults)."""
    hints = provider.format_hints if provider is not None else FormatHints()
    return ParseContext(default_quote=hints.default_quote, default_leverage=hints.default_leverage,
                        prices_in_satoshis=hints.prices_in_satoshis, language=hints.language, reply_to=reply_to,
                        templates=tuple(provider.format_templates) if provider is not None else (), markets=markets)


def _signal_doc(message: Message, parsed: NewSignal | RejectedSignal | SignalUpdate) -> Signal:
    common = {"message_id": ref(message), "provider_id": message.provider_id, "created_at": message.received_at}
    if isinstance(parsed, SignalUpdate):
        return Signal(**common, kind="update", symbol=parsed.symbol, update_action=parsed.action,
                      status="received", extras={"target": parsed.target, "new_stop": parsed.new_stop,
                                                 "percentage": parsed.percentage, "reply_to": parsed.reply_to})
    call = parsed.draft if isinstance(parsed, RejectedSignal) else parsed
    return Signal(**common, kind="signal", symbol=call.symbol, side=call.side, entry_type=call.entry_type,
                  entries=list(call.entries), take_profits=list(call.take_profits), stop_loss=call.stop_loss,
                  leverage=call.leverage, extras=dict(call.extras),
                  status="rejected" if isinstance(parsed, RejectedSignal) else "open",
                  reason=parsed.reason if isinstance(parsed, RejectedSignal) else None)


class Pipeline:
    def __init__(self, trader: Trader, markets: Callable[[], frozenset[str] | None] = lambda: None) -> None:
        self.trader = trader
        self.markets = markets  # the venues' base assets for the parser (None: its bundled snapshot)
        self.updates = ProviderUpdates(trader.protection, trader.closer, trader.notifier)

    async def ingest(self, raw: RawMessage) -> IngestResult:
        provider = await Provider.find_one(Provider.channel_id == raw.channel_id)
        if provider is None or not provider.enabled:
            why = "not a provider channel" if provider is None else f"provider disabled: {provider.disabled_reason}"
            return IngestResult("ignored", reason=why)
        message = Message(provider_id=ref(provider), channel_id=raw.channel_id, message_id=raw.message_id,
                          guild_id=raw.guild_id, author=raw.author, text=raw.text, reply_to=raw.reply_to,
                          posted_at=raw.created_at, received_at=self.trader.clock())
        try:
            await message.insert()
        except DuplicateKeyError:
            return IngestResult("duplicate", reason="this message was already processed")
        return await self._process(message, provider)

    async def resume_unfinished(self) -> int:
        """Finish messages stored but not fully processed (the process stopped mid-way). Only messages older than
        RESUME_GRACE are taken, so a live ingest is never raced, and each is claimed with a lease first, so two
        resumers (two processes) never both run it. One failing message is logged and skipped."""
        now = self.trader.clock()
        candidates = await Message.find(where(Message.status == "received",
                                              {"received_at": {"$lt": now - RESUME_GRACE}})).to_list()
        count = 0
        for message in candidates:
            if not await self._claim(message, epoch_ms(now)):
                continue
            try:
                provider = await Provider.get(message.provider_id)
                if provider is not None:
                    await self._process(message, provider)
                    count += 1
            except Exception:  # one bad message never stops the others; it is retried when its lease ends
                _resume_log.warning(str(message.id), "resuming message %s failed; the next run retries it",
                                    message.id, exc_info=True)
        if count:
            logger.info("resumed %d unfinished message(s)", count)
        return count

    @staticmethod
    async def _claim(message: Message, now_ms: int) -> bool:
        """Take the message for RESUME_LEASE_MS, unless another resumer holds it (atomic in MongoDB)."""
        claimed = await Message.get_pymongo_collection().find_one_and_update(
            {"_id": message.id, "status": "received",
             "$or": [{"lease_until_ms": None}, {"lease_until_ms": {"$lt": now_ms}}]},
            {"$set": {"lease_until_ms": now_ms + RESUME_LEASE_MS}})
        return claimed is not None

    async def _process(self, message: Message, provider: Provider) -> IngestResult:
        parsed: ParseResult = parse(message.text, reading_context(provider, message.reply_to, self.markets()))
        outcomes: list[TradeOutcome] = []
        reason: str | None = None
        if isinstance(parsed, Noise):
            reason = parsed.reason
        elif isinstance(parsed, NewSignal):  # the call is stored while its scope and audience are read
            scope, subs = await asyncio.gather(
                self.trader.decider.scope(self._store_signal(message, parsed), parsed, message, provider),
                self._subscribers(provider))
            outcomes = await self.trader.open_all(scope, subs)
        else:
            signal = await self._store_signal(message, parsed)
            if isinstance(parsed, SignalUpdate):
                reason = await self.updates.apply(signal, parsed, message)
            else:
                outcomes = await self.trader.reject_all(signal, parsed, await self._subscribers(provider))
                reason = parsed.reason
        await message.set({Message.status: "processed", Message.kind: parsed.kind, Message.reason: reason})
        return IngestResult("processed", kind=parsed.kind, reason=reason, outcomes=outcomes)

    @staticmethod
    async def _subscribers(provider: Provider) -> list[Subscription]:
        return await Subscription.find(where(Subscription.provider_id == ref(provider),
                                             Subscription.enabled == True)).to_list()  # noqa: E712

    async def _store_signal(self, message: Message, parsed: NewSignal | RejectedSignal | SignalUpdate) -> Signal:
        try:
            return await _signal_doc(message, parsed).insert()
        except DuplicateKeyError:
            found = await Signal.find_one(Signal.message_id == ref(message))
            assert found is not None  # noqa: S101 - the unique index just said it exists
            return found
