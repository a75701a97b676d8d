"""Turns a provider's message into a NewSignal, a SignalUpdate, a RejectedSignal or Noise (with a reason).

Pure: no I/O. `parse` never raises and returns within a few milliseconds for any input. The modules run
compiled by mypyc when a matching build exists (see `native`), interpreted otherwise.
"""

from core.parsing import native

native.activate(__path__)

from core.parsing.context import ParseContext  # noqa: E402 - after the build is chosen
from core.parsing.parser import parse  # noqa: E402

__all__ = ["ParseContext", "parse"]
