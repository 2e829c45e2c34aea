"""The unit's own report on a round: its ratings, motivations and description, the change since
its previous round, and how all units in the round rated each statement.

`build_unit_report` computes the content once as dataclasses; the HTML page
(templates/reports/unit.html) and `app.reports.unit_report_pdf.render_unit_pdf` show the same
content, and the same chart
(`distribution_chart`, with `distribution_table` as its figures).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.graphics.shapes import Drawing
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.definitions.schema import (
    Definition,
    Question,
)
from app.models import QuestionnaireVersion, Round, RoundUnit, Unit, UnitResponse
from app.questions.conditions import answer_groups, shown_questions
from app.questions.types import chosen_value, question_type, rated_questions
from app.reports import index as idx
from app.reports.charts import ChartTable, Segment, StackedRow, stacked_bars, stacked_bars_table
from app.reports.levels import Level, LevelCount, change, level_of, levels_of, short_label, tally
from app.reports.pdf import (
    CONTENT_WIDTH,
)
from app.reports.risk_report import RiskSection, build_risk_section
from app.reports.unit_survey import UnitSurveySection, build_unit_survey
from app.services import Problem, ServiceError, history
from app.services.rounds import RoundNotFound, get_round, main_version

LOCAL_TIME = ZoneInfo("Europe/Stockholm")


class ReportNotFound(ServiceError):
    """The round or unit does not exist, or the unit was not invited to the round."""


def report_round(session: Session, round_key: str) -> Round:
    """The round a report is about (`get_round`), or ReportNotFound."""
    try:
        return get_round(session, round_key)
    except RoundNotFound as missing:
        raise ReportNotFound(missing.problems) from None


# --- content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousRating:
    round_key: str
    round_name: str
    year: int
    level: Level | None  # None: the statement was not rated then
    change: str | None  # one of CHANGES; None when either rating is missing


@dataclass(frozen=True)
class DescriptionAnswer:
    key: str
    question: str
    answer: str  # "" when not answered
    follow_ups: tuple[DescriptionAnswer, ...] = ()  # the questions that follow this one, if shown


@dataclass(frozen=True)
class StatementResult:
    number: int
    key: str
    text: str
    rating: Level | None
    motivation: str
    previous: PreviousRating | None
    distribution: tuple[LevelCount, ...]  # submitted units of the round, per level
    follow_ups: tuple[DescriptionAnswer, ...] = ()  # the questions that follow it, if shown
    asks_motivation: bool = True  # False: the questionnaire asks for no motivation

    @property
    def counted(self) -> int:
        return sum(item.count for item in self.distribution)

    @property
    def index(self) -> float | None:
        """The statement's index over the round's submitted units."""
        return idx.statement_index(self.distribution)

    @property
    def own_index(self) -> float | None:
        """The unit's own index on the statement: its rating's score."""
        return idx.unit_index((self.rating,))


@dataclass(frozen=True)
class DescriptionSection:
    title: str
    answers: tuple[DescriptionAnswer, ...]


@dataclass(frozen=True)
class UnitReport:
    round_key: str
    round_name: str
    round_year: int
    unit_key: str
    unit_name: str
    questionnaire_title: str
    status: str  # not_started | draft | submitted | reopened
    submitted_on: date | None
    submitted_by: str
    updated_on: date | None
    previous_round: tuple[str, int] | None  # (name, year) of the round compared with
    submitted_units: int  # units whose submitted answers make up the distributions
    invited_units: int
    statements: tuple[StatementResult, ...]
    descriptions: tuple[DescriptionSection, ...]
    language: str
    made_on: date
    risks: RiskSection | None = None  # the risk register's section (app.reports.risk_report)
    survey: UnitSurveySection | None = None  # the staff survey's section (app.reports.unit_survey)
    # The kind of the questionnaire the report is built on (a round with a risk template and no
    # self-assessment makes the report of the risk register, titled after its template).
    kind: str = "unit_questionnaire"
    levels: tuple[Level, ...] = ()  # the statements' scale
    previous_index: float | None = None  # the unit's index in its previous round of the questionnaire
    city_index: float | None = None  # the mean of the submitted units' indexes in the round
    indexed_units: int = 0  # units whose indexes make up that mean

    @property
    def scored(self) -> bool:
        return idx.scored(self.levels)

    @property
    def index(self) -> float | None:
        """The unit's index over its rated statements."""
        return idx.unit_index(s.rating for s in self.statements)

    @property
    def index_change(self) -> float | None:
        return idx.change(self.index, self.previous_index)


