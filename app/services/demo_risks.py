"""The demo city's risk registers: plausible risks from the template's catalogue, made by each
unit's demo editor through the register's services (so they are ordinary drafts and submissions
with history). Some units submit, some keep a draft, and one invited unit documents nothing, the
audits' key finding. Called by `app.services.demo.build_demo` for the rounds it creates.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import RiskTemplate
from app.models import Round, User
from app.services import risks
from app.services.demo import editor_email
from app.services.submissions import NotFound, save

# Which catalogue items suit which units; the units left out document no risk.
SOCIAL = ("hembesok", "avslag_ekonomiskt_bistand", "sjalvmordshot", "hot_telefon", "sociala_medier",
          "fritid", "arbetsbelastning")
CHILDREN = ("lvu", "barn_familj", "hembesok", "personuppgifter", "sociala_medier")
ADMINISTRATIVE = ("upphandling", "gavor", "jav", "tillstand_bidrag", "hot_skriftligt", "intern_paverkan")
COMPANY = ("upphandling", "gavor", "jav", "moten_besok", "hot_telefon")
PLANS: dict[str, tuple[tuple[str, ...], str]] = {
    "socialnamnden": (CHILDREN, "submit"),
    "sdn-sodermalm": (SOCIAL, "submit"),
    "sdn-skarholmen": (SOCIAL, "submit"),
    "ks": (ADMINISTRATIVE, "submit"),
    "bostader-ab": (COMPANY, "submit"),
    "energi-ab": (COMPANY, "submit"),
    "stadsbyggnadsnamnden": (ADMINISTRATIVE, "submit"),
    "arbetsmarknadsnamnden": (SOCIAL, "draft"),
    "sdn-kungsholmen": (SOCIAL, "draft"),
    "utbildningsnamnden": (CHILDREN, "draft"),
    # hamn-ab: invited, documents no risk at all.
}
MEASURES = (
    ("Två medarbetare vid hembesök och möten med förhöjd risk", "Enhetschef"),
    ("Utbildning om otillåten påverkan på APT", "Avdelningschef"),
    ("Rutin för att rapportera händelser i incidentsystemet", "Säkerhetssamordnare"),
    ("Skyddade personuppgifter och rutin för polisanmälan", "HR-chef"),
    ("Jävsgenomgång och attestordning ses över", "Ekonomichef"),
    ("Larm och reträttväg i mötesrummen", "Fastighetsansvarig"),
)
STATUSES = ("planned", "in_progress", "done")


def _editor(session: Session, unit_key: str) -> User | None:
    return session.scalar(select(User).where(User.email == editor_email(unit_key)))


def _risk(template: RiskTemplate, item_key: str, rng: random.Random, today: date) -> risks.Risk:
    start = risks.risk_from_catalogue(template, item_key, "sv")
    likelihood = rng.choice(template.likelihood.options[1:]).value
    consequence = rng.choice(template.consequence.options[1:]).value
    measures = tuple(
        risks.Measure(action, owner, today + timedelta(days=rng.choice((-60, -20, 45, 120, 200))),
                      rng.choice(STATUSES))
        for action, owner in rng.sample(MEASURES, rng.randint(1, 2)))
    return replace(start, likelihood=likelihood, consequence=consequence, measures=measures,
                   controls="Rutin för hot och våld finns; larm på mottagningen.")


def build_demo_registers(session: Session, round_: Round) -> None:
    """Registers for the invited units of an open round with a risk template (a closed round
    cannot take new answers, so it is left as it is)."""
    if round_.status != "open" or round_.version_of_kind("risk_template") is None:
        return
    rng = random.Random(f"risker-{round_.key}")
    today = date.today()
    invited = {invitation.unit.key: invitation.unit for invitation in round_.invitations}
    for unit_key, (items, outcome) in PLANS.items():
        unit, editor = invited.get(unit_key), _editor(session, unit_key)
        if unit is None or editor is None:
            continue
        try:
            target = risks.register_target(session, round_, unit)
        except NotFound:
            continue
        if risks.current_answers(session, target):
            continue  # already built
        template = risks.template_of(target)
        chosen = rng.sample(items, rng.randint(3, min(5, len(items))))
        answers: dict[str, object] = {}
        for item_key in chosen:
            item = _risk(template, item_key, rng, today)
            answers[item.key] = risks.risk_to_answer(item)
        linked = _risk_from_statement(session, round_, unit, template, today)
        if linked is not None:
            answers[linked.key] = risks.risk_to_answer(linked)
        response = save(session, target, answers, 0, editor, check=risks.check_register).response
        if outcome == "submit":
            risks.submit_register(session, target, response.version, editor)


def _risk_from_statement(session: Session, round_: Round, unit, template: RiskTemplate,  # type: ignore[no-untyped-def]
                         today: date) -> risks.Risk | None:
    """A risk with a measure from the first statement the unit rated Delvis or Nej, if any."""
    own = risks.self_assessment_answers(session, round_, unit)
    if own is None:
        return None
    coverage = risks.statement_coverage(own[0], own[1], [], "sv")
    if not coverage:
        return None
    item = risks.risk_from_statement(own[0], own[1], coverage[0].key, "sv", with_measure=True)
    action = item.measures[0].action
    return replace(item, forms=(template.forms[0].key,),
                   likelihood=template.likelihood.options[-1].value,
                   consequence=template.consequence.options[-2].value,
                   measures=(risks.Measure(action, "Förvaltningschef", today + timedelta(days=90), "planned"),))
