"""The risk profile's fields as both front-ends show and take them: grouped by topic, each with its meaning and
allowed values (read from the profile's own schema), and the conversion of what a person typed into a value.
The API validates the value and names the allowed range when it refuses it."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from core.domain import RiskProfile

RISK_GROUPS: dict[str, tuple[str, ...]] = {  # the risk profile by topic (a field not listed goes to "Other")
    "Sizing": ("sizing_mode", "risk_pct", "position_pct", "fixed_amount", "kelly_fraction", "max_position_size",
               "max_risk_pct"),
    "Leverage": ("max_leverage", "over_max_leverage", "margin_mode"),
    "Daily loss": ("daily_loss_pct", "daily_loss_amount", "daily_loss_resume", "exchange_daily_loss"),
    "Exposure": ("max_open_positions", "max_open_per_exchange", "max_portfolio_heat_pct"),
    "Entries": ("entry_style", "ladder_steps", "entry_expiry_h", "cancel_if_missed", "max_signal_age_s",
                "chase_scale_pct", "chase_max_pct"),
    "Stops and targets": ("missing_stop", "default_stop_pct", "stop_pct_per_leverage", "trailing_stop",
                          "break_even", "tp_split", "tp_custom", "tp_remainder", "min_reward_risk"),
    "Filters": ("min_confidence", "allowed_symbols", "blocked_symbols", "allowed_exchanges", "blocked_exchanges",
                "conflicts"),
}


@dataclass(frozen=True)
class RiskField:
    name: str
    group: str
    kind: Literal["number", "integer", "boolean", "choice", "list", "settings"]
    description: str
    optional: bool  # "none" switches it off
    choices: tuple[str, ...] = ()
    minimum: float | None = None  # inclusive unless `exclusive_minimum`
    maximum: float | None = None
    exclusive_minimum: bool = False

    def shown(self, value: Any) -> str:
        """The value as a person types it back (lists comma-separated, off as "none")."""
        if value is None:
            return "none"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
        return str(value).lower() if isinstance(value, bool) else f"{value:g}" if isinstance(value, float) \
            else str(value)


def _kind(annotation: Any) -> tuple[str, tuple[str, ...], bool]:
    args = get_args(annotation)
    optional = get_origin(annotation) in (Union, types.UnionType) and type(None) in args
    if optional:
        annotation = next(a for a in args if a is not type(None))
    if get_origin(annotation) is Literal:
        return "choice", tuple(str(a) for a in get_args(annotation)), optional
    if annotation is bool:
        return "boolean", (), optional
    if annotation is int:
        return "integer", (), optional
    if annotation is float:
        return "number", (), optional
    if get_origin(annotation) is list:
        return "list", (), optional
    if (isinstance(annotation, type) and issubclass(annotation, BaseModel)) or get_origin(annotation) is dict:
        return "settings", (), optional
    return "list", (), optional


def _group(name: str) -> str:
    return next((group for group, names in RISK_GROUPS.items() if name in names), "Other")


def risk_fields() -> list[RiskField]:
    """Every field of the risk profile in group order."""
    found: list[RiskField] = []
    for name, info in RiskProfile.model_fields.items():
        kind, choices, optional = _kind(info.annotation)
        bounds: dict[str, Any] = {}
        for rule in info.metadata:
            if isinstance(rule, Ge | Gt):
                bounds["minimum"] = float(rule.ge if isinstance(rule, Ge) else rule.gt)  # type: ignore[arg-type]
                bounds["exclusive_minimum"] = isinstance(rule, Gt)
            elif isinstance(rule, Le | Lt):
                bounds["maximum"] = float(rule.le if isinstance(rule, Le) else rule.lt)  # type: ignore[arg-type]
        found.append(RiskField(name=name, group=_group(name), kind=kind,  # type: ignore[arg-type]
                               description=info.description or "", optional=optional, choices=choices, **bounds))
    order = list(RISK_GROUPS)
    return sorted(found, key=lambda f: order.index(f.group) if f.group in order else len(order))


def setting_value(text: str) -> Any:
    """What a person typed, as the value a setting takes: a number, true/false, none, a list (comma-separated) or
    text."""
    cleaned = text.strip()
    lowered = cleaned.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if lowered in ("none", "null", "-"):
        return None
    if "," in cleaned:
        return [setting_value(part) for part in cleaned.split(",") if part.strip()]
    try:
        number = float(cleaned.rstrip("%"))
    except ValueError:
        return cleaned
    return int(number) if number.is_integer() and "." not in cleaned else number
