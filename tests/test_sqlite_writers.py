"""SQLite's writers queue on a lock file and are woken when the writer before them is done
(app/sqlite_writers.py), however the transaction before them ends."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from app.extensions import db
from app.services import transaction
from app.sqlite_writers import QueuedConnection


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Callable[[], QueuedConnection]]:
    path = tmp_path / "queue.sqlite"
    opened: list[QueuedConnection] = []

    def connect() -> QueuedConnection:
        connection = sqlite3.connect(path, factory=QueuedConnection, isolation_level=None,
                                     check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=200")
        opened.append(connection)
        return connection

    first = connect()
    first.execute("CREATE TABLE t (n INTEGER)")
    yield connect
    for connection in opened:
        connection.close()


def begin(connection: QueuedConnection) -> None:
    connection.enter_queue()
    connection.execute("BEGIN IMMEDIATE")


def waiting_writer(connection: QueuedConnection) -> tuple[threading.Thread, threading.Event]:
    """A thread that queues on `connection`, then writes and commits; the event is set once it
    is through the queue."""
    through = threading.Event()

    def write() -> None:
        begin(connection)
        through.set()
        connection.execute("INSERT INTO t VALUES (2)")
        connection.commit()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, through


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_writer_waits_in_the_queue_until_the_one_before_it_ends(database, end):
    first, second = database(), database()
    begin(first)
    first.execute("INSERT INTO t VALUES (1)")
    thread, through = waiting_writer(second)
    # Still queued while the first transaction is open (it would wait on SQLite's lock anyway,
    # which its 200 ms busy timeout would have given up on by now: the queue holds it instead).
    assert not through.wait(0.5)
    getattr(first, end)()
    assert through.wait(10)
    thread.join(10)
    rows = [n for (n,) in database().execute("SELECT n FROM t ORDER BY n")]
    assert rows == ([1, 2] if end == "commit" else [2])


def test_a_thread_queued_on_one_connection_is_not_queued_again_on_another(database):
    """A second write begun by the thread holding the queue would wait for itself for ever; it
    is left to SQLite, whose busy timeout refuses it."""
    first, second = database(), database()
    begin(first)
    second.enter_queue()  # returns: the thread already holds the queue
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("BEGIN IMMEDIATE")
    second.leave_queue()
    first.commit()
    begin(second)  # free again
    second.rollback()


def test_the_application_queues_its_write_transactions_on_sqlite(app: Flask):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the writers' queue is SQLite's")
        with transaction() as session:
            session.execute(text("SELECT 1"))
            driver = session.connection().connection.driver_connection
            assert isinstance(driver, QueuedConnection)
            assert driver._queued  # noqa: SLF001
        assert not driver._queued  # noqa: SLF001  (left with the commit)
        database = db.engine.url.database
        assert database and Path(f"{database}-writers").exists()
