"""Login sessions end on the server: logout, a password or access change, an admin's "end all
sessions", and the idle and absolute lifetimes each leave a copied cookie opening nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.config import ConfigError, load_config
from app.extensions import db
from app.models import AuditEvent, User, UserSession
from app.models.base import utcnow
from tests.conftest import PASSWORD, login, post

COOKIE = "lagesbild_session"


def copy_of(client: FlaskClient, app, user_agent: str | None = None) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(COOKIE, cookie.value)
    if user_agent:
        other.environ_base["HTTP_USER_AGENT"] = user_agent
    return other


def signed_in(client: FlaskClient, path: str = "/admin/") -> bool:
    response = client.get(path)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200, response.status_code
    return True


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def sessions_of(app, email: str) -> list[UserSession]:
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id(app, email))).all()
        db.session.expunge_all()
        return list(rows)


def shift_sessions(app, email: str, **ages: timedelta) -> None:
    """Make the user's sessions older: created_at / last_seen_at set to now minus the age."""
    now = utcnow()
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id == user_id(app, email))
                           .values(**{column: now - age for column, age in ages.items()}))
        db.session.commit()


def audit_actions(app) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return list(events)


# --- logout ------------------------------------------------------------------------------


@pytest.mark.parametrize("user_agent", [None, "Mozilla/5.0 (X11; Linux x86_64) AnnanWebbläsare/1.0"])
def test_a_cookie_copied_before_logout_opens_nothing_after_it(as_role, city, user_agent):
    admin = as_role("admin")
    copy = copy_of(admin, city, user_agent)
    assert signed_in(copy)  # the copy works while the session lives
    assert post(admin, "/logout").status_code == 302
    assert not signed_in(admin)
    assert not signed_in(copy)
    assert sessions_of(city, "admin@test.se") == []


def test_logout_ends_only_that_session(as_role, city):
    laptop, phone = as_role("admin"), as_role("admin")
    post(laptop, "/logout")
    assert signed_in(phone)
    assert len(sessions_of(city, "admin@test.se")) == 1


# --- password and access changes -----------------------------------------------------------


def test_a_password_change_ends_every_other_session_and_keeps_the_current(as_role, city):
    current, other = as_role("unit_editor"), as_role("unit_editor")
    current_copy = copy_of(current, city)
    new_password = "ett-nytt-och-långt-lösen-77"
    response = post(current, "/konto/losenord", {"current": PASSWORD, "new": new_password, "repeat": new_password})
    assert response.status_code == 302
    assert signed_in(current, "/granskning/") and signed_in(current_copy, "/granskning/")
    assert not signed_in(other, "/granskning/")
    assert len(sessions_of(city, "editor@test.se")) == 1


def _set_access(admin: FlaskClient, user: int, role: str, units: list[str], active: bool):
    data: dict[str, object] = {"role": role, "units": units}
    if active:
        data["active"] = "y"
    response = post(admin, f"/admin/anvandare/{user}", data)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_role_change_ends_all_the_users_sessions(as_role, city):
    editor = as_role("unit_editor")
    copy = copy_of(editor, city, "Annan webbläsare")
    _set_access(as_role("admin"), user_id(city, "editor@test.se"), "unit_reader", ["sdn-norr"], True)
    assert not signed_in(editor, "/granskning/") and not signed_in(copy, "/granskning/")
    # A new login works, with the new role.
    assert signed_in(as_role("unit_editor"), "/granskning/")


def test_a_unit_change_is_saved_and_ends_all_the_users_sessions(as_role, city):
    editor = as_role("unit_editor")
    _set_access(as_role("admin"), user_id(city, "editor@test.se"), "unit_editor", ["sdn-syd"], True)
    assert not signed_in(editor, "/granskning/")
    with city.app_context():
        user = db.session.get(User, user_id(city, "editor@test.se"))
        assert [u.key for u in user.units] == ["sdn-syd"]
    assert [e.detail["after"]["units"] for e in audit_actions(city) if e.action == "user.access"] == [["sdn-syd"]]


def test_deactivation_ends_every_session_and_reactivation_revives_none(as_role, city):
    editor = as_role("unit_editor")
    copy = copy_of(editor, city)
    admin = as_role("admin")
    editor_id = user_id(city, "editor@test.se")
    _set_access(admin, editor_id, "unit_editor", ["sdn-norr"], False)
    assert not signed_in(copy, "/granskning/")
    assert sessions_of(city, "editor@test.se") == []
    _set_access(admin, editor_id, "unit_editor", ["sdn-norr"], True)
    assert not signed_in(editor, "/granskning/") and not signed_in(copy, "/granskning/")


