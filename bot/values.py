"""Turning what a member typed into the value a setting takes: a number, true/false, a list (comma-separated) or
text. The API validates it and names the allowed range when it is refused."""

from __future__ import annotations

from typing import Any


def setting_value(text: str) -> Any:
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
