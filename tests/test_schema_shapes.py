"""The published JSON Schema (docs/questionnaire.schema.json) agrees with the loader on shapes.

Editors check questionnaire files against the schema while they type; a shape the loader
rejects must also be flagged there. Files are read into plain data by the project's own safe
YAML loader and validated with the `jsonschema` library, an outside implementation of the
standard. Whether a broken file's fault is a shape is decided by the loader's error codes
(app/definitions/errors.py): references between values, duplicates, ranges and order are
beyond a schema, so those files are not asked of it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from app.definitions import errors as E
from app.definitions.loader import load_document
from app.definitions.validate import check_file, check_text

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
BROKEN = sorted((DATA / "broken").glob("*.yaml"))
SHIPPED = sorted((ROOT / "questionnaires").glob("*.yaml"))
VALID = sorted((DATA / "valid").glob("*.yaml"))

# Faults in the form of a value that a JSON Schema can state.
SHAPE_CODES = {
    E.UNKNOWN_FIELD, E.UNKNOWN_QUESTION_TYPE, E.EMPTY_LIST, E.MISSING_SWEDISH_TEXT,
    E.MISSING_FIELD, E.WRONG_TYPE, E.INVALID_VALUE, E.OPTION_FLAG_NOT_ALLOWED,
    E.CHOICE_SOURCE, E.RISK_KIND_MISMATCH, E.CONDITION_IN_OR_NOT_IN,
}
# Faults a schema cannot see: the YAML itself (a parsed document no longer shows a duplicate
# field or an alias, and one nested too deep is not read), references between values,
# uniqueness, ranges and order; and how many errors a file has (more than are reported).
NOT_SHAPE_CODES = {
    E.YAML_SYNTAX, E.DUPLICATE_MAPPING_KEY, E.UNSUPPORTED_YAML, E.TOO_DEEP, E.DUPLICATE_KEY,
    E.UNKNOWN_SCALE, E.TOO_MANY_ERRORS,
    E.CONDITION_UNKNOWN_QUESTION, E.CONDITION_LATER_QUESTION, E.CONDITION_BAD_VALUE,
    E.CONDITION_UNKNOWN_ROW, E.CONDITION_WITHOUT_OPTIONS, E.BAD_RANGE, E.RISK_LEVELS,
    E.RISK_SCALE_VALUES, E.UNKNOWN_RISK_FORM, E.STAFF_VIEW_MISMATCH,
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "docs" / "questionnaire.schema.json").read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def plain_data(path: Path) -> Any:
    """The file's data as an editor's schema check sees it: JSON has no dates, so a date written
    YYYY-MM-DD (a date question's min/max) is its text."""
    document, _ = load_document(path.read_text("utf-8"), path.name)
    assert document is not None, f"{path.name} cannot be read as YAML"
    return json.loads(json.dumps(document.data, default=lambda value: value.isoformat()))


def keywords(errors: list[jsonschema.ValidationError]) -> set[str]:
    """Every schema keyword that failed, including those inside oneOf/anyOf alternatives."""
    found: set[str] = set()
    for error in errors:
        found.add(str(error.validator))
        found |= keywords(list(error.context or []))
    return found


def codes(path: Path) -> set[str]:
    return {error.code for error in check_file(path).errors}


def test_every_catalogued_code_is_sorted_into_shape_or_not() -> None:
    file_level = {E.FILE_TOO_LARGE, E.UNREADABLE_FILE}  # nothing is parsed, nothing to validate
    assert SHAPE_CODES | NOT_SHAPE_CODES | file_level == set(E.CODES)
    assert not SHAPE_CODES & NOT_SHAPE_CODES


def test_the_broken_files_include_shape_faults_of_every_kind() -> None:
    seen = set().union(*(codes(path) for path in BROKEN))
    # Every shape code has a broken file, so the test below is asked about each one.
    assert SHAPE_CODES <= seen


@pytest.mark.parametrize("path", [p for p in BROKEN if codes(p) & SHAPE_CODES], ids=lambda p: p.stem)
def test_schema_rejects_every_broken_file_whose_fault_is_a_shape(
    path: Path, validator: jsonschema.protocols.Validator
) -> None:
    errors = list(validator.iter_errors(plain_data(path)))
    assert errors, f"{path.name} ({', '.join(sorted(codes(path)))}) passes the schema"
    if E.EMPTY_LIST in codes(path):
        assert "minItems" in keywords(errors)


@pytest.mark.parametrize("path", SHIPPED + VALID, ids=lambda p: p.stem)
def test_every_shipped_and_valid_questionnaire_passes_the_schema(
    path: Path, validator: jsonschema.protocols.Validator
) -> None:
    assert check_file(path).ok
    assert [e.message for e in validator.iter_errors(plain_data(path))] == []


# Each list the loader needs an entry in, reached in a valid file: emptied, both reject it.
EMPTIED = [
    ("all_types", ("sections",)),
    ("all_types", ("sections", 0, "questions")),
    ("all_types", ("scales", 0, "options")),
    ("all_types", ("sections", 0, "questions", 0, "options")),  # single_choice
    ("all_types", ("sections", 1, "questions", 0, "rows")),  # matrix
    ("all_types", ("sections", 1, "questions", 2, "options")),  # multiple_choice
    ("risk_5x5", ("risk", "forms")),
    ("risk_5x5", ("risk", "likelihood", "options")),
    ("risk_5x5", ("risk", "consequence", "options")),
    ("risk_5x5", ("risk", "levels")),
]


@pytest.mark.parametrize(("name", "where"), EMPTIED, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else v)
def test_an_emptied_list_is_rejected_by_loader_and_schema_alike(
    name: str, where: tuple[str | int, ...], validator: jsonschema.protocols.Validator
) -> None:
    data = copy.deepcopy(plain_data(DATA / "valid" / f"{name}.yaml"))
    parent = data
    for part in where[:-1]:
        parent = parent[part]
    assert isinstance(parent[where[-1]], list) and parent[where[-1]]
    parent[where[-1]] = []
    result = check_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), f"{name}.yaml")
    assert E.EMPTY_LIST in {error.code for error in result.errors}
    assert "minItems" in keywords(list(validator.iter_errors(data)))


def test_a_survey_without_sections_or_a_risk_template_without_risk_fails_the_schema(
    validator: jsonschema.protocols.Validator,
) -> None:
    survey = {"format": 1, "key": "k", "kind": "survey", "title": "Enkät"}
    assert not check_text(json.dumps(survey)).ok
    assert "required" in keywords(list(validator.iter_errors(survey)))
    template = {**survey, "kind": "risk_template"}
    assert not check_text(json.dumps(template)).ok
    assert "required" in keywords(list(validator.iter_errors(template)))
