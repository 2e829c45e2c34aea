"""Blueprints: views that parse the request, call services (inside a `transaction()` when they
write: see app/services/__init__.py) and render a template."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from app.views import (
        admin,
        answering,
        auth,
        city,
        main,
        questionnaires,
        reports,
        risks,
        rounds,
        survey,
        survey_admin,
    )

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(questionnaires.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(rounds.bp)
    app.register_blueprint(answering.bp)
    app.register_blueprint(risks.bp)
    app.register_blueprint(survey.bp)
    app.register_blueprint(survey_admin.bp)
    app.register_blueprint(city.bp)
