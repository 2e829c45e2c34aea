"""Access codes, the open link and head counts: what the admin hands out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.schema import (
    Definition,
)
from app.models import Round, RoundUnit, Unit, User
from app.models.survey import (
    AccessCode,
)
from app.services import Problem, ServiceError, audit

# 32 symbols without I, L, O and U (Crockford's base 32): 16 of them are 80 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
CODE_GROUP = 4
MAX_CODES_PER_BATCH = 5000
THROTTLE_SCOPE = "survey-code"
START_THROTTLE_SCOPE = "survey-start"


class CodeRefused(ServiceError):
    """The code was not accepted; `reason` is unknown | used | throttled | closed | full."""

    def __init__(self, reason: str, message: object):
        self.reason = reason
        super().__init__(Problem(message, "code"))


# --- codes -------------------------------------------------------------------------------------


def new_code() -> str:
    """A random code formatted for typing: 'ABCD-EFGH-JKMN-PQRS' (80 bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


LOOK_ALIKES = str.maketrans("OILU", "011V")


def normalise_code(typed: str) -> str | None:
    """The code as stored (16 symbols, upper case), forgiving spaces, dashes and look-alikes;
    None when it cannot be a code."""
    text = "".join(ch for ch in typed.upper() if not ch.isspace() and ch != "-")
    text = text.translate(LOOK_ALIKES)
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def code_hash(secret: str, scope: str, code: str) -> str:
    """The keyed hash of a normalised code; `scope` keeps access codes and draft keys apart."""
    return hmac.new(secret.encode(), f"{scope}\0{code}".encode(), hashlib.sha256).hexdigest()


def invitation_of(session: Session, round_: Round, unit_id: int) -> RoundUnit:
    found = session.scalar(
        select(RoundUnit).where(RoundUnit.round_id == round_.id, RoundUnit.unit_id == unit_id)
    )
    if found is None:
        raise ServiceError(Problem(_l("Enheten är inte inbjuden till omgången."), "unit"))
    return found


def survey_definition(round_: Round) -> Definition:
    version = round_.version_of_kind("survey")
    if version is None:
        raise ServiceError(Problem(_l("Omgången har ingen medarbetarenkät."), "round"))
    return version.parsed()


def generate_codes(
    session: Session, secret: str, round_: Round, unit_id: int, count: int, actor: User | None = None
) -> list[str]:
    """`count` new access codes for a unit; the plain codes are returned this once, only their
    hashes are stored. Audited with the count, never the codes."""
    survey_definition(round_)
    invitation_of(session, round_, unit_id)
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(Problem(_l("Ange ett antal mellan 1 och %(max)s.", max=MAX_CODES_PER_BATCH), "count"))
    if round_.status not in ("draft", "open"):
        raise ServiceError(Problem(_l("Omgången är stängd."), "round"))
    codes = [new_code() for _ in range(count)]
    session.add_all(
        AccessCode(round_id=round_.id, unit_id=unit_id, code_hash=code_hash(secret, "access", normalise_code(c) or ""))
        for c in codes
    )
    unit_key = session.scalar(select(Unit.key).where(Unit.id == unit_id))
    audit.record(session, "survey.codes", actor=actor, target=f"{round_.key}/{unit_key}", count=count)
    return codes


def set_open_link(session: Session, round_: Round, unit_id: int, actor: User | None = None) -> str:
    """A new open-link token for the unit (replacing any old one, which then stops working)."""
    invitation = invitation_of(session, round_, unit_id)
    invitation.open_link_token = secrets.token_urlsafe(24)
    audit.record(session, "survey.open_link", actor=actor, target=f"{round_.key}/{invitation.unit.key}")
    return invitation.open_link_token


def set_head_counts(session: Session, round_: Round, counts: Mapping[int, int | None],
                    actor: User | None = None) -> None:
    """Staff invited per unit (None: not known); the basis of the response rate."""
    problems = [
        Problem(_l("Antalet kan inte vara negativt."), f"unit-{unit_id}")
        for unit_id, n in counts.items()
        if n is not None and n < 0
    ]
    if problems:
        raise ServiceError(problems)
    for invitation in round_.invitations:
        if invitation.unit_id in counts:
            invitation.head_count = counts[invitation.unit_id]
    audit.record(session, "survey.head_counts", actor=actor, target=round_.key)
