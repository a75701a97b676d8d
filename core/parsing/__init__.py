"""Turns a provider's message into a NewSignal, a SignalUpdate or Noise (with a reason). Pure: no I/O."""

from core.parsing.context import ParseContext
from core.parsing.simple import parse

__all__ = ["ParseContext", "parse"]