def build_unit_report(session: Session, round_key: str, unit_key: str,
                      language: str = "sv") -> UnitReport:
    """The report's content, in `language` (sv or en) for the questionnaire's texts."""
    round_ = report_round(session, round_key)
    unit = session.scalar(select(Unit).where(Unit.key == unit_key))
    if unit is None:
        raise ReportNotFound(Problem(_l("okänd enhet '%(key)s'", key=unit_key), "unit"))
    invited = session.scalar(select(RoundUnit.id).where(
        RoundUnit.round_id == round_.id, RoundUnit.unit_id == unit.id))
    version = main_version(round_)
    if invited is None or version is None:
        raise ReportNotFound(Problem(
            _l("enheten '%(unit)s' är inte inbjuden till omgången '%(round)s'",
               unit=unit_key, round=round_key), "unit"))
    definition = version.parsed()
    response = session.scalar(select(UnitResponse).where(
        UnitResponse.round_id == round_.id, UnitResponse.unit_id == unit.id,
        UnitResponse.questionnaire_version_id == version.id))
    answers: dict[str, Any] = dict(response.answers or {}) if response is not None else {}
    previous = _previous_response(session, round_, unit, version.questionnaire.key)
    counts, submitted_units, unit_indexes = _round_counts(session, round_, version)
    invited_units = session.scalar(
        select(func.count()).select_from(RoundUnit).where(RoundUnit.round_id == round_.id)) or 0

    statements = []
    shown = shown_questions(definition, answers)
    follow_ups = _follow_ups(definition, answers, shown, language)
    ratings = rated_questions(definition)
    for number, question in enumerate(ratings, start=1):
        levels = levels_of(definition, question, language)
        answer = answers.get(question.key) or {}
        rating = level_of(levels, chosen_value(question, answers))
        statements.append(StatementResult(
            number=number,
            key=question.key,
            text=question.text.get(language),
            rating=rating,
            motivation=str(answer.get("motivation") or ""),
            previous=_previous_rating(previous, question.key, levels, language, rating),
            distribution=tuple(LevelCount(level, counts[question.key][level.value])
                               for level in levels),
            follow_ups=follow_ups.get(question.key, ()),
            asks_motivation=getattr(question, "motivation", "none") != "none",
        ))
    return UnitReport(
        round_key=round_.key,
        round_name=round_.name,
        round_year=round_.year,
        unit_key=unit.key,
        unit_name=unit.name,
        questionnaire_title=definition.title.get(language),
        status=response.status if response is not None else "not_started",
        submitted_on=_local_date(response.submitted_at) if response is not None
        and response.status == "submitted" else None,
        submitted_by=_person(response.submitted_by) if response is not None
        and response.status == "submitted" else "",
        updated_on=_local_date(response.updated_at) if response is not None else None,
        previous_round=(previous[0].name, previous[0].year) if previous else None,
        submitted_units=submitted_units,
        invited_units=invited_units,
        statements=tuple(statements),
        descriptions=_descriptions(definition, answers, shown, follow_ups, language),
        language=language,
        made_on=datetime.now(LOCAL_TIME).date(),
        risks=build_risk_section(session, round_, unit, language),
        survey=build_unit_survey(session, round_, unit, language),
        kind=version.questionnaire.kind,
        levels=tuple(levels_of(definition, ratings[0], language)) if ratings else (),
        previous_index=idx.answers_index(previous[1].questionnaire_version.parsed(), previous[1].answers,
                                         language) if previous else None,
        city_index=idx.mean(unit_indexes),
        indexed_units=sum(1 for value in unit_indexes if value is not None),
    )


def _round_counts(session: Session, round_: Round, version: QuestionnaireVersion
                  ) -> tuple[dict[str, Counter[str]], int, list[float | None]]:
    """Per statement key the number of submitted units at each value, how many units
    submitted, and each submitted unit's index: one query, one pass over the round's
    submitted answers."""
    definition = version.parsed()
    submitted = list(session.scalars(select(UnitResponse.answers).where(
        UnitResponse.round_id == round_.id,
        UnitResponse.questionnaire_version_id == version.id,
        UnitResponse.status == "submitted")))
    counts = tally(submitted, [q.key for q in rated_questions(definition)])
    return counts, len(submitted), [idx.answers_index(definition, answers) for answers in submitted]


def _previous_response(session: Session, round_: Round, unit: Unit, questionnaire_key: str
                       ) -> tuple[Round, UnitResponse] | None:
    """The unit's submitted answers to the same questionnaire key in its latest earlier round
    (the rule of `app.services.history`)."""
    return history.previous_answers(session, round_, [unit.id], questionnaire_key=questionnaire_key).get(unit.id)


def _previous_rating(previous: tuple[Round, UnitResponse] | None, key: str,
                     levels: Sequence[Level], language: str, now: Level | None
                     ) -> PreviousRating | None:
    if previous is None:
        return None
    round_, response = previous
    definition = response.questionnaire_version.parsed()
    then: Level | None = None
    try:
        question = definition.question(key)
    except KeyError:
        question = None
    if question is not None and question_type(question).rated:
        value = chosen_value(question, response.answers)
        then = level_of(levels_of(definition, question, language), value)
    return PreviousRating(round_.key, round_.name, round_.year, then, change(then, now, levels))


def _follow_ups(definition: Definition, answers: dict[str, Any], shown: set[str], language: str
                ) -> dict[str, tuple[DescriptionAnswer, ...]]:
    """Per question key, the shown questions that follow it (`app.questions.answer_groups`)."""
    found: dict[str, tuple[DescriptionAnswer, ...]] = {}
    for section in definition.sections:
        for group in answer_groups(definition, section, answers, shown):
            if group.follow_ups:
                found[group.question.key] = tuple(
                    DescriptionAnswer(q.key, q.text.get(language), answer_text(definition, q, answers.get(q.key),
                                                                               language))
                    for q in group.follow_ups)
    return found


def _descriptions(definition: Definition, answers: dict[str, Any], shown: set[str],
                  follow_ups: dict[str, tuple[DescriptionAnswer, ...]], language: str
                  ) -> tuple[DescriptionSection, ...]:
    """The answers that are not ratings, section by section, each with its follow-ups; a rating's
    follow-ups are with its statement, and a question hidden by its condition is left out."""
    sections = []
    for section in definition.sections:
        items = tuple(
            DescriptionAnswer(group.question.key, group.question.text.get(language),
                              answer_text(definition, group.question, answers.get(group.question.key), language),
                              follow_ups.get(group.question.key, ()))
            for group in answer_groups(definition, section, answers, shown)
            if not question_type(group.question).rated
        )
        if items:
            sections.append(DescriptionSection(section.title.get(language), items))
    return tuple(sections)


def answer_text(definition: Definition, question: Question, value: Any, language: str) -> str:
    """An answer as the text a reader sees (labels, not stored values); "" when unanswered."""
    return question_type(question).as_text(question, definition, value, language)


def _local_date(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TIME).date()


def _person(user: Any) -> str:
    if user is None:
        return ""
    return user.name or user.email


# --- wording shared by the page and the PDF --------------------------------------------------


def status_text(report: UnitReport) -> str:
    """'Inlämnad 2026-03-01 av …', 'Utkast – inte inlämnad', …"""
    if report.status == "submitted":
        submitted_on = report.submitted_on.isoformat() if report.submitted_on else ""
        if report.submitted_by:
            return _("Inlämnad %(date)s av %(who)s", date=submitted_on, who=report.submitted_by)
        return _("Inlämnad %(date)s", date=submitted_on)
    if report.status == "reopened":
        return _("Återöppnad – inte inlämnad igen (senast sparad %(date)s)",
                 date=report.updated_on.isoformat() if report.updated_on else "")
    if report.status == "draft":
        return _("Utkast – inte inlämnad (senast sparad %(date)s)",
                 date=report.updated_on.isoformat() if report.updated_on else "")
    return _("Inte påbörjad – enheten har inte sparat några svar")


def status_colour(report: UnitReport) -> str:
    """Green once submitted, amber while a draft or reopened, grey before anything is saved."""
    return {"submitted": "green", "not_started": "grey"}.get(report.status, "amber")


def change_text(previous: PreviousRating | None) -> str:
    if previous is None:
        return _("Ingen tidigare bedömning")
    if previous.level is None:
        return _("Inte bedömd %(year)s", year=previous.year)
    return {
        "better": _("Bättre än %(year)s", year=previous.year),
        "same": _("Samma som %(year)s", year=previous.year),
        "worse": _("Sämre än %(year)s", year=previous.year),
        "not_comparable": _("Kan inte jämföras med %(year)s", year=previous.year),
        None: _("Ej bedömd nu"),
    }[previous.change]


def summary_sentence(report: UnitReport) -> str:
    own = Counter(s.rating.label for s in report.statements if s.rating is not None)
    levels = report.statements[0].distribution if report.statements else ()
    parts = [f"{item.level.label}: {own.get(item.level.label, 0)}" for item in levels]
    unrated = sum(1 for s in report.statements if s.rating is None)
    if unrated:
        parts.append(_("ej bedömda: %(n)d", n=unrated))
    return _("Enhetens bedömningar av %(n)d påståenden – %(parts)s.",
             n=len(report.statements), parts="; ".join(parts))


def distribution_text(statement: StatementResult) -> str:
    return ", ".join(f"{short_label(item.level)} {item.count}" for item in statement.distribution)


def distribution_rows(report: UnitReport) -> list[StackedRow]:
    return [
        StackedRow(f"{s.number}. {s.text}",
                   tuple(Segment(item.level.label, item.count, item.level.colour)
                         for item in s.distribution))
        for s in report.statements
    ]


def distribution_chart(report: UnitReport, width: float = CONTENT_WIDTH) -> Drawing:
    """All submitted units' ratings per statement, as 100 % bars."""
    return stacked_bars(distribution_rows(report), width=width)


def distribution_table(report: UnitReport) -> ChartTable:
    return stacked_bars_table(distribution_rows(report), label_header=_("Påstående"))


def distribution_alt(report: UnitReport) -> str:
    return _("Stapeldiagram: hur %(n)d enheter som lämnat in bedömde vart och ett av de "
             "%(m)d påståendena. Siffrorna finns i tabellen under diagrammet.",
             n=report.submitted_units, m=len(report.statements))


def report_title(report: UnitReport) -> str:
    """'Norra stadsdelsnämnden – Uppföljning av revisionens rekommendationer 2026': the
    questionnaire's own title, whatever the questionnaire."""
    return _("%(unit)s – %(questionnaire)s %(year)s", unit=report.unit_name,
             questionnaire=report.questionnaire_title, year=report.round_year)


def index_sentence(report: UnitReport) -> str:
    """The unit's index, its change since its previous round and the round's mean."""
    parts = [_("Enhetens index: %(index)s av 100 (medelvärdet av poängen för %(n)d bedömda påståenden).",
               index=idx.index_text(report.index),
               n=idx.answered(s.rating for s in report.statements))]
    if report.previous_round is not None and report.previous_index is not None:
        parts.append(_("Förra omgången (%(year)s): %(index)s, förändring %(change)s.",
                       year=report.previous_round[1], index=idx.index_text(report.previous_index),
                       change=idx.change_text(report.index_change)))
    parts.append(_("Medelvärdet av index för de %(n)d enheter som lämnat in: %(mean)s.",
                   n=report.indexed_units, mean=idx.index_text(report.city_index)))
    return " ".join(parts)


def index_legend(report: UnitReport) -> str:
    return _("Index 0–100: poängen för enhetens bedömning (%(scores)s); för alla enheter medelvärdet "
             "över de enheter som lämnat in.",
             scores=", ".join(f"{short_label(level)} {idx.index_text(level.score)}"
                              for level in report.levels if level.score is not None))


def total_index_text(report: UnitReport) -> str:
    """'Enheten 78,6 · medel 64,3'."""
    return _("Enheten %(own)s · medel %(all)s", own=idx.index_text(report.index),
             all=idx.index_text(report.city_index))


def statement_index_text(statement: StatementResult, separator: str = " · ") -> str:
    """'Enheten 50,0 · alla 66,7' (a narrow column: one per line)."""
    return _("Enheten %(own)s · alla %(all)s", own=idx.index_text(statement.own_index),
             all=idx.index_text(statement.index)).replace(" · ", separator)
