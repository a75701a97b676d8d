"""An order leg's name, read in one place: its base ("tp2", "sl", "entry1"), its role, its number and its
generation ("sl.2" replaces "sl"; "tp2.m" takes the rest of tp2 at market). Nothing else slices leg names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class OrderRole(StrEnum):
    ENTRY = "entry"
    SL = "sl"
    TP = "tp"
    EXIT = "exit"
    STRAY = "stray"  # on the venue under our prefix with no record: adopted by reconciliation


_NAME: Final = re.compile(r"(?P<role>entry|sl|tp|exit|manual|stray)(?P<number>\d*)(?P<rest>[-.].*)?")


@dataclass(frozen=True)
class LegName:
    base: str  # the name without its generation: "tp2" for "tp2.3"
    role: OrderRole
    number: int  # tp2 -> 2, entry3 -> 3; 0 when the role has one leg
    generation: str  # what follows the dot: "2", "m"; "" for the first

    @classmethod
    def parse(cls, leg: str) -> LegName:
        base, _, generation = leg.partition(".")
        match = _NAME.match(base)
        if match is None:
            raise ValueError(f"not a leg name: {leg!r}")
        role = match.group("role")
        return cls(base=base, role=OrderRole.EXIT if role == "manual" else OrderRole(role),
                   number=int(match.group("number") or 0), generation=generation)

    def at_market(self) -> str:
        """The name of the market order that takes this leg's unfilled rest."""
        return f"{self.base}.m"

    def next_generation(self) -> str:
        """The name of the order that replaces this one: entry1 -> entry1.2 -> entry1.3. Derived from this name
        (not counted), so two replacements of one order are the same client id."""
        if self.generation and not self.generation.isdigit():
            raise ValueError(f"{self.base}.{self.generation} is not replaced by a new generation")
        return f"{self.base}.{int(self.generation or 1) + 1}"
