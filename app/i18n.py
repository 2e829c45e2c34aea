"""The interface language: the user's choice from the session, else the configured default."""

from __future__ import annotations

from flask import current_app, has_request_context, session

from app.config import LANGUAGES


def select_locale() -> str:
    chosen = session.get("language") if has_request_context() else None
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale else "sv"
