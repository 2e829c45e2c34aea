"""Fixed forms of the application: login, password, units and users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.models import ROLES, UNIT_KINDS
from app.policy import Role

UNIT_KIND_LABELS = {
    "city": _l("Stad/kommun"),
    "board": _l("Nämnd"),
    "district_board": _l("Stadsdelsnämnd"),
    "company": _l("Bolag"),
    "administration": _l("Förvaltning"),
    "department": _l("Avdelning"),
    "section": _l("Enhet"),
}
ROLE_LABELS = {
    Role.ADMIN: _l("Administratör (stadskontoret)"),
    Role.ANALYST: _l("Analytiker (läser alla rapporter)"),
    Role.UNIT_EDITOR: _l("Redigerare för enhet"),
    Role.UNIT_READER: _l("Läsare för enhet"),
}
assert set(UNIT_KIND_LABELS) == set(UNIT_KINDS) and set(ROLE_LABELS) == set(ROLES)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-postadress"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Lösenord"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


PASSWORD_RULE = _l("Vanliga eller läckta lösenord, upprepningar (hejhejhej), tangentbordsföljder (qwerty) och "
                   "delar av e-postadressen godtas inte. Några ord som inte hör ihop fungerar bra.")


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Nuvarande lösenord"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("Nytt lösenord (minst 12 tecken)"), validators=[DataRequired(), Length(max=1024)],
                        description=PASSWORD_RULE, render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("Upprepa det nya lösenordet"),
                           validators=[DataRequired(), EqualTo("new", message=_l("Lösenorden är inte lika."))],
                           render_kw={"autocomplete": "new-password"})


class UnitForm(FlaskForm):
    key = StringField(_l("Nyckel"), validators=[DataRequired(), Length(max=64)],
                      description=_l("Kort och stabil, t.ex. sdn-sodermalm. Används i exporter och kan inte ändras."))
    name = StringField(_l("Namn"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Typ"), choices=list(UNIT_KIND_LABELS.items()))
    parent = SelectField(_l("Överordnad enhet"), choices=[], validate_choice=True)
    active = BooleanField(_l("Aktiv"), default=True)


class UnitImportForm(FlaskForm):
    file = FileField(_l("CSV-fil"), validators=[FileRequired()],
                     description=_l("Kolumner: key, name, kind, parent. Komma eller semikolon som avgränsare, UTF-8."))


class UserForm(FlaskForm):
    email = EmailField(_l("E-postadress"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Namn"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Roll"), choices=list(ROLE_LABELS.items()))
    units = SelectMultipleField(_l("Enheter"), choices=[], validate_choice=True,
                                description=_l("Krävs för redigerare och läsare. Ger åtkomst även till underenheter."))
    password = PasswordField(_l("Lösenord (minst 12 tecken)"), validators=[DataRequired(), Length(max=1024)],
                             description=PASSWORD_RULE, render_kw={"autocomplete": "new-password"})


class UserAccessForm(FlaskForm):
    role = SelectField(_l("Roll"), choices=list(ROLE_LABELS.items()))
    units = SelectMultipleField(_l("Enheter"), choices=[], validate_choice=True)
    active = BooleanField(_l("Kontot är aktivt"))