def test_saving_unchanged_access_ends_nothing(as_role, city):
    editor = as_role("unit_editor")
    _set_access(as_role("admin"), user_id(city, "editor@test.se"), "unit_editor", ["sdn-norr"], True)
    assert signed_in(editor, "/granskning/")


# --- an administrator ends them -----------------------------------------------------------


def test_an_admin_ends_all_sessions_of_a_user_and_it_is_audited(as_role, city):
    laptop, phone = as_role("unit_editor"), as_role("unit_editor")
    stolen = copy_of(laptop, city, "Tjuvens webbläsare")
    admin = as_role("admin")
    editor_id = user_id(city, "editor@test.se")
    page = admin.get(f"/admin/anvandare/{editor_id}").get_data(as_text=True)
    assert "Inloggade sessioner" in page and page.count("<time datetime=") == 4  # two sessions, two times each
    assert "Avsluta alla sessioner" in page
    response = post(admin, f"/admin/anvandare/{editor_id}/sessioner/avsluta", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sessionerna för editor@test.se är avslutade (2 st.)" in page
    assert "Användaren är inte inloggad någonstans." in page
    for client in (laptop, phone, stolen):
        assert not signed_in(client, "/granskning/")
    assert signed_in(admin)
    event = [e for e in audit_actions(city) if e.action == "user.sessions_ended"]
    assert len(event) == 1
    assert (event[0].actor, event[0].target, event[0].detail) == ("admin@test.se", "editor@test.se", {"sessions": 2})


def test_an_admin_ending_their_own_sessions_keeps_the_one_in_use(as_role, city):
    here, elsewhere = as_role("admin"), as_role("admin")
    post(here, f"/admin/anvandare/{user_id(city, 'admin@test.se')}/sessioner/avsluta")
    assert signed_in(here) and not signed_in(elsewhere)


def test_only_an_admin_may_end_sessions(as_role, city):
    editor = as_role("unit_editor")
    analyst = as_role("analyst")
    response = post(analyst, f"/admin/anvandare/{user_id(city, 'editor@test.se')}/sessioner/avsluta")
    assert response.status_code == 403
    assert signed_in(editor, "/granskning/")
    assert post(as_role("admin"), "/admin/anvandare/999/sessioner/avsluta").status_code == 404


def test_the_command_line_ends_all_sessions_of_a_user(as_role, city):
    editor = as_role("unit_editor")
    result = city.test_cli_runner().invoke(args=["users", "end-sessions", "Editor@Test.se"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Ended 1 session(s) of editor@test.se"
    assert not signed_in(editor, "/granskning/")
    event = [e for e in audit_actions(city) if e.action == "user.sessions_ended"][0]
    assert (event.actor, event.target, event.detail) == ("cli", "editor@test.se", {"sessions": 1})
    unknown = city.test_cli_runner().invoke(args=["users", "end-sessions", "ingen@test.se"])
    assert unknown.exit_code == 1 and "ingen@test.se" in unknown.output


# --- lifetimes ------------------------------------------------------------------------------


def test_a_session_ends_twelve_hours_after_login_however_active(as_role, city):
    admin = as_role("admin")
    shift_sessions(city, "admin@test.se", created_at=timedelta(hours=11, minutes=59))
    assert signed_in(admin)
    # Active a moment ago, but logged in more than 12 hours ago.
    shift_sessions(city, "admin@test.se", created_at=timedelta(hours=12, seconds=1), last_seen_at=timedelta(0))
    assert not signed_in(admin)
    # A new login starts a new session, and removes the expired one.
    assert login(admin, "admin@test.se").status_code == 302
    assert signed_in(admin)
    assert len(sessions_of(city, "admin@test.se")) == 1


def test_the_absolute_lifetime_is_a_setting(tmp_path):
    assert load_config(tmp_path, {"SECRET_KEY": "x"})["SESSION_MAX_AGE"] == timedelta(hours=12)
    three = load_config(tmp_path, {"SECRET_KEY": "x", "LAGESBILD_SESSION_MAX_HOURS": "3"})
    assert three["SESSION_MAX_AGE"] == timedelta(hours=3)
    with pytest.raises(ConfigError, match="LAGESBILD_SESSION_MAX_HOURS"):
        load_config(tmp_path, {"SECRET_KEY": "x", "LAGESBILD_SESSION_MAX_HOURS": "0"})


def test_a_configured_absolute_lifetime_is_used(as_role, city):
    admin = as_role("admin")
    city.config["SESSION_MAX_AGE"] = timedelta(hours=3)
    shift_sessions(city, "admin@test.se", created_at=timedelta(hours=2, minutes=59))
    assert signed_in(admin)
    shift_sessions(city, "admin@test.se", created_at=timedelta(hours=3, seconds=1))
    assert not signed_in(admin)


def test_an_idle_session_ends_on_the_server_too(as_role, city):
    # 240 idle minutes, and last_seen_at may lag a minute behind the last request.
    admin = as_role("admin")
    shift_sessions(city, "admin@test.se", last_seen_at=timedelta(minutes=240))
    assert signed_in(admin)
    shift_sessions(city, "admin@test.se", last_seen_at=timedelta(minutes=241, seconds=1))
    assert not signed_in(admin)


def test_a_cookie_signed_longer_ago_than_the_idle_time_opens_nothing(as_role, city, monkeypatch):
    """The signed cookie's own timestamp is checked too (renewed on every request)."""
    import time

    from itsdangerous import TimestampSigner

    admin = as_role("admin")
    response = admin.get("/admin/")
    assert "Expires=" in response.headers["Set-Cookie"]
    with admin.session_transaction() as session:
        contents = dict(session)
    serializer = city.session_interface.get_signing_serializer(city)
    for minutes, alive in ((239, True), (241, False)):
        with monkeypatch.context() as patch:
            patch.setattr(TimestampSigner, "get_timestamp", lambda self, m=minutes: int(time.time()) - m * 60)
            value = serializer.dumps(contents)
        replay = city.test_client()
        replay.set_cookie(COOKIE, value)
        assert signed_in(replay) is alive


def test_last_seen_is_written_at_most_once_a_minute(as_role, city):
    admin = as_role("admin")
    shift_sessions(city, "admin@test.se", last_seen_at=timedelta(seconds=30))
    before = sessions_of(city, "admin@test.se")[0].last_seen_at
    assert signed_in(admin)
    assert sessions_of(city, "admin@test.se")[0].last_seen_at == before  # no write
    shift_sessions(city, "admin@test.se", last_seen_at=timedelta(minutes=5))
    assert signed_in(admin)
    seen = sessions_of(city, "admin@test.se")[0].last_seen_at
    assert utcnow() - seen < timedelta(minutes=1)


def test_the_database_keeps_only_a_hash_of_the_cookies_secret(as_role, city):
    admin = as_role("admin")
    with admin.session_transaction() as session:
        user_part, _, secret = session["_user_id"].partition(":")
    assert user_part == str(user_id(city, "admin@test.se")) and len(secret) >= 40
    rows = sessions_of(city, "admin@test.se")
    assert len(rows) == 1 and secret not in rows[0].id
    # A cookie naming the hash instead of the secret opens nothing.
    forged = city.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = f"{user_part}:{rows[0].id}"
        session["_fresh"] = True
    assert not signed_in(forged)


def test_a_session_of_one_user_opens_no_other_account(as_role, city):
    editor = as_role("unit_editor")
    with editor.session_transaction() as session:
        _, _, secret = session["_user_id"].partition(":")
    forged = city.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = f"{user_id(city, 'admin@test.se')}:{secret}"
    assert not signed_in(forged)


def test_an_admin_changing_their_own_units_stays_signed_in(as_role, city):
    admin = as_role("admin")
    _set_access(admin, user_id(city, "admin@test.se"), "admin", ["sdn-norr"], True)
    assert signed_in(admin)
    assert [e.detail["after"]["units"] for e in audit_actions(city) if e.action == "user.access"] == [["sdn-norr"]]


def test_the_last_seen_write_never_commits_a_transaction_in_progress(as_role, city):
    """`current_user` first read inside a `transaction()`: the once-a-minute write waits for
    another request instead of committing the caller's half-done work."""
    from app.models import Unit
    from app.services import sessions, transaction

    with city.test_request_context():
        lifetimes = sessions.Lifetimes.from_config(city.config)
        admin = db.session.scalar(select(User).where(User.email == "admin@test.se"))
        with transaction() as session:
            secret = sessions.start(session, admin, lifetimes)
        admin_id = admin.id
    shift_sessions(city, "admin@test.se", last_seen_at=timedelta(minutes=5))
    with city.test_request_context():
        with pytest.raises(RuntimeError), transaction() as session:
            session.execute(Unit.__table__.insert().values(key="halvfardig", name="Halvfärdig", kind="board"))
            assert sessions.load(session, admin_id, secret, lifetimes) is not None
            raise RuntimeError("the caller's work fails after reading the user")
        assert db.session.scalar(select(Unit.id).where(Unit.key == "halvfardig")) is None
    assert utcnow() - max(s.last_seen_at for s in sessions_of(city, "admin@test.se")) >= timedelta(minutes=4)
