"""SQLite: writers queue for the write lock on a lock file beside the database, and are woken
the moment it is free.

SQLite lets one transaction write at a time. A writer that finds the lock taken does not wait
on it: its busy handler sleeps and tries again, 1, 2, 5, 10, 15, 20, 25 … 100 ms apart. Under
load (thirty-two respondents saving pages at once, each save holding the lock for about a
millisecond) the waiters slept far longer than the lock was held: the processor stood idle a
fifth of the time and a page's save waited tens of milliseconds for nothing.

So every write transaction (`BEGIN IMMEDIATE`, app/__init__.py and app/services/__init__.py)
first takes an exclusive `flock` on `<database>-writers`, in every process and thread of the
application alike, and lets it go as the transaction commits or rolls back (or its connection
closes; the kernel lets it go if the process dies). A writer that finds it taken looks again
every millisecond at most (a system call, not a sleep of up to 100 ms), for as long as SQLite's
busy timeout would have waited (`WAIT_SECONDS`); then it is answered "database is locked", which
the application answers with 503 and Retry-After, as before. SQLite's own lock and busy timeout
stay as they were and still decide: the queue only orders the writers that would wait anyway.
The lock file takes the database file's permissions; one that cannot be opened (made by
another user) leaves that connection unqueued, with a warning in the log.

A thread that already holds the queue on one connection and begins writing on another (nothing
here does, but a mistake must not hang the process) does not queue a second time: SQLite's
busy timeout answers it as before. An in-memory database or a URI filename has no queue.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import sqlite3
import threading
import time
import weakref
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection

# How long a writer waits for the writers before it, as SQLite's busy timeout (app/__init__.py
# sets it) waits for the write lock: then it is answered "database is locked" (a 503, try again).
WAIT_SECONDS = 15.0
# How often a waiting writer looks again: the lock is held about a millisecond per save.
_POLL_SECONDS = (0.0002, 0.0005, 0.001)

_holding = threading.local()  # how many connections of this thread hold the queue
_log = logging.getLogger(__name__)


def _held() -> int:
    return int(getattr(_holding, "count", 0))


class QueuedConnection(sqlite3.Connection):
    """A pysqlite connection that queues for the write lock (`begin_writing`) and leaves the
    queue when its transaction ends, whichever way it ends."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database) if isinstance(database, str | bytes | os.PathLike) else ""
        name = name.decode() if isinstance(name, bytes) else name
        self._database = name
        self._queue_path = None if name in {"", ":memory:"} or name.startswith("file:") else f"{name}-writers"
        self._queue_fd: int | None = None
        self._close_fd: weakref.finalize | None = None
        self._queued = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_queue()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_queue()
            if self._close_fd is not None:
                self._close_fd()  # closes the lock file, once
                self._queue_fd = self._close_fd = None

    def enter_queue(self, wait: float | None = None) -> None:
        """Wait until the writers before this one are done (see the module), at most `wait`
        seconds: then "database is locked", as SQLite answers a writer its busy timeout ran out
        for. Without a lock file (one that cannot be opened, say another user's) the writer does
        not queue, and SQLite's busy timeout alone decides, as it did before the queue."""
        if self._queue_path is None or self._queued or _held() > 0:
            return
        fd = self._queue_fd if self._queue_fd is not None else self._open_queue()
        if fd is None:
            return
        deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
        for attempt in itertools.count():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked (writers queued before this one)") from None
                time.sleep(_POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)])
        self._queued = True
        _holding.count = _held() + 1

    def leave_queue(self) -> None:
        if not self._queued:
            return
        self._queued = False
        try:
            assert self._queue_fd is not None
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        finally:
            _holding.count = max(0, _held() - 1)

    def _open_queue(self) -> int | None:
        """The lock file, made with the database file's permissions (as SQLite makes its -wal)."""
        assert self._queue_path is not None
        try:
            mode = os.stat(self._database).st_mode & 0o666
        except OSError:
            mode = 0o600
        try:
            fd = os.open(self._queue_path, os.O_RDWR | os.O_CREAT, mode)
        except OSError as error:
            _log.warning("SQLite writers do not queue: %s cannot be opened (%s)", self._queue_path, error)
            self._queue_path = None
            return None
        self._queue_fd = fd
        self._close_fd = weakref.finalize(self, os.close, fd)
        return fd


def begin_writing(connection: Connection) -> None:
    """BEGIN IMMEDIATE on `connection`, queued when its driver connection is a QueuedConnection
    (sent through SQLAlchemy, so that an error is SQLAlchemy's as for any statement)."""
    driver = connection.connection.driver_connection
    queue = driver if isinstance(driver, QueuedConnection) else None
    if queue is not None:
        try:
            queue.enter_queue()
        except sqlite3.OperationalError as error:
            raise exc.OperationalError("BEGIN IMMEDIATE", None, error) from error
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if queue is not None:
            queue.leave_queue()
        raise

