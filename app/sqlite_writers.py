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
closes; the kernel lets it go if the process dies). A writer waiting on it sleeps in the kernel
and is woken as soon as the one before it is done. SQLite's own lock and busy timeout stay as
they were and still decide: the queue only orders the writers that would wait anyway.

A thread that already holds the queue on one connection and begins writing on another (nothing
here does, but a mistake must not hang the process) does not queue a second time: SQLite's
busy timeout answers it as before. An in-memory database or a URI filename has no queue.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any

from sqlalchemy.engine import Connection

_holding = threading.local()  # how many connections of this thread hold the queue


def _held() -> int:
    return int(getattr(_holding, "count", 0))


class QueuedConnection(sqlite3.Connection):
    """A pysqlite connection that queues for the write lock (`begin_writing`) and leaves the
    queue when its transaction ends, whichever way it ends."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database) if isinstance(database, str | bytes | os.PathLike) else ""
        name = name.decode() if isinstance(name, bytes) else name
        self._queue_path = None if name in {"", ":memory:"} or name.startswith("file:") else f"{name}-writers"
        self._queue_fd: int | None = None
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
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None

    def enter_queue(self) -> None:
        """Wait until the writers before this one are done (see the module)."""
        if self._queue_path is None or self._queued or _held() > 0:
            return
        if self._queue_fd is None:
            self._queue_fd = os.open(self._queue_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
        self._queued = True
        _holding.count = _held() + 1

    def leave_queue(self) -> None:
        if not self._queued:
            return
        self._queued = False
        _holding.count -= 1
        assert self._queue_fd is not None
        fcntl.flock(self._queue_fd, fcntl.LOCK_UN)


def begin_writing(connection: Connection) -> None:
    """BEGIN IMMEDIATE on `connection`, queued when its driver connection is a QueuedConnection
    (sent through SQLAlchemy, so that an error is SQLAlchemy's as for any statement)."""
    driver = connection.connection.driver_connection
    queue = driver if isinstance(driver, QueuedConnection) else None
    if queue is not None:
        queue.enter_queue()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if queue is not None:
            queue.leave_queue()
        raise

