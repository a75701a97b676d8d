"""Walk the tokens of a normalised message and collect the trade fields under their labels.

Tokens come from one cheap regex (line breaks, alphanumeric runs, single symbols); labels are phrases
looked up in `lexicon.PHRASES`, so the cost is one dictionary probe per word.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from core.parsing.draft import Draft, Section, Value
from core.parsing.lexicon import (
    CHECKS,
    CLOSER_LOOK_INITIALS,
    ENTERED,
    HORIZON_WORDS,
    INTERESTING,
    LEVERAGE,
    LEVERAGE_SUFFIXES,
    LONE_SIDES,
    NEGATIONS,
    PHRASES,
    RANGE_WORDS,
    THOUSANDS,
    TP_INDEXED,
    WEAK_ENTRY_WORDS,
    is_han,
    is_number,
    side_of_word,
    to_number,
)
from core.parsing.tokens import MAX_INDEX, Tokens, is_index, price_token

PROSE_WORDS: Final = 6  # a label followed by this many words before any number is prose ("our last entry and it...")
# a market word counts outside an entry label this close to a side word on its line ("Took an ETH scalp long")
MARKET_NEAR: Final = 4
MARKET_WORDS: Final = 1  # ... and inside an entry section only this soon after the label ("Entry at CMP")
_INERT: Final = frozenset({":", "(", ")", "$", "=", "+", "/", ".", "#", "%"})
TRAILING_TOKENS: Final = 40


@lru_cache(maxsize=512)
def _label_side(label: str) -> str | None:
    """The side a label names ("buy zone", "short below"), or None ("entry zone")."""
    return next((found for word in label.split() if (found := side_of_word(word))), None)


class _Collector:
    def __init__(self, lower: str) -> None:
        self.tokens = Tokens(lower)
        self.draft = Draft()
        self.current: Section | None = None
        self.indexed_next = False
        self.joined_next = False
        self.blank_run = 0
        self.last = ""
        self.market_at: list[tuple[int, int]] = []  # (token index, line)
        self.side_at: list[tuple[int, int]] = []
        self.line = 0

    def open(self, kind: str, label: str) -> None:
        """Start a section; labels are lower-case already (they come from the tokens)."""
        side = _label_side(label) if kind in ("entry", "side_entry") else None
        if kind == "side_entry" or (kind == "entry" and side is not None):  # "Buy zone", "Short below", "SELL 3"
            kind = "tp" if self.draft.first("entry") else "entry"
            if side:
                self.draft.sides.append(side)
        self.current = Section(kind=kind, label=label)
        self.draft.sections.append(self.current)

    def value(self, number: float, at: int = -1) -> None:
        cur = self.current
        value = Value(number, self.indexed_next, self.joined_next, self.line, at,
                      self.tokens.lower[at] if at >= 0 else "")
        if cur is None:
            self.draft.orphans.append(value)
        elif cur.kind == "lev_label":  # "leverage 20", "плечо - 30": a leverage label's bare number
            if not cur.values and number.is_integer() and 1 <= number <= 200:
                cur.values.append(value)
                self.draft.leverages.append((number, True))
        elif cur.kind != "ign":
            if not cur.values:
                cur.prose = cur.words
            cur.values.append(value)
        self.indexed_next = self.joined_next = False

    def beside_side(self) -> list[Value]:
        """Prices written right after a side word, at most two words between ("long btc 60000 - 60500")."""
        lower, count = self.tokens.lower, self.tokens.count
        orphans = {value.at: value for value in self.draft.orphans}
        for side, _ in self.side_at:
            k = side + 1
            while k < min(count, side + 3) and lower[k].isalnum() and not is_han(lower[k]) and not is_number(lower[k]):
                k += 1  # a ticker, or a word and a ticker ("лонг по ARB 0.82")
            if k in orphans:
                found = [orphans[k]]
                nxt = next((v for v in self.draft.orphans if v.at > k), None)
                if nxt is not None and nxt.joined and nxt.line == found[0].line:
                    found.append(nxt)
                return found
        return []

    def entry_after(self, label: str) -> None:
        """A label written after its value ("2605附近": around 2605): the numbers just before it on this line."""
        orphans = self.draft.orphans
        cur = self.current
        taken: list[Value] = []
        if orphans and orphans[-1].line == self.line:
            while orphans and orphans[-1].line == self.line:
                taken.insert(0, orphans.pop())
        elif cur is not None and cur.kind == "weak_entry" and cur.values:
            return
        if taken:
            section = Section(kind="entry", label=label, values=taken)
            self.draft.sections.append(section)
            self.current = None

    def newline(self) -> None:
        self.line += 1
        self.blank_run += 1
        self.joined_next = False
        cur = self.current
        if cur is not None and (cur.kind in ("ign", "lev_label") or (
                self.blank_run >= 2 and cur.kind in ("entry", "weak_entry", "stop") and (cur.values or cur.percents))):
            self.current = None

    def word(self) -> None:
        self.blank_run = 0
        cur = self.current
        if cur is not None:
            cur.words += 1
            if cur.words >= PROSE_WORDS and not cur.values and not cur.percents:
                self.current = None

    def run(self) -> Draft:
        lower, count = self.tokens.lower, self.tokens.count
        interesting, closer, inert = INTERESTING, CLOSER_LOOK_INITIALS, _INERT
        i = 0
        while i < count:
            low = lower[i]
            if low in inert:  # punctuation only read as context by the rules around it
                i += 1
                continue
            if low == "-":  # a dash joins the value before it to the next one
                self.joined_next = self.last == "num"
                i += 1
                continue
            first = low[0]
            if first.isalpha() and low not in interesting and first not in closer:
                self.word()  # the common case: a word that is neither a label nor a side
                i += 1
            else:
                i = self.step(i)
        draft = self.draft
        draft.beside = self.beside_side()
        draft.market_outside = any(abs(m - s) <= MARKET_NEAR and m_line == s_line
                                   for m, m_line in self.market_at for s, s_line in self.side_at)
        return draft

    def step(self, i: int) -> int:
        low = self.tokens.lower[i]
        first = low[0]
        if low == "\n":
            self.newline()
            return i + 1
        if low in PHRASES:
            phrase = self.tokens.phrase_at(i)
            if phrase is not None:
                kind, used = phrase
                return self.labelled(i, kind, self.tokens.joined(i, i + used), used)
        self.blank_run = 0
        if first.isdigit():
            return self.numeric(i, low)
        if low in LEVERAGE_SUFFIXES and self.last == "num":
            self.suffixed_leverage()  # "10倍": the number before was a leverage
            return i + 1
        if first.isalpha():
            return self.alpha(i, low)
        if low in CHECKS:
            if self.last == "num":
                self.draft.checks_after_numbers += 1
            self.last = "check"
        elif low in RANGE_WORDS:
            self.joined_next = self.last == "num"
        elif low == "@":
            self.weak_entry(i, low)
        return i + 1

    def lone_side(self, i: int, low: str) -> str | None:
        """多/空 standing alone (not inside a longer word such as 很多 or 空仓) name the side."""
        side = LONE_SIDES.get(low)
        if side is None:
            return None
        lower = self.tokens.lower
        joined = (i > 0 and is_han(lower[i - 1])) or (i + 1 < self.tokens.count and is_han(lower[i + 1]))
        return None if joined else side

    def weak_entry(self, i: int, low: str) -> None:
        """"at"/"@"/"from" before a price: an entry, unless a label waits for its value ("Stop at 41000", "Take
        profit @ 3150": a filler inside that field)."""
        cur = self.current
        waiting = cur is not None and not cur.values and cur.kind in ("entry", "tp", "stop", "weak_entry")
        if not waiting and self.tokens.number_after(i) is not None:
            self.open("weak_entry", low)
            self.last = "label"
        elif low == "here":  # "buying #BICO here": at the market, now
            self.market_at.append((i, self.line))

    def alpha(self, i: int, low: str) -> int:
        side = side_of_word(low) or self.lone_side(i, low)
        if side is not None:
            return self.side_word(i, side)
        if low in WEAK_ENTRY_WORDS:
            self.weak_entry(i, low)
            return i + 1
        if low in RANGE_WORDS:  # "to" between two numbers
            self.joined_next = self.last == "num"
            return i + 1
        if low[0] in "xх":
            lev = LEVERAGE.fullmatch(low)
            if lev is not None:
                self.leverage(i, float(lev.group(2)))
                return i + 1
        elif low[0] == "t":
            tp = TP_INDEXED.fullmatch(low)
            if tp is not None:
                self.open("tp", low)
                self.indexed_next = True
                self.last = "label"
                return i + 1
        self.word()
        return i + 1

    def numeric(self, i: int, low: str) -> int:
        if is_number(low):
            return self.number(i)
        last = low[-1]
        lev = LEVERAGE.fullmatch(low) if last in LEVERAGE_SUFFIXES else None
        if lev is not None:
            self.leverage(i, float(lev.group(1)))
            return i + 1
        thousands = THOUSANDS.fullmatch(low) if last == "k" else None
        if thousands is not None:
            self.value(float(thousands.group(1)) * 1000)
            self.last = "num"
            return i + 1
        self.word()  # "3d", "24hr", "8bit": not a price
        return i + 1

    def labelled(self, i: int, kind: str, label: str, used: int) -> int:
        if kind == "ign_rest":
            if "trailing" in label:  # keep the instruction (up to a few lines) for the execution engine
                end = min(self.tokens.count, i + TRAILING_TOKENS)
                self.draft.trailing = " ".join(t for t in self.tokens.lower[i:end] if t != "\n")
            return self.tokens.count
        self.blank_run = 0
        if kind.startswith("side_"):
            return self.side_word(i + used - 1, kind[5:], start=i)
        if kind.startswith("market_"):  # "现价多": at market, long
            self.market_at.append((i, self.line))
            return self.side_word(i + used - 1, kind[7:], start=i)
        if kind == "entry_after":
            self.entry_after(label)
            return i + used
        if kind == "market":
            cur = self.current
            if cur is not None and cur.kind in ("entry", "weak_entry"):
                cur.market = cur.market or cur.words <= MARKET_WORDS
            elif self.tokens.number_after(i + used - 1) is not None and (cur is None or cur.kind != "ign"):
                self.open("entry", label)  # "CMP 42000", "市价：59100": a market entry and its reference price
                self.current.market = True  # type: ignore[union-attr]
                self.last = "label"
            elif cur is None or cur.kind != "ign":
                self.market_at.append((i, self.line))
                self.draft.market_alone |= self.tokens.alone(i, i + used)
            return i + used
        self.open(kind, label)
        if kind == "entry" and any(line == self.line for _, line in self.market_at):
            self.current.market = True  # type: ignore[union-attr]  # "current price (at market) entry 0.0255"
        self.last = "label"
        return i + used

    def side_word(self, i: int, side: str, start: int | None = None) -> int:
        """A side word (or the last token of a side phrase that began at `start`)."""
        tokens = self.tokens
        k = i + 1
        while k < tokens.count and tokens.lower[k] == "-":
            k += 1
        if k < tokens.count and tokens.lower[k] in HORIZON_WORDS:
            self.word()
            return k + 1  # "short term", "long-term": a horizon, not a side
        first = i if start is None else start
        if any(tokens.lower[b] in NEGATIONS for b in range(max(0, first - 2), first)):
            self.word()
            return i + 1  # "do not sell": no side
        if tokens.number_after(i) is not None:
            self.open("side_entry", tokens.lower[i] if start is None else "side")
            if start is not None:
                self.draft.sides.append(side)
            self.last = "label"
            return i + 1
        self.draft.sides.append(side)
        self.side_at.append((i if start is None else start, self.line))
        if tokens.lower[i] in ENTERED:  # "longed BTC": the trade was entered at market
            self.market_at.append((i, self.line))
        return i + 1

    def suffixed_leverage(self) -> None:
        cur = self.current
        holder = cur.values if cur is not None and cur.values else self.draft.orphans
        if holder:
            self.leverage(-1, holder.pop().number)

    def leverage(self, i: int, value: float) -> None:
        lower = self.tokens.lower
        # "5-10x", "3- 8X", "20x/50x": the lower bound is the number before the dash
        if i >= 2 and lower[i - 1] in ("-", "/") and lower[i - 2] != "\n":
            before = lower[i - 2]
            lev = LEVERAGE.fullmatch(before)
            if lev is not None:
                return  # the range's lower bound was recorded with its own x
            if is_number(before):
                value = to_number(before)
                cur = self.current
                if cur is not None and cur.values and cur.values[-1].number == value:
                    cur.values.pop()
        if value < 1:
            return  # "0x" is a project's name, not a leverage
        under_label = self.current is not None and self.current.kind == "lev_label"
        self.draft.leverages.append((value, under_label))
        self.last = "lev"

    def number(self, i: int) -> int:
        tokens = self.tokens
        low = tokens.lower[i]
        nxt = tokens.lower[i + 1] if i + 1 < tokens.count else ""
        if i > 0 and tokens.lower[i - 1] == "#":
            return i + 1  # an id such as "#0941"
        if nxt == "%":
            return self.percent(i)
        if is_index(tokens, i) or self.item_after_label(i):
            self.indexed_next = True
            self.last = "index"
            return i + 1
        self.value(to_number(low), i)
        self.last = "num"
        return i + 1

    def item_after_label(self, i: int) -> bool:
        """An item number of a target list: "Target 1 - 0.52", "Alvo 6 - Lua!: 263.10", or at a line's start
        inside the list ("1 - 0.52", "[2] 0.54", "🎯3 0.56"); "$10 target 1" ends its line with it."""
        tokens, cur = self.tokens, self.current
        word = tokens.lower[i]
        if cur is None or cur.kind != "tp" or not word.isdigit() or int(word) > MAX_INDEX or self.indexed_next:
            return False  # "TP2: 28": the label carried the number already
        after_label = self.last == "label" and not cur.values
        k = i - 1
        while k >= 0 and tokens.lower[k] in ("(", "[", "#"):
            k -= 1
        line_start = k < 0 or tokens.lower[k] == "\n"
        if not (after_label or line_start):
            return False
        nxt = tokens.lower[i + 1] if i + 1 < tokens.count else "\n"
        if nxt == "\n":
            return after_label  # "$10 target 1": the item number, its price stood before the label
        if int(word) != 1 + sum(len(s.values) for s in self.draft.sections if s.kind == "tp"):
            return False  # "TP 27 / 28.5 / 30": not the next item's number, a price
        if line_start and price_token(tokens, i + 1) and "." in tokens.lower[i + 1]:
            return True  # "1 0.52"
        if nxt not in ("-", "=", "/", "]", ")", ":"):
            return False
        k = i + 2  # a price follows later on the line
        while k < tokens.count and tokens.lower[k] != "\n":
            if price_token(tokens, k):
                return True
            k += 1
        return False

    def percent(self, i: int) -> int:
        lower = self.tokens.lower
        text = lower[i] + "%"
        # "5-10%" / "25-30%" written without spaces is one range; "-7%" keeps its sign
        if i >= 2 and lower[i - 1] == "-" and is_number(lower[i - 2]) \
                and f"{lower[i - 2]}-{text}" in self.tokens.text:
            text = lower[i - 2] + "-" + text
            cur = self.current
            if cur is not None and cur.values and cur.values[-1].number == to_number(lower[i - 2]):
                cur.values.pop()
        elif i >= 1 and lower[i - 1] in ("-", "+") and (i < 2 or not is_number(lower[i - 2])):
            text = lower[i - 1] + text
        if self.current is not None and self.current.kind in ("stop", "tp"):
            self.current.percents.append(text)
        self.last = "pct"
        return i + 2


def collect(lower: str) -> Draft:
    """One pass over the tokens of lower-cased text; numbers go to the section of the label before them."""
    return _Collector(lower).run()
