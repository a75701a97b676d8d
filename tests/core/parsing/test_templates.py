"""A provider's format learnt from one corrected message (issue 17, item 8)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from core.domain import NewSignal
from core.parsing import ParseContext, parse
from core.parsing.explain import explain
from core.parsing.output import to_record
from core.parsing.templates import TemplateError, apply_templates, teach
from tests.conftest import REPO

ODD = ("🔔 KAS quick trade\nBag zone 0.112 / 0.109\nInvalidation 0.101\nCashout 0.118 then 0.125 then 0.140\n"
       "Multiplier 5")
CORRECTED = {"kind": "signal", "symbol": "KAS/USDT", "side": "long", "entries": [0.112, 0.109],
             "entry_type": "range", "take_profits": [0.118, 0.125, 0.14], "stop_loss": 0.101, "leverage": 5}


def test_a_format_the_general_rules_miss_is_read_after_one_correction() -> None:
    later = ("🔔 SEI quick trade\nBag zone 0.50 / 0.48\nInvalidation 0.44\nCashout 0.53 then 0.56 then 0.60\n"
             "Multiplier 3")
    before = parse(later)
    assert not (isinstance(before, NewSignal) and before.stop_loss == 0.44 and before.take_profits)
    template = teach(ODD, CORRECTED)
    result = parse(later, ParseContext(templates=(template,)))
    assert isinstance(result, NewSignal), result
    assert (result.symbol, result.side.value, result.entries, result.take_profits, result.stop_loss, result.leverage) \
        == ("SEI/USDT", "long", (0.50, 0.48), (0.53, 0.56, 0.60), 0.44, 3)
    assert result.extras["read_by"] == "provider template"
    short = later.replace("0.50 / 0.48", "0.50 / 0.52").replace("0.44", "0.55").replace(
        "0.53 then 0.56 then 0.60", "0.47 then 0.45 then 0.40")
    assert parse(short, ParseContext(templates=(template,))).side.value == "short"  # type: ignore[union-attr]


def test_a_template_that_no_longer_matches_falls_back_to_the_general_rules() -> None:
    template = teach(ODD, CORRECTED)
    plain = "BTC/USDT LONG\nEntry 60000\nSL 58000\nTP 64000"
    assert apply_templates(plain, (template,)) is None
    assert parse(plain, ParseContext(templates=(template,))) == parse(plain)


@pytest.mark.parametrize(
    ("reading", "message"),
    [
        ({**CORRECTED, "stop_loss": 0.2}, "stop_loss 0.2 is not written in the message"),
        ({**CORRECTED, "side": None}, "give kind 'signal' and a side"),
    ],
)
def test_a_correction_that_cannot_be_a_template_says_why(reading: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        teach(ODD, reading)


def _exact(record: dict[str, Any], label: dict[str, Any]) -> bool:
    fields = ("symbol", "side", "entries", "take_profits", "stop_loss", "leverage")
    return record["kind"] == "signal" and all(json.dumps(record[f]) == json.dumps(label[f]) or (
        isinstance(label[f], list) and sorted(map(float, record[f] or [])) == sorted(map(float, label[f] or [])))
        for f in fields if f != "take_profits") and [float(t) for t in record["take_profits"]] == [
        float(t) for t in label["take_profits"] if isinstance(t, int | float)]


def test_teaching_each_public_source_its_first_call_never_loses_a_later_call() -> None:
    """For every public source with at least three calls: teach its first misread call (else its first call),
    then read the later ones with the template; none that the general rules read exactly is lost."""
    calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted((REPO / "tests" / "fixtures").glob("signals-public*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["kind"] == "signal" and all(isinstance(t, int | float) for t in row["take_profits"]):
                calls[row["source"].split(":")[0]].append(row)
    measured = 0
    for rows in calls.values():
        if len(rows) < 3:
            continue
        misread = [r for r in rows if not _exact(to_record(r["id"], parse(r["text"])), r)]
        first = misread[0] if misread else rows[0]
        try:
            template = teach(first["text"], first)
        except TemplateError:
            continue
        for row in rows[rows.index(first) + 1:]:
            general = _exact(to_record(row["id"], parse(row["text"])), row)
            taught = _exact(to_record(row["id"], parse(row["text"], ParseContext(templates=(template,)))), row)
            assert taught or not general, (row["id"], first["id"])
            measured += 1
    assert measured >= 50  # later calls of the 11 sources whose first call can be taught, in the public files


def test_explain_names_the_rule_behind_each_field() -> None:
    lines = explain("ETH，2605附近，做多\n止损预计：2579\n止盈预计：2657")
    assert "pair ETH/USDT: a coin name, or a ticker the venues list, beside the side or in capitals" in lines
    assert "entry 2605: label '附近', after the label" in lines
    assert "stop-loss 2579: label '止损预计', after the label" in lines
    assert lines[-1] == "result: signal"
    assert explain("GOLD BUY 2350\nSL 2340\nTP 2380")[-1].startswith("result: noise - GOLD is a commodity")


def test_a_provider_quoting_in_satoshis_keeps_its_quote_after_one_correction() -> None:
    first = "#BRD at (Binance.com)\n\nBuy around 666-652\n\nSelling Targets - 677-690-738-850\n\nStop at - 600"
    assert parse(first).symbol == "BRD/USDT"  # type: ignore[union-attr]  # nothing in it says satoshis
    template = teach(first, {"symbol": "BRD/BTC", "side": "long", "entries": [666, 652], "entry_type": "range",
                             "take_profits": [677, 690, 738, 850], "stop_loss": 600})
    later = "#VIB at (Binance.com)\n\nBuy around 1210-1180\n\nSelling Targets - 1250-1300\n\nStop at - 1100"
    result = parse(later, ParseContext(templates=(template,)))
    assert isinstance(result, NewSignal)
    assert (result.symbol, result.entries, result.take_profits, result.stop_loss) == (
        "VIB/BTC", (1210, 1180), (1250, 1300), 1100)
