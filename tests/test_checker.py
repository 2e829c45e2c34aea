"""`lagesbild questionnaires check` never crashes and reports everything in one run.

Every case goes through the command line, as an author or CI runs it: a file nested far too
deep, YAML-level faults (a tag, an anchor and alias, a duplicate key, tabs) together with the
schema errors of the same file, `not_in` conditions, a value that is not an option, and the
JSON of the previews. Lines and columns are read off the files by hand (1-based).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.cli.questionnaires import questionnaires_group
from app.definitions.errors import CODES
from app.extensions import db
from app.models.questionnaires import Questionnaire
from app.services.questionnaires import load_folder
from tests.conftest import post

DATA = Path(__file__).resolve().parent / "data"
UPPFOLJNING = DATA / "valid" / "uppfoljning.yaml"
THREE_ERRORS = DATA / "broken" / "three_errors.yaml"
CONDITION = DATA / "broken" / "condition_bad_value.yaml"
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>Q\d{3}) (?P<rest>.*)$")

# A survey with one schema error of its own: 'requird' (line 10, column 5) is no field.
SURVEY = """\
format: 1
key: enkat
kind: survey
title: Enkät
sections:
  - key: del1
    title: Del 1
    questions:
      - key: utsatt
        requird: false
        type: single_choice
        text: Har du blivit utsatt?
        options:
          - {value: ja, label: Ja}
          - {value: nej, label: Nej}
          - {value: vet_ej, label: Vet ej}
      - key: hur
        type: text
        text: På vilket sätt?
        show_if:
          question: utsatt
          in: [ja]
"""
REQUIRD = ("Q003", 10, 9, "sections[0].questions[0].requird")


def check(path: Path) -> Result:
    return CliRunner().invoke(questionnaires_group, ["check", str(path)])


def errors(result: Result) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message with its [path]) of each error line the command printed
    (the `OK file` lines of valid files left out)."""
    found = []
    for line in result.stdout.splitlines():
        if line.startswith("OK "):
            continue
        match = LINE.match(line)
        assert match, f"not an error line: {line!r}"
        found.append((match["code"], int(match["line"]), int(match["column"]), match["rest"]))
    return found


def places(result: Result) -> list[tuple[str, int, int, str]]:
    """(code, line, column, path) of each error; '' when an error has no path."""
    return [
        (code, line, column, rest[1:rest.index("] ")] if rest.startswith("[") else "")
        for code, line, column, rest in errors(result)
    ]


