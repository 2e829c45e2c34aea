"""The JSON Schema of the questionnaire format, generated from the pydantic model for editors."""

from __future__ import annotations

from typing import Any

from app.definitions.schema import FORMAT_VERSION, Definition

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:lagesbild:questionnaire-format:{FORMAT_VERSION}"


def json_schema() -> dict[str, Any]:
    """The schema a YAML language server or `jsonschema` can check a questionnaire file with."""
    generated = Definition.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        **generated,
        "title": f"Lägesbild questionnaire (format {FORMAT_VERSION})",
    }
