"""Forms built at run time from a questionnaire definition, answers read from posted data, and
`validate_answers`: the one server-side check of answers (conditions, required, each type's rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.definitions.schema import Condition, Definition, MatrixQuestion, Question, Section
from app.forms.answers import AnswerError, Answers, Validated, field_name
from app.forms.types import FormData, question_type

FIELD_PREFIX = field_name("")  # "q-": every question field's name starts with it


def chosen_sections(definition: Definition, sections: Iterable[str] | None = None) -> list[Section]:
    """The definition's sections named by `sections` (keys), in document order; all when None."""
    if sections is None:
        return list(definition.sections)
    wanted = set(sections)
    unknown = wanted - {section.key for section in definition.sections}
    if unknown:
        raise ValueError(f"unknown sections: {sorted(unknown)}")
    return [section for section in definition.sections if section.key in wanted]


def _questions(definition: Definition, sections: Iterable[str] | None) -> list[Question]:
    return [q for section in chosen_sections(definition, sections) for q in section.questions]


def build_form(definition: Definition, *, language: str, sections: Iterable[str] | None = None,
               answers: Answers | None = None, formdata: FormData | None = None) -> FlaskForm:
    """A Flask-WTF form (CSRF included) with the fields of the chosen sections' questions,
    filled from `formdata` when given, otherwise from `answers`.

    The form's `conditions_elsewhere` tells the templates, for each question or section whose
    condition is on a question not on the form (answered on an earlier page), whether it holds
    for `answers` (see `conditions_elsewhere`)."""
    section_keys = list(sections) if sections is not None else None
    fields: dict[str, Any] = {}
    for question in _questions(definition, section_keys):
        fields.update(question_type(question).fields(question, definition, language))
    form_class = type("QuestionnaireForm", (FlaskForm,), fields)
    if formdata is None:
        formdata = answers_to_formdata(definition, answers or {}, section_keys)
    form = form_class(formdata=formdata)
    form.conditions_elsewhere = conditions_elsewhere(definition, answers or {}, section_keys)
    form.required_questions = required_questions(definition, form.conditions_elsewhere, section_keys)
    return form


def required_questions(definition: Definition, decided: Mapping[str, bool],
                       sections: Iterable[str] | None = None) -> set[str]:
    """The keys of the chosen sections' required questions, less those that a condition decided
    elsewhere (`conditions_elsewhere`) hides: a hidden question is never required. A condition on
    this form's own inputs is the script's (static/js/conditions.js disables what it hides)."""
    return {
        question.key
        for section in chosen_sections(definition, sections)
        if decided.get(element_id(section), True)
        for question in section.questions
        if question.required and decided.get(element_id(question), True)
    }


def element_id(item: Question | Section) -> str:
    """The id of a question's or section's element on a page (templates/_macros/questions.html)."""
    return f"section-{item.key}" if isinstance(item, Section) else f"question-{item.key}"


def conditions_elsewhere(definition: Definition, answers: Mapping[str, Any],
                         sections: Iterable[str] | None = None) -> dict[str, bool]:
    """For each question or section of the chosen sections whose condition is on a question
    outside them (by `element_id`): whether the condition holds for `answers`. None are listed
    when all sections are chosen. A page cannot re-evaluate such a condition from its own
    inputs, so it takes this decision, made with the rule of `validate_answers` (an answer to a
    hidden question counts as none, so hiding carries down a chain across pages)."""
    chosen = chosen_sections(definition, sections)
    on_form = {question.key for section in chosen for question in section.questions}
    effective = _shown(definition, answers)[2]
    decided: dict[str, bool] = {}
    for section in chosen:
        for item in (section, *section.questions):
            condition = item.show_if
            if condition is not None and condition.question not in on_form:
                decided[element_id(item)] = condition_holds(definition, condition, effective)
    return decided


def answers_to_formdata(definition: Definition, answers: Answers,
                        sections: Iterable[str] | None = None) -> FormData:
    """Form data that shows `answers` again (the inverse of `answers_from_formdata`)."""
    pairs: list[tuple[str, str]] = []
    for question in _questions(definition, sections):
        if question.key in answers:
            pairs += question_type(question).to_formdata(question, answers[question.key])
    return MultiDict(pairs)


def answers_from_formdata(definition: Definition, formdata: FormData,
                          sections: Iterable[str] | None = None) -> Answers:
    """The answers as posted (invalid values kept) for the chosen sections' questions. A posted
    `q-<key>` naming no question of the definition is kept too, so that validation reports it."""
    answers: Answers = {}
    for question in _questions(definition, sections):
        answer = question_type(question).read(question, formdata)
        if answer is not None:
            answers[question.key] = answer
    known = {question.key for question in definition.questions()}
    for name in formdata:
        key = name[len(FIELD_PREFIX):].split("-", 1)[0] if name.startswith(FIELD_PREFIX) else None
        if key is not None and key not in known and formdata.get(name):
            answers.setdefault(key, formdata.get(name))
    return answers


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
    in_scope = {question.key for question in _questions(definition, sections)}
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


def field_labels(definition: Definition, language: str) -> dict[str, str]:
    """A readable name for every field of the questionnaire, for error summaries."""
    labels: dict[str, str] = {}
    for question in definition.questions():
        text = question.text.get(language)
        labels[field_name(question.key)] = text
        if isinstance(question, MatrixQuestion):
            for row in question.rows:
                labels[field_name(question.key, row.key)] = f"{text} – {row.label.get(language)}"
        labels[field_name(question.key, "motivation")] = f"{text} – {_('Motivering')}"
        labels[field_name(question.key, "other")] = f"{text} – {_('Ange vad')}"
    return labels
