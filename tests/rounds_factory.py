"""Data factories for review rounds: the shipped self-assessment loaded, a round made and opened."""

from __future__ import annotations

from app.config import PROJECT_ROOT
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round

SELF_ASSESSMENT = PROJECT_ROOT / "questionnaires" / "sjalvskattning.yaml"
ROUND_KEY = "granskning-2026"
SURVEY_KEY = "enkat-2026"


def load_self_assessment() -> None:
    report = load_folder([SELF_ASSESSMENT])
    assert report.ok, report.errors


def make_round(key: str = ROUND_KEY, units: tuple[str, ...] = ("sdn-norr", "sdn-syd", "bolag"),
               open_it: bool = True) -> None:
    """A round of the self-assessment for `units` (call inside an app context, after the units)."""
    load_self_assessment()
    with transaction() as session:
        created = create_round(session, RoundSpec(key=key, name="Gemensam granskning 2026", year=2026,
                                                  questionnaire_keys=("sjalvskattning",), unit_keys=units))
        if open_it:
            change_status(session, created, "open")


RATINGS = ("kannedom", "kultur", "undersoka", "forebygga", "hantera", "folja_upp", "stod", "tjanstefel",
           "chefer_agera")
DESCRIPTIONS = ("risksyn", "exponerade_verksamheter", "larande", "behov")


def full_answers(motivation: str = "Vi har rutiner och utbildning.", rating: str = "ja") -> dict[str, str]:
    """Form data answering every required question of the self-assessment."""
    data = {}
    for key in RATINGS:
        data[f"q-{key}"] = rating
        data[f"q-{key}-motivation"] = motivation
    for key in DESCRIPTIONS:
        data[f"q-{key}"] = f"Beskrivning av {key}."
    return data


def page_base_version(response) -> str:  # type: ignore[no-untyped-def]
    """The hidden base_version of an answering page (the version the page was built on)."""
    import re

    match = re.search(r'name="base_version" value="(\d+)"', response.get_data(as_text=True))
    assert match, "no base_version on the page"
    return match.group(1)


def make_assessment_and_survey_rounds() -> None:
    """The self-assessment round of `make_round` and an open staff-survey round for sdn-norr."""
    make_round()
    assert load_folder([PROJECT_ROOT / "questionnaires" / "medarbetarenkat.yaml"]).ok
    with transaction() as session:
        created = create_round(session, RoundSpec(key=SURVEY_KEY, name="Medarbetarenkät 2026", year=2026,
                                                  questionnaire_keys=("medarbetarenkat",),
                                                  unit_keys=("sdn-norr",)))
        change_status(session, created, "open")
