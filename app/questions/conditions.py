"""Conditions and the one server-side check of answers: which questions and sections someone
who gave some answers is shown (`show_if`), `validate_answers`, and how follow-up questions group
with the question they follow. Forms, services and reports all read these; none switch on types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.schema import Condition, Definition, Question, Section
from app.questions.answers import AnswerError, Answers, Validated, field_name
from app.questions.types import question_type


def chosen_sections(definition: Definition, sections: Iterable[str] | None = None) -> list[Section]:
    """The definition's sections named by `sections` (keys), in document order; all when None."""
    if sections is None:
        return list(definition.sections)
    wanted = set(sections)
    unknown = wanted - {section.key for section in definition.sections}
    if unknown:
        raise ValueError(f"unknown sections: {sorted(unknown)}")
    return [section for section in definition.sections if section.key in wanted]


def questions_of(definition: Definition, sections: Iterable[str] | None) -> list[Question]:
    """The questions of the chosen sections (all when None), in document order."""
    return [q for section in chosen_sections(definition, sections) for q in section.questions]


def condition_holds(definition: Definition, condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Whether the answer to the condition's question shows the item (`Condition.matches`)."""
    if condition.question not in answers:
        return False
    target = definition.question(condition.question)
    values = question_type(target).condition_values(target, answers[condition.question], row=condition.row)
    return condition.matches(values)


def _shown(definition: Definition, answers: Mapping[str, Any]) -> tuple[set[str], set[str], dict[str, Any]]:
    """The keys of the shown sections and questions, and the answers to the shown questions.
    Conditions are read in document order and an answer to a hidden question counts as no
    answer, so hiding carries down a chain."""
    effective: dict[str, Any] = {}
    sections: set[str] = set()
    questions: set[str] = set()
    for section in definition.sections:
        if section.show_if and not condition_holds(definition, section.show_if, effective):
            continue
        sections.add(section.key)
        for question in section.questions:
            if question.show_if and not condition_holds(definition, question.show_if, effective):
                continue
            questions.add(question.key)
            if question.key in answers:
                effective[question.key] = answers[question.key]
    return sections, questions, effective


def effective_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to the questions shown (an answer to a hidden question counts as none)."""
    return _shown(definition, answers)[2]


def is_shown(definition: Definition, item: Question | Section, answers: Mapping[str, Any]) -> bool:
    """Whether a question or section is shown to someone who has given `answers` (pass clean
    answers from `validate_answers` for an exact result)."""
    sections, questions, _effective = _shown(definition, answers)
    return item.key in (sections if isinstance(item, Section) else questions)


def visible_sections(definition: Definition, answers: Mapping[str, Any]) -> list[Section]:
    """The sections shown to someone who has given `answers`, in document order."""
    shown, _questions_shown, _effective = _shown(definition, answers)
    return [section for section in definition.sections if section.key in shown]


def validate_answers(definition: Definition, answers: Mapping[str, Any], *,
                     sections: Iterable[str] | None = None, partial: bool = False) -> Validated:
    """Check `answers` against `definition`: the one server-side validation.

    Conditions are evaluated on the clean answers in document order; an answer to a hidden
    question, or to a question in a hidden section, is discarded (not an error). Answers to
    unknown question keys are errors ('unknown'). Required answers are checked for the chosen
    `sections` (all when None) unless `partial` (a draft); answers to questions outside them are
    still checked and kept, since later sections' conditions read them.
    """
    in_scope = {question.key for question in questions_of(definition, sections)}
    known = {question.key for question in definition.questions()}
    errors = [
        AnswerError(str(key), field_name(str(key)), _l("Frågan finns inte i formuläret."), "unknown")
        for key in answers if key not in known
    ]
    clean: Answers = {}
    for section in definition.sections:
        if section.show_if and not condition_holds(definition, section.show_if, clean):
            continue
        for question in section.questions:
            if question.show_if and not condition_holds(definition, question.show_if, clean):
                continue
            answer = answers.get(question.key)
            if answer is None and question.key not in in_scope:
                continue
            draft = partial or question.key not in in_scope
            checked = question_type(question).validate(question, answer, definition, partial=draft)
            errors += checked.errors
            if checked.clean is not None:
                clean[question.key] = checked.clean
    return Validated(clean, errors)


def missing_required(definition: Definition, answers: Mapping[str, Any]) -> list[AnswerError]:
    """What must still be answered before submission, each with the field to link to."""
    return [error for error in validate_answers(definition, answers).errors if error.code == "required"]




def shown_questions(definition: Definition, answers: Mapping[str, Any]) -> set[str]:
    """The keys of the questions shown to someone who has given `answers` (in shown sections)."""
    return _shown(definition, answers)[1]


@dataclass(frozen=True)
class AnswerGroup:
    """A question and the follow-up questions that follow it, as shown to a reader."""

    question: Question
    follow_ups: tuple[Question, ...] = ()


def follows(definition: Definition) -> dict[str, str]:
    """Follow-up key -> the key of the question it follows: a question whose condition names an
    earlier question of its own section. A follow-up of a follow-up joins the first one's group."""
    parent: dict[str, str] = {}
    for section in definition.sections:
        earlier: set[str] = set()
        for question in section.questions:
            target = question.show_if.question if question.show_if else None
            if target in earlier:
                parent[question.key] = parent.get(target, target)
            earlier.add(question.key)
    return parent


def answer_groups(definition: Definition, section: Section, answers: Mapping[str, Any],
                  shown: set[str] | None = None) -> list[AnswerGroup]:
    """The section's questions shown to someone who gave `answers`, each follow-up under the
    question it follows; questions hidden by their condition are left out. `shown`: the keys
    from `shown_questions`, when already known."""
    visible = shown_questions(definition, answers) if shown is None else shown
    parent = follows(definition)
    groups: dict[str, list[Question]] = {}
    order: list[Question] = []
    for question in section.questions:
        if question.key not in visible:
            continue
        head = parent.get(question.key)
        if head is not None and head in groups:
            groups[head].append(question)
        else:
            groups[question.key] = []
            order.append(question)
    return [AnswerGroup(question, tuple(groups[question.key])) for question in order]
