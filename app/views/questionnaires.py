"""The admin pages for questionnaires: the list of questionnaires and their versions, and a
preview of each version exactly as a respondent sees it, where answers can be tested."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename

from app.config import PROJECT_ROOT
from app.definitions.loader import MAX_BYTES
from app.definitions.schema import Definition
from app.extensions import csrf, db
from app.forms.builder import answers_from_formdata, build_form, field_labels
from app.i18n import current_language
from app.models import Questionnaire, QuestionnaireVersion
from app.policy import Permission
from app.questions.conditions import validate_answers
from app.security import requires
from app.services import ServiceError
from app.services.questionnaire_changes import compare
from app.services.questionnaires import (
    Upload,
    check_upload_bytes,
    check_upload_text,
    delete_version,
    publish,
    rounds_by_version,
    shipped_questionnaires,
    shipped_text,
)
from app.services.risks.values import risk_matrix
from app.views.downloads import download

bp = Blueprint("questionnaires", __name__, url_prefix="/admin/formular")

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
@requires(Permission.READ_CITY)
def index():
    questionnaires = db.session.scalars(
        select(Questionnaire).options(selectinload(Questionnaire.versions)).order_by(Questionnaire.key)
    ).all()
    return render_template("questionnaires/index.html", questionnaires=questionnaires, kinds=KIND_LABELS,
                           in_use=rounds_by_version(db.session))


@bp.route("/<key>/<int:number>", methods=["GET", "POST"])
@csrf.exempt  # checked below: an expired token shows the typed answers again instead of losing them
@requires(Permission.READ_CITY)
def preview(key: str, number: int):
    version = _version_or_404(key, number)
    definition = version.parsed()
    language = current_language()
    expired = False
    if request.method == "POST":
        try:
            csrf.protect()
        except CSRFError:
            expired = True
    form, validated = _tried_answers(definition, language, request.method == "POST", check=not expired)
    return _preview_page(definition, language, form, validated, version=version, expired=expired), \
        400 if expired else 200


# ---------------------------------------------------------------------------------------------
# Questionnaires managed in the browser (admin only): upload or paste a text, see every error
# on its line, preview, compare with the stored version, publish. Nothing is kept between the
# steps but the text itself, carried in the page; every step checks it again.

FORMAT_REFERENCE = PROJECT_ROOT / "docs" / "questionnaire-format.md"
_REFERENCE_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def _heading_ids(state) -> None:
    """Give each heading the id GitHub gives it, so that the reference's contents links work."""
    tokens = state.tokens
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            slug = re.sub(r"[^\w\- ]", "", tokens[index + 1].content.lower()).replace(" ", "-")
            seen[slug] = seen.get(slug, -1) + 1
            token.attrSet("id", f"{slug}-{seen[slug]}" if seen[slug] else slug)


_REFERENCE_MARKDOWN.core.ruler.push("heading_ids", _heading_ids)
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _submitted_upload() -> Upload | None:
    """The file sent with the form when there is one, else the text of the text area."""
    sent = request.files.get("file")
    if sent is not None and sent.filename:
        raw = sent.read()
        return check_upload_bytes(raw, secure_filename(sent.filename) or "formular.yaml")
    text = request.form.get("source", "")
    if not text.strip():
        return None
    filename = secure_filename(request.form.get("filename", "")) or "formular.yaml"
    return check_upload_text(text, filename)


def _source_name(upload: Upload) -> str:
    return upload.filename if upload.filename != "formular.yaml" else f"{upload.definition.key}.yaml"


def _edit_page(upload: Upload | None, *, text: str = "", status: int = 200, problems=()):
    comparison = compare(db.session, upload.definition) if upload is not None and upload.ok else None
    return render_template(
        "questionnaires/upload.html", upload=upload, text=upload.text if upload is not None else text,
        filename=upload.filename if upload is not None else "", comparison=comparison,
        snippets=upload.snippets() if upload is not None else [], problems=problems,
        shipped=shipped_questionnaires(Path(current_app.config["QUESTIONNAIRES_DIR"])),
        kinds=KIND_LABELS, limit=MAX_BYTES,
    ), status


@bp.route("/ny")
@requires(Permission.ADMINISTER)
def upload():
    """The upload page, empty or (`fran`, `nyckel`) with a shipped questionnaire under a new key."""
    source_key, new_key = request.args.get("fran", ""), request.args.get("nyckel", "").strip()
    if not source_key:
        return _edit_page(None)
    problems = []
    if not KEY_PATTERN.fullmatch(new_key):
        problems.append(_("Den nya nyckeln ska bestå av små bokstäver a–z, siffror och _ och "
                          "börja med en bokstav."))
    if problems:
        if shipped_text(Path(current_app.config["QUESTIONNAIRES_DIR"]), source_key, source_key) is None:
            abort(404)
        return _edit_page(None, status=400, problems=problems)
    text = shipped_text(Path(current_app.config["QUESTIONNAIRES_DIR"]), source_key, new_key)
    if text is None:
        abort(404)
    return _edit_page(None, text=text)


def _tried_answers(definition: Definition, language: str, posted: bool, *, check: bool = True) -> tuple[Any, Any]:
    """The preview's form, with the answers tried on it when `posted` (checked when `check`)."""
    if not posted:
        return build_form(definition, language=language), None
    form = build_form(definition, language=language, formdata=request.form)
    return form, validate_answers(definition, answers_from_formdata(definition, request.form)) if check else None


