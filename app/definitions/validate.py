"""Check questionnaire files: a file is loaded whole or rejected whole, with every error at once.

`check_text`/`check_file` check one file; `check_paths` checks files and folders together and
adds the checks between files (questionnaire keys, staff_view links to a survey in the run), and
reports at most `MAX_ERRORS` errors of a file (then how many more there are).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from app.definitions import errors as E
from app.definitions.errors import DefinitionError
from app.definitions.loader import Document, decode, load_document, parent_path, size_error
from app.definitions.references import check_references, check_staff_views
from app.definitions.schema import Definition
from app.definitions.translate import translate

YAML_SUFFIXES = (".yaml", ".yml")
# The errors one file reports, by place, before one more error (Q030) says how many are left
# out: the command line and the upload page show the same list, and a file of 100,000 aliases
# makes a page of 201 errors, not of 100,000.
MAX_ERRORS = 200


@dataclass(frozen=True)
class CheckResult:
    """The outcome for one file: a Definition when it is valid, otherwise None and its errors."""

    filename: str
    definition: Definition | None
    errors: list[DefinitionError]
    source: str | None = field(default=None, repr=False)
    document: Document | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.errors


def check_text(text: str, filename: str = "<text>") -> CheckResult:
    """Check YAML `text`; `filename` is only used to name the file in errors."""
    document, errors = load_document(text, filename)
    if document is None:
        return CheckResult(filename, None, errors, text)
    definition: Definition | None = None
    shape: list[DefinitionError] = []
    try:
        definition = Definition.model_validate(document.data)
    except ValidationError as exc:
        shape = translate(exc, document, filename)
    references = check_references(document, filename)
    # A value that is not an option is reported as such, not as a misspelt value ('Kanske').
    not_options = {error.path for error in references if error.code == E.CONDITION_BAD_VALUE}
    shape = [error for error in shape
             if not (error.code == E.INVALID_VALUE and error.path in not_options)]
    covered = _covered_paths(error.path for error in shape)
    errors += [error for error in shape if not document.is_unread(error.path)]
    errors += [
        error for error in references
        if error.path not in covered and not document.is_unread(error.path)
    ]
    errors.sort(key=lambda error: (error.line, error.column))
    return CheckResult(filename, None if errors else definition, errors, text, document)


def check_file(path: str | Path) -> CheckResult:
    """Read and check one file; a file over the size limit is not read at all."""
    path = Path(path)
    name = str(path)
    try:
        too_large = size_error(path.stat().st_size, name)
        raw = b"" if too_large else path.read_bytes()
    except OSError as exc:
        return CheckResult(name, None, [
            DefinitionError(E.UNREADABLE_FILE, name, 0, 0, "", f"cannot read the file: {exc.strerror}")
        ])
    if too_large:
        return CheckResult(name, None, [too_large])
    return check_bytes(raw, name)


def check_bytes(raw: bytes, filename: str) -> CheckResult:
    """Check the bytes of one file as `check_file` does once it has read them."""
    too_large = size_error(len(raw), filename)
    if too_large:
        return CheckResult(filename, None, [too_large])
    text, problem = decode(raw, filename)
    if text is None:
        return CheckResult(filename, None, [problem] if problem else [])
    return check_text(text, filename)


def check_upload(raw: bytes, filename: str) -> CheckResult:
    """Check one uploaded file exactly as `check_paths` checks that file given alone (the web
    page and `lagesbild questionnaires check` report the same errors for the same bytes)."""
    return link_results([check_bytes(raw, filename)])[0]


def definition_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named by `paths`: files as given, folders' *.yaml/*.yml sorted by name.

    A file named twice (directly and through its folder) is checked once.
    """
    found: dict[Path, Path] = {}
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
        else:
            files = [path]
        for file in files:
            found.setdefault(file.resolve(), file)
    return list(found.values())


def check_paths(paths: Iterable[str | Path]) -> list[CheckResult]:
    """Check every file named by `paths`, then the links between them; one result per file."""
    return link_results([check_file(path) for path in definition_files(paths)])


def link_results(results: list[CheckResult]) -> list[CheckResult]:
    """`results` with the checks between files added (questionnaire keys, staff_view links),
    each file's errors cut to the first `MAX_ERRORS` (see `capped`)."""
    surveys = {
        result.definition.key: result.definition
        for result in results
        if result.definition is not None and result.definition.kind == "survey"
    }
    seen_keys: dict[str, str] = {}
    checked: list[CheckResult] = []
    for result in results:
        extra = _duplicate_questionnaire_key(result, seen_keys)
        if result.document is not None:
            extra += check_staff_views(result.document, result.filename, surveys)
        if extra:
            # A favourable value that is not an option is reported as such, not as misspelt.
            not_options = {error.path for error in extra if error.code == E.STAFF_VIEW_MISMATCH}
            kept = [error for error in result.errors
                    if not (error.code == E.INVALID_VALUE and error.path in not_options)]
            errors = sorted(kept + extra, key=lambda error: (error.line, error.column))
            result = dataclasses.replace(result, definition=None, errors=errors)
        if len(result.errors) > MAX_ERRORS:
            result = dataclasses.replace(result, errors=capped(result.errors))
        checked.append(result)
    return checked


def capped(errors: list[DefinitionError]) -> list[DefinitionError]:
    """The first `MAX_ERRORS` of `errors` (sorted by place) and, when there are more, one
    error at the place of the first left out, saying how many are left out."""
    if len(errors) <= MAX_ERRORS:
        return errors
    left_out = errors[MAX_ERRORS:]
    first = left_out[0]
    return errors[:MAX_ERRORS] + [DefinitionError(
        E.TOO_MANY_ERRORS, first.file, first.line, first.column, "",
        f"{len(left_out)} more errors from here on are not shown; a file reports its first "
        f"{MAX_ERRORS} errors",
        "fix the errors above and check the file again",
    )]


def _duplicate_questionnaire_key(
    result: CheckResult, seen_keys: dict[str, str]
) -> list[DefinitionError]:
    data = result.document.data if result.document else None
    key = data.get("key") if isinstance(data, dict) else None
    if not isinstance(key, str) or result.document is None:
        return []
    if key not in seen_keys:
        seen_keys[key] = result.filename
        return []
    spot = result.document.value_position("key")
    return [DefinitionError(
        E.DUPLICATE_KEY, result.filename, spot.line, spot.column, "key",
        f"questionnaire key '{key}' is also used by {seen_keys[key]}; each file needs its own key",
    )]


def _covered_paths(shape_paths: Iterable[str]) -> set[str]:
    """The paths at which or inside which pydantic already reported a problem: each path of
    `shape_paths` and every path enclosing it (the file itself, '', only when it is one).

    Built once, so that each error of the references is one look-up, however many errors the
    file has."""
    covered: set[str] = set()
    for path in shape_paths:
        if not path:
            covered.add(path)
        while path and path not in covered:  # an enclosing path already in has all of its own
            covered.add(path)
            path = parent_path(path)
    return covered