def write(tmp_path: Path, text: str, name: str = "fil.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_clean_failure(result: Result) -> None:
    """Exit status 1 with error lines only: no traceback, no exception but the exit."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


# --- nesting and size ------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [500, 10_000])
def test_a_file_nested_far_too_deep_is_one_error_at_the_bracket_too_deep(
    tmp_path: Path, levels: int
) -> None:
    # 'title: ' takes columns 1-7; bracket n stands in column 7 + n. The file's mapping is
    # level 1, so bracket 50 opens level 51: column 57.
    path = write(tmp_path, "format: 1\nkey: x\nkind: survey\ntitle: "
                 + "[" * levels + "]" * levels + "\n")
    result = check(path)
    assert_clean_failure(result)
    assert places(result) == [("Q028", 4, 57, "")]
    assert "nested more than 50 levels deep" in result.stdout


def test_deep_block_indentation_is_stopped_at_the_limit_too(tmp_path: Path) -> None:
    # The root mapping is level 1 and line 4 + n holds a list at level n + 1 (its '-' in
    # column n): level 51 is the list on line 54, column 50.
    lines = "".join(" " * n + "- \n" for n in range(600))
    result = check(write(tmp_path, "format: 1\nkey: x\nkind: survey\ntitle:\n" + lines))
    assert_clean_failure(result)
    assert places(result) == [("Q028", 54, 50, "")]


def test_nesting_within_the_limit_is_read_and_checked_as_usual(tmp_path: Path) -> None:
    # 40 nested lists as a title: read, then refused as a title that is not a text; and the
    # survey has no sections.
    result = check(write(tmp_path, "format: 1\nkey: x\nkind: survey\ntitle: "
                         + "[" * 40 + "]" * 40 + "\n"))
    assert_clean_failure(result)
    assert places(result) == [("Q007", 1, 1, ""), ("Q013", 4, 8, "title")]


def test_load_refuses_a_deep_file_without_a_traceback_and_stores_nothing(
    app: Flask, tmp_path: Path
) -> None:
    deep = write(tmp_path, "format: 1\nkey: x\nkind: survey\ntitle: " + "{a: " * 10_000 + "\n")
    result = app.test_cli_runner().invoke(args=["questionnaires", "load", str(deep)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    # The file's mapping is level 1; the 50th '{a: ' (level 51) starts in column 8 + 49 x 4.
    assert places(result) == [("Q028", 4, 204, "")]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 0


# --- YAML-level faults reported with the schema errors ---------------------------------------


def test_a_tag_and_a_schema_error_in_one_file_are_both_reported(tmp_path: Path) -> None:
    text = SURVEY.replace("title: Enkät", "title: !!python/object:os.system Enkät")
    text = text.replace("    title: Del 1", "    title: !foo Del 1")
    result = check(write(tmp_path, text))
    assert_clean_failure(result)
    assert places(result) == [
        ("Q016", 4, 8, "title"),
        ("Q016", 7, 12, "sections[0].title"),
        REQUIRD,
    ]
    assert "tag '!!python/object:os.system' found" in result.stdout
    assert "tag '!foo' found" in result.stdout


def test_an_anchor_and_its_alias_are_reported_with_the_schema_errors(tmp_path: Path) -> None:
    text = SURVEY.replace("    title: Del 1", "    title: &rubrik Del 1")
    text = text.replace("text: På vilket sätt?", "text: *rubrik")
    result = check(write(tmp_path, text))
    assert_clean_failure(result)
    # The alias is read as nothing; its place gets no second error (a missing Swedish text).
    assert places(result) == [
        ("Q016", 7, 12, "sections[0].title"),
        REQUIRD,
        ("Q016", 19, 15, "sections[0].questions[1].text"),
    ]


def test_aliases_are_never_expanded_so_a_billion_laughs_costs_nothing(tmp_path: Path) -> None:
    # Expanded, the last list would hold 2 x 4^29 strings; read, every alias stands for nothing.
    laughs = ["a0: &a0 [ha, ha]"] + [
        f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}]" for n in range(1, 30)
    ]
    result = check(write(tmp_path, SURVEY + "laughs:\n  " + "\n  ".join(laughs) + "\n"))
    assert_clean_failure(result)
    found = places(result)
    assert [code for code, *_ in found].count("Q016") == 30 + 29 * 4  # every anchor and alias
    assert ("Q016", 25, 7, "laughs.a1") in found  # the anchor '&a1' in line 25 ...
    assert ("Q016", 25, 12, "laughs.a1[0]") in found  # ... and its first alias '*a0'
    # ... and the rest of the file is still checked: 'laughs' (line 23) is no field.
    assert [place for place in found if place[0] != "Q016"] == [REQUIRD, ("Q003", 23, 1, "laughs")]


def test_a_duplicate_key_and_a_schema_error_are_both_reported(tmp_path: Path) -> None:
    text = SURVEY.replace("        type: text\n", "        type: text\n        type: number\n")
    result = check(write(tmp_path, text))
    assert_clean_failure(result)
    assert places(result) == [REQUIRD, ("Q002", 19, 9, "sections[0].questions[1].type")]
    assert "first on line 18" in result.stdout


def test_tabs_in_the_indentation_are_one_error_and_the_rest_is_still_checked(
    tmp_path: Path
) -> None:
    # Lines 13-16 indented with a tab for the first four spaces.
    lines = SURVEY.splitlines(keepends=True)
    for number in range(13, 17):
        lines[number - 1] = "\t" + lines[number - 1][4:]
    result = check(write(tmp_path, "".join(lines)))
    assert_clean_failure(result)
    assert places(result) == [REQUIRD, ("Q001", 13, 1, "")]
    assert "tabs in the indentation on lines 13-16" in result.stdout


def test_a_real_syntax_error_says_the_file_cannot_be_read_and_where(tmp_path: Path) -> None:
    text = SURVEY.replace("text: Har du blivit utsatt?", 'text: "Har du blivit utsatt?')
    result = check(write(tmp_path, text))
    assert_clean_failure(result)
    # The quote opened in line 12, column 15 is never closed.
    assert places(result) == [("Q001", 12, 15, "")]
    assert "nothing else in it was checked" in result.stdout


def test_a_control_character_is_placed_not_a_crash(tmp_path: Path) -> None:
    result = check(write(tmp_path, SURVEY.replace("Del 1", "Del\x00 1")))
    assert_clean_failure(result)
    assert places(result) == [("Q001", 7, 15, "")]
    assert "U+0000" in result.stdout


def test_a_date_that_does_not_exist_is_read_as_text_not_a_crash(tmp_path: Path) -> None:
    result = check(write(tmp_path, SURVEY.replace("Del 1", "2026-13-45")))
    assert_clean_failure(result)
    assert places(result) == [REQUIRD]  # '2026-13-45' is a fine title


# --- show_if: not_in, and values that are not options ---------------------------------------


def test_a_questionnaire_with_not_in_conditions_is_valid() -> None:
    result = check(UPPFOLJNING)
    assert (result.exit_code, result.stdout) == (0, f"OK {UPPFOLJNING}\n")


def condition(tmp_path: Path, lines: str) -> Result:
    """condition_bad_value.yaml with its condition's value list (line 20) replaced."""
    text = CONDITION.read_text("utf-8").replace("          in: [ja, jaa]\n", lines)
    return check(write(tmp_path, text))


def test_a_not_in_value_that_is_not_an_option_is_reported(tmp_path: Path) -> None:
    result = condition(tmp_path, "          not_in: [nej, nje]\n")
    assert_clean_failure(result)
    assert errors(result) == [(
        "Q010", 20, 25,
        "[sections[0].questions[1].show_if.not_in[1]] 'nje' is not an option of question "
        "'utsatt'; its options are ja (Ja), nej (Nej) (did you mean 'nej'?)",
    )]


def test_a_value_that_is_not_an_option_says_so_without_a_spelling_hint(tmp_path: Path) -> None:
    result = condition(tmp_path, "          in: [Kanske]\n")
    assert_clean_failure(result)
    assert errors(result) == [(
        "Q010", 20, 16,
        "[sections[0].questions[1].show_if.in[0]] 'Kanske' is not an option of question "
        "'utsatt'; its options are ja (Ja), nej (Nej)",
    )]


def test_an_option_written_as_its_label_suggests_its_value(tmp_path: Path) -> None:
    text = UPPFOLJNING.read_text("utf-8")
    text = text.replace("not_in: [genomford]", "not_in: [Genomförd]", 1)
    text = text.replace("not_in: [genomford]", "not_in: [Delvis genomförd]", 1)
    result = check(write(tmp_path, text))
    assert_clean_failure(result)
    options = ("its options are genomford (Genomförd), delvis (Delvis genomförd), "
               "ej_paborjad (Ej påbörjad)")
    assert errors(result) == [
        ("Q010", 47, 20, "[sections[0].questions[1].show_if.not_in[0]] 'Genomförd' is not an "
         f"option of question 'rutiner'; {options} (did you mean 'genomford'?)"),
        ("Q010", 64, 20, "[sections[0].questions[3].show_if.not_in[0]] 'Delvis genomförd' is "
         f"not an option of question 'utbildning'; {options} (did you mean 'delvis'? An option "
         "is named by its value, not by its label 'Delvis genomförd')"),
    ]


@pytest.mark.parametrize(("lines", "line", "column", "path", "words"), [
    ("          in: [ja]\n          not_in: [nej]\n", 21, 11,
     "sections[0].questions[1].show_if.not_in", "has both 'in' and 'not_in'"),
    ("", 18, 9, "sections[0].questions[1].show_if", "has neither 'in' nor 'not_in'"),
    ("          not_in:\n", 20, 11, "sections[0].questions[1].show_if.not_in",
     "show_if's 'not_in' is empty"),
])
def test_a_condition_needs_exactly_one_of_in_and_not_in(
    tmp_path: Path, lines: str, line: int, column: int, path: str, words: str
) -> None:
    result = condition(tmp_path, lines)
    assert_clean_failure(result)
    assert places(result) == [("Q029", line, column, path)]
    assert words in result.stdout and "Value error" not in result.stdout


def test_both_in_and_not_in_with_values_that_are_not_options_reports_all(tmp_path: Path) -> None:
    result = condition(tmp_path, "          in: [Ja]\n          not_in: [nej]\n")
    assert places(result) == [
        ("Q010", 20, 16, "sections[0].questions[1].show_if.in[0]"),
        ("Q029", 21, 11, "sections[0].questions[1].show_if.not_in"),
    ]
    assert "(did you mean 'ja'?)" in result.stdout


# --- JSON shows å, ä and ö as themselves ------------------------------------------------------


def test_cli_preview_prints_the_questionnaire_as_json_without_escapes() -> None:
    result = CliRunner().invoke(questionnaires_group, ["preview", str(UPPFOLJNING)])
    assert result.exit_code == 0, result.output
    assert '"sv": "Uppföljning av revisionens rekommendationer"' in result.stdout
    assert "\\u00" not in result.stdout
    data = json.loads(result.stdout)
    follow_up = data["sections"][0]["questions"][1]
    assert follow_up["show_if"] == {"question": "rutiner", "row": None, "in": None,
                                    "not_in": ["genomford"]}
    assert follow_up["required"] is False  # defaults are filled in


def test_cli_preview_of_a_broken_file_prints_its_errors() -> None:
    result = CliRunner().invoke(questionnaires_group, ["preview", str(THREE_ERRORS)])
    assert_clean_failure(result)
    assert [code for code, *_ in places(result)] == ["Q003", "Q010", "Q011"]


def test_the_web_previews_answers_show_swedish_letters_as_themselves(
    city: Flask, as_role, tmp_path: Path
) -> None:
    with city.app_context():
        report = load_folder([write(tmp_path, SURVEY.replace("        requird: false\n", ""))])
        assert report.ok, report.errors
    staff = as_role("analyst")
    response = post(staff, "/admin/formular/enkat/1",
                    {"q-utsatt": "ja", "q-hur": "Åsa sa: hämta ölen"})
    html = response.get_data(as_text=True)
    shown = re.search(r'<pre class="answers-json">(.*?)</pre>', html, re.S)
    assert shown, html
    assert '"hur": "Åsa sa: hämta ölen"' in shown.group(1)
    assert "\\u00" not in shown.group(1)


# --- many errors: found in time proportional to the file, reported up to the cap -------------


def test_twenty_thousand_aliases_are_found_and_the_first_200_reported(tmp_path: Path) -> None:
    # Line 30 becomes 'sections: [*a, *a, ...]' (20,000 aliases), the sections of the file move
    # under 'rest' (line 31). Each alias is an error (Q016) and stands for nothing: the 20,000
    # sections that are no section get no second error. The old checker compared every error
    # with every alias (400 million comparisons, a web request that never ends).
    text = UPPFOLJNING.read_text("utf-8").replace(
        "\nsections:\n", "\nsections: [" + ", ".join(["*a"] * 20_000) + "]\nrest:\n", 1)
    result = check(write(tmp_path, text))
    assert_clean_failure(result)
    found = places(result)
    # 'sections: [' is 11 characters: alias n stands in column 12 + 4n.
    assert found[:200] == [("Q016", 30, 12 + 4 * n, f"sections[{n}]") for n in range(200)]
    # 19,800 more aliases and 'rest', no field (line 31), are left out, counted at the 201st.
    assert found[200:] == [("Q030", 30, 12 + 4 * 200, "")]
    assert errors(result)[200][3] == (
        "19801 more errors from here on are not shown; a file reports its first 200 errors "
        "(fix the errors above and check the file again)")
    assert result.stderr == "201 error(s) in 1 of 1 file(s)\n"


def test_thousands_of_errors_of_the_schema_and_between_sections_are_all_counted(
    tmp_path: Path
) -> None:
    # 8,000 sections '{key: d, x: 1}' on lines 6-8005: each lacks title and questions (two Q012
    # at the section), has no field x (Q003 in column 14), and all but the first repeat the key
    # 'd' (Q005 in column 11). The old checker compared each of the 7,999 repeated keys with
    # each of the 24,000 errors of the schema.
    sections = "".join("  - {key: d, x: 1}\n" for _ in range(8000))
    result = check(write(tmp_path, "format: 1\nkey: manga\nkind: survey\ntitle: Många\n"
                         "sections:\n" + sections))
    assert_clean_failure(result)
    found = places(result)
    first = [("Q012", 6, 5, "sections[0]"), ("Q012", 6, 5, "sections[0]"),
             ("Q003", 6, 14, "sections[0].x")]
    assert found[:3] == first
    for n in range(1, 50):  # lines 7-55: 4 errors each, 199 with line 6; the 200th on line 56
        assert found[4 * n - 1:4 * n + 3] == [
            ("Q012", 6 + n, 5, f"sections[{n}]"), ("Q012", 6 + n, 5, f"sections[{n}]"),
            ("Q005", 6 + n, 11, f"sections[{n}].key"), ("Q003", 6 + n, 14, f"sections[{n}].x")]
    assert found[199:] == [("Q012", 56, 5, "sections[50]"), ("Q030", 56, 5, "")]
    # 8,000 x 3 + 7,999 = 31,999 errors; 200 shown.
    assert errors(result)[200][3].startswith("31799 more errors from here on are not shown")


def test_the_upload_page_shows_the_same_200_errors_and_the_count_of_the_rest(
    city: Flask, as_role
) -> None:
    text = UPPFOLJNING.read_text("utf-8").replace(
        "\nsections:\n", "\nsections: [" + ", ".join(["*a"] * 20_000) + "]\nrest:\n", 1)
    admin = as_role("admin")
    response = post(admin, "/admin/formular/kontrollera",
                    {"file": (io.BytesIO(text.encode("utf-8")), "many.yaml")},
                    content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    shown = re.findall(r'<li id="error-\d+" class="source-error" data-code="(Q\d+)" '
                       r'data-line="(\d+)" data-column="(\d+)"', page)
    assert shown == [("Q016", "30", str(12 + 4 * n)) for n in range(200)] + [
        ("Q030", "30", str(12 + 4 * 200))]
    assert "19801 more errors from here on are not shown" in page


# --- numbers too large to read ----------------------------------------------------------------

HUGE_HEX = "0x" + "f" * 5000


def replaced(tmp_path: Path, source: Path, old: str, new: str) -> tuple[Result, int, int]:
    """`check` of `source` with the first `old` replaced by `new`; the line and column where
    `new` starts."""
    text = source.read_text("utf-8")
    at = text.index(old)
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    return check(write(tmp_path, text.replace(old, new, 1))), line, column


@pytest.mark.parametrize(("source", "old", "new", "offset", "path", "shown"), [
    # Python cannot print a number of 5,000 hexadecimal digits (the old checker crashed).
    (UPPFOLJNING, "max_length: 2000", f"max_length: {HUGE_HEX}", 12,
     "sections[0].questions[1].max_length", "0xffffffffffffffffff... (5002 characters)"),
    # 1 and 400 zeros made float() overflow in the range check of a number question.
    (UPPFOLJNING, "max: 10000", "max: 1" + "0" * 400, 5,
     "sections[1].questions[0].max", "10000000000000000000... (401 characters)"),
    # The risk level's messages printed its max_value.
    (DATA / "valid" / "risk_5x5.yaml", "max_value: 4", "max_value: 0x" + "f" * 4000, 11,
     "risk.levels[0].max_value", "0xffffffffffffffffff... (4002 characters)"),
    # A base-60 number of 100,000 parts took seconds to compute, and then could not be printed.
    (UPPFOLJNING, "title:\n  sv: Uppföljning av revisionens rekommendationer\n"
     "  en: Follow-up of the auditors' recommendations", "title: 1" + ":1" * 100_000, 7,
     "title", "1:1:1:1:1:1:1:1:1:1:... (200001 characters)"),
    # One past the largest 64-bit number.
    (UPPFOLJNING, "max: 10000", "max: 9223372036854775808", 5, "sections[1].questions[0].max",
     "9223372036854775808"),
])
def test_a_number_too_large_is_one_error_at_its_place(
    tmp_path: Path, source: Path, old: str, new: str, offset: int, path: str, shown: str
) -> None:
    result, line, column = replaced(tmp_path, source, old, new)
    assert_clean_failure(result)
    assert errors(result) == [(
        "Q014", line, column + offset,
        f"[{path}] the number {shown} is too large; a whole number in a questionnaire lies "
        "between -9223372036854775807 and 9223372036854775807 (write it in quotes if it is "
        "meant as text)",
    )]


def test_the_largest_64_bit_number_is_read_and_checked_as_a_number(tmp_path: Path) -> None:
    result, line, column = replaced(tmp_path, UPPFOLJNING, "max_length: 2000",
                                    "max_length: 0x7fffffffffffffff")
    assert_clean_failure(result)
    assert errors(result) == [(
        "Q014", line, column + 12, "[sections[0].questions[1].max_length] 'max_length' is a "
        "number (9223372036854775807); it must be at most 50000",
    )]


def test_a_field_name_too_large_a_number_is_one_error(tmp_path: Path) -> None:
    # (YAML allows a field name of at most 1,024 characters.)
    result, line, _ = replaced(tmp_path, UPPFOLJNING, "format: 1\n",
                               "format: 1\n0x" + "f" * 1000 + ": x\n")
    assert_clean_failure(result)
    assert places(result) == [("Q014", line + 1, 1, "")]


# --- the checker never crashes ---------------------------------------------------------------

VALID = UPPFOLJNING.read_text("utf-8").splitlines(keepends=True)

YAML_PIECES = st.sampled_from([
    "", "~", "null", "yes", "no", "0", "-1", "1e400", "0x1F", "1_000", "2026-13-45",
    "2026-02-03", "12:30:00", ".inf", ".nan", "'quoted'", '"Å \\u00e4"', "[]", "{}", "[a, [b]]",
    "{a: 1, b: [2]}", "|\n  block", ">-\n  folded", "- a\n- b", "!!python/object:os.system x",
    "!!binary AAAA", "!!set {a, b}", "!foo bar", "&anker v", "*anker", "<<: *anker", "? [a]\n: b",
    "key: value", ": :", "'unclosed", "[unclosed", "\t", "#", "---", "...", "%YAML 1.1", "\x00",
    "\u2028", "ä: ö", "\ufeff", "0x" + "f" * 5000, "1" + ":1" * 3000, "1" + "0" * 400,
    "-0b" + "1" * 70, "0o" + "7" * 30, "0" + "7" * 30,
])


@st.composite
def mutated_questionnaires(draw: st.DrawFn) -> str:
    lines = list(VALID)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "insert", "nest", "delete", "indent", "text"]))
        line = lines[at]
        if action == "value" and ":" in line:
            lines[at] = line[: line.index(":") + 1] + " " + draw(YAML_PIECES) + "\n"
        elif action == "insert":
            indent = " " * draw(st.integers(0, 12))
            lines.insert(at, indent + draw(YAML_PIECES) + "\n")
        elif action == "nest":
            depth = draw(st.integers(1, 3000))
            opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", "")]))
            lines.insert(at, "  nest: " + opener * depth + "x" + closer * depth + "\n")
        elif action == "delete":
            del lines[at]
        elif action == "indent":
            lines[at] = draw(st.sampled_from(["\t", " ", "  ", "\t  "])) + line
        else:
            lines[at] = draw(st.text(max_size=40)) + line
        if not lines:
            lines = [""]
    return "".join(lines)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=mutated_questionnaires())
