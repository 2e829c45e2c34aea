"""Questionnaire files are checked whole: every error with its code, line, column and path.

Each file in tests/data/broken/ has one mistake; the expected places are read off the file by
hand (lines and columns are 1-based, list indices in paths 0-based).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from app.cli.questionnaires import questionnaires_group
from app.definitions.errors import CODES, DefinitionError
from app.definitions.jsonschema import json_schema
from app.definitions.loader import MAX_BYTES
from app.definitions.schema import Definition
from app.definitions.validate import check_file, check_paths, check_text
from app.extensions import db
from app.models.questionnaires import Questionnaire, QuestionnaireVersion
from app.services.questionnaires import content_hash, load_folder

DATA = Path(__file__).resolve().parent / "data"
BROKEN = DATA / "broken"
ALL_TYPES = DATA / "valid" / "all_types.yaml"
SHIPPED = Path(__file__).resolve().parent.parent / "questionnaires"
Q = "sections[0].questions[0]"

# (file, code, line, column, document path, words the hint must contain or None)
CASES = [
    ("yaml_syntax", "Q001", 4, 8, "", None),
    ("duplicate_mapping_key", "Q002", 12, 9, f"{Q}.text", None),
    ("unknown_field", "Q003", 18, 9, f"{Q}.motivaton", "did you mean 'motivation'?"),
    ("unknown_question_type", "Q004", 10, 15, f"{Q}.type", "did you mean 'single_choice'?"),
    ("duplicate_section_key", "Q005", 10, 10, "sections[1].key", None),
    ("duplicate_question_key", "Q005", 13, 15, "sections[1].questions[0].key", None),
    ("duplicate_option_value", "Q005", 15, 21, f"{Q}.options[2].value", None),
    ("duplicate_row_key", "Q005", 20, 19, f"{Q}.rows[1].key", None),
    ("unknown_scale", "Q006", 18, 16, f"{Q}.scale", "did you mean 'tregradig'?"),
    ("empty_options", "Q007", 12, 9, f"{Q}.options", None),
    ("empty_sections", "Q007", 5, 1, "sections", None),
    ("empty_scale", "Q007", 7, 5, "scales[0].options", None),
    ("empty_rows", "Q007", 18, 9, f"{Q}.rows", None),
    ("condition_unknown_question", "Q008", 18, 29, "sections[0].questions[1].show_if.question",
     "did you mean 'utsatt'?"),
    ("condition_later_question", "Q009", 12, 29, f"{Q}.show_if.question", None),
    ("section_condition_same_section", "Q009", 9, 17, "sections[0].show_if.question", None),
    ("condition_bad_value", "Q010", 20, 20, "sections[0].questions[1].show_if.in[1]",
     "did you mean 'ja'?"),
    ("condition_not_in_bad_value", "Q010", 20, 20, "sections[0].questions[1].show_if.not_in[0]",
     None),
    ("missing_swedish_empty_sv", "Q011", 8, 11, "sections[0].title.sv", None),
    ("missing_swedish_only_en", "Q011", 12, 11, f"{Q}.text", None),
    ("missing_field", "Q012", 9, 9, Q, None),
    ("wrong_type", "Q013", 14, 21, f"{Q}.options[1].value", "in quotes"),
    ("invalid_value", "Q014", 6, 10, "sections[0].key", "for example 'del_1'"),
    ("unsupported_yaml", "Q016", 7, 12, "sections[0].title", None),
    ("condition_unknown_row", "Q018", 24, 44, "sections[0].questions[1].show_if.row",
     "did you mean 'polis'?"),
    ("condition_without_options", "Q019", 15, 29, "sections[0].questions[1].show_if.question",
     None),
    ("option_flag_not_allowed", "Q020", 14, 38, f"{Q}.options[1].exclusive", None),
    ("bad_range_choices", "Q021", 12, 22, f"{Q}.min_choices", None),
    ("bad_range_number", "Q021", 12, 14, f"{Q}.min", None),
    ("bad_range_text", "Q021", 12, 21, f"{Q}.min_length", None),
    ("choice_source", "Q022", 9, 9, Q, None),
    ("risk_missing", "Q023", 3, 7, "kind", None),
    ("risk_in_survey", "Q023", 10, 1, "risk", None),
    ("risk_levels_not_ascending", "Q024", 21, 54, "risk.levels[1].max_value", None),
    ("risk_levels_not_covering", "Q024", 21, 54, "risk.levels[1].max_value",
     "set max_value: 4"),
    ("risk_scale_values", "Q025", 18, 17, "risk.consequence.options[1].value", 'value: "2"'),
    ("unknown_risk_form", "Q026", 25, 20, "risk.catalogue[0].forms[1]", None),
    ("too_deep", "Q028", 11, 60, "", "fewer than 15 levels"),
    ("condition_in_and_not_in", "Q029", 21, 11, "sections[0].questions[1].show_if.not_in",
     "'not_in' for those that hide it"),
]


def codes(errors: list[DefinitionError]) -> list[str]:
    return [error.code for error in errors]


@pytest.mark.parametrize(("name", "code", "line", "column", "path", "hint"), CASES,
                         ids=[case[0] for case in CASES])
def test_broken_file_reports_its_error_with_code_place_and_path(
    name: str, code: str, line: int, column: int, path: str, hint: str | None
) -> None:
    result = check_file(BROKEN / f"{name}.yaml")
    assert result.definition is None
    first = result.errors[0]
    assert (first.code, first.line, first.column, first.path) == (code, line, column, path)
    assert first.file == str(BROKEN / f"{name}.yaml")
    if hint:
        assert hint in (first.hint or "")
    # One mistake, one error: nothing is reported twice, nothing cascades.
    assert codes(result.errors) == [code] * len(result.errors)
    if code != "Q016":  # an anchor and its alias are two places to fix
        assert len(result.errors) == 1


def test_every_broken_file_is_covered_by_a_case() -> None:
    files = {path.stem for path in BROKEN.glob("*.yaml")} - {"three_errors"}
    assert files == {case[0] for case in CASES}


def test_every_code_in_the_catalogue_is_exercised() -> None:
    exercised = {case[1] for case in CASES} | {"Q015", "Q017", "Q027", "Q030"}  # Q030: test_checker
    assert exercised == set(CODES)


def test_a_file_with_three_different_errors_reports_all_three() -> None:
    result = check_file(BROKEN / "three_errors.yaml")
    assert result.definition is None
    assert [(e.code, e.line, e.path) for e in result.errors] == [
        ("Q003", 12, "sections[0].questions[0].requird"),
        ("Q010", 19, "sections[0].questions[1].show_if.in[0]"),
        ("Q011", 21, "sections[1].title"),
    ]
    assert result.errors[0].hint == "did you mean 'required'?"


def test_unknown_type_and_unknown_scale_are_both_reported_with_the_tag_stripped_from_paths() -> None:
    text = (BROKEN / "unknown_scale.yaml").read_text("utf-8").replace(
        "        scale: tregradg\n", "        scale: tregradg\n        motivation: maybe\n"
    )
    result = check_text(text, "x.yaml")
    assert [(e.code, e.path) for e in result.errors] == [
        ("Q006", "sections[0].questions[0].scale"),
        ("Q014", "sections[0].questions[0].motivation"),
    ]


def test_error_line_format_is_file_line_column_code_path_message_hint() -> None:
    error = check_file(BROKEN / "unknown_question_type.yaml").errors[0]
    assert error.format() == (
        f"{BROKEN / 'unknown_question_type.yaml'}:10:15: Q004 [{Q}.type] unknown question type "
        "'singel_choice'; expected one of rating, single_choice, multiple_choice, matrix, text, "
        "long_text, number, date (did you mean 'single_choice'?)"
    )


def test_tabs_are_a_syntax_error_with_a_hint() -> None:
    result = check_text("format: 1\nkey: x\n\tkind: survey\n", "tabs.yaml")
    assert (result.errors[0].code, result.errors[0].line, result.errors[0].column) == ("Q001", 3, 1)
    assert "tabs" in (result.errors[0].hint or "")


def test_empty_file_is_an_error_not_a_crash() -> None:
    result = check_text("# only a comment\n", "empty.yaml")
    assert codes(result.errors) == ["Q013"]


def test_file_over_the_size_limit_is_rejected_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_BYTES + "\n")
    result = check_file(big)
    assert [(e.code, e.line, e.column) for e in result.errors] == [("Q015", 1, 1)]
    assert codes(check_text(big.read_text(), "big.yaml").errors) == ["Q015"]


def test_file_that_is_not_utf8_is_unreadable_at_the_bad_byte(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("format: 1\ntitle: Självskattning\n".encode("latin-1"))
    result = check_file(latin)
    assert [(e.code, e.line, e.column) for e in result.errors] == [("Q017", 2, 10)]


def test_staff_view_is_checked_against_the_survey_in_the_same_run() -> None:
    results = {Path(r.filename).name: r for r in check_paths([BROKEN / "staff_view"])}
    assert results["enkat.yaml"].ok
    assessment = results["sjalvskattning.yaml"]
    assert assessment.definition is None
    assert [(e.code, e.path, e.hint) for e in assessment.errors] == [
        ("Q027", "sections[0].questions[0].staff_view.question", "did you mean 'anmaldes'?"),
        ("Q027", "sections[0].questions[1].staff_view.row", "did you mean 'polis'?"),
        ("Q027", "sections[0].questions[2].staff_view.favourable[1]", None),
    ]  # the fourth link names a survey that is not in the run: only its shape is checked


def test_staff_view_alone_checks_only_its_shape() -> None:
    assert check_file(BROKEN / "staff_view" / "sjalvskattning.yaml").ok


def test_two_files_with_the_same_questionnaire_key_are_an_error(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(ALL_TYPES.read_text("utf-8"), "utf-8")
    first, second = check_paths([tmp_path])
    assert first.ok
    assert [(e.code, e.path) for e in second.errors] == [("Q005", "key")]


def test_all_types_file_is_valid_and_uses_every_question_type() -> None:
    result = check_file(ALL_TYPES)
    assert result.errors == [] and result.definition is not None
    types = {question.type for question in result.definition.questions()}
    assert types == {"rating", "single_choice", "multiple_choice", "matrix", "text",
                     "long_text", "number"}


@pytest.mark.parametrize("name", ["sjalvskattning.yaml", "medarbetarenkat.yaml", "riskanalys.yaml"])
def test_shipped_questionnaires_pass_the_full_check(name: str) -> None:
    results = {Path(r.filename).name: r for r in check_paths([SHIPPED])}
    assert results[name].errors == []


# --- the command line ----------------------------------------------------------------------


def test_cli_check_prints_ok_for_valid_files_and_exits_0() -> None:
    result = CliRunner().invoke(questionnaires_group, ["check", str(ALL_TYPES)])
    assert result.exit_code == 0
    assert result.stdout == f"OK {ALL_TYPES}\n"


def test_cli_check_prints_every_error_and_exits_1() -> None:
    broken = BROKEN / "three_errors.yaml"
    result = CliRunner().invoke(questionnaires_group, ["check", str(ALL_TYPES), str(broken)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"OK {ALL_TYPES}"
    assert lines[1] == (
        f"{broken}:12:9: Q003 [sections[0].questions[0].requird] unknown field 'requird' in a "
        "single_choice question; a single_choice question has: key, text, help, required, "
        "show_if, type, scale, options, breakdown, other_max_length (did you mean 'required'?)"
    )
    assert [line.split(": ")[1].split()[0] for line in lines[1:]] == ["Q003", "Q010", "Q011"]


def test_cli_check_of_a_folder_checks_each_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(ALL_TYPES.read_text("utf-8"), "utf-8")
    (tmp_path / "notes.txt").write_text("not a questionnaire")
    result = CliRunner().invoke(questionnaires_group, ["check", str(tmp_path)])
    assert (result.exit_code, result.stdout) == (0, f"OK {tmp_path / 'ok.yaml'}\n")


def test_cli_check_of_a_missing_path_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(questionnaires_group, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_cli_check_defaults_to_the_configured_folder_without_an_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ok.yaml").write_text(ALL_TYPES.read_text("utf-8"), "utf-8")
    monkeypatch.setenv("LAGESBILD_QUESTIONNAIRES_DIR", str(tmp_path))
    result = CliRunner().invoke(questionnaires_group, ["check"])
    assert (result.exit_code, result.stdout) == (0, f"OK {tmp_path / 'ok.yaml'}\n")


def test_cli_schema_prints_json_schema_that_describes_the_format() -> None:
    result = CliRunner().invoke(questionnaires_group, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["$id"] and schema["title"]
    assert set(schema["required"]) == {"format", "key", "kind", "title"}
    assert schema["additionalProperties"] is False
    # A plain string is accepted wherever a Text is.
    text = schema["$defs"]["Text"]
    assert {"type": "string", "minLength": 1}.items() <= text["anyOf"][0].items()
    assert text["anyOf"][1]["required"] == ["sv"]
    # Every top-level field of a valid file is described, and every question type is mapped.
    valid = check_file(ALL_TYPES).definition
    assert valid is not None
    assert set(valid.model_dump(by_alias=True)) <= set(schema["properties"])
    questions = schema["$defs"]["Section"]["properties"]["questions"]["items"]
    assert set(questions["discriminator"]["mapping"]) == {
        "rating", "single_choice", "multiple_choice", "matrix", "text", "long_text", "number", "date"
    }
    assert schema["$defs"]["Condition"]["required"] == ["question"]
    assert schema["$defs"]["Condition"]["oneOf"] == [{"required": ["in"]}, {"required": ["not_in"]}]


def test_committed_schema_file_is_up_to_date() -> None:
    committed = json.loads((SHIPPED.parent / "docs" / "questionnaire.schema.json").read_text("utf-8"))
    assert committed == json_schema(), "run: lagesbild questionnaires schema > docs/questionnaire.schema.json"


# --- storage: versions by content ------------------------------------------------------------


def versions(key: str) -> list[QuestionnaireVersion]:
    return list(db.session.scalars(
        select(QuestionnaireVersion).join(Questionnaire)
        .where(Questionnaire.key == key).order_by(QuestionnaireVersion.number)
    ))


def test_loading_stores_a_new_version_only_when_the_content_changes(
    app: Flask, tmp_path: Path
) -> None:
    source = tmp_path / "all_types.yaml"
    original = ALL_TYPES.read_text("utf-8")
    source.write_text(original, "utf-8")
    with app.app_context():
        first = load_folder([tmp_path])
        assert [(s.key, s.number, s.created) for s in first.stored] == [("all_types", 1, True)]

        source.write_text("# a comment changes nothing\n" + original, "utf-8")
        again = load_folder([tmp_path])
        assert [(s.number, s.created) for s in again.stored] == [(1, False)]

        source.write_text(original.replace("Alla frågetyper", "Alla typer av frågor"), "utf-8")
        changed = load_folder([tmp_path])
        assert [(s.number, s.created) for s in changed.stored] == [(2, True)]

        db.session.expire_all()
        stored = versions("all_types")
        assert [v.number for v in stored] == [1, 2]
        assert stored[0].source == original  # the earlier version is kept untouched
        assert stored[0].parsed().title.sv == "Alla frågetyper"
        assert stored[1].parsed().title.sv == "Alla typer av frågor"
        assert stored[0].content_hash == content_hash(check_file(ALL_TYPES).definition)
        assert stored[0].parsed() is stored[0].parsed()
        questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.key == "all_types"))
        assert (questionnaire.kind, questionnaire.title_sv) == ("survey", "Alla typer av frågor")


def test_stored_definition_round_trips_to_the_same_model(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        load_folder([ALL_TYPES])
        stored = versions("all_types")[0]
        assert stored.parsed() == Definition.model_validate(check_file(ALL_TYPES).definition.model_dump())
        assert stored.source_name == str(ALL_TYPES)


def test_nothing_is_stored_when_one_file_is_invalid(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "a_valid.yaml").write_text(ALL_TYPES.read_text("utf-8"), "utf-8")
    (tmp_path / "b_broken.yaml").write_text(
        (BROKEN / "three_errors.yaml").read_text("utf-8"), "utf-8"
    )
    with app.app_context():
        report = load_folder([tmp_path])
        assert not report.ok and report.stored == []
        assert codes(report.errors) == ["Q003", "Q010", "Q011"]
        assert db.session.scalars(select(Questionnaire)).all() == []


def test_a_file_named_twice_is_checked_once() -> None:
    results = check_paths([ALL_TYPES, ALL_TYPES.parent])
    # The folder holds other valid files too (risk_5x5.yaml); all_types.yaml is checked once.
    assert [Path(r.filename).name for r in results].count("all_types.yaml") == 1
    assert results[0].ok
