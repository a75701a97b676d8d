"""Text clean-up before tokenizing: markup, links, dates, emoji digits, homoglyphs, glued labels."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Final

# Cyrillic letters that look like Latin ones; applied only inside tokens that also hold Latin letters or digits
_HOMOGLYPHS: Final = str.maketrans("АВЕКМНОРСТХУаеорсухі", "ABEKMHOPCTXYaeopcyxi")
_CYRILLIC: Final = re.compile(r"[А-Яа-яЁё]")
# a whole run of letters, digits and '/' with a Latin letter, digit or '/' next to a Cyrillic letter; the
# look-behind pins it to the run's start and the possessive repeats never backtrack (linear in the text)
_MIXED_TOKEN: Final = re.compile(
    r"(?<![A-Za-z0-9А-Яа-яЁё/])(?:[A-Za-z0-9/]++[А-Яа-яЁё]|[А-Яа-яЁё]++[A-Za-z0-9/])[A-Za-z0-9А-Яа-яЁё/]*+"
)
_LATIN_OR_DIGIT: Final = re.compile(r"[A-Za-z0-9]")

_CIRCLED: Final = {**{0x2780 + i: str(i + 1) for i in range(10)},  # ➀..➉
                   **{0x278A + i: str(i + 1) for i in range(10)},  # ➊..➓
                   **{0x2460 + i: str(i + 1) for i in range(20)}}  # ①..⑳
_KEYCAP: Final = re.compile(r"([0-9])\uFE0F?\u20E3")
_KEYCAP_TEN: Final = "\U0001F51F"
# circled digits -> digits, invisible marks removed, odd spaces -> space, dashes -> '-'
_TABLE: Final[dict[int, str | None]] = {
    **_CIRCLED,
    **dict.fromkeys([0xFE0E, 0xFE0F, 0x2060, 0x00AD, *range(0x200B, 0x2010), *range(0x202A, 0x202F)]),
    **dict.fromkeys([0x00A0, 0x0009, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B)], " "),
    **dict.fromkeys([0x2013, 0x2014, 0x2212], "-"),
    # Arabic-Indic and Persian digits and separators (۲۷۴۶۱٫۵) as ASCII, so prices read the same in every script
    **{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)},
    0x066B: ".", 0x066C: ",",
}
_HTML_TAG: Final = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_MD_LINK: Final = re.compile(r"\[([^\[\]\n]{1,200})\]\([^()\s]{1,500}\)")
_URL: Final = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE: Final = re.compile(r"@(?<![\w.]@)\w+")
_MARKUP: Final = re.compile(r"\*\*|__|`+|~~|\|\||\*(?<![\w*]\*)(?=\S)|\*(?<=\S\*)(?![\w*])")
# each form starts a word; the leading class and the look-behind let the scan skip to digits and 'T'
_DATE_TIME: Final = re.compile(
    r"[\dT](?<!\w[\dT])(?:"
    r"(?<=\d)\d{3}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{1,2}(?::\d{1,2})?(?:\.\d+)?Z?)?"  # 2026-2-27, ISO stamps
    r"|(?<=\d)\d?\.\d{1,2}\.\d{4}\b"  # 27.02.2026
    r"|(?:(?<=T)\d{1,2}|(?<=\d)\d?):\d{1,2}(?::\d{1,2})?(?:\s?(?:UTC|GMT|[AP]M))?\b)"  # 13:00, T7:0:0 UTC
)
# Labels glued to what precedes them when line breaks were lost: "SHORTLeverage", "10xEntry", "54.45SL"
_GLUED: Final = re.compile(  # starts with the upper-case letter, which keeps the scan fast
    r"([A-Z])(?<=[A-Za-z0-9%$][A-Z])(?=[a-z]{2}|(?<=[0-9%$][A-Z])(?:L|P|ARGETS?|TOP|NTRY|EVERAGE)\b)"
)
# cheap checks that start with a literal character, so the scan is fast when there is nothing to do
_DATE_HINT: Final = re.compile(r":\d|-(?<=\d{4}-)\d|\.(?<=\d\.)\d{1,2}\.\d{4}")  # wider than _DATE_TIME, never narrower
_SPECIAL: Final = re.compile("[" + "".join(re.escape(chr(c)) for c in _TABLE) + "]")
_REPLACEMENT: Final = {chr(c): to or "" for c, to in _TABLE.items()}
# scientific notation ("1.2e-5") written out as a decimal, so it is one price
_SCIENTIFIC: Final = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([-+]?\d{1,2})(?![\w.])")
_CJK_SEPARATORS: Final = ("，", "、", "；")
# a margin mode glued to the leverage: "Cross25X" -> "Cross 25X"
_MARGIN_GLUED: Final = re.compile(r"(?i)(cross|isolated)(?=\d)")
_TP_GLUED_HINT: Final = re.compile(r"[Pp](?<=[Tt][Pp])\d{2,}\.\d")
# "TP41.3100" = TP4 1.3100 (label, index and price glued): split when the digit is the next TP number
_TP_LABEL: Final = re.compile(r"\b(TP|Tp|tp)(\d+(?:\.\d+)?)")


def _fix_mixed(match: re.Match[str]) -> str:
    token = match.group(0)
    return token.translate(_HOMOGLYPHS) if _LATIN_OR_DIGIT.search(token) else token


def _decimal(match: re.Match[str]) -> str:
    return f"{Decimal(match.group(1)).scaleb(int(match.group(2))):f}"


def _split_glued_targets(text: str) -> str:
    parts: list[str] = []
    last, count = 0, 0
    for match in _TP_LABEL.finditer(text):
        count += 1
        digits = match.group(2)
        if "." in digits and digits[0] == str(count) and digits.index(".") > 1:
            parts.append(text[last:match.start(2) + 1] + " ")
            last = match.start(2) + 1
    return "".join(parts) + text[last:]


def _unicode(text: str) -> str:
    """Compatibility form (full-width digits and colons, '․' leaders, 🈳 -> 空), keycap and circled digits,
    invisible marks, odd spaces and dashes. A full-width comma separates ("ETH，2605"), it never joins digits."""
    for separator in _CJK_SEPARATORS:
        if separator in text:
            text = text.replace(separator, ", ")
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if "\u20e3" in text or _KEYCAP_TEN in text:
        text = _KEYCAP.sub(r"\1)", text.replace(_KEYCAP_TEN, "10)"))
    special = _SPECIAL.findall(text)
    if special:  # str.translate with a table walks every character in Python; replace only what is there
        for char in set(special):
            text = text.replace(char, _REPLACEMENT[char])
    return text


def normalize(text: str) -> str:
    ascii_only = text.isascii()  # then only the tab of the character clean-up can be there
    if "\t" in text:
        text = text.replace("\t", " ")
    if not ascii_only:
        text = _unicode(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if "http" in text or "www." in text or "WWW." in text or "HTTP" in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _HANDLE.sub(" ", text)
    if "*" in text or "__" in text or "`" in text or "~~" in text or "||" in text:
        text = _MARKUP.sub("", text)
    if "e-" in text or "E-" in text or "e+" in text or "E+" in text:
        text = _SCIENTIFIC.sub(_decimal, text)
    if _DATE_HINT.search(text):
        text = _DATE_TIME.sub(" ", text)
    if not ascii_only and _CYRILLIC.search(text):
        text = _MIXED_TOKEN.sub(_fix_mixed, text)
    if _GLUED.search(text):  # a search costs half a sub that finds nothing
        text = _GLUED.sub(r" \1", text)
    if "ross" in text or "solated" in text or "ROSS" in text or "SOLATED" in text:
        text = _MARGIN_GLUED.sub(r"\1 ", text)
    if _TP_GLUED_HINT.search(text):
        text = _split_glued_targets(text)
    return text
