"""The respondent's pages of the staff survey (public, no login): enter a code or follow an open
link, one page per section, decline, receipt.

The session holds only the draft's random id, never a code. Codes travel in POST bodies only
(never in URLs, so never in access logs); nothing here logs a code or an answer.

A POST of a survey page is answered with the page to show next (or the same page with its
errors), not with a redirect to it. The form carries a page token (`Shown.token`); a post sent
again (a reload of that answer, a double click, the back button) is not saved twice
(`save_page`) and answers with the draft's page as the first post did.

A POST of a survey page never loses the page's answers: a stale CSRF token shows the page again
with what was posted, and an ended session asks for the code again with the posted answers
carried along (hidden fields), saved once the code is accepted, and a database that cannot save
just now shows the page again with what was posted (503). So the page checks CSRF itself
(`csrf.exempt` + `csrf.protect()`), as the answering views do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.datastructures import MultiDict

from app.definitions.schema import Definition
from app.extensions import csrf, db
from app.forms.builder import answers_from_formdata, field_labels
from app.forms.page_html import section_html
from app.i18n import current_language
from app.questions.answers import AnswerError, Answers
from app.security import client_address
from app.services import Problem, ServiceError, end_read, transaction
from app.services.survey import (
    CodeRefused,
    Shown,
    complete_page,
    current_page,
    decline,
    find_open_link,
    get_draft,
    load_draft,
    save_page,
    start_open_link,
    start_with_code,
    survey_full,
)
from app.services.survey_storage import forget_deleted
from app.services.throttle import forget_expired
from app.views.errors import RETRY_AFTER, database_unavailable

bp = Blueprint("survey", __name__, url_prefix="/enkat")

SESSION_KEY = "survey_draft"
# Posted fields that are not answers and are never carried into a form again.
NOT_ANSWERS = frozenset({"csrf_token", "code", "action", "page_token"})


@bp.before_request
def _forget_expired_attempts() -> None:
    """Every survey post but a page's forgets the throttle's attempts older than their window
    (a completion does it once it has committed): nothing derived from a respondent's address
    is kept longer than the throttle needs. Always in a transaction of its own: a deleted
    counter (a keyed hash of an address) must never carry the transaction id of a draft or a
    response."""
    if request.method == "POST" and request.endpoint != "survey.page":
        _forget_expired()


def _forget_expired() -> None:
    try:
        with transaction() as db_session:
            forget_expired(db_session)
    except SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        # The database cannot write just now: the expired attempts are forgotten by the next post.


def _today() -> date:
    return date.today()


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


@bp.route("", methods=["GET", "POST"])
def enter():
    """Enter an access code (or a resume code) to start or go on."""
    if request.method == "GET":
        return render_template("survey/enter.html")
    try:
        started = start_with_code(_secret(), request.form.get("code", ""), client_address(),
                                  int(current_app.config["CODE_ATTEMPTS_PER_MINUTE"]), _today())
    except CodeRefused as refused:
        status = 429 if refused.reason == "throttled" else 400
        return render_template("survey/enter.html", problems=refused.problems, carried=_carried()), status
    session[SESSION_KEY] = started.draft_id
    if request.form.get("section"):
        # Answers carried from a page posted after the session ended: keep them now.
        _save_posted(started.draft_id, "stay")
    return redirect(url_for("survey.page"))


def _carried() -> list[tuple[str, str]]:
    """The posted answers of a page, to send along again as hidden fields."""
    return [(name, value) for name, value in request.form.items(multi=True) if name not in NOT_ANSWERS]


def _csrf_ok() -> bool:
    try:
        csrf.protect()
    except CSRFError:
        return False
    return True


@bp.route("/l/<token>", methods=["GET", "POST"])
def open_link(token: str):
    """A unit's open link: an introduction, then a new anonymous respondent with a resume code."""
    invitation = find_open_link(db.session, token)
    if invitation is None:
        abort(404)
    definition = invitation.round.version_of_kind("survey").parsed()  # type: ignore[union-attr]
    if request.method == "GET":
        return render_template("survey/start.html", definition=definition, language=current_language(),
                               unit=invitation.unit)
    try:
        started = start_open_link(_secret(), token, client_address(),
                                  int(current_app.config["SURVEY_STARTS_PER_MINUTE"]), _today())
    except CodeRefused as refused:
        status = 429 if refused.reason == "throttled" else 409
        return render_template("survey/start.html", definition=definition, language=current_language(),
                               unit=invitation.unit, problems=refused.problems), status
    session[SESSION_KEY] = started.draft_id
    # The resume code is shown in this response only: it is in no session, log or URL.
    return render_template("survey/resume_code.html", resume_code=started.resume_code)


