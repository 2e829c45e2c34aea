"""Data factory for the staff survey: an open round of the shipped survey, as tests/test_survey.py
builds it, for test files that need one without that file's fixtures."""

from __future__ import annotations

from flask import Flask

from app.config import PROJECT_ROOT
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round
from tests.test_survey import ROUND_KEY, UNITS


def open_survey_round(app: Flask) -> Flask:
    """Load the shipped staff survey and open a round of it inviting UNITS (on the `city` app)."""
    with app.app_context():
        report = load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"])
        assert report.ok, report.errors
        with transaction() as session:
            created = create_round(session, RoundSpec(key=ROUND_KEY, name="Medarbetarenkät 2026", year=2026,
                                                      questionnaire_keys=("medarbetarenkat",), unit_keys=UNITS))
            change_status(session, created, "open")
    return app