def _preview_page(definition: Definition, language: str, form: Any, validated: Any, *,
                  version: QuestionnaireVersion | None = None, upload: Upload | None = None, expired: bool = False):
    """The preview of a stored version or of a checked, unstored text: as respondents and unit
    editors will see it, answers tried and checked."""
    return render_template(
        "questionnaires/preview.html",
        version=version, upload=upload, definition=definition, language=language, form=form,
        validated=validated, expired=expired, labels=field_labels(definition, language),
        risk_rows=risk_matrix(definition.risk) if definition.risk else [], kinds=KIND_LABELS,
    )


def _expired_token_page():
    """None when the form's CSRF token holds; otherwise the edit page with the text as it was
    sent (a page left open too long must not lose an hour's editing), refusing the step."""
    try:
        csrf.protect()
    except CSRFError:
        upload = _submitted_upload()
        return _edit_page(None, status=400, text=upload.text if upload else request.form.get("source", ""),
                          problems=[_("Sidan hade varit öppen för länge, så steget gjordes inte. Din text "
                                      "finns kvar nedan: skicka den igen.")])
    return None


def _keeps_text_when_logged_out(view: Callable[..., Any]) -> Callable[..., Any]:
    """A step posted after the login session ended shows the text as it was sent, in a form that
    checks it again, instead of sending the admin to the login page without it (an afternoon's
    editing must not be lost to a lunch break). Built from the posted fields alone."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        sent = request.files.get("file")
        if sent is not None and sent.filename:
            text, filename = sent.read().decode("utf-8", errors="replace"), secure_filename(sent.filename)
        else:
            text, filename = request.form.get("source", ""), secure_filename(request.form.get("filename", ""))
        return render_template("questionnaires/logged_out.html", text=text, filename=filename), 401

    return wrapped


def _checked_upload() -> tuple[Upload | None, Any]:
    """The posted text, checked, for a step that needs it without errors: (upload, None), or
    (None, the response instead: the text kept on the edit page, or the empty upload page)."""
    if (kept := _expired_token_page()) is not None:
        return None, kept
    upload = _submitted_upload()
    if upload is None:
        return None, redirect(url_for("questionnaires.upload"))
    if not upload.ok:
        return None, _edit_page(upload, status=400)
    return upload, None


@bp.route("/kontrollera", methods=["POST"])
@_keeps_text_when_logged_out
@csrf.exempt  # checked in _expired_token_page: an expired token keeps the text
@requires(Permission.ADMINISTER)
def check():
    if (kept := _expired_token_page()) is not None:
        return kept
    upload = _submitted_upload()
    if upload is None:
        return _edit_page(None, status=400, problems=[_("Välj en fil eller klistra in formulärets text.")])
    return _edit_page(upload, status=200 if upload.ok else 400)


@bp.route("/forhandsgranska", methods=["POST"])
@_keeps_text_when_logged_out
@csrf.exempt  # checked in _checked_upload: an expired token keeps the text
@requires(Permission.ADMINISTER)
def preview_upload():
    """The checked text as respondents will see it; answers can be tried as on a stored version."""
    upload, refused = _checked_upload()
    if upload is None:
        return refused
    language = current_language()
    form, validated = _tried_answers(upload.definition, language, request.form.get("try") == "1")
    return _preview_page(upload.definition, language, form, validated, upload=upload)


@bp.route("/publicera", methods=["POST"])
@_keeps_text_when_logged_out
@csrf.exempt  # checked in _checked_upload: an expired token keeps the text
@requires(Permission.ADMINISTER)
def publish_upload():
    checked, refused = _checked_upload()
    if checked is None:
        return refused
    upload = Upload(checked.text, _source_name(checked), checked.result)
    try:
        stored = publish(upload, current_user._get_current_object())
    except ServiceError as error:
        return _edit_page(upload, status=400, problems=[str(problem) for problem in error.problems])
    if stored.created:
        flash(_("%(key)s version %(number)s är publicerad. Nya omgångar använder den; omgångar som "
                "redan finns behåller sin version.", key=stored.key, number=stored.number), "info")
    else:
        flash(_("Innehållet är detsamma som i %(key)s version %(number)s: ingen ny version har "
                "skapats.", key=stored.key, number=stored.number), "info")
    return redirect(url_for("questionnaires.index"))


@bp.route("/<key>/<int:number>.yaml")
@requires(Permission.READ_CITY)
def download_yaml(key: str, number: int):
    version = _version_or_404(key, number)
    return download(version.source.encode("utf-8"), f"{key}-v{number}.yaml",
                    what="questionnaire", target=f"{key} v{number}", number=number)


@bp.route("/<key>/<int:number>/ta-bort", methods=["POST"])
@requires(Permission.ADMINISTER)
def delete(key: str, number: int):
    version = _version_or_404(key, number)
    try:
        label = delete_version(version.id, current_user._get_current_object())
    except ServiceError as error:
        for problem in error.problems:
            flash(str(problem.message), "error")
    else:
        flash(_("%(version)s är borttagen.", version=label), "info")
    return redirect(url_for("questionnaires.index"))


@bp.route("/format")
@requires(Permission.READ_CITY)
def format_reference():
    """docs/questionnaire-format.md, the reference of the YAML format, read in the application."""
    try:
        text = FORMAT_REFERENCE.read_text(encoding="utf-8")
    except OSError:
        abort(404)
    body = Markup(_REFERENCE_MARKDOWN.render(text))  # noqa: S704 (markdown-it escapes; html is off)
    return render_template("questionnaires/format.html", body=body)
