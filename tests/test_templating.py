"""The templates' globals and filters come from the factory, not from the blueprint whose pages
use them first: an application without a single blueprint renders the shared macros."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from flask import render_template_string

import app.views
from app import create_app


def test_helpers_are_there_without_any_blueprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.views, "register_views", lambda application: None)
    application = create_app({
        "TESTING": True,
        "ENVIRON": {"SECRET_KEY": "test-secret-key-not-for-production", "LAGESBILD_SECURE_COOKIES": "0"},
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
    })
    assert application.blueprints == {}
    with application.test_request_context("/"):
        page = render_template_string(
            '{% from "_macros/question_parts.html" import describedby %}'
            "[{{ field_name('q1', 'other') }}]"
            "[{{ describedby('q-q1', 'En ledtråd', {'q-q1': ['Fel']}) }}]"
            "[{{ when|local_time }}]"
            "[{{ round_status_labels['open'] }}|{{ unit_status_labels['submitted'] }}]"
            "[{{ '*viktigt*'|markdown }}]"
            "[{{ current_language() }}]",
            when=datetime(2026, 1, 15, 23, 30))
    # 23:30 UTC in January is 00:30 the next day in Stockholm (UTC+1).
    assert "[q-q1-other]" in page
    assert "[q-q1-hint q-q1-error]" in page
    assert "[2026-01-16 00:30]" in page
    assert "[Öppen|Inskickad]" in page
    assert "<em>viktigt</em>" in page
    assert "[sv]" in page
