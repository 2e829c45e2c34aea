"""Checks that span several places of one file: unique keys, scales, conditions, ranges, risk.

They read the plain YAML data rather than the pydantic model, so they also run on a file whose
shape is partly wrong; a value of the wrong kind is skipped here (pydantic reports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.definitions import errors as E
from app.definitions.errors import DefinitionError, did_you_mean
from app.definitions.loader import Document, PathPart, join_path
from app.definitions.raw import (
    Raw,
    closest_option,
    entries,
    in_or_not_in,
    keys_of,
    listing,
    number_of,
    option_label,
    text_of,
)

KINDS_WITH_SECTIONS = ("unit_questionnaire", "survey")
NO_OPTIONS_TYPES = ("text", "long_text", "number", "date")


@dataclass(frozen=True)
class QuestionPlace:
    """A question's place in document order, with the raw mapping it was written as."""

    order: int
    section: int
    path: tuple[PathPart, ...]
    raw: Raw

    @property
    def key(self) -> str | None:
        return text_of(self.raw, "key")

    @property
    def type(self) -> str | None:
        return text_of(self.raw, "type")


def check_references(document: Document, filename: str) -> list[DefinitionError]:
    """Every cross-reference error of one parsed file."""
    if not isinstance(document.data, dict):
        return []
    checker = _Checker(document, filename)
    checker.run(document.data)
    return checker.errors


def check_staff_views(
    document: Document, filename: str, surveys: dict[str, Any]
) -> list[DefinitionError]:
    """staff_view links of `document` checked against survey Definitions checked in the same run.

    `surveys` maps a questionnaire key to its valid `Definition`; links to other keys are skipped.
    """
    checker = _Checker(document, filename)
    if isinstance(document.data, dict):
        for place in checker.question_places(document.data):
            view = place.raw.get("staff_view")
            if place.type == "rating" and isinstance(view, dict):
                checker.staff_view(view, (*place.path, "staff_view"), surveys)
    return checker.errors


