"""A round's survey thresholds: the settings are checked at start and are what new rounds get;
an admin sets a round's own on its page until the survey's first response, and each change is
audited with the values before and after."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import ConfigError, load_config
from app.extensions import db
from app.models import AuditEvent, Round
from app.services import ServiceError, transaction
from app.services.rounds import (
    Thresholds,
    check_thresholds,
    get_round,
    has_survey_responses,
    set_thresholds,
)
from tests.conftest import _make_app, make_units, make_user, post
from tests.test_survey import (
    ROUND_KEY,
    admin_client,
    new_codes,
    respond_with_code,
)

ROUND_PAGE = f"/admin/omgangar/{ROUND_KEY}"


def _env(**values: str) -> dict[str, str]:
    return {"SECRET_KEY": "x", **values}


# --- the settings ----------------------------------------------------------------------------


def test_the_threshold_settings_default_to_five_and_ten(tmp_path: Path):
    config = load_config(tmp_path, _env())
    assert (config["ANONYMITY_THRESHOLD"], config["FREE_TEXT_THRESHOLD"]) == (5, 10)


def test_the_threshold_settings_are_read(tmp_path: Path):
    config = load_config(tmp_path, _env(LAGESBILD_ANONYMITY_THRESHOLD="4", LAGESBILD_FREE_TEXT_THRESHOLD="4"))
    assert (config["ANONYMITY_THRESHOLD"], config["FREE_TEXT_THRESHOLD"]) == (4, 4)


@pytest.mark.parametrize("values, named", [
    ({"LAGESBILD_ANONYMITY_THRESHOLD": "2"}, "LAGESBILD_ANONYMITY_THRESHOLD=2: must be at least 3"),
    ({"LAGESBILD_ANONYMITY_THRESHOLD": "fem"}, "LAGESBILD_ANONYMITY_THRESHOLD='fem'"),
    ({"LAGESBILD_FREE_TEXT_THRESHOLD": "2"}, "LAGESBILD_FREE_TEXT_THRESHOLD=2: must be at least 3"),
    ({"LAGESBILD_FREE_TEXT_THRESHOLD": "4"}, "LAGESBILD_FREE_TEXT_THRESHOLD=4: must be at least "
                                             "LAGESBILD_ANONYMITY_THRESHOLD (5)"),
    ({"LAGESBILD_ANONYMITY_THRESHOLD": "8", "LAGESBILD_FREE_TEXT_THRESHOLD": "7"},
     "LAGESBILD_FREE_TEXT_THRESHOLD=7: must be at least LAGESBILD_ANONYMITY_THRESHOLD (8)"),
])
def test_a_bad_threshold_setting_stops_the_app_naming_the_variable(tmp_path: Path, values, named):
    with pytest.raises(ConfigError) as raised:
        _make_app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "instance",
                  ENVIRON=_env(LAGESBILD_SECURE_COOKIES="0", **values))
    assert named in str(raised.value)


@pytest.fixture
def city_with_settings(tmp_path: Path, postgres_url, _postgres_tables):
    """The `city` of conftest on an app whose settings say 4 and 6."""
    from tests.conftest import _empty_all_tables

    url = postgres_url or f"sqlite:///{tmp_path / 'test.db'}"
    application = _make_app(url, tmp_path / "instance", ENVIRON=_env(
        LAGESBILD_SECURE_COOKIES="0", LAGESBILD_ANONYMITY_THRESHOLD="4", LAGESBILD_FREE_TEXT_THRESHOLD="6"))
    with application.app_context():
        if postgres_url:
            _empty_all_tables()
        else:
            db.create_all()
        make_units()
        make_user("admin@test.se", "admin")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _load_survey() -> None:
    from app.config import PROJECT_ROOT
    from app.services.questionnaires import load_folder

    assert load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok


def test_a_new_round_gets_the_settings_as_its_thresholds(city_with_settings):
    with city_with_settings.app_context():
        _load_survey()
    admin = admin_client(city_with_settings)
    form = admin.get("/admin/omgangar/ny").get_data(as_text=True)
    assert re.search(r'name="anonymity_threshold"[^>]*value="4"', form)
    assert re.search(r'name="free_text_threshold"[^>]*value="6"', form)
    # Left out of the form: the settings.
    response = post(admin, "/admin/omgangar/ny", {"name": "Enkät", "key": "enkat", "year": "2026",
                                                  "questionnaires": ["medarbetarenkat"], "units": ["bolag"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    with city_with_settings.app_context():
        created = get_round(db.session, "enkat")
        assert (created.anonymity_threshold, created.free_text_threshold) == (4, 6)
    page = admin.get("/admin/omgangar/enkat").get_data(as_text=True)
    assert '<dd data-threshold="anonymity">4</dd>' in page
    assert '<dd data-threshold="free_text">6</dd>' in page


def test_a_new_round_refuses_thresholds_below_three_in_its_form(city_with_settings):
    with city_with_settings.app_context():
        _load_survey()
    admin = admin_client(city_with_settings)
    response = post(admin, "/admin/omgangar/ny", {"name": "Enkät", "key": "enkat", "year": "2026",
                                                  "questionnaires": ["medarbetarenkat"], "units": ["bolag"],
                                                  "anonymity_threshold": "2", "free_text_threshold": "6"})
    assert response.status_code == 400
    assert "anonymitetsgränsen kan inte vara lägre än 3" in html.unescape(response.get_data(as_text=True))
    with city_with_settings.app_context():
        assert db.session.scalar(select(Round.id)) is None


# --- the service ----------------------------------------------------------------------------


@pytest.mark.parametrize("anonymity, free_text, fields", [
    (3, 3, []),
    (5, 10, []),
    (7, 7, []),
    (2, 10, ["anonymity_threshold"]),
    (5, 4, ["free_text_threshold"]),
    (2, 2, ["anonymity_threshold", "free_text_threshold"]),
    (0, 3, ["anonymity_threshold"]),
])
def test_thresholds_are_never_below_three_and_free_text_never_below_anonymity(anonymity, free_text, fields):
    assert [p.field for p in check_thresholds(Thresholds(anonymity, free_text))] == fields


def test_the_service_sets_thresholds_until_the_first_response_and_audits_each_change(survey):
    with survey.app_context():
        with transaction() as session:
            round_ = get_round(session, ROUND_KEY)
            assert not has_survey_responses(session, round_)
            set_thresholds(session, round_, Thresholds(6, 12))
        with transaction() as session:
            set_thresholds(session, get_round(session, ROUND_KEY), Thresholds(6, 12))  # no change, no event
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.thresholds")).all()
        assert [e.detail for e in events] == [{"before": {"anonymity": 5, "free_text": 10},
                                              "after": {"anonymity": 6, "free_text": 12}}]
    respond_with_code(survey, new_codes(admin_client(survey), "bolag", 1)[0])
    with survey.app_context():
        with pytest.raises(ServiceError) as refused, transaction() as session:
            set_thresholds(session, get_round(session, ROUND_KEY), Thresholds(3, 3))
        assert "gränserna kan inte ändras när enkäten har fått svar" in str(refused.value)
        kept = get_round(db.session, ROUND_KEY)
        assert (kept.anonymity_threshold, kept.free_text_threshold) == (6, 12)


# --- the round page -------------------------------------------------------------------------


def _thresholds_form(admin, anonymity: str, free_text: str):
    return post(admin, f"{ROUND_PAGE}/granser", {"anonymity_threshold": anonymity, "free_text_threshold": free_text})


def test_an_admin_sets_a_rounds_thresholds_on_its_page_and_the_change_is_audited(survey):
    admin = admin_client(survey)
    page = admin.get(ROUND_PAGE).get_data(as_text=True)
    assert '<dd data-threshold="anonymity">5</dd>' in page and '<dd data-threshold="free_text">10</dd>' in page
    response = _thresholds_form(admin, "7", "9")
    assert response.status_code == 302 and response.headers["Location"] == ROUND_PAGE
    page = admin.get(ROUND_PAGE).get_data(as_text=True)
    assert '<dd data-threshold="anonymity">7</dd>' in page and '<dd data-threshold="free_text">9</dd>' in page
    with survey.app_context():
        round_ = get_round(db.session, ROUND_KEY)
        assert (round_.anonymity_threshold, round_.free_text_threshold) == (7, 9)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.thresholds"))
        assert event.actor == "admin@test.se" and event.target == ROUND_KEY
        assert event.detail == {"before": {"anonymity": 5, "free_text": 10}, "after": {"anonymity": 7, "free_text": 9}}


@pytest.mark.parametrize("language, anonymity, free_text, field, message", [
    ("sv", "2", "10", "anonymity_threshold", "anonymitetsgränsen kan inte vara lägre än 3"),
    ("en", "2", "10", "anonymity_threshold", "the anonymity threshold cannot be lower than 3"),
    ("sv", "6", "5", "free_text_threshold", "gränsen för fritextsvar kan inte vara lägre än anonymitetsgränsen (6)"),
    ("en", "6", "5", "free_text_threshold", "the free-text threshold cannot be lower than the anonymity threshold (6)"),
    ("sv", "fem", "10", "anonymity_threshold", "ange ett heltal"),
    ("en", "5", "", "free_text_threshold", "enter a whole number"),
])
def test_a_bad_threshold_is_shown_beside_its_field_and_nothing_changes(survey, language, anonymity, free_text,
                                                                        field, message):
    admin = admin_client(survey)
    post(admin, "/sprak", {"language": language})
    response = _thresholds_form(admin, anonymity, free_text)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert re.search(rf'<p class="error" id="{field}-error">\s*{re.escape(message)}', page), page
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    with survey.app_context():
        round_ = get_round(db.session, ROUND_KEY)
        assert (round_.anonymity_threshold, round_.free_text_threshold) == (5, 10)
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "round.thresholds")) is None


def test_once_the_survey_has_a_response_the_thresholds_are_locked_and_the_page_says_why(survey):
    admin = admin_client(survey)
    assert 'name="anonymity_threshold"' in admin.get(ROUND_PAGE).get_data(as_text=True)
    respond_with_code(survey, new_codes(admin, "sdn-syd", 1)[0])
    page = html.unescape(admin.get(ROUND_PAGE).get_data(as_text=True))
    assert 'name="anonymity_threshold"' not in page
    assert "Gränserna kan inte längre ändras: enkäten har fått svar." in page
    assert '<dd data-threshold="anonymity">5</dd>' in page
    response = _thresholds_form(admin, "3", "3")
    assert response.status_code == 400
    assert "gränserna kan inte ändras när enkäten har fått svar" in html.unescape(response.get_data(as_text=True))
    with survey.app_context():
        round_ = get_round(db.session, ROUND_KEY)
        assert (round_.anonymity_threshold, round_.free_text_threshold) == (5, 10)


def test_an_analyst_sees_the_thresholds_but_cannot_change_them(survey, as_role):
    analyst = as_role("analyst")
    page = analyst.get(ROUND_PAGE).get_data(as_text=True)
    assert '<dd data-threshold="anonymity">5</dd>' in page and 'name="anonymity_threshold"' not in page
    assert _thresholds_form(analyst, "3", "3").status_code == 403
    with survey.app_context():
        assert get_round(db.session, ROUND_KEY).anonymity_threshold == 5


def test_the_synthetic_city_of_the_demo_command_gets_the_settings_as_its_thresholds(tmp_path: Path, postgres_url,
                                                                                   _postgres_tables):
    """Rounds created without thresholds (the demo command's) start with the settings too."""
    from tests.conftest import _empty_all_tables

    url = postgres_url or f"sqlite:///{tmp_path / 'test.db'}"
    application = _make_app(url, tmp_path / "instance", ENVIRON=_env(
        LAGESBILD_SECURE_COOKIES="0", LAGESBILD_ANONYMITY_THRESHOLD="4", LAGESBILD_FREE_TEXT_THRESHOLD="6"))
    try:
        with application.app_context():
            if postgres_url:
                _empty_all_tables()
            else:
                db.create_all()
        result = application.test_cli_runner().invoke(
            args=["demo", "--no-serve", "--units", "6", "--respondents", "10", "--rounds", "1", "--seed", "1"])
        assert result.exit_code == 0, result.output
        with application.app_context():
            made = db.session.execute(select(Round.anonymity_threshold, Round.free_text_threshold)).all()
            assert made and {tuple(row) for row in made} == {(4, 6)}
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
