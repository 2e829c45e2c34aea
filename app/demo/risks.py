"""The demo city's risk registers: plausible risks from the template's catalogue, made by each
unit's demo editor through the register's services (so they are ordinary drafts and submissions
with history). Some units submit, some keep a draft, and one invited unit documents nothing, the
audits' key finding. Called by `app.demo.build.build_demo` for the rounds it creates.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import RiskTemplate
from app.demo.city import editor_email
from app.models import Round, User
from app.services.risks.register import (
    current_answers,
    register_target,
    risk_from_catalogue,
    risk_from_statement,
    self_assessment_answers,
    statement_coverage,
    submit_register,
    template_of,
)
from app.services.risks.validation import check_register
from app.services.risks.values import FollowUp, Measure, Risk, risk_to_answer
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
# Who influences, per catalogue item: planned influence (organised crime, extremism, a supplier
# after a contract) or reactive (a client or relative after a negative decision, by far the most
# common), as the audits tell them apart.
PLANNED = {"organiserad_brottslighet", "upphandling", "tillstand_bidrag", "jav"}
INFLUENCERS: dict[str, tuple[str, ...]] = {
    "upphandling": ("leverantor",), "gavor": ("klient", "leverantor"), "jav": ("kollega",),
    "tillstand_bidrag": ("annan",), "intern_paverkan": ("kollega", "fortroendevald"),
    "organiserad_brottslighet": ("annan",), "lvu": ("anhorig",), "barn_familj": ("anhorig",),
    "moten_besok": ("klient", "anhorig"),
}
OTHER_INFLUENCER = "Kriminellt nätverk eller förening"
CONTROLS = (
    "Stickprov av fem ärenden per kvartal: att riskbedömning gjorts före mötet.",
    "Genomgång av rapporterade händelser i incidentsystemet varje tertial.",
    "Kontroll två gånger per år att jävsdeklarationer finns för alla som beslutar.",
)
FOLLOW_UP_BY = ("Verksamhetscontroller", "Enhetschef", "Säkerhetssamordnare")


def _editor(session: Session, unit_key: str) -> User | None:
    return session.scalar(select(User).where(User.email == editor_email(unit_key)))


def sample_risk(template: RiskTemplate, item_key: str, rng: random.Random, today: date) -> Risk:
    """A rated risk from the catalogue item `item_key` with controls, one or two measures and, as
    far as the template asks, who influences it and its place in the internal control plan."""
    start = risk_from_catalogue(template, item_key, "sv")
    likelihood = rng.choice(template.likelihood.options[1:]).value
    consequence = rng.choice(template.consequence.options[1:]).value
    measures = tuple(_measure(action, owner, rng, today) for action, owner in rng.sample(MEASURES, rng.randint(1, 2)))
    item = replace(start, likelihood=likelihood, consequence=consequence, measures=measures,
                   controls="Rutin för hot och våld finns; larm på mottagningen.")
    return _influence_and_plan(template, item, item_key, rng, today)


def _measure(action: str, owner: str, rng: random.Random, today: date) -> Measure:
    """A measure; one that has started carries a follow-up that moved it to its status."""
    status = rng.choice(STATUSES)
    follow_ups = () if status == "planned" else (FollowUp(
        today - timedelta(days=rng.choice((10, 30, 75))), rng.choice(FOLLOW_UP_BY),
        "Åtgärden är genomförd och används." if status == "done" else "Arbetet har börjat; återstår på två enheter.",
        status),)
    return Measure(action, owner, today + timedelta(days=rng.choice((-60, -20, 45, 120, 200))), status,
                         follow_ups)


def _influence_and_plan(template: RiskTemplate, item: Risk, item_key: str, rng: random.Random,
                        today: date) -> Risk:
    """Planned or reactive and who, as the template asks; a high risk goes into the board's
    internal control plan with a control and the decision that adopted it."""
    if template.influencer_kind is not None:
        values = [o.value for o in template.influencer_kind.options]
        item = replace(item, influencer_kind=values[0] if item_key in PLANNED else values[-1])
    if template.influencer is not None:
        chosen = INFLUENCERS.get(item_key, ("klient", "anhorig"))
        known = {o.value for o in template.influencer.options}
        item = replace(item, influencers=tuple(c for c in chosen if c in known),
                       influencer_other=OTHER_INFLUENCER if "annan" in chosen else "")
    if template.control_plan is not None and (item.value or 0) >= 9:
        item = replace(item, in_plan=True, plan_control=rng.choice(CONTROLS), plan_owner="Förvaltningschef",
                       plan_decision=f"§ {rng.randint(10, 90)}", plan_decided_on=date(today.year, 2, 15))
    return item


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
            target = register_target(session, round_, unit)
        except NotFound:
            continue
        if current_answers(session, target):
            continue  # already built
        template = template_of(target)
        chosen = rng.sample(items, rng.randint(3, min(5, len(items))))
        answers: dict[str, object] = {}
        for item_key in chosen:
            item = sample_risk(template, item_key, rng, today)
            answers[item.key] = risk_to_answer(item)
        linked = _risk_from_statement(session, round_, unit, template, today)
        if linked is not None:
            answers[linked.key] = risk_to_answer(linked)
        response = save(session, target, answers, 0, editor, check=check_register).response
        if outcome == "submit":
            submit_register(session, target, response.version, editor)


def _risk_from_statement(session: Session, round_: Round, unit, template: RiskTemplate,
                         today: date) -> Risk | None:
    """A risk with a measure from the first statement the unit rated Delvis or Nej, if any."""
    own = self_assessment_answers(session, round_, unit)
    if own is None:
        return None
    coverage = statement_coverage(own[0], own[1], [], "sv")
    if not coverage:
        return None
    item = risk_from_statement(own[0], own[1], coverage[0].key, "sv", with_measure=True)
    action = item.measures[0].action
    return replace(item, forms=(template.forms[0].key,),
                   likelihood=template.likelihood.options[-1].value,
                   consequence=template.consequence.options[-2].value,
                   measures=(Measure(action, "Förvaltningschef", today + timedelta(days=90), "planned"),))
