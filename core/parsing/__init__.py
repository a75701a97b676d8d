"""Turns a provider's message into a NewSignal, a SignalUpdate, a RejectedSignal or Noise (with a reason).

Pure: no I/O. `parse` never raises and returns within a few milliseconds for any input.
"""

from core.parsing.context import ParseContext
from core.parsing.parser import parse

__all__ = ["ParseContext", "parse"]
