"""SQLite's writers queue on a lock file and are woken when the writer before them is done
(app/sqlite_writers.py), however the transaction before them ends."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from app import sqlite_writers
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


def test_a_writer_waits_no_longer_than_the_busy_timeout_then_is_refused_as_locked(database):
    first, second = database(), database()
    begin(first)
    refused: list[BaseException] = []

    def wait_too_long() -> None:  # another thread, as another request would be
        try:
            second.enter_queue(wait=0.3)
        except sqlite3.OperationalError as error:
            refused.append(error)

    thread = threading.Thread(target=wait_too_long)
    thread.start()
    thread.join(10)
    assert len(refused) == 1 and "locked" in str(refused[0])
    first.commit()
    begin(second)  # the queue is free again, and the refused writer held nothing
    second.rollback()


def test_a_lock_file_that_cannot_be_opened_leaves_the_writer_to_sqlite(tmp_path, caplog):
    path = tmp_path / "blocked.sqlite"
    (tmp_path / "blocked.sqlite-writers").mkdir()  # not a file anyone can lock
    connection = sqlite3.connect(path, factory=QueuedConnection, isolation_level=None)
    try:
        begin(connection)  # no queue: SQLite's own lock alone
        connection.execute("CREATE TABLE t (n INTEGER)")
        connection.commit()
    finally:
        connection.close()
    assert "do not queue" in caplog.text


def test_a_survey_page_saved_while_the_writers_queue_is_held_too_long_answers_503_and_keeps_its_answers(
        survey, monkeypatch):
    """A writer that waits its whole busy timeout in the queue gets the application's answer to
    a database that cannot write just now: the page again with what was posted, Retry-After."""
    from tests.test_survey_statements import page_form, started

    with survey.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the writers' queue is SQLite's")
        lock_path = f"{db.engine.url.database}-writers"
    client = started(survey)[0]
    form, _action = page_form(client)
    form["q-verksamhetsomrade"] = "aldreomsorg"
    monkeypatch.setattr(sqlite_writers, "WAIT_SECONDS", 0.3)
    holder = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another process's writer, stuck
        response = client.post("/enkat/sida", data=form)
    finally:
        os.close(holder)
    assert response.status_code == 503 and response.headers["Retry-After"]
    html = response.get_data(as_text=True)
    assert re.search(r'value="aldreomsorg"[^>]* checked|checked[^>]* value="aldreomsorg"', html)
    assert client.post("/enkat/sida", data=form).status_code == 200  # free again: saved
