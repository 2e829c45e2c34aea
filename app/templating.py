"""Everything templates use besides what a view passes in: registered once, by the factory.

Globals rather than context processors, so that imported macros (templates/_macros/) see them
too; and registered by `create_app`, not by the blueprint whose pages happen to use them first,
so that any template renders the same whichever routes an application has.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from app import formatting


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (naive UTC) time in the city's time (app.formatting), as `fmt`: the `local_time`
    filter, for times of day within a page that says where it is (the `datetime` filter adds the zone)."""
    local = formatting.local_time(value)
    return "" if local is None else local.strftime(fmt)


def register_template_helpers(app: Flask) -> None:
    """Every Jinja global and filter of the application."""
    from app import i18n
    from app.forms.markup import register_template_filters
    from app.reports import survey_figures
    from app.reports.drawing import svg_data_uri
    from app.views.rounds import ROUND_STATUS_LABELS, UNIT_STATUS_LABELS

    app.jinja_env.globals["current_language"] = i18n.current_language
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(round_status_labels=ROUND_STATUS_LABELS, unit_status_labels=UNIT_STATUS_LABELS)
    register_template_filters(app)  # markdown, field_name, field_attributes, question_type, ...
    formatting.register_template_filters(app)
    app.jinja_env.filters["svg_data_uri"] = svg_data_uri  # `drawing|svg_data_uri`
    app.jinja_env.globals["survey_figures"] = survey_figures  # the survey's question charts
