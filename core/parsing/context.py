"""What the parser knows besides the text: the provider's format hints, the venues' markets and the reply link."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ParseContext:
    default_quote: str = "USDT"
    default_leverage: float | None = None
    prices_in_satoshis: bool = False
    language: str = "en"
    reply_to: int | None = None
    # base assets the configured venues list (None: the bundled snapshot of the main venues)
    markets: frozenset[str] | None = None
    # the provider's taught formats (see core.parsing.templates), tried before the general rules
    templates: tuple[dict[str, Any], ...] = field(default_factory=tuple)
