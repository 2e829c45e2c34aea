"""Forms: the fixed ones (login, units, users) and the builder for questionnaire definitions."""
