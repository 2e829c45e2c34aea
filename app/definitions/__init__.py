"""The questionnaire language: schema, loading with line-precise errors, and validation."""
