"""What the collector finds in a message: values under their labels (sections), sides, leverages and marks.
The pure result of one pass over the tokens; `signal.py` and `consistency.py` turn it into a call."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

_RANGE_LABEL: Final = re.compile(r"zone|between|around|range|area", re.IGNORECASE)


@dataclass(slots=True)
class Value:
    number: float
    indexed: bool  # written after an item number ("1)", "TP2", "Target 3:")
    joined: bool  # joined to the previous value by a dash/underscore/"to" on the same line
    line: int = 0
    at: int = -1  # its token index
    raw: str = ""  # as written


@dataclass(slots=True)
class Section:
    kind: str  # entry | weak_entry | tp | stop | lev_label | ign
    label: str
    values: list[Value] = field(default_factory=list)
    percents: list[str] = field(default_factory=list)
    market: bool = False
    words: int = 0  # plain words since the label
    prose: int = -1  # plain words between the label and its first value (-1: no value yet)


@dataclass(slots=True)
class Draft:
    sections: list[Section] = field(default_factory=list)
    sides: list[str] = field(default_factory=list)  # written side words, in order
    leverages: list[tuple[float, bool]] = field(default_factory=list)  # (value, under a leverage label)
    market_outside: bool = False  # a market-entry word next to a side word, outside any label's section
    checks_after_numbers: int = 0  # ✅ right after a price: a result report
    trailing: str | None = None
    orphans: list[Value] = field(default_factory=list)  # numbers before any label
    beside: list[Value] = field(default_factory=list)  # unlabelled prices right after "long btc": the entry
    market_alone: bool = False  # a market instruction standing on its own line ("Market", "CMP")

    def first(self, kind: str) -> Section | None:
        return next((s for s in self.sections if s.kind == kind and (s.values or s.percents or s.market)), None)

    def all(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]


def entry_is_range(section: Section) -> bool:
    values = section.values
    if len(values) != 2 or any(v.indexed for v in values):
        return False
    return bool(_RANGE_LABEL.search(section.label)) or values[1].joined
