"""The entries of a register's answers that are not risks, and a risk's link to the round it was
carried from: the statement a register without risks is submitted with (checked by
`app.services.risks.validation.check_register`), and the `carried_from` link that the history
shows as "carried from <round>" and the year-over-year view matches on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from app.questions.answers import AnswerError, Answers
from app.services.risks.values import (
    CARRIED_FROM,
    MAX_TEXT,
    NO_RISKS_KEY,
    RISK_PREFIX,
)

# --- the statement of a register without risks ------------------------------------------------

def check_no_risks_statement(answers: Mapping[str, Any], clean: Answers, partial: bool,
                             errors: list[AnswerError]) -> None:
    """Part of `risks.validation.check_register`: a register without risks is submitted only with a written
    statement of why no risk applies. The statement is kept only while the register has no risks."""
    raw = answers.get(NO_RISKS_KEY)
    if raw is not None and not isinstance(raw, str):
        errors.append(AnswerError(NO_RISKS_KEY, NO_RISKS_KEY, _l("motiveringen kunde inte läsas")))
        return
    # A browser sends a textarea's line breaks as CRLF but counts them as one character against
    # its maxlength: count (and keep) them as one here too.
    text = (raw or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        errors.append(AnswerError(NO_RISKS_KEY, NO_RISKS_KEY,
                                  _l("texten är längre än %(n)d tecken", n=MAX_TEXT), "too_long"))
        return
    if any(key.startswith(RISK_PREFIX) for key in answers):
        return
    if text:
        clean[NO_RISKS_KEY] = text
    elif not partial:
        errors.append(AnswerError(NO_RISKS_KEY, NO_RISKS_KEY, _l(
            "registret har inga risker: skriv varför ingen risk för otillåten påverkan bedöms finnas"),
            "required"))


def no_risks_statement(answers: Mapping[str, Any] | None) -> str:
    value = (answers or {}).get(NO_RISKS_KEY)
    return value if isinstance(value, str) else ""


# --- the carried-from link ----------------------------------------------------------------------

def carried_link(data: Any) -> dict[str, Any] | None:
    """The stored `carried_from` of a risk entry, cleaned (None when absent or unreadable)."""
    link = data.get(CARRIED_FROM) if isinstance(data, dict) else None
    if not isinstance(link, dict) or not isinstance(link.get("round"), str) or not isinstance(link.get("risk"), str):
        return None
    return {"round": link["round"][:100], "round_name": str(link.get("round_name") or link["round"])[:200],
            "risk": link["risk"][:40], "rerate": bool(link.get("rerate"))}


def needs_rating(data: Mapping[str, Any] | None) -> bool:
    """Carried from a round with other scales and not rated on this round's scales yet."""
    link = carried_link(data)
    return bool(link and link["rerate"] and not ((data or {}).get("likelihood") and (data or {}).get("consequence")))


def needing_rating(answers: Mapping[str, Any] | None) -> set[str]:
    return {key for key, data in (answers or {}).items()
            if key.startswith(RISK_PREFIX) and isinstance(data, dict) and needs_rating(data)}


def carried_in(changes: Mapping[str, Any]) -> dict[str, str]:
    """Per risk key added by a history event's changes: the round name it was carried from."""
    found = {}
    for key, pair in changes.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        old, new = pair
        link = carried_link(new)
        if not old and link is not None:
            found[key] = link["round_name"]
    return found
