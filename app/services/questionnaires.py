"""Load questionnaire files into the database: all valid and stored together, or nothing stored.

A version is identified by the SHA-256 of the definition's canonical JSON, so loading the same
content again (even with other comments or layout) adds nothing, and changed content becomes the
next version number of the same questionnaire key. Stored versions are never changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.definitions.errors import DefinitionError
from app.definitions.loader import MAX_BYTES
from app.definitions.schema import Definition
from app.definitions.validate import (
    CheckResult,
    check_file,
    check_paths,
    check_upload,
    definition_files,
)
from app.models.audit import AuditEvent
from app.models.questionnaires import Questionnaire, QuestionnaireVersion
from app.models.rounds import Round, round_questionnaires
from app.models.submissions import UnitResponse
from app.models.users import User
from app.services import Problem, ServiceError, audit, transaction


@dataclass(frozen=True)
class StoredVersion:
    """What loading one file did: `created` is False when that content was already stored."""

    source_name: str
    key: str
    number: int
    created: bool


@dataclass(frozen=True)
class LoadReport:
    results: list[CheckResult]
    stored: list[StoredVersion]

    @property
    def errors(self) -> list[DefinitionError]:
        return [error for result in self.results for error in result.errors]

    @property
    def ok(self) -> bool:
        return not self.errors


def canonical_dump(definition: Definition) -> dict[str, Any]:
    """The definition as JSON data, with defaults filled in and YAML's aliases (`in`) kept."""
    return definition.model_dump(mode="json", by_alias=True)


def content_hash(definition: Definition) -> str:
    canonical = json.dumps(
        canonical_dump(definition), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_folder(paths: Iterable[str | Path]) -> LoadReport:
    """Check the files named by `paths` (files or folders); if every one is valid, store them
    in one transaction. Raises ServiceError, storing nothing, if a key would change its kind."""
    results = check_paths(paths)
    if any(not result.ok for result in results):
        return LoadReport(results, [])
    with transaction() as session:
        stored = [
            store_version(session, result.definition, result.source or "", result.filename)
            for result in results
            if result.definition is not None
        ]
    return LoadReport(results, stored)


def store_version(
    session: Session, definition: Definition, source: str, source_name: str
) -> StoredVersion:
    """Add `definition` as the next version of its questionnaire unless that content is stored."""
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == definition.key))
    if questionnaire is None:
        questionnaire = Questionnaire(
            key=definition.key, kind=definition.kind, title_sv=definition.title.sv
        )
        session.add(questionnaire)
        session.flush()
    elif questionnaire.kind != definition.kind:
        raise ServiceError(Problem(_l(
            "formuläret %(key)s är av slaget %(kind)s; en ny version kan inte göra det till %(new)s "
            "(ge filen en ny nyckel i stället)", key=definition.key, kind=questionnaire.kind, new=definition.kind,
        ), source_name))
    digest = content_hash(definition)
    existing = session.scalar(
        select(QuestionnaireVersion.number).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.content_hash == digest,
        )
    )
    if existing is not None:
        return StoredVersion(source_name, definition.key, existing, created=False)
    latest = session.scalar(
        select(func.max(QuestionnaireVersion.number)).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id
        )
    )
    number = max(latest or 0, _deleted_number(session, definition.key)) + 1
    questionnaire.title_sv = definition.title.sv
    session.add(QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        number=number,
        content_hash=digest,
        definition=canonical_dump(definition),
        source=source,
        source_name=source_name,
    ))
    session.flush()
    return StoredVersion(source_name, definition.key, number, created=True)


# ---------------------------------------------------------------------------------------------
# Questionnaires managed in the browser: check an upload, compare it with the stored version
# (app.services.questionnaire_changes), publish it. Nothing here trusts an earlier check: every
# step checks the text again.


@dataclass(frozen=True)
class Upload:
    """One questionnaire text as sent from the browser, and what the checker says about it."""

    text: str
    filename: str
    result: CheckResult

    @property
    def ok(self) -> bool:
        return self.result.ok and self.result.definition is not None

    @property
    def definition(self) -> Definition:
        assert self.result.definition is not None
        return self.result.definition

    def snippets(self) -> list[Snippet]:
        """Each error with the line it names and two lines on either side."""
        lines = self.text.split("\n")
        return [snippet(lines, error) for error in self.result.errors]


@dataclass(frozen=True)
class SnippetLine:
    number: int
    text: str  # the line, or on a long line the part around the error's column, cut with "…"
    marked: bool
    caret: int = 0  # characters of `text` before the error's column


# A line longer than this is shown as the part around the error's column: a file written on one
# line (YAML's flow style) must not repeat its whole text beside each of its errors.
LONG_LINE = 200
AROUND_COLUMN = 80


@dataclass(frozen=True)
class Snippet:
    error: DefinitionError
    lines: list[SnippetLine]

    @property
    def anchor(self) -> str:
        return f"line-{self.error.line}" if self.error.line else "source"


def snippet(lines: list[str], error: DefinitionError, around: int = 2) -> Snippet:
    """The error's line with `around` lines on either side (`lines`: the text split at line ends)."""
    if not error.line or error.line > len(lines):
        return Snippet(error, [])
    first = max(1, error.line - around)
    last = min(len(lines), error.line + around)
    column = max(error.column - 1, 0)
    shown = []
    for number in range(first, last + 1):
        text, caret = _around(lines[number - 1], column)
        shown.append(SnippetLine(number, text, number == error.line, caret))
    return Snippet(error, shown)


