"""Profile edits with readable refusals, presets, overrides, and the size calculator (function and CLI)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.domain import RiskProfile
from core.risk.calculator import CalcError, calculate
from core.risk.profiles import BUILTIN_PRESETS, ProfileError, effective_profile, preset, with_changes
from signalcord.cli import main


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"risk_pct": -1}, "risk_pct: Input should be greater than 0 (got -1)"),
        ({"max_leverage": 500}, "max_leverage: Input should be less than or equal to 125 (got 500)"),
        ({"sizing_mode": "yolo"}, "sizing_mode: Input should be 'percentage', 'fixed', 'risk' or 'kelly' (got 'yolo')"),
        ({"risk_pct": 3}, "risk_pct (3) is above max_risk_pct (2)"),
        ({"tp_split": "custom"}, "tp_split is custom but tp_custom lists no shares"),
        ({"tp_custom": [60, 50]}, "the custom take-profit split adds up to 110%, more than 100%"),
        ({"allowed_symbols": ["BTC"]}, "symbols are written BASE/QUOTE, e.g. BTC/USDT (got BTC)"),
        ({"chase_scale_pct": 5}, "chase_scale_pct (5) must not exceed chase_max_pct (1.5)"),
        ({"break_even": {}}, "break-even needs a trigger"),
        ({"conflicts": {"opposite": "flip"}}, "conflicts.opposite: Input should be 'skip', 'close-position' or "
                                              "'follow-best-performer' (got 'flip')"),
        ({"leverage_max": 5}, "leverage_max: not a risk setting"),
    ],
)
def test_bad_settings_are_refused_with_a_readable_line(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ProfileError) as caught:
        with_changes(RiskProfile(), changes)
    assert any(problem in line for line in caught.value.problems), caught.value.problems


def test_nested_settings_merge_key_by_key() -> None:
    profile = with_changes(RiskProfile(), {"conflicts": {"opposite": "close-position"}})
    changed = with_changes(profile, {"conflicts": {"same_side": "best-performer"}})
    assert changed.conflicts.opposite == "close-position" and changed.conflicts.same_side == "best-performer"


def test_presets_are_valid_profiles_and_balanced_is_the_default() -> None:
    assert preset("balanced") == RiskProfile()
    for name in BUILTIN_PRESETS:
        assert isinstance(preset(name), RiskProfile)
    conservative, aggressive = preset("Conservative"), preset("aggressive")
    assert conservative.risk_pct < RiskProfile().risk_pct < aggressive.risk_pct
    assert conservative.missing_stop == "skip" and conservative.max_leverage == 3
    with pytest.raises(ProfileError, match="no preset called 'yolo' \\(known: aggressive, balanced"):
        preset("yolo")
    mine = RiskProfile(risk_pct=0.7)
    assert preset("mine", {"mine": mine}) is mine


def test_subscription_overrides_sit_on_top_of_the_user_profile() -> None:
    user = RiskProfile(risk_pct=0.5)
    assert effective_profile(user, {}) is user
    assert effective_profile(user, {"max_leverage": 3}).risk_pct == 0.5
    assert effective_profile(user, {"max_leverage": 3}).max_leverage == 3


def test_calculator_figures() -> None:
    result = calculate(balance=10_000, entry=100, stop=95, targets=(110.0, 120.0), leverage=5,
                       profile=RiskProfile(risk_pct=1))
    assert result.side == "long" and result.quantity == pytest.approx(20)
    assert result.notional == pytest.approx(2_000) and result.margin == pytest.approx(400)
    assert result.risk_amount == pytest.approx(100) and result.rr == [2.0, 4.0]
    assert result.binding_rule == "risk_pct" and result.tp_amounts == pytest.approx([10, 10])
    # limits: margin 400 -> 25 fit the equity, 10 open positions, heat 600/100 = 6, daily 500/100 = 5
    assert result.positions_allowed == 5


def test_calculator_names_the_cap_that_bound_and_handles_shorts() -> None:
    result = calculate(balance=10_000, entry=100, stop=110, targets=(80.0,), profile=RiskProfile(max_position_size=500))
    assert result.side == "short" and result.quantity == pytest.approx(5) and result.binding_rule == "max_position_size"
    assert result.reason == "capped by your max position size (500.00)"


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"stop": 100}, "the stop equals the entry"),
        ({"balance": 0}, "balance, entry and stop must be above 0"),
        ({"targets": (90.0,)}, "target 90 is on the stop's side of the entry 100 (long)"),
    ],
)
def test_calculator_refuses_inputs_that_are_not_a_trade(kwargs: dict[str, Any], problem: str) -> None:
    args: dict[str, Any] = {"balance": 10_000, "entry": 100, "stop": 95, "profile": RiskProfile(), **kwargs}
    with pytest.raises(CalcError, match=problem.replace("(", "\\(").replace(")", "\\)")):
        calculate(**args)


def test_calc_cli_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["calc", "--balance", "10000", "--entry", "100", "--stop", "95", "--risk-pct", "1",
                 "--targets", "110,120", "--leverage", "5", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 1
    data = json.loads(out[0])
    assert {k: data[k] for k in ("quantity", "notional", "risk_amount", "rr", "binding_rule")} == {
        "quantity": 20.0, "notional": 2000.0, "risk_amount": 100.0, "rr": [2.0, 4.0], "binding_rule": "risk_pct"}


def test_calc_cli_refuses_bad_settings_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["calc", "--balance", "10000", "--entry", "100", "--stop", "95", "--risk-pct", "-2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == "signalcord: risk_pct: Input should be greater than 0 (got -2.0)"
