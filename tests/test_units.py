"""The unit tree: CSV import (all or nothing), listing, and the admin pages."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Unit
from tests.conftest import csrf_token, make_units, post

GOOD_CSV = ("key,name,kind,parent\nstad,Staden,city,\nsoc,Socialnämnden,board,stad\n"
            "soc-forv,Socialförvaltningen,administration,soc\n")


def unit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Unit)) or 0


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_imports_a_tree_and_lists_it_as_json(app, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = run(app, "units", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported 3 units" in result.output
    listed = json.loads(run(app, "units", "list", "--json").output)
    assert [u["key"] for u in listed] == ["stad", "soc", "soc-forv"]
    assert listed[2] == {"key": "soc-forv", "name": "Socialförvaltningen", "kind": "administration",
                         "parent": "soc", "active": True}


def test_semicolon_csv_with_bom_is_read(app, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("\ufeff" + GOOD_CSV.replace(",", ";"), encoding="utf-8")
    assert run(app, "units", "import", str(path)).exit_code == 0
    assert unit_count(app) == 3


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        (GOOD_CSV + "soc,Dubblett,board,stad\n", "rad 5: enheten 'soc' står redan på rad 3"),
        (GOOD_CSV + "x,Fel typ,kommun,stad\n", "rad 5: okänd typ 'kommun'"),
        (GOOD_CSV + "y,Föräldralös,board,saknas\n", "rad 5: okänd överordnad enhet 'saknas'"),
        (GOOD_CSV + "z,För många,board,stad,extra\n", "rad 5: fler fält än rubrikraden har"),
        (GOOD_CSV + "Stora Bokstäver,Namn,board,stad\n", "rad 5: nyckeln 'Stora Bokstäver'"),
        (GOOD_CSV + "tom,,board,stad\n", "rad 5: namn saknas"),
        ("key,namn,kind\nstad,Staden,city\n", "rad 1: kolumner saknas: name"),
        ("", "rad 1: filen är tom"),
        ("key,name,kind,parent\na,A,board,b\nb,B,board,a\n", "cirkel"),
    ],
)
def test_bad_csv_names_the_row_and_changes_nothing(app, tmp_path, csv_text, expected):
    path = tmp_path / "units.csv"
    path.write_text(csv_text, encoding="utf-8")
    result = run(app, "units", "import", str(path))
    assert result.exit_code == 1
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1  # one line
    assert unit_count(app) == 0


def test_unit_already_in_the_database_is_a_duplicate(app, tmp_path):
    with app.app_context():
        make_units()
    path = tmp_path / "units.csv"
    path.write_text("key,name,kind,parent\nny,Ny nämnd,board,stad\nsoc,Igen,board,stad\n", encoding="utf-8")
    result = run(app, "units", "import", str(path))
    assert result.exit_code == 1 and "rad 3: enheten 'soc' finns redan" in result.output
    assert unit_count(app) == 5  # the new unit on row 2 was not created either


def test_missing_file_and_non_utf8_are_clear_errors(app, tmp_path):
    assert "no such file" in run(app, "units", "import", str(tmp_path / "nope.csv")).output
    path = tmp_path / "latin1.csv"
    path.write_bytes("key,name,kind\nsoc,Socialnämnden,board\n".encode("latin-1"))
    result = run(app, "units", "import", str(path))
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_admin_imports_units_through_the_upload_page(as_role, city):
    client = as_role("admin")
    data = {"csrf_token": csrf_token(client),
            "file": (io.BytesIO("key,name,kind,parent\nny,Nya nämnden,board,stad\n".encode()), "u.csv")}
    response = client.post("/admin/enheter/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert unit_count(city) == 6


def test_bad_upload_shows_the_row_and_imports_nothing(as_role, city):
    client = as_role("admin")
    data = {"csrf_token": csrf_token(client),
            "file": (io.BytesIO(b"key,name,kind,parent\nny,Ny,board,stad\nsoc,Igen,board,stad\n"), "u.csv")}
    response = client.post("/admin/enheter/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "rad 3: enheten &#39;soc&#39; finns redan" in response.get_data(as_text=True)
    assert unit_count(city) == 5


def test_over_large_upload_is_refused(as_role, city):
    client = as_role("admin")
    city.config["MAX_CONTENT_LENGTH"] = 2048
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(b"x" * 5000), "big.csv")}
    response = client.post("/admin/enheter/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Filen är för stor" in response.get_data(as_text=True)


def test_admin_adds_renames_moves_and_deactivates_a_unit(as_role, city):
    client = as_role("admin")
    response = post(client, "/admin/enheter/ny",
                    {"key": "forv", "name": "Förvaltningen", "kind": "administration", "parent": "soc"})
    assert response.status_code == 302
    response = post(client, "/admin/enheter/forv",
                    {"name": "Socialförvaltningen", "kind": "administration", "parent": "sdn-norr"})
    assert response.status_code == 302  # renamed, moved and (no 'active' box) deactivated
    with city.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.key == "forv"))
        assert (unit.name, unit.parent.key, unit.active) == ("Socialförvaltningen", "sdn-norr", False)


def test_a_unit_cannot_be_moved_under_its_own_child(as_role, city):
    client = as_role("admin")
    post(client, "/admin/enheter/ny", {"key": "barn", "name": "Barnet", "kind": "department", "parent": "soc"})
    response = post(client, "/admin/enheter/soc",
                    {"name": "Socialnämnden", "kind": "board", "parent": "barn", "active": "y"})
    assert response.status_code == 200  # the form again, with the error
    with city.app_context():
        assert db.session.scalar(select(Unit).where(Unit.key == "soc")).parent.key == "stad"


def test_posted_key_cannot_change_a_units_key(as_role, city):
    client = as_role("admin")
    post(client, "/admin/enheter/soc",
         {"key": "hacked", "name": "Socialnämnden", "kind": "board", "parent": "stad", "active": "y"})
    with city.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.key == "hacked")) == 0


def test_units_are_listed_in_swedish_order_with_numbers_by_value(as_role, city):
    """å, ä, ö after z (in that order), case ignored, 'Avdelning 2' before 'Avdelning 10': the
    same on SQLite and PostgreSQL, whatever the server's collation."""
    names = ["Östermalms stadsdelsnämnd", "Avdelning 10", "Älvsjö stadsdelsnämnd", "avdelning 2",
             "Årsta bolag", "Zonnämnden", "Avdelning 1"]
    rows = "".join(f"u{i},{name},board,stad\n" for i, name in enumerate(names))
    client = as_role("admin")
    data = {"csrf_token": csrf_token(client),
            "file": (io.BytesIO(f"key,name,kind,parent\n{rows}".encode()), "u.csv")}
    assert client.post("/admin/enheter/import", data=data, content_type="multipart/form-data").status_code == 302
    expected = ["Avdelning 1", "avdelning 2", "Avdelning 10", "Zonnämnden", "Årsta bolag",
                "Älvsjö stadsdelsnämnd", "Östermalms stadsdelsnämnd"]
    page = client.get("/admin/enheter").get_data(as_text=True)
    assert sorted(expected, key=page.index) == expected
    listed = [unit["name"] for unit in json.loads(run(city, "units", "list", "--json").output)]
    assert [name for name in listed if name in expected] == expected
