"""Data factories for risk registers: rounds that hold a risk template, and the risk form's data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import Round
from app.services import transaction
from app.services.questionnaires import load_folder
from app.services.rounds import RoundSpec, change_status, create_round, latest_versions
from tests.rounds_factory import SELF_ASSESSMENT

RISK_TEMPLATE = PROJECT_ROOT / "questionnaires" / "riskanalys.yaml"
FIVE_BY_FIVE = Path(__file__).parent / "data" / "valid" / "risk_5x5.yaml"


def load(*paths: Path) -> None:
    report = load_folder(list(paths))
    assert report.ok, report.errors


def make_risk_round(key: str = "granskning-2026", year: int = 2026,
                    units: tuple[str, ...] = ("sdn-norr", "sdn-syd", "bolag"),
                    template: Path = RISK_TEMPLATE, template_key: str = "riskanalys",
                    with_self_assessment: bool = True, open_it: bool = True) -> None:
    """An open round of the risk template (and the self-assessment) for `units`."""
    load(SELF_ASSESSMENT, template)
    keys = (("sjalvskattning",) if with_self_assessment else ()) + (template_key,)
    with transaction() as session:
        created = create_round(session, RoundSpec(key=key, name=f"Granskning {year}", year=year,
                                                  questionnaire_keys=keys, unit_keys=units))
        if open_it:
            change_status(session, created, "open")


def add_risk_template(round_key: str = "granskning-2026") -> None:
    """Add the shipped risk template to an existing round (as if it had been chosen at creation)."""
    load(RISK_TEMPLATE)
    with transaction() as session:
        round_ = session.scalar(select(Round).where(Round.key == round_key))
        assert round_ is not None
        round_.questionnaire_versions.append(latest_versions(session, ["riskanalys"])[0])
    db.session.expire_all()


def risk_form(activity: str, forms: tuple[str, ...] = ("hot",), likelihood: str = "", consequence: str = "",
              measures: tuple[tuple[str, str, str, str], ...] = (), catalogue_key: str = "",
              base_version: int | str = 0, **extra: str) -> dict[str, object]:
    """The risk form's fields; each measure is (action, owner, due date, status)."""
    data: dict[str, object] = {"activity": activity, "forms": list(forms), "likelihood": likelihood,
                               "consequence": consequence, "catalogue_key": catalogue_key,
                               "base_version": str(base_version), "description": "", "controls": "",
                               "follow_up": "", **extra}
    for index, (action, owner, due, status) in enumerate(measures):
        data.update({f"measure-{index}-action": action, f"measure-{index}-owner": owner,
                     f"measure-{index}-due_on": due, f"measure-{index}-status": status})
    data[f"measure-{len(measures)}-action"] = ""  # the empty row a page always has
    return data


def with_follow_ups(data: dict[str, object], measure: int,
                    entries: tuple[tuple[str, str, str, str], ...], *, last_is_new: bool = True) -> dict[str, object]:
    """The risk form's data with follow-up rows (date, who, comment, new status) for one measure;
    the last is the row the page leaves empty for a new follow-up unless `last_is_new` is False."""
    data = dict(data)
    for index, (on, by, comment, status) in enumerate(entries):
        name = f"measure-{measure}-followup-{index}"
        data.update({f"{name}-on": on, f"{name}-by": by, f"{name}-comment": comment, f"{name}-status": status})
        if last_is_new and index == len(entries) - 1:
            data[f"{name}-new"] = "1"
    return data


def seed_access_rounds() -> None:
    """For the access walk (tests/test_access.py): `risker-2025` and `risker-2026`, both open for
    sdn-norr, each with one complete risk (`risk_old1`, `risk_access1`) at version 1, and a
    self-assessment in 2025 that rates `kultur` Delvis."""
    from app.models import User
    from app.services.risks.register import put_risk
    from app.services.risks.values import Measure, Risk
    from app.services.submissions import find_target, save

    for key, year, risk_key in (("risker-2025", 2025, "risk_old1"), ("risker-2026", 2026, "risk_access1")):
        make_risk_round(key=key, year=year, units=("sdn-norr",))
        with transaction() as session:
            editor = session.scalar(select(User).where(User.email == "editor@test.se"))
            target = find_target(session, key, "sdn-norr", "riskanalys")
            put_risk(session, target, Risk(
                key=risk_key, activity="Hembesök", forms=("hot",), likelihood="2", consequence="3",
                measures=(Measure("Gå två och två", "Enhetschef", date(2026, 6, 1)),)), 0, editor)
            if year == 2025:
                save(session, find_target(session, key, "sdn-norr", "sjalvskattning"),
                     {"kultur": {"value": "delvis", "motivation": "Vi behöver prata mer om det."}}, 0, editor)
