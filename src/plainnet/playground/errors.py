"""The one error a request can get: a 4xx status and a message that says what was wrong."""

from __future__ import annotations


class RequestError(ValueError):
    """A request the playground refuses. ``status`` is the HTTP status (4xx) it answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
