"""Fixed forms of the review rounds: creating a round, inviting more units, reopening answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms.types import CheckboxesField


class RoundForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(), Length(max=200)],
                       description=_l("Till exempel Gemensam granskning 2026."))
    key = StringField(_l("Nyckel"), validators=[DataRequired(), Length(max=64)],
                      description=_l("Kort och stabil, t.ex. granskning-2026. Används i adresser och exporter."))
    year = IntegerField(_l("År"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    questionnaires = CheckboxesField(_l("Frågeformulär"), choices=[], validate_choice=True,
                                     description=_l("Den senaste versionen av varje valt formulär används."))
    units = CheckboxesField(_l("Inbjudna enheter"), choices=[], validate_choice=True)
    opens_on = DateField(_l("Öppnar"), validators=[Optional()])
    due_on = DateField(_l("Sista svarsdag"), validators=[Optional()])
    instructions = TextAreaField(_l("Instruktioner till enheterna"), validators=[Optional(), Length(max=10000)])
    retain_until = DateField(_l("Gallras efter"), validators=[Optional()], description=_l(
        "Efter detta datum kan omgångens svar raderas med lagesbild rounds purge, när omgången är stängd."))


class AddUnitsForm(FlaskForm):
    units = CheckboxesField(_l("Enheter att bjuda in"), choices=[], validate_choice=True)


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Skäl"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("Skälet visas i svarens historik och i granskningsloggen."))