class _Checker:
    def __init__(self, document: Document, filename: str) -> None:
        self.document = document
        self.filename = filename
        self.errors: list[DefinitionError] = []
        self.scales: dict[str, Raw] = {}

    def add(self, code: str, path: tuple[PathPart, ...], message: str, hint: str | None = None,
            key: bool = False) -> None:
        place = join_path(path)
        spot = self.document.key_position(place) if key else self.document.value_position(place)
        self.errors.append(
            DefinitionError(code, self.filename, spot.line, spot.column, place, message, hint)
        )

    def run(self, data: Raw) -> None:
        for index, scale in entries(data.get("scales")):
            name = text_of(scale, "key")
            if name is not None:
                self.scales.setdefault(name, scale)
            self.options(scale.get("options"), ("scales", index, "options"), flags=())
        self.unique(data.get("scales"), ("scales",), "key", "scale key")
        self.sections(data)
        questions = self.question_places(data)
        self.unique_question_keys(questions)
        for place in questions:
            self.question(place)
        self.conditions(data, questions)
        self.risk(data)

    # --- sections and questions -------------------------------------------------------------

    def sections(self, data: Raw) -> None:
        kind = data.get("kind")
        sections = data.get("sections")
        if kind in KINDS_WITH_SECTIONS and sections in (None, []):
            at = ("sections",) if sections == [] else ()
            self.add(E.EMPTY_LIST, at, f"a {kind} needs at least one section", key=bool(at))
        self.unique(sections, ("sections",), "key", "section key")
        for index, section in entries(sections):
            if section.get("questions") == []:
                self.add(E.EMPTY_LIST, ("sections", index, "questions"),
                         "'questions' is empty; a section needs at least one question", key=True)

    def question_places(self, data: Raw) -> list[QuestionPlace]:
        places: list[QuestionPlace] = []
        for s_index, section in entries(data.get("sections")):
            for q_index, question in entries(section.get("questions")):
                path = ("sections", s_index, "questions", q_index)
                places.append(QuestionPlace(len(places), s_index, path, question))
        return places

    def unique_question_keys(self, questions: list[QuestionPlace]) -> None:
        first: dict[str, QuestionPlace] = {}
        for place in questions:
            if place.key is None:
                continue
            if place.key in first:
                earlier = join_path(first[place.key].path)
                self.add(E.DUPLICATE_KEY, (*place.path, "key"),
                         f"question key '{place.key}' is already used by {earlier} "
                         f"(line {self.document.value_position(earlier).line}); question keys "
                         "must be unique in the whole questionnaire")
            else:
                first[place.key] = place

    def question(self, place: QuestionPlace) -> None:
        raw, path, kind = place.raw, place.path, place.type
        flags = {"multiple_choice": ("exclusive", "other"), "single_choice": ("other",)}
        if kind in flags:
            self.options(raw.get("options"), (*path, "options"), flags=flags[kind])
        if kind in ("rating", "matrix", "single_choice"):
            self.scale_reference(raw, path)
        if kind == "single_choice" and ("scale" in raw) == ("options" in raw):
            both = "scale" in raw
            self.add(E.CHOICE_SOURCE, (*path, "options") if both else path,
                     "a single_choice question has both 'scale' and 'options'; keep one"
                     if both else "a single_choice question needs 'scale' or 'options'",
                     key=both)
        if kind == "matrix":
            if raw.get("rows") == []:
                self.add(E.EMPTY_LIST, (*path, "rows"), "'rows' is empty; a matrix needs rows",
                         key=True)
            self.unique(raw.get("rows"), (*path, "rows"), "key", "row key")
        self.ranges(raw, path, kind)

    def scale_reference(self, raw: Raw, path: tuple[PathPart, ...]) -> None:
        name = text_of(raw, "scale")
        if name is not None and name not in self.scales:
            defined = ", ".join(self.scales) or "none"
            self.add(E.UNKNOWN_SCALE, (*path, "scale"),
                     f"scale '{name}' is not defined under 'scales' (defined: {defined})",
                     did_you_mean(name, self.scales))

    def options(self, options: object, path: tuple[PathPart, ...], flags: tuple[str, ...]) -> None:
        if options == []:
            self.add(E.EMPTY_LIST, path, f"'{path[-1]}' is empty; it needs at least one option",
                     key=True)
        self.unique(options, path, "value", "option value")
        for index, option in entries(options):
            for flag in ("exclusive", "other"):
                if option.get(flag) is True and flag not in flags:
                    where = ("options of a multiple_choice question" if flag == "exclusive"
                             else "options of a single_choice or multiple_choice question")
                    self.add(E.OPTION_FLAG_NOT_ALLOWED, (*path, index, flag),
                             f"'{flag}' is only allowed on {where}", key=True)

    def ranges(self, raw: Raw, path: tuple[PathPart, ...], kind: str | None) -> None:
        pairs = {
            "multiple_choice": ("min_choices", "max_choices"),
            "number": ("min", "max"),
            "text": ("min_length", "max_length"),
            "long_text": ("min_length", "max_length"),
        }
        if kind not in pairs:
            return
        low_name, high_name = pairs[kind]
        low, high = number_of(raw, low_name), number_of(raw, high_name)
        if low is not None and high is not None and low > high:
            self.add(E.BAD_RANGE, (*path, low_name),
                     f"{low_name} ({low:g}) is larger than {high_name} ({high:g})")
        options = raw.get("options")
        if kind == "multiple_choice" and isinstance(options, list) and options:
            for name in (low_name, high_name):
                value = number_of(raw, name)
                if value is not None and value > len(options):
                    self.add(E.BAD_RANGE, (*path, name),
                             f"{name} ({value:g}) is more than the {len(options)} options")

    # --- conditions ---------------------------------------------------------------------------

    def conditions(self, data: Raw, questions: list[QuestionPlace]) -> None:
        by_key: dict[str, QuestionPlace] = {}
        for place in questions:
            if place.key is not None:
                by_key.setdefault(place.key, place)
        for place in questions:
            condition = place.raw.get("show_if")
            if isinstance(condition, dict):
                self.condition(condition, (*place.path, "show_if"), by_key,
                               later=lambda target, me=place: target.order >= me.order,
                               whose="this question")
        for index, section in entries(data.get("sections")):
            condition = section.get("show_if")
            if isinstance(condition, dict):
                self.condition(condition, ("sections", index, "show_if"), by_key,
                               later=lambda target, me=index: target.section >= me,
                               whose="this section")

    def condition(self, condition: Raw, path: tuple[PathPart, ...],
                  by_key: dict[str, QuestionPlace], later: Any, whose: str) -> None:
        problem = in_or_not_in(condition)
        if problem:
            field, message, hint = problem
            self.add(E.CONDITION_IN_OR_NOT_IN, (*path, field) if field else path, message, hint,
                     key=True)
        name = text_of(condition, "question")
        if name is None:
            return
        target = by_key.get(name)
        if target is None:
            self.add(E.CONDITION_UNKNOWN_QUESTION, (*path, "question"),
                     f"show_if names question '{name}', which does not exist",
                     did_you_mean(name, by_key))
            return
        if later(target):
            self.add(E.CONDITION_LATER_QUESTION, (*path, "question"),
                     f"show_if names question '{name}' ({join_path(target.path)}), which does "
                     f"not come before {whose}; a condition can only use earlier answers")
        if target.type in NO_OPTIONS_TYPES:
            self.add(E.CONDITION_WITHOUT_OPTIONS, (*path, "question"),
                     f"show_if names question '{name}', a {target.type} question without "
                     "options; a condition needs a choice, rating or matrix question")
            return
        self.condition_row(condition, path, target)
        options = self.options_of(target.raw)
        if options is None:
            return
        allowed = list(options)
        for field in ("in", "not_in"):
            values = condition.get(field)
            for index, value in enumerate(values if isinstance(values, list) else []):
                if isinstance(value, str) and value not in allowed:
                    self.add(E.CONDITION_BAD_VALUE, (*path, field, index),
                             f"'{value}' is not an option of question '{name}'; "
                             f"its options are {listing(options)}",
                             closest_option(value, options))

    def condition_row(self, condition: Raw, path: tuple[PathPart, ...],
                      target: QuestionPlace) -> None:
        row = text_of(condition, "row")
        if row is None:
            return
        if target.type != "matrix":
            self.add(E.CONDITION_UNKNOWN_ROW, (*path, "row"),
                     f"show_if gives row '{row}', but '{target.key}' is a {target.type} "
                     "question, not a matrix")
            return
        rows = keys_of(target.raw.get("rows"), "key")
        if row not in rows:
            self.add(E.CONDITION_UNKNOWN_ROW, (*path, "row"),
                     f"matrix question '{target.key}' has no row '{row}' "
                     f"(its rows are {', '.join(rows)})", did_you_mean(row, rows))

    def options_of(self, question: Raw) -> dict[str, str] | None:
        """The option values a question can take, each with its Swedish label (or ''), in
        order; None when the definition is too broken to say."""
        kind = text_of(question, "type")
        if kind == "multiple_choice" or (kind == "single_choice" and "options" in question):
            options = question.get("options")
        elif kind in ("single_choice", "rating", "matrix"):
            scale = self.scales.get(text_of(question, "scale") or "")
            options = scale.get("options") if scale else None
        else:
            return None
        if not isinstance(options, list):
            return None
        return {
            value: option_label(option) for _, option in entries(options)
            if (value := text_of(option, "value")) is not None
        }

    # --- staff_view ---------------------------------------------------------------------------

    def staff_view(self, view: Raw, path: tuple[PathPart, ...], surveys: dict[str, Any]) -> None:
        survey = surveys.get(text_of(view, "survey") or "")
        name = text_of(view, "question")
        if survey is None or name is None:
            return
        keys = [question.key for question in survey.questions()]
        if name not in keys:
            self.add(E.STAFF_VIEW_MISMATCH, (*path, "question"),
                     f"survey '{survey.key}' has no question '{name}'", did_you_mean(name, keys))
            return
        question = survey.question(name)
        row = text_of(view, "row")
        rows = [r.key for r in question.rows] if question.type == "matrix" else []
        if question.type == "matrix" and row not in rows:
            self.add(E.STAFF_VIEW_MISMATCH, (*path, "row") if row else path,
                     f"survey question '{name}' is a matrix; 'row' must be one of "
                     f"{', '.join(rows)}", did_you_mean(row, rows), key=row is None)
        elif question.type != "matrix" and row is not None:
            self.add(E.STAFF_VIEW_MISMATCH, (*path, "row"),
                     f"survey question '{name}' is a {question.type} question without rows")
        if question.type in NO_OPTIONS_TYPES:
            self.add(E.STAFF_VIEW_MISMATCH, (*path, "question"),
                     f"survey question '{name}' is a {question.type} question without options")
            return
        options = {option.value: option.label.sv for option in survey.options_of(question)}
        favourable = view.get("favourable")
        for index, value in enumerate(favourable if isinstance(favourable, list) else []):
            if isinstance(value, str) and value not in options:
                self.add(E.STAFF_VIEW_MISMATCH, (*path, "favourable", index),
                         f"'{value}' is not an option of survey question '{name}'; "
                         f"its options are {listing(options)}", closest_option(value, options))

    # --- risk templates -----------------------------------------------------------------------

    def risk(self, data: Raw) -> None:
        kind = data.get("kind")
        if kind == "risk_template" and "risk" not in data:
            self.add(E.RISK_KIND_MISMATCH, ("kind",),
                     "a risk_template needs 'risk' (forms, likelihood, consequence, levels)")
        elif isinstance(kind, str) and kind != "risk_template" and "risk" in data:
            self.add(E.RISK_KIND_MISMATCH, ("risk",),
                     f"'risk' belongs in a risk_template, not in a {kind}", key=True)
        risk = data.get("risk")
        if not isinstance(risk, dict):
            return
        forms = risk.get("forms")
        if forms == []:
            self.add(E.EMPTY_LIST, ("risk", "forms"), "'forms' is empty", key=True)
        self.unique(forms, ("risk", "forms"), "key", "form key")
        counts = [self.risk_scale(risk.get(name), ("risk", name))
                  for name in ("likelihood", "consequence")]
        self.risk_levels(risk.get("levels"), counts)
        self.unique(risk.get("catalogue"), ("risk", "catalogue"), "key", "catalogue key")
        form_keys = keys_of(forms, "key")
        for index, item in entries(risk.get("catalogue")):
            named = item.get("forms")
            for position, form in enumerate(named if isinstance(named, list) else []):
                if isinstance(form, str) and form not in form_keys:
                    self.add(E.UNKNOWN_RISK_FORM, ("risk", "catalogue", index, "forms", position),
                             f"form '{form}' is not one of risk.forms "
                             f"({', '.join(form_keys) or 'none'})", did_you_mean(form, form_keys))

    def risk_scale(self, scale: object, path: tuple[PathPart, ...]) -> int | None:
        """Check a likelihood/consequence scale; return its number of steps when it has any."""
        if not isinstance(scale, dict) or not isinstance(scale.get("options"), list):
            return None
        options = scale["options"]
        self.options(options, (*path, "options"), flags=())
        for index, option in entries(options):
            value = option.get("value")
            if isinstance(value, str) and value != str(index + 1):
                self.add(E.RISK_SCALE_VALUES, (*path, "options", index, "value"),
                         f"option {index + 1} has the value '{value}'; the values of "
                         f"{path[-1]} must be '1', '2', '3' ... in order",
                         f"write value: \"{index + 1}\"")
        return len(options) or None

    def risk_levels(self, levels: object, counts: list[int | None]) -> None:
        if levels == []:
            self.add(E.EMPTY_LIST, ("risk", "levels"), "'levels' is empty", key=True)
        self.unique(levels, ("risk", "levels"), "key", "level key")
        previous: int | None = None
        last: tuple[int, int] | None = None
        for index, level in entries(levels):
            top = level.get("max_value")
            if not isinstance(top, int) or isinstance(top, bool):
                continue
            if previous is not None and top <= previous:
                self.add(E.RISK_LEVELS, ("risk", "levels", index, "max_value"),
                         f"max_value {top} does not ascend (the level before ends at {previous})")
            previous, last = top, (index, top)
        likelihood, consequence = counts
        if last and likelihood and consequence and last[1] < likelihood * consequence:
            highest = likelihood * consequence
            self.add(E.RISK_LEVELS, ("risk", "levels", last[0], "max_value"),
                     f"the last level ends at {last[1]}, but likelihood x consequence reaches "
                     f"{likelihood} x {consequence} = {highest}", f"set max_value: {highest}")

    # --- shared -------------------------------------------------------------------------------

    def unique(self, items: object, path: tuple[PathPart, ...], field: str, what: str) -> None:
        first: dict[str, int] = {}
        for index, item in entries(items):
            value = text_of(item, field)
            if value is None:
                continue
            if value in first:
                earlier = join_path((*path, first[value]))
                line = self.document.value_position(earlier).line
                self.add(E.DUPLICATE_KEY, (*path, index, field),
                         f"{what} '{value}' is already used by {earlier} (line {line})")
            else:
                first[value] = index
