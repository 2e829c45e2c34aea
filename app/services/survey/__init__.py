"""The anonymous staff survey: access codes, the open link, drafts page by page, completing and
declining, response rates, and the admin's reading of free texts.

Anonymity by design (the README's anonymity note says what each kind of database access can
learn): codes are kept only as keyed hashes (HMAC-SHA256 with the app's secret key). Starting
with a code claims it (marks it used) in the same transaction that creates the draft, and
rewrites every code of the unit with it, so no code row tells when it was claimed. The draft is
keyed by a hash of the code and names no code row. Completing deletes the draft and puts the
answers among the unit's waiting responses (`SurveyPending`), all rewritten in random order; when
the unit has as many waiting as the round's anonymity threshold (or the round closes) they are
released together into the anonymous tables in random order. So no transaction writes both a
code and an answer, and neither transaction ids nor row positions give the order of answering.
Counts for the response rate:
- invited: the unit's head count, or the number of codes generated when none is entered;
- completed: responses, released or waiting; declined: the "Jag vill inte delta" tally;
- started but not finished: drafts still waiting that have at least one saved page (a draft
  that was only opened, with nothing answered, is not counted).
"""

from __future__ import annotations

from app.services.survey.answering import (
    Completion,
    OpenedDraft,
    Page,
    Shown,
    complete,
    complete_page,
    current_page,
    decline,
    draft_definition,
    get_draft,
    load_draft,
    missing_before_completion,
    save_page,
)
from app.services.survey.codes import (
    CODE_ALPHABET,
    CODE_GROUP,
    CODE_LENGTH,
    LOOK_ALIKES,
    MAX_CODES_PER_BATCH,
    START_THROTTLE_SCOPE,
    THROTTLE_SCOPE,
    CodeRefused,
    code_hash,
    generate_codes,
    new_code,
    normalise_code,
    set_head_counts,
    set_open_link,
)
from app.services.survey.rates import (
    ResponseRate,
    format_percent,
    percent,
    response_rates,
)
from app.services.survey.starting import (
    Started,
    completed_count,
    find_open_link,
    is_full,
    start_open_link,
    start_with_code,
    survey_full,
)
from app.services.survey.storage import (
    counts_from_answers,
    recount,
    release_size,
    release_waiting,
    split_counts_from_answers,
    store_completed,
    waiting_count,
)
from app.services.survey.texts import (
    QuestionTexts,
    TextForReview,
    delete_drafts,
    review_text,
    texts_to_review,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_GROUP",
    "CODE_LENGTH",
    "CodeRefused",
    "Completion",
    "LOOK_ALIKES",
    "MAX_CODES_PER_BATCH",
    "OpenedDraft",
    "Page",
    "QuestionTexts",
    "ResponseRate",
    "START_THROTTLE_SCOPE",
    "Shown",
    "Started",
    "THROTTLE_SCOPE",
    "TextForReview",
    "code_hash",
    "complete",
    "complete_page",
    "completed_count",
    "counts_from_answers",
    "current_page",
    "decline",
    "delete_drafts",
    "draft_definition",
    "find_open_link",
    "format_percent",
    "generate_codes",
    "get_draft",
    "is_full",
    "load_draft",
    "missing_before_completion",
    "new_code",
    "normalise_code",
    "percent",
    "recount",
    "split_counts_from_answers",
    "release_size",
    "release_waiting",
    "response_rates",
    "review_text",
    "save_page",
    "set_head_counts",
    "set_open_link",
    "start_open_link",
    "start_with_code",
    "store_completed",
    "survey_full",
    "texts_to_review",
    "waiting_count",
]