def _around(text: str, column: int) -> tuple[str, int]:
    """`text` (cut to the part around `column` when long) and the caret's place in it."""
    if len(text) <= LONG_LINE:
        return text, column
    start = max(0, column - AROUND_COLUMN)
    end = min(len(text), column + AROUND_COLUMN)
    before = "…" if start > 0 else ""
    after = "…" if end < len(text) else ""
    return before + text[start:end] + after, column - start + len(before)


def check_upload_text(text: str, filename: str) -> Upload:
    """Check text typed or pasted in the page (line ends as the browser sends them, CR LF,
    count as one)."""
    text = text.replace("\r\n", "\n")
    return Upload(text, filename, check_upload(text.encode("utf-8"), filename))


def check_upload_bytes(raw: bytes, filename: str) -> Upload:
    """Check an uploaded file's bytes exactly as `lagesbild questionnaires check` checks the file."""
    result = check_upload(raw, filename)
    if result.source is not None:
        text = result.source
    else:  # too large or not UTF-8: show what can be shown
        text = raw[: MAX_BYTES].decode("utf-8", errors="replace")
    return Upload(text.replace("\r\n", "\n"), filename, result)


def shipped_text(folder: Path, key: str, new_key: str) -> str | None:
    """The YAML of the shipped questionnaire `key` (a file of `folder`) with its key replaced by
    `new_key`; None when no shipped file has that key."""
    for path in definition_files([folder]):
        result = check_file(path)
        if result.definition is not None and result.definition.key == key:
            return re.sub(r"^key:[^\n]*$", lambda _match: f"key: {new_key}", result.source or "", count=1,
                          flags=re.MULTILINE)
    return None


def shipped_questionnaires(folder: Path) -> list[Definition]:
    """The valid questionnaires shipped in `folder`, in file order."""
    if not folder.is_dir():
        return []
    results = [check_file(path) for path in definition_files([folder])]
    return [result.definition for result in results if result.definition is not None]


def publish(upload: Upload, actor: User) -> StoredVersion:
    """Store a checked upload as the next version of its key (nothing when that content is
    stored already), audited with who published it, in one transaction. Raises ServiceError
    when the text is not valid (it is checked again here) or would change the key's kind."""
    if not upload.ok:
        raise ServiceError(Problem(_l("formuläret innehåller fel och publicerades inte")))
    with transaction() as session:
        stored = store_version(session, upload.definition, upload.text, upload.filename)
        if stored.created:
            audit.record(session, "questionnaire_publish", actor=actor,
                         target=f"{stored.key} v{stored.number}", key=stored.key,
                         number=stored.number, source_name=upload.filename,
                         content_hash=content_hash(upload.definition))
    return stored


def rounds_by_version(session: Session) -> dict[int, list[str]]:
    """Round keys by the id of each questionnaire version a round uses."""
    found: dict[int, list[str]] = {}
    for version_id, round_key in session.execute(
        select(round_questionnaires.c.questionnaire_version_id, Round.key)
        .join(Round, Round.id == round_questionnaires.c.round_id)
        .order_by(Round.key)
    ):
        found.setdefault(version_id, []).append(round_key)
    return found


def _deleted_number(session: Session, key: str) -> int:
    """The highest number a deleted version of `key` had (0: none): a number once published is
    never given to other content, so an audit record or a downloaded "key-v2.yaml" always means
    the same text. The audit log, which is never purged, remembers deleted versions."""
    numbers = [event.detail.get("number") for event in session.scalars(
        select(AuditEvent).where(AuditEvent.action == "questionnaire_delete",
                                 AuditEvent.target.startswith(f"{key} v", autoescape=True)))
        if (event.detail or {}).get("key") == key]
    return max((n for n in numbers if isinstance(n, int)), default=0)


def version_in_use(session: Session, version: QuestionnaireVersion) -> list[str]:
    """Keys of the rounds that use `version`."""
    return list(session.scalars(
        select(Round.key)
        .join(round_questionnaires, round_questionnaires.c.round_id == Round.id)
        .where(round_questionnaires.c.questionnaire_version_id == version.id)
        .order_by(Round.key)
    ))


def delete_version(version_id: int, actor: User) -> str:
    """Delete a stored version that no round uses (a version a round uses is never deleted);
    the questionnaire goes with its last version. Audited; returns 'key vN'."""
    with transaction() as session:
        version = session.get(QuestionnaireVersion, version_id)
        if version is None:
            raise ServiceError(Problem(_l("versionen finns inte")))
        label = f"{version.questionnaire.key} v{version.number}"
        used_by = version_in_use(session, version)
        if not used_by and session.scalar(select(exists().where(
                UnitResponse.questionnaire_version_id == version.id))):
            used_by = [str(_l("(svar finns)"))]
        if used_by:
            raise ServiceError(Problem(_l(
                "%(version)s används av omgången %(rounds)s och kan aldrig tas bort",
                version=label, rounds=", ".join(used_by))))
        questionnaire = version.questionnaire
        audit.record(session, "questionnaire_delete", actor=actor, target=label,
                     key=questionnaire.key, number=version.number, content_hash=version.content_hash)
        session.delete(version)
        session.flush()
        remaining = session.scalar(select(func.count(QuestionnaireVersion.id)).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id))
        if not remaining:
            session.delete(questionnaire)
    return label
