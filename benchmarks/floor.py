"""The floor survey of the load test: a bare Flask application (no session, CSRF, Babel or
login) whose GET answers "hello" and whose POST inserts one row into `benchmark_floor` in a
transaction of its own. Six of each are one floor survey: what a survey of six pages would cost
with nothing but Flask, one insert per page and the same database, on the same gunicorn.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from flask import Flask, request
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, insert

PAGES = 6
FLOOR_METADATA = MetaData()
FLOOR_TABLE = Table(
    "benchmark_floor", FLOOR_METADATA,
    Column("id", Integer, primary_key=True),
    Column("respondent", String(64), nullable=False),
    Column("page", Integer, nullable=False),
    Column("answer", String(200), nullable=False),
)


def make_floor(database_url: Callable[[], str]) -> Flask:
    """The bare application; its engine is made on the first request, in the worker process."""
    floor = Flask("floor")

    @lru_cache(maxsize=1)
    def engine() -> Engine:
        url = database_url()
        # SQLite: wait for the write lock as the application does, instead of failing at once.
        options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
        return create_engine(url, **options)  # type: ignore[arg-type]

    @floor.get("/hello")
    def hello() -> str:
        return "hello"

    @floor.post("/answer")
    def answer() -> tuple[str, int]:
        with engine().begin() as connection:
            connection.execute(insert(FLOOR_TABLE).values(
                respondent=request.form.get("respondent", ""), page=int(request.form.get("page", "0")),
                answer=request.form.get("answer", "")))
        return "", 204

    return floor
