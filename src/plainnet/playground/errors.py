"""The one error a request can get (a 4xx status and a message that says what was wrong),
and the first check of every JSON body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class RequestError(ValueError):
    """A request the playground refuses. ``status`` is the HTTP status (4xx) it answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_object(body: Any, allowed: Sequence[str], what: str) -> dict[str, Any]:
    """``body`` as a JSON object with no key outside ``allowed``, or a RequestError (400)."""
    if not isinstance(body, dict):
        raise RequestError(f"{what} must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise RequestError(f"unknown field {unknown[0]!r} in {what}; allowed: "
                           f"{', '.join(allowed) or 'none'}")
    return body
