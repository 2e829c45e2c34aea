"""Turn pydantic's validation errors into catalogued `DefinitionError`s placed in the YAML file.

Pydantic reports a location such as ('sections', 0, 'questions', 4, 'matrix', 'scale'); the
walk below follows it through the schema so the union's tag ('matrix') is dropped from the
document path and the model that owns a field is known (for "did you mean" and messages).
"""

from __future__ import annotations

import re
import types
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from app.definitions import errors as E
from app.definitions import schema as S
from app.definitions.errors import DefinitionError, did_you_mean
from app.definitions.loader import Document, PathPart, join_path, parent_path
from app.definitions.raw import in_or_not_in

_MODEL_NAMES: dict[type[BaseModel], str] = {
    S.Definition: "the questionnaire",
    S.Text: "a text",
    S.Option: "an option",
    S.Scale: "a scale",
    S.Row: "a row",
    S.Condition: "a condition (show_if)",
    S.StaffView: "staff_view",
    S.RatingQuestion: "a rating question",
    S.SingleChoiceQuestion: "a single_choice question",
    S.MultipleChoiceQuestion: "a multiple_choice question",
    S.MatrixQuestion: "a matrix question",
    S.TextQuestion: "a text question",
    S.NumberQuestion: "a number question",
    S.DateQuestion: "a date question",
    S.Section: "a section",
    S.RiskLevel: "a risk level",
    S.RiskScale: "a risk scale",
    S.CatalogueItem: "a catalogue item",
    S.RiskTemplate: "risk",
}

_KEY_RULE = "use lower-case letters a-z, digits and _, starting with a letter"
_VALUE_RULE = "use lower-case letters a-z, digits and _"


def translate(exc: ValidationError, document: Document, filename: str) -> list[DefinitionError]:
    """One DefinitionError per entry of `exc`, in the order pydantic found them."""
    return [_translate_one(entry, document, filename) for entry in exc.errors()]


