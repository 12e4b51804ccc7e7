"""Discord-shaped errors: the exception handlers raise, its form errors, canned failures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class DiscordHTTPError(Exception):
    """Raised inside handlers; becomes a Discord-shaped JSON error response."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


def form_error(path: str, message: str, code: str = "BASE_TYPE_MAX_LENGTH") -> dict[str, Any]:
    """Discord's nested ``errors`` object for one invalid field (path like 'data.content')."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        node = {part: node}
    return node


def invalid_body(path: str, message: str) -> DiscordHTTPError:
    return DiscordHTTPError(400, 50035, "Invalid Form Body", form_error(path, message))


@dataclass
class InjectedFailure:
    """A canned failure for matching requests (for retry/429 behaviour tests)."""

    method: str
    pattern: re.Pattern[str]
    status: int
    count: int
    retry_after: float
    is_global: bool = False
    after: bool = False  # the request takes effect first, then fails (see inject_error)
