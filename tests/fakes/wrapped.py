"""A real gateway with one behaviour changed: subclasses override the calls they fault or watch; every other
attribute is the real gateway's."""

from __future__ import annotations

from typing import Any

from core.execution.gateway import ExecutionGateway


class GatewayWrapper:
    def __init__(self, inner: ExecutionGateway) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
