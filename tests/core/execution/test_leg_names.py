"""Leg names are read in one place (service-layer issue, item 3: no string slicing of leg names)."""

from __future__ import annotations

import pytest

from core.domain import MarketRules
from core.execution.leg_names import LegName, OrderRole
from core.execution.legs import repriced_amount


@pytest.mark.parametrize(
    ("leg", "base", "role", "number", "generation"),
    [("tp2", "tp2", OrderRole.TP, 2, ""), ("tp2.3", "tp2", OrderRole.TP, 2, "3"),
     ("tp12.m", "tp12", OrderRole.TP, 12, "m"), ("sl", "sl", OrderRole.SL, 0, ""), ("sl.2", "sl", OrderRole.SL, 0, "2"),
     ("entry3", "entry3", OrderRole.ENTRY, 3, ""),
     ("exit", "exit", OrderRole.EXIT, 0, ""), ("exit-6b0f", "exit-6b0f", OrderRole.EXIT, 0, ""),
     ("manual", "manual", OrderRole.EXIT, 0, ""), ("stray", "stray", OrderRole.STRAY, 0, "")],
)
def test_a_leg_name_reads_as_its_parts(leg: str, base: str, role: OrderRole, number: int, generation: str) -> None:
    name = LegName.parse(leg)
    assert (name.base, name.role, name.number, name.generation) == (base, role, number, generation)


def test_the_rest_at_market_keeps_the_target_and_a_stranger_is_refused() -> None:
    assert LegName.parse("tp2.3").at_market() == "tp2.m"
    with pytest.raises(ValueError, match="not a leg name"):
        LegName.parse("margin-call")


def test_a_repriced_entry_never_risks_more_nor_costs_more_and_at_the_stop_buys_nothing() -> None:
    rules = MarketRules(amount_step=0.00001, price_tick=0.01)
    assert repriced_amount(0.08, 41_800, 41_900, 41_000, rules) == 0.07111  # 0.08 x 800 / 900, rounded down
    assert repriced_amount(0.08, 41_800, 41_700, 41_000, rules) == 0.08  # further from the stop: the same
    assert repriced_amount(0.08, 41_800, 42_000, None, rules) == 0.07961  # no stop: never more value
    assert repriced_amount(0.08, 41_800, 41_000, 41_000, rules) == 0.0
