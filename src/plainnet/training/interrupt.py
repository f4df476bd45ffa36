"""Ctrl-C during fit: the first interrupt lets the current batch finish, then the loop stops."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Interrupt:
    """Set by the first SIGINT; the loop looks at it after every batch."""

    def __init__(self) -> None:
        self.requested = False


@contextmanager
def catch_interrupt() -> Iterator[Interrupt]:
    """Turn the first Ctrl-C into a request to stop after the current batch; a second one
    raises KeyboardInterrupt as usual. Only the main thread can own a signal handler:
    elsewhere (a worker thread), or when the current handler was not set from Python,
    Ctrl-C keeps its usual meaning."""
    flag = Interrupt()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # not the main thread, or a handler Python cannot put back
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        flag.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
