"""Load questionnaire files into the database: all valid and stored together, or nothing stored.

A version is identified by the SHA-256 of the definition's canonical JSON, so loading the same
content again (even with other comments or layout) adds nothing, and changed content becomes the
next version number of the same questionnaire key. Stored versions are never changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.definitions.errors import DefinitionError
from app.definitions.schema import Definition
from app.definitions.validate import CheckResult, check_paths
from app.models.questionnaires import Questionnaire, QuestionnaireVersion
from app.services import Problem, ServiceError, transaction


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
        raise ServiceError(Problem(
            f"questionnaire '{definition.key}' is a {questionnaire.kind}; a new version cannot "
            f"make it a {definition.kind} (give the file a new key instead)",
            source_name,
        ))
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
    number = (latest or 0) + 1
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
