"""The risk register pages of a unit: its register, matrix and risk form (plain server-rendered
forms that work without JavaScript), the catalogue, carrying last year's risks forward and
submitting. The pages that read across saves, years and units (history, year over year, the city
office's overview and exports, the internal control plan) are in `app.views.risk_city`, on the
same blueprint; the posted forms are read by `app.views.risk_form`.

Every change goes through `app.services.risks.register`, which saves through the one submission
workflow: a save based on an older version of the register shows the conflict with both texts, and
a submitted register is read-only until the city office reopens it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import policy
from app.extensions import db
from app.i18n import current_language
from app.models import Round, Unit
from app.policy import Permission
from app.reports.heat_grid import heat_grid
from app.reports.risk_report import matrix_grid
from app.security import require_unit, requires
from app.services import ServiceError, transaction
from app.services.risks.carry import (
    CarryOffer,
    carry_offer,
    left_to_carry,
    previous_submitted,
)
from app.services.risks.carry import (
    carry_forward as carry_risks_forward,
)
from app.services.risks.entries import carried_link, needing_rating, no_risks_statement
from app.services.risks.register import (
    current_answers,
    delete_risk,
    put_risk,
    register_target,
    risk_from_catalogue,
    risk_from_statement,
    self_assessment_answers,
    statement_coverage,
    submit_register,
    template_of,
)
from app.services.risks.values import (
    CARRIED_FROM,
    MAX_TEXT,
    MEASURE_STATUS_LABELS,
    NO_RISKS_KEY,
    Risk,
    level_of,
    new_risk_key,
    risk_from_answer,
    risk_to_answer,
    risks_of,
    sorted_register,
)
from app.services.rounds import assignments, get_round
from app.services.submissions import (
    Conflict,
    Invalid,
    Locked,
    NotAllowed,
    NotFound,
    ResponseTarget,
    current_version,
    get_response,
)
from app.views.risk_form import EMPTY_MEASURE_ROWS, carry_problem, chosen_from_form, risk_from_form

bp = Blueprint("risks", __name__, url_prefix="/risker")


def _user() -> Any:
    return current_user._get_current_object()


def unit_register(round_key: str, unit_key: str) -> ResponseTarget:
    """403 for a unit the user may not read (whether or not it exists), 404 for a round without
    a register for the unit; units see a round once it is opened."""
    user = _user()
    unit = require_unit(db.session, user, db.session.scalar(select(Unit).where(Unit.key == unit_key)))
    round_ = get_round(db.session, round_key, "risk_template")
    if not policy.sees_round(user, round_):
        abort(404)
    try:
        return register_target(db.session, round_, unit)
    except NotFound:
        abort(404)


def _editable(target: ResponseTarget) -> bool:
    return policy.may_edit(db.session, _user(), target.unit, target.round, get_response(db.session, target))


def _require_editor(target: ResponseTarget) -> None:
    if not policy.may_write(db.session, _user(), target.unit):
        abort(403)


def _base_version() -> int:
    try:
        return max(0, int(request.form.get("base_version", "0")))
    except ValueError:
        return 0


def _register_url(target: ResponseTarget) -> str:
    return url_for("risks.register", round_key=target.round.key, unit_key=target.unit.key)


def _locked_notice(target: ResponseTarget) -> str:
    """Why the register cannot be changed now (the workflow's own wording)."""
    if target.round.status != "open":
        return _("Omgången är inte öppen; riskregistret kan inte ändras.")
    return _("Riskregistret är inskickat och kan inte ändras; stadskontoret kan öppna det igen.")


def _render_register(target: ResponseTarget, *, notice: str | None = None, status: int = 200,
                     statement: str | None = None):
    """The register page; `statement` is the posted "why no risk applies" text to show again."""
    language = current_language()
    template = template_of(target)
    response = get_response(db.session, target)
    answers = dict(response.answers or {}) if response else {}
    risks = sorted_register(template, risks_of(answers))
    own = self_assessment_answers(db.session, target.round, target.unit)
    coverage = statement_coverage(own[0], own[1], risks, language) if own else []
    grid = matrix_grid(template, risks, language)
    previous = previous_submitted(db.session, target.round, target.unit)
    return render_template(
        "risks/register.html", target=target, template=template, language=language, response=response,
        risks=risks, levels={r.key: level_of(template, r) for r in risks}, coverage=coverage,
        grid=grid, chart=heat_grid(grid),
        editable=_editable(target), base_version=current_version(response), notice=notice,
        previous=previous if previous is not None and left_to_carry(answers, previous) else None,
        form_labels={f.key: f.label.get(language) for f in template.forms},
        status_labels=MEASURE_STATUS_LABELS, today=date.today(),
        needing_rating=needing_rating(answers),
        carried={key: link["round_name"] for key, data in answers.items()
                 if (link := carried_link(data)) is not None},
        no_risks=no_risks_statement(answers),
        statement=statement if statement is not None else no_risks_statement(answers),
        statement_limit=MAX_TEXT,
    ), status


@bp.route("/")
@requires(Permission.READ_UNITS)
def index():
    user = _user()
    allowed = policy.readable_unit_ids(db.session, user)
    if allowed is None:
        rounds = [r for r in db.session.scalars(select(Round).order_by(Round.year.desc(), Round.name))
                  if r.version_of_kind("risk_template") is not None]
        return render_template("risks/index.html", rounds=rounds, registers=[], staff=True)
    registers = [a for a in assignments(db.session, allowed) if a.version.questionnaire.kind == "risk_template"]
    return render_template("risks/index.html", rounds=[], registers=registers, staff=False)


@bp.route("/<round_key>/<unit_key>")
@requires(Permission.READ_UNITS)
def register(round_key: str, unit_key: str):
    return _render_register(unit_register(round_key, unit_key))


def _render_form(target: ResponseTarget, risk: dict[str, Any], *, base_version: int, errors: list | None = None,
                 conflict: Conflict | None = None, status: int = 200):
    language = current_language()
    by_field: dict[str, list[object]] = {}
    for error in errors or []:
        by_field.setdefault(error.field.removeprefix(f"{risk['key']}-"), []).append(error.message)
    theirs = None
    if conflict is not None:
        stored = conflict.current_answers.get(risk["key"])
        theirs = risk_from_answer(risk["key"], stored) if isinstance(stored, dict) else None
    measures = list(risk.get("measures") or []) + [{} for _ in range(EMPTY_MEASURE_ROWS)]
    return render_template(
        "risks/form.html", target=target, template=template_of(target), language=language, risk=risk,
        measures=measures, base_version=base_version, errors=by_field, conflict=conflict, theirs=theirs,
        status_labels=MEASURE_STATUS_LABELS, is_new=risk["key"] not in current_answers(
            db.session, target),
    ), status


def _save_posted(target: ResponseTarget, key: str, carried_from: dict[str, Any] | None = None):
    """Save the posted risk; a carried risk keeps its link to the round it came from."""
    _require_editor(target)
    posted = risk_from_form(request.form, key)
    if carried_from is not None:
        posted[CARRIED_FROM] = carried_from
    base_version = _base_version()
    try:
        with transaction() as session:
            put_risk(session, target, posted, base_version, _user())
    except Conflict as conflict:
        return _render_form(target, posted, base_version=conflict.current_version, conflict=conflict, status=409)
    except Invalid as invalid:
        return _render_form(target, posted, base_version=base_version, errors=invalid.validated.errors, status=400)
    except Locked as locked:
        return _render_register(target, notice=str(locked.problems[0].message), status=409)
    except NotAllowed:
        abort(403)
    flash(_("Risken är sparad i utkastet."), "info")
    return redirect(_register_url(target))


@bp.route("/<round_key>/<unit_key>/ny", methods=["GET", "POST"])
@requires(Permission.READ_UNITS)
def new(round_key: str, unit_key: str):
    target = unit_register(round_key, unit_key)
    _require_editor(target)
    if request.method == "GET" and not _editable(target):
        return _render_register(target, notice=_locked_notice(target), status=409)
    if request.method == "POST":
        return _save_posted(target, request.form.get("risk_key") or new_risk_key())
    catalogue_key = request.args.get("katalog")
    try:
        start = (risk_from_catalogue(template_of(target), catalogue_key, current_language())
                 if catalogue_key else Risk(key=new_risk_key(), activity=""))
    except ServiceError:
        abort(404)
    entry = {"key": start.key, **risk_to_answer(start)}
    return _render_form(target, entry, base_version=current_version(get_response(db.session, target)))


@bp.route("/<round_key>/<unit_key>/risk/<risk_key>", methods=["GET", "POST"])
@requires(Permission.READ_UNITS)
def edit(round_key: str, unit_key: str, risk_key: str):
    target = unit_register(round_key, unit_key)
    _require_editor(target)
    stored = current_answers(db.session, target).get(risk_key)
    if not isinstance(stored, dict):
        abort(404)
    if request.method == "GET" and not _editable(target):
        return _render_register(target, notice=_locked_notice(target), status=409)
    if request.method == "POST":
        return _save_posted(target, risk_key, carried_from=carried_link(stored))
    return _render_form(target, {"key": risk_key, **stored},
                        base_version=current_version(get_response(db.session, target)))


def _write(target: ResponseTarget, operation: Any, done: str, statement: str | None = None):
    """Run a register-wide change (delete, submit) and go back to the register; a refused one
    shows the register again with `statement` (the posted "why no risk applies") as typed."""
    _require_editor(target)
    try:
        with transaction() as session:
            operation(session)
    except Conflict:
        return _render_register(target, status=409, statement=statement, notice=_(
            "Någon annan har ändrat registret sedan sidan öppnades. Se registret nedan och försök igen."))
    except Invalid as invalid:
        errors = invalid.validated.errors
        no_risks = next((e for e in errors if e.question == NO_RISKS_KEY), None)
        if no_risks is not None and no_risks.code == "required":
            return _render_register(target, status=400, statement=statement, notice=_(
                "Registret har inga risker. Skriv varför ingen risk för otillåten påverkan bedöms finnas "
                "i verksamheten innan du skickar in det, eller lägg till risker."))
        if no_risks is not None:  # too long or unreadable: the statement's own problem
            return _render_register(target, status=400, statement=statement, notice=_(
                "Motiveringen till varför ingen risk finns: %(message)s", message=no_risks.message))
        return _render_register(target, status=400, statement=statement, notice=_(
            "Registret kan inte skickas in ännu: %(n)d uppgifter saknas eller är fel. Varje risk behöver "
            "minst en form av påverkan, sannolikhet och konsekvens, och varje åtgärd en ansvarig och ett "
            "datum.", n=len(errors)))
    except Locked as locked:
        return _render_register(target, notice=str(locked.problems[0].message), status=409, statement=statement)
    except NotAllowed:
        abort(403)
    except ServiceError as error:
        return _render_register(target, notice=str(error.problems[0].message), status=400, statement=statement)
    flash(done, "info")
    return redirect(_register_url(target))


@bp.route("/<round_key>/<unit_key>/risk/<risk_key>/ta-bort", methods=["POST"])
@requires(Permission.READ_UNITS)
def delete(round_key: str, unit_key: str, risk_key: str):
    target = unit_register(round_key, unit_key)
    return _write(target, lambda s: delete_risk(s, target, risk_key, _base_version(), _user()),
                  _("Risken är borttagen."))


def _render_carry(target: ResponseTarget, offer: CarryOffer, *, chosen: dict[str, list[int]] | None,
                  notice: str | None = None, status: int = 200):
    """The carry-forward page; without `chosen` every risk and open measure offered is ticked."""
    language = current_language()
    if chosen is None:
        chosen = {o.risk.key: [i for i, _m in o.open_measures] for o in offer.offered}
    template = offer.previous.template
    return render_template(
        "risks/carry.html", target=target, offer=offer, chosen=chosen, notice=notice, language=language,
        base_version=current_version(get_response(db.session, target)),
        levels={o.risk.key: level_of(template, o.risk) for o in offer.options},
        form_labels={f.key: f.label.get(language) for f in template.forms},
        status_labels=MEASURE_STATUS_LABELS,
    ), status


@bp.route("/<round_key>/<unit_key>/for-vidare", methods=["GET", "POST"])
@requires(Permission.READ_UNITS)
def carry_forward(round_key: str, unit_key: str):
    """Choose which of last year's risks and open measures to bring into this year's draft."""
    target = unit_register(round_key, unit_key)
    _require_editor(target)
    if not _editable(target):
        return _render_register(target, notice=_locked_notice(target), status=409)
    try:
        offer = carry_offer(db.session, target)
    except NotFound as missing:
        return _render_register(target, notice=str(missing.problems[0].message), status=404)
    if request.method == "GET":
        return _render_carry(target, offer, chosen=None)
    chosen = chosen_from_form(request.form)
    try:
        with transaction() as session:
            count = carry_risks_forward(session, target, _base_version(), _user(), chosen)
    except Conflict:
        fresh = carry_offer(db.session, target)
        return _render_carry(target, fresh, chosen=chosen, status=409, notice=_(
            "Någon annan har ändrat registret sedan sidan öppnades. Dina val finns kvar: kontrollera dem "
            "och försök igen."))
    except Invalid as invalid:
        return _render_carry(target, offer, chosen=chosen, status=400, notice=_(
            "Riskerna kunde inte föras vidare: %(errors)s", errors="; ".join(
                carry_problem(offer, e) for e in invalid.validated.errors)))
    except Locked as locked:
        return _render_register(target, notice=str(locked.problems[0].message), status=409)
    except NotAllowed:
        abort(403)
    except ServiceError as error:
        return _render_carry(target, offer, chosen=chosen, status=400, notice=str(error.problems[0].message))
    flash(_("%(n)d risker från %(round)s är förda vidare till utkastet. Uppdatera dem.", n=count,
            round=offer.previous.round.name), "info")
    return redirect(_register_url(target))


@bp.route("/<round_key>/<unit_key>/skicka-in", methods=["POST"])
@requires(Permission.READ_UNITS)
def submit(round_key: str, unit_key: str):
    target = unit_register(round_key, unit_key)
    statement = request.form.get("no_risks", "")
    return _write(target, lambda s: submit_register(s, target, _base_version(), _user(), statement),
                  _("Riskregistret är inskickat. Tack!"), statement=statement)


@bp.route("/<round_key>/<unit_key>/pastaende/<statement_key>", methods=["POST"])
@requires(Permission.READ_UNITS)
def from_statement(round_key: str, unit_key: str, statement_key: str):
    """One click: a statement rated Delvis/Nej becomes a linked risk (or a risk with a measure)."""
    target = unit_register(round_key, unit_key)
    _require_editor(target)
    own = self_assessment_answers(db.session, target.round, target.unit)
    if own is None:
        abort(404)
    try:
        item = risk_from_statement(own[0], own[1], statement_key, current_language(),
                                           with_measure=request.form.get("kind") == "measure")
    except ServiceError:
        abort(404)
    response = _write(target, lambda s: put_risk(s, target, item, _base_version(), _user()),
                      _("Risken är skapad från påståendet. Komplettera den."))
    if isinstance(response, Response) and response.status_code == 302:
        return redirect(url_for("risks.edit", round_key=round_key, unit_key=unit_key, risk_key=item.key))
    return response


@bp.route("/<round_key>/<unit_key>/katalog")
@requires(Permission.READ_UNITS)
def catalogue(round_key: str, unit_key: str):
    target = unit_register(round_key, unit_key)
    template = template_of(target)
    language = current_language()
    return render_template("risks/catalogue.html", target=target, template=template, language=language,
                           editable=_editable(target),
                           form_labels={f.key: f.label.get(language) for f in template.forms})
