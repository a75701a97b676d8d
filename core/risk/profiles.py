"""Building risk profiles: built-in presets, per-subscription overrides, edits with readable errors."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.domain import RiskProfile

# The built-ins, as the README documents them. "balanced" is the default profile.
BUILTIN_PRESETS: dict[str, dict[str, Any]] = {
    "conservative": {
        "sizing_mode": "risk", "risk_pct": 0.5, "max_risk_pct": 1.0, "max_leverage": 3,
        "over_max_leverage": "skip", "missing_stop": "skip", "daily_loss_pct": 2.0, "max_open_positions": 3,
        "max_portfolio_heat_pct": 3.0, "min_reward_risk": 1.5, "chase_scale_pct": 0.25, "chase_max_pct": 0.75,
        "max_signal_age_s": 300, "break_even": {"after_target": 1},
    },
    "balanced": {},
    "aggressive": {
        "sizing_mode": "risk", "risk_pct": 2.0, "max_risk_pct": 3.0, "max_leverage": 20, "daily_loss_pct": 10.0,
        "max_open_positions": 20, "max_portfolio_heat_pct": 15.0, "chase_scale_pct": 1.0, "chase_max_pct": 3.0,
        "max_signal_age_s": 1800,
    },
}


class ProfileError(ValueError):
    """A refused setting; `problems` are one readable line each ("risk_pct: must be above 0 (got -1)")."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _explain(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "not a risk setting"
        elif "input" in error and error["type"] not in ("missing",) and not isinstance(error["input"], dict):
            message += f" (got {error['input']!r})"
        lines.append(f"{where}: {message}" if where else message)
    return lines


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def with_changes(profile: RiskProfile, changes: dict[str, Any]) -> RiskProfile:
    """The profile with `changes` applied (nested settings merged key by key), or ProfileError."""
    try:
        return RiskProfile.model_validate(_merge(profile.model_dump(), changes))
    except ValidationError as exc:
        raise ProfileError(_explain(exc)) from None


def preset(name: str, saved: dict[str, RiskProfile] | None = None) -> RiskProfile:
    """A user's saved preset, else a built-in one, by name."""
    key = name.strip().lower()
    if saved and key in saved:
        return saved[key]
    if key in BUILTIN_PRESETS:
        return with_changes(RiskProfile(), BUILTIN_PRESETS[key])
    known = sorted({*BUILTIN_PRESETS, *(saved or {})})
    raise ProfileError([f"no preset called {name!r} (known: {', '.join(known)})"])


def effective_profile(profile: RiskProfile, overrides: dict[str, Any]) -> RiskProfile:
    """The user's profile with one subscription's overrides on top."""
    return with_changes(profile, overrides) if overrides else profile
