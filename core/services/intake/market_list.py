"""The venues' market list for the parser: the base assets each configured exchange lists (ccxt load_markets),
cached in MongoDB and refreshed daily. One failing venue keeps its cached list; with no venue configured or none
ever reached, the parser uses its bundled snapshot (`current()` is None)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final, Protocol

from core.clock import Clock, epoch_ms
from core.market.prices import PriceUnavailable
from models.market import VenueMarkets

logger = logging.getLogger(__name__)

REFRESH_MS: Final = 24 * 3600 * 1000


class ListsMarkets(Protocol):
    name: str

    async def base_assets(self) -> frozenset[str]: ...


class MarketList:
    def __init__(self, venues: Sequence[ListsMarkets], clock: Clock) -> None:
        self.venues = list(venues)
        self.clock = clock
        self._bases: dict[str, frozenset[str]] = {}
        self._fetched_ms: dict[str, int] = {}

    def current(self) -> frozenset[str] | None:
        """The union of the venues' base assets, or None when no list is known (the parser's snapshot then)."""
        if not self._bases:
            return None
        return frozenset().union(*self._bases.values())

    async def load(self) -> None:
        """The cached lists, then a refresh of the venues whose list is missing or a day old."""
        names = [venue.name for venue in self.venues]
        for doc in await VenueMarkets.find({"exchange": {"$in": names}}).to_list():
            self._bases[doc.exchange] = frozenset(doc.bases)
            self._fetched_ms[doc.exchange] = doc.fetched_at_ms
        await self.refresh(only_stale=True)

    async def refresh(self, only_stale: bool = False) -> None:
        """Fetch each venue's list; a venue that fails keeps what was cached (logged, the others go on)."""
        now = epoch_ms(self.clock())
        for venue in self.venues:
            if only_stale and now - self._fetched_ms.get(venue.name, 0) < REFRESH_MS:
                continue
            try:
                bases = await venue.base_assets()
            except PriceUnavailable as exc:
                logger.warning("market list of %s not refreshed (kept the cached one): %s", venue.name, exc)
                continue
            if not bases:
                logger.warning("market list of %s came back empty (kept the cached one)", venue.name)
                continue
            doc = await VenueMarkets.find_one(VenueMarkets.exchange == venue.name)
            if doc is None:
                doc = VenueMarkets(exchange=venue.name, bases=sorted(bases), fetched_at_ms=now)
            else:
                doc.bases, doc.fetched_at_ms = sorted(bases), now
            await doc.save()
            self._bases[venue.name] = bases
            self._fetched_ms[venue.name] = now
