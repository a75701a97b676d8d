"""The API's refusals: one type per meaning, each with a message a person understands (front-ends show it)."""

from __future__ import annotations


class ApiError(Exception):
    """A refusal the front-end shows as it is."""


class NotFound(ApiError):
    """No such object for this caller (also what another user's object looks like: ids are not probed)."""


class Forbidden(ApiError):
    """The caller may not do this (provider management needs an admin)."""


class Invalid(ApiError):
    """A value was refused; `lines` says which and why."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines
