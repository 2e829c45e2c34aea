"""What a new questionnaire text changes against the newest stored version of its key (`compare`):
questions added, removed, renamed or reworded, changed options and shared scales (and whether the
change breaks comparing answers across versions), and the rounds that use the stored versions.
Shown to the administrator before publishing (app.views.questionnaires)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.definitions.schema import Definition
from app.models.questionnaires import Questionnaire, QuestionnaireVersion
from app.models.rounds import Round, round_questionnaires
from app.models.submissions import UnitResponse
from app.models.survey import SurveyPending, SurveyResponse
from app.services.questionnaires import canonical_dump, content_hash


@dataclass
class QuestionChange:
    """A difference between the stored and the new version of one question."""

    key: str
    changes: list[str]
    # An option value (or the question type, or a matrix row) removed or added: answers of the
    # old and new versions are no longer counted alike.
    breaks: bool


@dataclass(frozen=True)
class ScaleChange:
    """A shared scale whose values changed, and the questions of the new text that use it."""

    key: str
    changes: list[str]
    questions: list[str]


@dataclass
class Comparison:
    """What a new text changes against the newest stored version of the same key."""

    stored: QuestionnaireVersion | None
    kind_changed: str | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    reworded: list[str] = field(default_factory=list)
    options_changed: list[QuestionChange] = field(default_factory=list)
    scales_changed: list[ScaleChange] = field(default_factory=list)
    other_changed: list[str] = field(default_factory=list)
    unchanged: bool = False
    rounds: list[RoundUse] = field(default_factory=list)

    @property
    def breaks_comparison(self) -> bool:
        return bool(self.removed or self.renamed or self.scales_changed
                    or any(change.breaks for change in self.options_changed))

    @property
    def any_change(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.reworded
                    or self.options_changed or self.scales_changed or self.other_changed)


@dataclass(frozen=True)
class RoundUse:
    """A round that uses a stored version of the questionnaire."""

    key: str
    name: str
    status: str
    version: int
    has_answers: bool


def _questions(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        question["key"]: question
        for section in data.get("sections") or []
        for question in section.get("questions") or []
    }


def _choices(question: dict[str, Any], scales: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    if question.get("options"):
        return list(question["options"])
    if question.get("scale"):
        return scales.get(question["scale"], [])
    return []


def _option_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> tuple[list[str], bool]:
    """Words for each option difference, and whether an option value was added or removed."""
    old_by_value = {str(option["value"]): option for option in old}
    new_by_value = {str(option["value"]): option for option in new}
    words: list[str] = []
    removed = [value for value in old_by_value if value not in new_by_value]
    added = [value for value in new_by_value if value not in old_by_value]
    if removed:
        words.append(str(_l("alternativ borttagna: %(values)s", values=", ".join(removed))))
    if added:
        words.append(str(_l("alternativ tillagda: %(values)s", values=", ".join(added))))
    relabelled = [value for value in new_by_value if value in old_by_value
                  and new_by_value[value]["label"] != old_by_value[value]["label"]]
    if relabelled:
        words.append(str(_l("alternativ med ny text: %(values)s", values=", ".join(relabelled))))
    if not (removed or added or relabelled) and list(old_by_value) != list(new_by_value):
        words.append(str(_l("alternativen i ny ordning")))
    return words, bool(removed or added)


def compare(session: Session, definition: Definition) -> Comparison:
    """`definition` against the newest stored version of its key (nothing stored: all is new)."""
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == definition.key))
    new = canonical_dump(definition)
    if questionnaire is None or questionnaire.latest() is None:
        return Comparison(None, added=list(_questions(new)))
    stored = questionnaire.latest()
    assert stored is not None
    comparison = Comparison(stored, rounds=rounds_using(session, questionnaire))
    if questionnaire.kind != definition.kind:
        comparison.kind_changed = questionnaire.kind
    digest = content_hash(definition)
    same = session.scalar(select(QuestionnaireVersion.number).where(
        QuestionnaireVersion.questionnaire_id == questionnaire.id,
        QuestionnaireVersion.content_hash == digest))
    if same is not None:
        comparison.unchanged = True
        comparison.stored = next(v for v in questionnaire.versions if v.number == same)
        return comparison
    old = stored.definition
    old_questions, new_questions = _questions(old), _questions(new)
    old_scales = {scale["key"]: scale["options"] for scale in old.get("scales") or []}
    new_scales = {scale["key"]: scale["options"] for scale in new.get("scales") or []}
    added = [key for key in new_questions if key not in old_questions]
    removed = [key for key in old_questions if key not in new_questions]
    for old_key in list(removed):
        match = next((key for key in added
                      if new_questions[key]["text"] == old_questions[old_key]["text"]), None)
        if match is not None:
            comparison.renamed.append((old_key, match))
            removed.remove(old_key)
            added.remove(match)
    comparison.added, comparison.removed = added, removed
    for key, question in new_questions.items():
        before = old_questions.get(key)
        if before is None:
            continue
        if question["text"] != before["text"] or question.get("help") != before.get("help"):
            comparison.reworded.append(key)
        words: list[str] = []
        values_changed = False
        if question["type"] != before["type"]:
            words.append(str(_l("frågetypen är ändrad från %(old)s till %(new)s",
                                old=before["type"], new=question["type"])))
            values_changed = True
        if not (question.get("scale") and question.get("scale") == before.get("scale")):
            # A change of a shared scale is reported once, for the scale.
            option_words, option_values = _option_changes(_choices(before, old_scales),
                                                           _choices(question, new_scales))
            words += option_words
            values_changed = values_changed or option_values
        old_rows = [row["key"] for row in before.get("rows") or []]
        new_rows = [row["key"] for row in question.get("rows") or []]
        if old_rows != new_rows:
            words.append(str(_l("raderna är ändrade")))
            values_changed = values_changed or set(old_rows) - set(new_rows) != set()
        if words:
            comparison.options_changed.append(QuestionChange(key, words, values_changed))
        if question.get("show_if") != before.get("show_if"):
            comparison.other_changed.append(str(_l("villkoret för %(key)s är ändrat", key=key)))
    for key, options in new_scales.items():
        if key not in old_scales:
            continue
        words, values_changed = _option_changes(old_scales[key], options)
        users = [question_key for question_key, question in new_questions.items()
                 if question.get("scale") == key]
        if values_changed:
            comparison.scales_changed.append(ScaleChange(key, words, users))
        elif words:
            comparison.other_changed.append(str(_l("skalan %(key)s: %(changes)s", key=key,
                                                   changes="; ".join(words))))
    for key in ("title", "intro"):
        if old.get(key) != new.get(key):
            comparison.other_changed.append(str(_l("fältet %(field)s är ändrat", field=key)))
    if old.get("risk") != new.get("risk"):
        comparison.other_changed.append(str(_l("riskdelen (former, skalor, nivåer, katalog) är ändrad")))
    return comparison


def rounds_using(session: Session, questionnaire: Questionnaire) -> list[RoundUse]:
    """Every round that uses a version of `questionnaire`, with whether it has answers."""
    version_ids = [version.id for version in questionnaire.versions]
    if not version_ids:
        return []
    rows = session.execute(
        select(Round, QuestionnaireVersion.number)
        .join(round_questionnaires, round_questionnaires.c.round_id == Round.id)
        .join(QuestionnaireVersion,
              QuestionnaireVersion.id == round_questionnaires.c.questionnaire_version_id)
        .where(QuestionnaireVersion.id.in_(version_ids))
        .order_by(Round.year.desc(), Round.key)
    ).all()
    uses = []
    for round_, number in rows:
        answered = any(session.scalar(select(exists().where(model.round_id == round_.id)))
                       for model in (UnitResponse, SurveyResponse, SurveyPending))
        uses.append(RoundUse(round_.key, round_.name, round_.status, number, answered))
    return uses
