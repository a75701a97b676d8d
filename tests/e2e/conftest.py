"""Fixtures shared by the end-to-end suites."""

from tests.e2e.test_restart import new_world

__all__ = ["new_world"]
