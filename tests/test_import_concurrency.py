"""A large unit import neither grows faster than its file nor stops other people's requests:
it is checked in memory, written with a few bulk statements, and only the transaction that
writes takes SQLite's write lock; reading (the signed-in user, a page) never waits for it."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Unit
from app.services import transaction
from app.services.units import UnitRow, import_units, parse_csv
from tests.conftest import csrf_token

WAIT = 60  # seconds: only so that a broken test fails instead of hanging


def tree_csv(count: int, prefix: str = "u") -> str:
    """`count` units under the existing `stad`, ten under each, every parent after its
    children in the file: u0 under stad, u1..u9 under u0, u10..u19 under u1 and so on."""
    lines = ["key,name,kind,parent"]
    for i in reversed(range(count)):
        parent = f"{prefix}{i // 10}" if i else "stad"
        lines.append(f"{prefix}{i},Enhet {i},board,{parent}")
    return "\n".join(lines) + "\n"


class CountedRows(list):  # type: ignore[type-arg]
    """Rows that count how often they are gone through."""

    passes = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.passes += 1
        return super().__iter__()


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile (one per executemany or batch)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def import_text(app: Flask, text: str) -> int:
    """Import `text` through the CLI's parse and service; the number of statements it sent."""
    with app.app_context():
        rows, problems = parse_csv(text)
        assert not problems
        with counted_statements() as statements, transaction() as session:
            import_units(session, rows)
        return len(statements)


def import_passes(app: Flask, text: str) -> int:
    """How often the import goes through the rows of `text`."""
    with app.app_context():
        rows = CountedRows(parse_csv(text)[0])
        with transaction() as session:
            import_units(session, rows)
        return rows.passes


def test_checking_an_import_goes_through_the_rows_a_fixed_number_of_times(city):
    # Before, the set of the file's keys was built again for every row with a parent: 100
    # rows were gone through about 100 times, 1,000 rows about 1,000 times.
    assert import_passes(city, tree_csv(100, "a")) == import_passes(city, tree_csv(1000, "b"))


def test_import_statements_do_not_grow_with_the_rows(city):
    # 1,000 rows fit one chunk of each statement, as 100 do: the same statements. 2,500 rows
    # take three chunks of the insert and of the parent update, so four statements more.
    # (Before, every unit was written on its own: thousands of statements.)
    small = import_text(city, tree_csv(100, "a"))
    large = import_text(city, tree_csv(1000, "b"))
    larger = import_text(city, tree_csv(2500, "c"))
    assert large == small
    assert larger <= small + 4
    with city.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 5 + 100 + 1000 + 2500
        # Parents inside the file, also those that came later, were found: b999 under b99,
        # b99 under b9, b9 under b0, b0 under the existing stad.
        unit = db.session.scalar(select(Unit).where(Unit.key == "b999"))
        assert [u.key for u in unit.ancestors()] == ["b99", "b9", "b0", "stad"]
        assert unit.name == "Enhet 999"


def test_a_cycle_deep_in_a_large_file_is_found_and_named(city, tmp_path):
    # A long chain whose top points back into it: every row is on the path to the cycle; the
    # first row in the file whose parents lead into it is named, as before.
    lines = ["key,name,kind,parent", "c0,Topp,board,c2999"]
    lines += [f"c{i},Led {i},board,c{i - 1}" for i in range(1, 3000)]
    lines.append("fri,Fri,board,stad")
    path = tmp_path / "units.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = city.test_cli_runner().invoke(args=["units", "import", str(path)])
    assert result.exit_code == 1
    assert "enheterna bildar en cirkel: c0" in result.output
    with city.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 5


