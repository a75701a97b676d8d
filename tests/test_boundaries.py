"""The front-ends reach the engine through the API only (service-layer issue): no module in bot/ or dashboard/
imports core.services, core.execution, core.app, models, the database drivers or ccxt."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO

FORBIDDEN = ("core.services", "core.execution", "core.app", "models", "beanie", "pymongo", "ccxt")
ADAPTERS = sorted(path for folder in ("bot", "dashboard") for path in (REPO / folder).rglob("*.py"))


def _imports(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


@pytest.mark.parametrize("path", ADAPTERS, ids=lambda p: str(p.relative_to(REPO)))
def test_an_adapter_imports_the_api_not_the_engine(path: object) -> None:
    assert hasattr(path, "read_text")
    bad = [name for name in _imports(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
           if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []


def test_the_rule_finds_a_forbidden_import() -> None:
    assert _imports("from core.services.intake.pipeline import Pipeline\nimport models.users") == [
        "core.services.intake.pipeline", "models.users"]
