"""Per-tab Learn sessions, their training threads, and the limits that keep a server healthy.

Each browser tab creates its own session and gets back an unguessable id; nothing is shared
between sessions. A running session trains in its own thread at a chosen pace (epochs per
second), holding the session's lock for one epoch at a time so that snapshots interleave.

Limits: at most ``max_sessions`` sessions and ``max_training`` training at once, at most
``max_epochs`` epochs each; a session ends ``idle_timeout`` seconds after anyone last asked
about it (an open page streams updates, which counts), and ``max_age`` seconds after it began.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from .config import LearnConfig
from .errors import RequestError
from .learn import LearnSession

MAX_SPEED = 500  # epochs per second


class Session:
    """One tab's LearnSession with its lock, change counter and training thread."""

    def __init__(self, sid: str, learn: LearnSession, now: float) -> None:
        self.id = sid
        self.learn = learn
        self.lock = threading.Lock()
        #: bumped on every change, so a stream knows when to send
        self.version = 0
        self.created = self.last_seen = now
        self.running = False
        self.speed = 1.0  # epochs per second while running
        self.note: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def snapshot(self, include_data: bool = False) -> dict[str, Any]:
        with self.lock:
            snap = self.learn.snapshot(include_data)
            snap.update(id=self.id, running=self.running, note=self.note, version=self.version)
        return snap


class SessionManager:
    """Creates, finds, trains and ends sessions within the limits."""

    def __init__(
        self,
        max_sessions: int = 32,
        max_training: int = 4,
        max_epochs: int = 5000,
        idle_timeout: float = 600.0,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_sessions = max_sessions
        self.max_training = max_training
        self.max_epochs = max_epochs
        self.idle_timeout = idle_timeout
        self.max_age = max_age
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    # --- lifetime ---------------------------------------------------------------------------

    def _expired(self, session: Session, now: float) -> bool:
        return (now - session.last_seen > self.idle_timeout
                or now - session.created > self.max_age)

    def sweep(self) -> None:
        """End every session past its idle timeout or its maximum age."""
        now = self.clock()
        with self._lock:
            gone = [s for s in self._sessions.values() if self._expired(s, now)]
            for session in gone:
                del self._sessions[session.id]
        for session in gone:
            session._stop.set()  # its thread ends after the epoch it is in; no need to wait

    def create(self, config: LearnConfig) -> Session:
        self.sweep()
        learn = LearnSession(config)  # outside the lock: it builds data and a network
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise RequestError(f"the playground already has {self.max_sessions} sessions "
                                   "(its limit); close a tab or try again later", 429)
            session = Session(secrets.token_urlsafe(16), learn, self.clock())
            self._sessions[session.id] = session
        return session

    def get(self, sid: str) -> Session:
        """The live session ``sid``, marked as seen now; 404 when there is none."""
        self.sweep()
        with self._lock:
            session = self._sessions.get(sid)
        if session is None:
            raise RequestError(f"no session {sid[:40]!r}: it ended or never existed; "
                               "reload the page to start a new one", 404)
        session.last_seen = self.clock()
        return session

    def delete(self, sid: str) -> None:
        session = self.get(sid)
        with self._lock:
            self._sessions.pop(sid, None)
        self._stop_training(session)

    def close(self) -> None:
        """Stop every training thread and forget every session (at server shutdown)."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            self._stop_training(session)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    # --- training ---------------------------------------------------------------------------

    def start(self, session: Session, speed: float) -> None:
        """Train in a thread at ``speed`` epochs per second until paused or at a limit; when
        the session is training already, go on at the new speed."""
        with self._lock:
            session.speed = speed
            if session.running:
                return
            if self._limit_reached(session):
                raise RequestError(f"this session reached its limit of {self.max_epochs} "
                                   "epochs; press Reset to start again", 409)
            running = sum(s.running for s in self._sessions.values())
            if running >= self.max_training:
                raise RequestError(f"{running} sessions are training already (the limit is "
                                   f"{self.max_training}); pause one or try again later", 429)
            session.running, session.note = True, None
            session._stop = threading.Event()
            session._thread = threading.Thread(target=self._train, args=(session,),
                                               name=f"playground-{session.id[:6]}", daemon=True)
            session.version += 1
            session._thread.start()

    def pause(self, session: Session) -> None:
        self._stop_training(session)

    def step(self, session: Session) -> None:
        """One epoch, when the session is not training."""
        if session.running:
            raise RequestError("the session is training; pause it before stepping", 409)
        if self._limit_reached(session):
            raise RequestError(f"this session reached its limit of {self.max_epochs} epochs; "
                               "press Reset to start again", 409)
        with session.lock:
            session.learn.train_epoch()  # a divergence leaves its message for the page
            session.version += 1

    def reset(self, session: Session, config: LearnConfig) -> None:
        """Stop training; new data and a new network from ``config``."""
        self._stop_training(session)
        with session.lock:
            session.learn.reset(config)
            session.note = None
            session.version += 1

    def _limit_reached(self, session: Session) -> bool:
        return session.learn.epoch >= self.max_epochs

    def _stop_training(self, session: Session) -> None:
        session._stop.set()
        thread = session._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _train(self, session: Session) -> None:
        due = time.monotonic()  # the pace is kept in real time; lifetimes use self.clock
        while not session._stop.is_set():
            with session.lock:
                if self._expired(session, self.clock()):
                    session.note = "training stopped: the session timed out"
                    break
                if not session.learn.train_epoch():
                    break  # diverged
                session.version += 1
                if self._limit_reached(session):
                    session.note = f"training stopped at the limit of {self.max_epochs} epochs"
                    break
            # keep the pace without bursts after a slow epoch; always leave the lock a moment
            due = max(due + 1.0 / session.speed, time.monotonic())
            session._stop.wait(max(due - time.monotonic(), 0.002))
        with session.lock:
            session.running = False
            session.version += 1