@contextmanager
def import_holding_the_write_lock(app: Flask, rows: list[UnitRow]) -> Iterator[None]:
    """An import in another thread that has written and keeps its transaction open (as a slow
    import would) until the block ends; then it commits."""
    written, done = threading.Event(), threading.Event()
    outcome: list[object] = []

    def run_import() -> None:
        try:
            with app.app_context(), transaction() as session:
                import_units(session, rows)
                written.set()
                assert done.wait(WAIT), "the block did not end while the import held the lock"
            outcome.append("committed")
        except BaseException as error:  # noqa: BLE001 (reported below)
            outcome.append(error)
            written.set()

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert written.wait(WAIT)
        assert not outcome, outcome
        yield
    finally:
        done.set()
        importer.join(WAIT)
    assert outcome == ["committed"]


def test_a_signed_in_request_answers_while_an_import_holds_the_write_lock(as_role, city):
    """An import runs in a thread and keeps its transaction open after writing (as a slow
    import would); meanwhile an admin opens the unit list, which loads the signed-in user and
    every unit. It answers at once, without the units not yet committed; then the import
    commits. Before, every request began with BEGIN IMMEDIATE and waited for the import until
    SQLite gave up with "database is locked"."""
    client = as_role("admin")
    rows, problems = parse_csv(tree_csv(3000))
    assert not problems
    with import_holding_the_write_lock(city, rows):
        response = client.get("/admin/enheter")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Norra stadsdelsnämnden" in page and "Enhet 2999" not in page
    assert "Enhet 2999" in client.get("/admin/enheter").get_data(as_text=True)


def test_a_page_read_before_someone_else_writes_can_still_write(as_role, city):
    """A request reads, another connection then writes and commits, and the request writes:
    on SQLite a transaction that has read cannot write after that ("database is locked" at
    once, not after waiting), so `transaction()` begins it again for writing."""
    with city.app_context():
        soc = db.session.scalar(select(Unit).where(Unit.key == "soc"))  # the read
        assert soc is not None
        outcome: list[object] = []

        def other_writer() -> None:
            try:
                with city.app_context(), transaction() as session:
                    import_units(session, [UnitRow("annan", "Annan nämnd", "board", "stad")])
                outcome.append("committed")
            except BaseException as error:  # noqa: BLE001 (reported below)
                outcome.append(error)

        writer = threading.Thread(target=other_writer)
        writer.start()
        writer.join(WAIT)
        assert outcome == ["committed"]  # the read did not keep the other writer out
        with transaction() as session:
            import_units(session, [UnitRow("egen", "Egen förvaltning", "administration", "soc")])
            soc.name = "Socialnämnden (ny)"  # an object loaded before stays usable
    with city.app_context():
        keys = set(db.session.scalars(select(Unit.key)))
        assert {"annan", "egen"} <= keys
        assert db.session.scalar(select(Unit.name).where(Unit.key == "soc")) == "Socialnämnden (ny)"


def test_upload_of_a_large_file_with_late_parents_is_imported(as_role, city):
    client = as_role("admin")
    data = {"csrf_token": csrf_token(client),
            "file": (io.BytesIO(tree_csv(5000).encode()), "units.csv")}
    response = client.post("/admin/enheter/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with city.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 5 + 5000
        leaf = db.session.scalar(select(Unit).where(Unit.key == "u4999"))
        assert [u.key for u in leaf.ancestors()] == ["u499", "u49", "u4", "u0", "stad"]



def test_a_file_with_mistakes_is_refused_while_another_import_writes(as_role, city):
    """The file is checked before the transaction that writes: one with mistakes is refused
    without ever waiting for the write lock that another import holds."""
    client = as_role("admin")
    with import_holding_the_write_lock(city, [UnitRow("annan", "Annan nämnd", "board", "stad")]):
        data = {"csrf_token": csrf_token(client),
                "file": (io.BytesIO(b"key,name,kind,parent\nny,Ny,board,saknas\nsoc,Igen,board,stad\n"), "u.csv")}
        response = client.post("/admin/enheter/import", data=data, content_type="multipart/form-data")
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "rad 2: okänd överordnad enhet &#39;saknas&#39;" in page
        assert "rad 3: enheten &#39;soc&#39; finns redan" in page
