"""The breakdowns' cross-tabulations kept per cell (`survey_split_counts`): written when answers
are released, never while they wait; equal to the answers grouped; rebuilt by `survey recount`;
gone with the round's purge and with the round. Respondents answer through HTTP."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, select, text

from app.extensions import db
from app.models import Round, Unit
from app.models.survey import SurveyAnswer, SurveySplitCount
from app.services import transaction
from app.services.survey import split_counts_from_answers
from app.services.survey.codes import survey_definition
from tests.test_survey import ROUND_KEY, admin_client, close_round, new_codes, respond_with_code

SplitKey = tuple[str, str, str, str, str]


def kept_splits(unit_key: str) -> dict[SplitKey, int]:
    """{(background question, its answer, question, row, value): respondents} of one unit."""
    db.session.remove()
    unit_id = db.session.scalar(select(Unit.id).where(Unit.key == unit_key))
    return {tuple(row[:5]): row[5] for row in db.session.execute(
        select(SurveySplitCount.by_question, SurveySplitCount.by_value, SurveySplitCount.question_key,
               SurveySplitCount.row_key, SurveySplitCount.value, SurveySplitCount.respondents)
        .where(SurveySplitCount.unit_id == unit_id))}


def split_rows() -> int:
    db.session.remove()
    return int(db.session.scalar(select(func.count()).select_from(SurveySplitCount)) or 0)


def from_answers() -> dict[tuple[int, str, str, str, str, str], int]:
    db.session.remove()
    round_ = db.session.scalar(select(Round).where(Round.key == ROUND_KEY))
    return split_counts_from_answers(db.session, round_.id, survey_definition(round_))


def three_answer(app) -> None:
    """Three of sdn-norr's staff: A a woman in Skärholmen, B a man in Skärholmen who rates the
    risk of harassment low, C a woman in Södermalm who was exposed (and so answers the
    follow-up q-typ). All three work with ekonomiskt bistånd."""
    codes = new_codes(admin_client(app), "sdn-norr", 3)
    respond_with_code(app, codes[0])
    respond_with_code(app, codes[1], {"bakgrund": {"q-kon": "man"},
                                      "risk_och_arbetssatt": {"q-risk-trakasserier": "lag"}})
    respond_with_code(app, codes[2], {"bakgrund": {"q-stadsdel": "sodermalm"},
                                      "utsatthet": {"q-utsatt": "ja", "q-utsatt_hur": "Hot i receptionen."},
                                      "senaste_handelsen": {"q-typ": ["hot_vald", "skadegorelse"]}})


def test_split_counts_are_kept_when_answers_are_released_and_equal_the_answers_grouped(survey):
    three_answer(survey)
    with survey.app_context():
        # Three wait for the threshold of five: nothing of theirs is counted yet, split or not.
        assert split_rows() == 0
    close_round(survey)  # releases them, in one transaction
    with survey.app_context():
        kept = kept_splits("sdn-norr")
        # The risk matrix by gender: two women (A: high, C: high), one man (low).
        assert kept[("kon", "kvinna", "risk", "", "")] == 2
        assert kept[("kon", "kvinna", "risk", "trakasserier", "hog")] == 2
        assert ("kon", "kvinna", "risk", "trakasserier", "lag") not in kept
        assert kept[("kon", "man", "risk", "", "")] == 1
        assert kept[("kon", "man", "risk", "trakasserier", "lag")] == 1
        assert kept[("kon", "man", "risk", "hot_vald", "lag")] == 1
        # Exposure by district: Skärholmen A and B (no), Södermalm C (yes).
        assert (kept[("stadsdel", "skarholmen", "utsatt", "", "")],
                kept[("stadsdel", "skarholmen", "utsatt", "", "nej")]) == (2, 2)
        assert (kept[("stadsdel", "sodermalm", "utsatt", "", "")],
                kept[("stadsdel", "sodermalm", "utsatt", "", "ja")]) == (1, 1)
        # The follow-up only C answered: its base is 1 wherever C is counted, absent elsewhere.
        assert kept[("kon", "kvinna", "typ", "", "")] == 1
        assert kept[("kon", "kvinna", "typ", "", "skadegorelse")] == 1
        assert kept[("verksamhetsomrade", "ekonomiskt_bistand", "typ", "", "hot_vald")] == 1
        assert ("kon", "man", "typ", "", "") not in kept
        # Everyone shares one field: its split of a multiple choice counts each option chosen.
        assert (kept[("verksamhetsomrade", "ekonomiskt_bistand", "pratar", "", "")],
                kept[("verksamhetsomrade", "ekonomiskt_bistand", "pratar", "", "mutor")]) == (3, 3)
        # A background question is split by itself too; free texts never are.
        assert kept[("kon", "kvinna", "kon", "", "kvinna")] == 2
        assert not any(question in {"utsatt_hur", "arbetssatt_hur"} for _b, _v, question, _r, _o in kept)
        assert {by for by, *_rest in kept} == {"kon", "stadsdel", "verksamhetsomrade"}
        unit_id = db.session.scalar(select(Unit.id).where(Unit.key == "sdn-norr"))
        assert {key[1:]: n for key, n in from_answers().items() if key[0] == unit_id} == kept


def test_recount_rebuilds_the_split_counts_from_the_answers(survey):
    three_answer(survey)
    close_round(survey)
    runner = survey.test_cli_runner()
    assert runner.invoke(args=["survey", "recount"]).exit_code == 0
    with survey.app_context(), transaction() as session:
        # A hand edit (or a partial restore): one split count too high, one missing.
        session.execute(text("UPDATE survey_split_counts SET respondents = respondents + 1 "
                             "WHERE by_question = 'kon' AND by_value = 'man' AND question_key = 'utsatt' "
                             "AND value = 'nej'"))
        session.execute(text("DELETE FROM survey_split_counts WHERE by_value = 'sodermalm' AND value = 'ja' "
                             "AND question_key = 'utsatt'"))
    checked = runner.invoke(args=["survey", "recount", ROUND_KEY])
    assert checked.exit_code == 1 and f"{ROUND_KEY}: 2 counts differ from the answers" in checked.output
    repaired = runner.invoke(args=["survey", "recount", "--repair"])
    assert repaired.exit_code == 0 and "2 counts differ from the answers; rewritten" in repaired.output
    with survey.app_context():
        kept = kept_splits("sdn-norr")
        assert kept[("kon", "man", "utsatt", "", "nej")] == 1
        assert kept[("stadsdel", "sodermalm", "utsatt", "", "ja")] == 1
        unit_id = db.session.scalar(select(Unit.id).where(Unit.key == "sdn-norr"))
        assert {key[1:]: n for key, n in from_answers().items() if key[0] == unit_id} == kept
    assert runner.invoke(args=["survey", "recount"]).exit_code == 0


def test_a_purge_and_a_deleted_round_leave_no_split_counts(survey):
    three_answer(survey)
    close_round(survey)
    with survey.app_context(), transaction() as session:
        assert split_rows() > 0
        session.scalar(select(Round).where(Round.key == ROUND_KEY)).retain_until = date.today() - timedelta(days=1)
    dry = survey.test_cli_runner().invoke(args=["rounds", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "survey_split_counts" in dry.output, dry.output
    purged = survey.test_cli_runner().invoke(args=["rounds", "purge"])
    assert purged.exit_code == 0, purged.output
    with survey.app_context():
        assert split_rows() == 0
        assert db.session.scalar(select(func.count()).select_from(SurveyAnswer)) == 0


def test_deleting_a_round_deletes_its_split_counts(survey):
    three_answer(survey)
    close_round(survey)
    with survey.app_context():
        assert split_rows() > 0
        with transaction() as session:
            session.execute(delete(Round).where(Round.key == ROUND_KEY))
        assert split_rows() == 0
