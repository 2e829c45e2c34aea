"""Typed SQLAlchemy models, one module per area; imported here so Alembic sees every table."""

from app.models.audit import AuditEvent
from app.models.questionnaires import Questionnaire, QuestionnaireVersion
from app.models.rounds import ROUND_STATUSES, Round, RoundUnit
from app.models.submissions import RESPONSE_STATUSES, ResponseEvent, UnitResponse
from app.models.survey import (
    AccessCode,
    SurveyAnswer,
    SurveyCount,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveySplitCount,
    SurveyTally,
    SurveyText,
)
from app.models.throttle import ThrottleCounter
from app.models.units import UNIT_KINDS, Unit
from app.models.users import ROLES, User, UserSession, user_units

__all__ = [
    "AccessCode",
    "AuditEvent",
    "Questionnaire",
    "QuestionnaireVersion",
    "RESPONSE_STATUSES",
    "ROLES",
    "ROUND_STATUSES",
    "Round",
    "ResponseEvent",
    "RoundUnit",
    "SurveyAnswer",
    "SurveyCount",
    "SurveyDraft",
    "SurveyPending",
    "SurveyResponse",
    "SurveySplitCount",
    "SurveyTally",
    "SurveyText",
    "ThrottleCounter",
    "UNIT_KINDS",
    "Unit",
    "UnitResponse",
    "User",
    "UserSession",
    "user_units",
]
