"""Domain errors raised by the action and query functions; the API and the UI map them to
HTTP statuses (404, 403, 409, 422) in one place each."""

from __future__ import annotations


class ConsoleError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ConsoleError):
    """Missing, or outside the user's brands: the two must look the same to the user."""

    status_code = 404


class Forbidden(ConsoleError):
    status_code = 403


class Conflict(ConsoleError):
    """The item's state forbids the action (claimed by someone else, already resolved...)."""

    status_code = 409


class InvalidInput(ConsoleError):
    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
