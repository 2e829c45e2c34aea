"""The WTForms adapter: forms built at run time from a questionnaire definition, and answers
read from posted data. What a question type is (its answer, check, conditions and outputs) lives
in `app.questions`; `validate_answers` and the conditions are there too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.definitions.schema import Definition, Question, Section
from app.questions.answers import Answers, field_name
from app.questions.conditions import (
    chosen_sections,
    condition_holds,
    effective_answers,
    questions_of,
)
from app.questions.types import FormData, question_type

FIELD_PREFIX = field_name("")  # "q-": every question field's name starts with it


def build_form(definition: Definition, *, language: str, sections: Iterable[str] | None = None,
               answers: Answers | None = None, formdata: FormData | None = None) -> FlaskForm:
    """A Flask-WTF form (CSRF included) with the fields of the chosen sections' questions,
    filled from `formdata` when given, otherwise from `answers`.

    The form's `conditions_elsewhere` tells the templates, for each question or section whose
    condition is on a question not on the form (answered on an earlier page), whether it holds
    for `answers` (see `conditions_elsewhere`)."""
    section_keys = list(sections) if sections is not None else None
    fields: dict[str, Any] = {}
    for question in questions_of(definition, section_keys):
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
    effective = effective_answers(definition, answers)
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
    for question in questions_of(definition, sections):
        if question.key in answers:
            pairs += question_type(question).to_formdata(question, answers[question.key])
    return MultiDict(pairs)


def answers_from_formdata(definition: Definition, formdata: FormData,
                          sections: Iterable[str] | None = None) -> Answers:
    """The answers as posted (invalid values kept) for the chosen sections' questions. A posted
    `q-<key>` naming no question of the definition is kept too, so that validation reports it."""
    answers: Answers = {}
    for question in questions_of(definition, sections):
        answer = question_type(question).read(question, formdata)
        if answer is not None:
            answers[question.key] = answer
    known = {question.key for question in definition.questions()}
    for name in formdata:
        key = name[len(FIELD_PREFIX):].split("-", 1)[0] if name.startswith(FIELD_PREFIX) else None
        if key is not None and key not in known and formdata.get(name):
            answers.setdefault(key, formdata.get(name))
    return answers


def field_labels(definition: Definition, language: str) -> dict[str, str]:
    """A readable name for every field of the questionnaire, for error summaries."""
    labels: dict[str, str] = {}
    for question in definition.questions():
        text = question.text.get(language)
        labels[field_name(question.key)] = text
        for row_key, row_label in question_type(question).row_labels(question, language):
            labels[field_name(question.key, row_key)] = f"{text} – {row_label}"
        labels[field_name(question.key, "motivation")] = f"{text} – {_('Motivering')}"
        labels[field_name(question.key, "other")] = f"{text} – {_('Ange vad')}"
    return labels
