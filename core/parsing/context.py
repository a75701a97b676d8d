"""What the parser knows besides the text: the provider's format hints and the reply link."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParseContext:
    default_quote: str = "USDT"
    default_leverage: float | None = None
    prices_in_satoshis: bool = False
    language: str = "en"
    reply_to: int | None = None
