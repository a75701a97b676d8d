"""Deterministic client order ids: the same (signal, user, leg) always gives the same id."""

from __future__ import annotations

import hashlib

PREFIX = "sc"
LENGTH = 32  # alphanumeric, accepted by Binance (36), Bybit (36) and OKX (32)


def client_order_id(signal_id: str, user_id: str, leg: str) -> str:
    digest = hashlib.sha256(f"{signal_id}|{user_id}|{leg}".encode()).hexdigest()
    return PREFIX + digest[: LENGTH - len(PREFIX)]