def _render_page(shown: Shown, definition: Definition, *, formdata: MultiDict | None = None,
                 errors: Sequence[AnswerError] = (), notice: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    """The draft's current page, from what was `shown` of it while its transaction was open; the
    request's transaction ends first: no snapshot or lock is held while the page is rendered."""
    language = current_language()
    where = current_page(definition, shown)
    by_field: dict[str, list[object]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error.message)
    end_read()
    questions = section_html(definition, where.section, language, answers=shown.answers, formdata=formdata,
                             errors=by_field)
    return render_template(
        "survey/page.html", definition=definition, language=language, questions=questions, page=where,
        errors=list(errors), labels=field_labels(definition, language) if errors else {}, notice=notice,
        page_token=shown.token,
    ), status


def _render_unsaved(draft_id: str | None):
    """The database refused the save (restarting, read-only): the page's posted answers again, 503."""
    opened = load_draft(db.session, draft_id)
    if opened is None or not opened.open:  # completed meanwhile by the same respondent's other request
        session.pop(SESSION_KEY, None)
        return redirect(url_for("survey.receipt"))
    html, status = _render_page(Shown.of(opened.draft), opened.definition, formdata=request.form, status=503, notice=_(
        "Det gick inte att spara just nu – försök igen. Allt du svarat finns kvar nedan."))
    return html, status, {"Retry-After": str(RETRY_AFTER)}


def _posted(definition: Definition) -> tuple[str, Answers]:
    """The posted page's section key and its answers (none for a section the survey lacks)."""
    section_key = request.form.get("section", "")
    if section_key not in {s.key for s in definition.sections}:
        return section_key, {}
    return section_key, answers_from_formdata(definition, request.form, sections=[section_key])


@dataclass(frozen=True)
class _Saved:
    """A page saved: the draft as it now is, and the posted page's errors."""

    shown: Shown
    definition: Definition
    errors: Sequence[AnswerError]


def _save_posted(draft_id: str | None, direction: str, token: str | None = None):
    """Save the posted page's answers and move `direction`, in one write transaction that also
    reads the draft (`token`: the page token posted, see `save_page`); what was saved, else the
    response to give (the page again, or elsewhere)."""
    checked = None
    try:
        with transaction() as db_session:
            opened = load_draft(db_session, draft_id)
            if opened is not None and opened.open:
                section_key, posted = _posted(opened.definition)
                checked = save_page(db_session, opened.draft, opened.definition, section_key, posted, direction,
                                    _today(), token)
                shown = Shown.of(opened.draft)  # before the commit expires the draft
    except ServiceError:
        abort(400)
    except (StaleDataError, ObjectDeletedError):
        return _saved_elsewhere(draft_id)
    except SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        return _render_unsaved(draft_id)
    if opened is None or checked is None:
        return _draft_gone(opened is None)
    return _Saved(shown, opened.definition, checked.errors)


def _saved_elsewhere(draft_id: str | None):
    """The same respondent's other request (a double click) changed or completed the draft
    between our read and our write; nothing of ours was written."""
    opened = load_draft(db.session, draft_id)
    if opened is None or not opened.open:
        session.pop(SESSION_KEY, None)
        return redirect(url_for("survey.receipt" if request.form.get("action") == "complete" else "survey.enter"))
    return _render_page(Shown.of(opened.draft), opened.definition, formdata=request.form, status=409, notice=_(
        "Svaren sparades samtidigt från ett annat fönster. Det du skrev finns kvar nedan: klicka på "
        "knappen en gång till."))


def _draft_gone(deleted: bool):
    """No open draft behind the session: completed by a first click, ended with the session or
    with its round."""
    session.pop(SESSION_KEY, None)
    if request.method == "POST":
        if request.form.get("action") == "complete" and deleted:
            return redirect(url_for("survey.receipt"))  # a second click: the first one completed it
        if request.form.get("section"):
            return _session_ended()
    return redirect(url_for("survey.enter"))


@bp.route("/sida", methods=["GET", "POST"])
@csrf.exempt
def page():
    draft_id = session.get(SESSION_KEY)
    if request.method == "GET" or not _csrf_ok():
        opened = load_draft(db.session, draft_id)
        if opened is None or not opened.open:
            return _draft_gone(opened is None and bool(draft_id))
        if request.method == "GET":
            return _render_page(Shown.of(opened.draft), opened.definition)
        return _render_page(Shown.of(opened.draft), opened.definition, formdata=request.form, status=400, notice=_(
            "Sidan hade varit öppen länge, så svaren kunde inte sparas ännu. Allt du svarat finns kvar "
            "nedan: klicka på knappen en gång till."))
    action = request.form.get("action", "next")
    if action == "decline":
        return redirect(url_for("survey.decline_page"))
    if action == "complete":
        return _complete(draft_id)
    saved = _save_posted(draft_id, {"back": "back", "next": "next"}.get(action, "stay"),
                         request.form.get("page_token"))
    if not isinstance(saved, _Saved):
        return saved
    return _render_page(saved.shown, saved.definition, errors=saved.errors, status=400 if saved.errors else 200)


def _complete(draft_id: str | None):
    """Save the last page and complete the survey, in one write transaction."""
    outcome = None
    try:
        with transaction() as db_session:
            opened = load_draft(db_session, draft_id, lock_round=True)
            if opened is not None:
                section_key, posted = _posted(opened.definition)
                outcome = complete_page(db_session, opened, section_key, posted, _today())
                if not outcome.completed:
                    shown = Shown.of(opened.draft)  # before the commit expires the draft
    except ServiceError:
        if get_draft(db.session, draft_id) is not None:
            abort(400)  # a page the survey does not have: nothing was saved
        # Completed meanwhile by the same respondent's other request (a double click).
        session.pop(SESSION_KEY, None)
        return redirect(url_for("survey.receipt"))
    except (StaleDataError, ObjectDeletedError):
        return _saved_elsewhere(draft_id)
    except SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        return _render_unsaved(draft_id)
    if opened is None or outcome is None:
        return _draft_gone(bool(draft_id))
    if outcome.completed:
        _forget_expired()
        forget_deleted()
        session.pop(SESSION_KEY, None)
        return redirect(url_for("survey.receipt"))
    if outcome.reason == "full":
        # The unit's head count is reached. The draft is kept, with the page saved.
        return render_template("survey/full.html", problems=survey_full().problems), 409
    if outcome.reason == "closed":
        session.pop(SESSION_KEY, None)
        return render_template("survey/enter.html", problems=[Problem(_(
            "Enkäten är inte öppen för svar just nu."), "code")]), 409
    errors: Sequence[AnswerError] = outcome.errors
    if outcome.reason == "missing":
        # Back to the first page with something missing, with its errors shown.
        first_missing = current_page(opened.definition, shown).section
        errors = [e for e in errors if e.question in {q.key for q in first_missing.questions}]
    return _render_page(shown, opened.definition, errors=errors, status=400)


def _session_ended():
    """The session ended while a page was open: ask for the code again and carry the page's
    posted answers along, so that they are saved once the code is accepted."""
    notice = _("Sidan hade varit öppen så länge att du behöver skriva in din kod igen. Svaren på sidan "
               "du skickade finns kvar och sparas när du fortsätter.")
    return render_template("survey/enter.html", notice=notice, carried=_carried()), 401


@bp.route("/avboj", methods=["GET", "POST"])
def decline_page():
    """"Jag vill inte delta": confirm, then count it as declined and forget the draft."""
    draft_id = session.get(SESSION_KEY)
    if draft_id is None or get_draft(db.session, draft_id) is None:
        return redirect(url_for("survey.enter"))
    if request.method == "GET":
        return render_template("survey/decline.html")
    try:
        decline(draft_id)
    except ServiceError:
        pass  # declined meanwhile by the same respondent's other request (a double click)
    session.pop(SESSION_KEY, None)
    return render_template("survey/receipt.html", declined=True)


@bp.route("/tack")
def receipt():
    return render_template("survey/receipt.html", declined=False)

