"""The admin pages for questionnaires: the list of questionnaires and their versions, and a
preview of each version exactly as a respondent sees it, where answers can be tested."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import csrf, db
from app.forms.builder import answers_from_formdata, build_form, field_labels
from app.forms.markup import register_template_filters
from app.i18n import current_language
from app.models import Questionnaire, QuestionnaireVersion
from app.questions.conditions import validate_answers
from app.security import roles_required
from app.services.risks import risk_matrix

bp = Blueprint("questionnaires", __name__, url_prefix="/admin/formular")
bp.record_once(lambda state: register_template_filters(state.app))

KIND_LABELS = {
    "unit_questionnaire": _l("Enhetsformulär"),
    "survey": _l("Anonym enkät"),
    "risk_template": _l("Mall för riskanalys"),
}


def _version_or_404(key: str, number: int) -> QuestionnaireVersion:
    version = db.session.scalar(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.key == key, QuestionnaireVersion.number == number)
    )
    if version is None:
        abort(404)
    return version


@bp.route("")
@roles_required("admin", "analyst")
def index():  # type: ignore[no-untyped-def]
    questionnaires = db.session.scalars(
        select(Questionnaire).options(selectinload(Questionnaire.versions)).order_by(Questionnaire.key)
    ).all()
    return render_template("questionnaires/index.html", questionnaires=questionnaires, kinds=KIND_LABELS)


@bp.route("/<key>/<int:number>", methods=["GET", "POST"])
@csrf.exempt  # checked below: an expired token shows the typed answers again instead of losing them
@roles_required("admin", "analyst")
def preview(key: str, number: int):  # type: ignore[no-untyped-def]
    version = _version_or_404(key, number)
    definition = version.parsed()
    language = current_language()
    validated, expired = None, False
    if request.method == "POST":
        try:
            csrf.protect()
        except CSRFError:
            expired = True
        form = build_form(definition, language=language, formdata=request.form)
        if not expired:
            validated = validate_answers(definition, answers_from_formdata(definition, request.form))
    else:
        form = build_form(definition, language=language)
    return render_template(
        "questionnaires/preview.html",
        version=version, definition=definition, language=language, form=form,
        validated=validated, expired=expired, labels=field_labels(definition, language),
        risk_rows=risk_matrix(definition.risk) if definition.risk else [], kinds=KIND_LABELS,
    ), 400 if expired else 200
