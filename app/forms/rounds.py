"""Fixed forms of the review rounds: creating a round, its survey thresholds, inviting more units,
reopening answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.questions.types import CheckboxesField


class WholeNumberField(IntegerField):
    """An integer field whose parse error is in the user's language; the rules on the value are
    the service's."""

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        if not raw:
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("ange ett heltal"))) from None


ANONYMITY_HINT = _l("Minsta antal svarande som visas i enkätens resultat (lägst 3).")
FREE_TEXT_HINT = _l("Minsta antal svarande i en enhet för att dess fritextsvar ska kunna visas, eller enheten "
                    "nämnas när fritextsvaren granskas (minst anonymitetsgränsen).")


class ThresholdsForm(FlaskForm):
    """A round's two survey thresholds (the rules on them are in services.rounds)."""

    anonymity_threshold = WholeNumberField(_l("Anonymitetsgräns"), validators=[InputRequired(_l("ange ett heltal"))],
                                           description=ANONYMITY_HINT)
    free_text_threshold = WholeNumberField(_l("Gräns för fritextsvar"),
                                           validators=[InputRequired(_l("ange ett heltal"))],
                                           description=FREE_TEXT_HINT)


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
    # Left empty: the application's settings. Only the staff survey uses them.
    anonymity_threshold = WholeNumberField(_l("Anonymitetsgräns"), validators=[Optional()], description=ANONYMITY_HINT)
    free_text_threshold = WholeNumberField(_l("Gräns för fritextsvar"), validators=[Optional()],
                                           description=FREE_TEXT_HINT)


class AddUnitsForm(FlaskForm):
    units = CheckboxesField(_l("Enheter att bjuda in"), choices=[], validate_choice=True)


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Skäl"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("Skälet visas i svarens historik och i granskningsloggen."))