def field_names(model: type[BaseModel]) -> list[str]:
    """The names a YAML file uses for the fields of `model` (aliases where there are any)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def question_types() -> dict[str, type[BaseModel]]:
    """Every question `type` value and the model that reads it."""
    union = _unwrap(get_args(S.Section.model_fields["questions"].annotation)[0])
    return _tags(union)


def _translate_one(entry: Any, document: Document, filename: str) -> DefinitionError:
    parts, owner, target = _walk(entry["loc"])
    path = join_path(parts)
    kind = entry["type"]
    value = entry.get("input")
    ctx = entry.get("ctx") or {}
    what = _MODEL_NAMES.get(owner, "this object") if owner else "this object"

    def error(code: str, message: str, hint: str | None = None, at: str | None = None,
              key: bool = False) -> DefinitionError:
        place = at if at is not None else path
        spot = document.key_position(place) if key else document.value_position(place)
        return DefinitionError(code, filename, spot.line, spot.column, place, message, hint)

    last = parts[-1] if parts else ""
    name = _label(parts)
    if _is_missing_swedish(owner, last, kind, ctx, value):
        text_path = path if path in document.values else (
            parent_path(path) if last == "sv" else path
        )
        return error(E.MISSING_SWEDISH_TEXT, "Swedish text (sv) is missing or empty",
                     "write the Swedish wording; English (en) is optional", at=text_path)
    if kind == "value_error" and _unwrap(target) is S.Condition and isinstance(value, dict):
        return _condition_in_or_not_in(value, path, error)
    if kind == "extra_forbidden":
        known = field_names(owner) if owner else []
        expected = f"; {what} has: {', '.join(known)}" if known else ""
        return error(E.UNKNOWN_FIELD, f"unknown field '{last}' in {what}{expected}",
                     did_you_mean(last, known), key=True)
    if kind == "missing":
        return error(E.MISSING_FIELD, f"{what} needs the field '{last}'",
                     at=parent_path(path))
    if kind == "union_tag_invalid":
        names = list(question_types())
        return error(E.UNKNOWN_QUESTION_TYPE,
                     f"unknown question type '{ctx.get('tag')}'; expected one of {', '.join(names)}",
                     did_you_mean(ctx.get("tag"), names), at=join_path((*parts, "type")))
    if kind == "union_tag_not_found":
        return error(E.MISSING_FIELD,
                     f"a question needs the field 'type' (one of {', '.join(question_types())})")
    if kind == "too_short" and isinstance(value, list):
        return error(E.EMPTY_LIST, f"{name} is empty; it needs at least one entry")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) or [
            str(ctx.get("expected", ""))
        ]
        return error(E.INVALID_VALUE,
                     f"{name} is {_show(value)}; expected {_one_of(allowed)}",
                     did_you_mean(value, allowed))
    if kind == "string_pattern_mismatch":
        rule = _KEY_RULE if str(ctx.get("pattern", "")).startswith("^[a-z][") else _VALUE_RULE
        return error(E.INVALID_VALUE, f"{name} is {_show(value)}, which is not allowed: {rule}",
                     _suggest_key(value))
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        expected = ("a text: a string, or a mapping with sv (and en)"
                    if ctx.get("class_name") == "Text" else "a mapping of fields")
        return error(E.WRONG_TYPE, f"{name} is {_describe(value)}; expected {expected}")
    if kind == "list_type":
        return error(E.WRONG_TYPE, f"{name} is {_describe(value)}; expected a list ('- ' lines)")
    if kind in {"string_type", "str_type"}:
        return error(E.WRONG_TYPE, f"{name} is {_describe(value)}; expected text",
                     _quote_hint(value))
    if kind.startswith(("int_", "float_", "bool_")) and kind.endswith(("_type", "_parsing")):
        expected = {"int": "a whole number", "float": "a number", "bool": "true or false"}[
            kind.split("_")[0]
        ]
        return error(E.WRONG_TYPE, f"{name} is {_describe(value)}; expected {expected}")
    if kind == "int_from_float":
        return error(E.WRONG_TYPE, f"{name} is {_show(value)}; expected a whole number")
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, limit = bounds[kind]
        return error(E.INVALID_VALUE, f"{name} is {_show(value)}; it must be {words} {ctx.get(limit)}")
    return error(E.INVALID_VALUE, f"{name} is {_show(value)}: {entry['msg']}")


def _is_missing_swedish(
    owner: type[BaseModel] | None, last: PathPart, kind: str, ctx: dict[str, Any], value: object
) -> bool:
    """An absent, empty or blank `sv`, or a text field left empty (`title:` and nothing more)."""
    if owner is S.Text and last == "sv":
        return kind in {"missing", "string_too_short", "string_pattern_mismatch"} or value is None
    return kind == "model_type" and ctx.get("class_name") == "Text" and value is None


def _condition_in_or_not_in(condition: dict[str, Any], path: str, error: Any) -> DefinitionError:
    """A show_if with both `in` and `not_in`, or with neither (the same error as the check of
    the raw data gives when pydantic stops before its own)."""
    problem = in_or_not_in(condition)
    if problem is None:  # not reached: the model refuses a condition for nothing else
        return error(E.INVALID_VALUE, f"'show_if' is not a valid condition: {condition!r}")
    field, message, hint = problem
    return error(E.CONDITION_IN_OR_NOT_IN, message, hint,
                 at=f"{path}.{field}" if field else path, key=True)


def _walk(
    loc: tuple[int | str, ...],
) -> tuple[tuple[PathPart, ...], type[BaseModel] | None, object]:
    """The document path of `loc` without union tags, the model owning its last field, and the
    annotation of the value at `loc` (None where the walk leaves the schema)."""
    annotation: object = S.Definition
    parts: list[PathPart] = []
    owner: type[BaseModel] | None = None
    for element in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner = annotation
            parts.append(element)
            annotation = _field_annotation(annotation, element)
        elif get_origin(annotation) is list:
            parts.append(element)
            annotation = get_args(annotation)[0]
            owner = None
        elif _is_union(annotation) and element in _tags(annotation):
            annotation = _tags(annotation)[element]
        else:
            parts.append(element)
            annotation, owner = None, None
    return tuple(parts), owner, annotation


def _field_annotation(model: type[BaseModel], name: object) -> object:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info.annotation
    return None


def _unwrap(annotation: object) -> object:
    """Strip Annotated[...] and Optional[...]; leave a union of several models as it is."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif _is_union(annotation):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return Union[tuple(members)] if len(members) > 1 else annotation  # noqa: UP007
            annotation = members[0]
        else:
            return annotation


def _is_union(annotation: object) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _tags(union: object) -> dict[str, type[BaseModel]]:
    tags: dict[str, type[BaseModel]] = {}
    for member in get_args(union):
        if isinstance(member, type) and issubclass(member, BaseModel) and "type" in member.model_fields:
            for tag in get_args(member.model_fields["type"].annotation):
                tags[tag] = member
    return tags


def _label(parts: tuple[PathPart, ...]) -> str:
    """How a message names the value: 'motivation', 'questions[0]', or 'the file'."""
    if not parts:
        return "the file"
    if isinstance(parts[-1], int):
        return f"'{join_path(parts[-2:])}'" if len(parts) > 1 else f"entry {parts[-1]}"
    return f"'{parts[-1]}'"


def _describe(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"a date ({value.isoformat()})"
    return type(value).__name__


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else _describe(value)


def _one_of(allowed: list[str]) -> str:
    return allowed[0] if len(allowed) == 1 else "one of " + ", ".join(allowed)


def _quote_hint(value: object) -> str | None:
    if isinstance(value, bool):
        return "YAML reads yes/no/on/off/true/false as true or false; write the text in quotes"
    if isinstance(value, int | float | date):
        return "write the value in quotes, e.g. '1'"
    return None


def _suggest_key(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    plain = value.lower().translate(str.maketrans("åäöéü", "aaoeu"))
    suggestion = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")
    if suggestion and suggestion != value and re.fullmatch(r"[a-z0-9][a-z0-9_]*", suggestion):
        return f"for example '{suggestion}'"
    return None
