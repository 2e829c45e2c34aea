"""Blueprints: views that parse the request, call services (inside a `transaction()` when they
write: see app/services/__init__.py) and render a template."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from app.views import (  # noqa: F401 (risk_city is imported for the routes it adds to risks.bp)
        admin,
        answering,
        auth,
        city,
        main,
        questionnaires,
        reports,
        risk_city,
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
    app.register_blueprint(risks.bp)  # with the routes app.views.risk_city adds to it
    app.register_blueprint(survey.bp)
    app.register_blueprint(survey_admin.bp)
    app.register_blueprint(city.bp)