def test_check_never_crashes_on_a_mutated_questionnaire(tmp_path: Path, text: str) -> None:
    path = tmp_path / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    result = check(path)
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 0:
        assert result.stdout == f"OK {path}\n"
    else:
        assert errors(result)  # at least one error, every line in the error format


# --- the format reference ------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "questionnaire-format.md"
BROKEN = DATA / "broken"


def test_every_error_example_in_the_format_reference_is_real_output() -> None:
    """The reference's example of each code is what `check` prints for that broken file
    (the examples of an oversized and a Latin-1 file come from files made in other tests)."""
    text = DOCS.read_text("utf-8")
    block = text[text.index("One example of each:"):].split("```")[1]
    examples = [line for line in block.splitlines() if line.strip()]
    shown = 0
    for example in examples:
        name = example.split(":", 1)[0]
        if not (BROKEN / name).is_file():
            assert name in ("big.yaml", "latin1.yaml"), example
            continue
        result = CliRunner().invoke(questionnaires_group, ["check", str(BROKEN / name.split("/")[0])])
        printed = [line.removeprefix(f"{BROKEN}/") for line in result.stdout.splitlines()]
        assert example in printed
        shown += 1
    codes = {example.split(": ")[1].split()[0] for example in examples}
    assert codes == set(CODES)
    assert shown == len(examples) - 2


def test_a_favourable_staff_view_value_that_is_not_an_option_says_so(tmp_path: Path) -> None:
    for name in ("enkat.yaml", "sjalvskattning.yaml"):
        text = (BROKEN / "staff_view" / name).read_text("utf-8")
        write(tmp_path, text.replace("favourable: [ja, kanske]", "favourable: [Ja, Kanske]"), name)
    result = check(tmp_path)
    assert result.exit_code == 1
    # Line 29: '        staff_view: {survey: enkat, question: stod, favourable: [Ja, Kanske]}'.
    favourable = [error for error in errors(result) if "favourable" in error[3]]
    assert favourable == [
        ("Q027", 29, 66, "[sections[0].questions[2].staff_view.favourable[0]] 'Ja' is not an "
         "option of survey question 'stod'; its options are ja (Ja), nej (Nej) "
         "(did you mean 'ja'?)"),
        ("Q027", 29, 70, "[sections[0].questions[2].staff_view.favourable[1]] 'Kanske' is not an "
         "option of survey question 'stod'; its options are ja (Ja), nej (Nej)"),
    ]
