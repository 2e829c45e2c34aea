"""A survey page's questions as HTML: the `section` macro of templates/_macros/questions.html
called with a form built from the definition (`build_form`), the one way a section becomes HTML.

A page that shows no answer and no error, as every page does when a respondent first reaches it,
is rendered once per process and reused: for a given definition, section and language its HTML
depends only on which of the section's questions (and the section itself) the answers of
earlier pages show, and on which questions that leaves required (`conditions_elsewhere`,
`required_questions`). That decision is part of the key. The CSRF token and the page token are
not in this HTML but in the page around it, so the reused HTML is byte for byte what rendering
it again gives (tests/test_survey_page_html.py), without building a form or calling some
seventy macros per page: rendering was the largest share of a survey's server time.

A page with answers (the back button, a reload) or with errors is rendered anew every time.
The definition is keyed by identity (a version's parsed definition is one object per process,
app/models/questionnaires.py) and kept with the HTML, so a definition parsed again after
leaving that cache never meets HTML rendered for an object that is gone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app, get_template_attribute
from markupsafe import Markup

from app.definitions.schema import Definition, Section
from app.forms.builder import build_form, conditions_elsewhere
from app.questions.answers import Answers
from app.questions.types import FormData

# Entries kept per application: a survey has a handful of sections, two languages and a few
# combinations of conditions decided elsewhere; a city runs one or two surveys at a time.
LIMIT = 512
_EXTENSION = "lagesbild_section_html"

_Key = tuple[int, str, str, tuple[tuple[str, bool], ...]]


class SectionHtmlCache:
    """The blank sections' HTML of one application, least recently used dropped first."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._entries: OrderedDict[_Key, tuple[Definition, Markup]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _Key, definition: Definition) -> Markup | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] is not definition:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: _Key, definition: Definition, html: Markup) -> None:
        with self._lock:
            self._entries[key] = (definition, html)
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def section_cache() -> SectionHtmlCache:
    """The current application's cache (each application its own: tests make many)."""
    extensions: dict[str, Any] = current_app.extensions
    cache = extensions.get(_EXTENSION)
    if cache is None:
        cache = extensions.setdefault(_EXTENSION, SectionHtmlCache())
    return cache


def section_html(definition: Definition, section: Section, language: str, *, answers: Answers,
                 formdata: FormData | None = None, errors: Mapping[str, Sequence[object]] | None = None,
                 heading: int = 1) -> Markup:
    """The questions of `section` as the survey page shows them: filled from `formdata` when
    given (a refused post), otherwise from the draft's `answers`, with `errors` by field name."""
    blank = formdata is None and not errors and not any(q.key in answers for q in section.questions)
    key: _Key | None = None
    if blank:
        decided = conditions_elsewhere(definition, answers, [section.key])
        key = (id(definition), section.key, language, tuple(sorted(decided.items())))
        found = section_cache().get(key, definition)
        if found is not None:
            return found
    form = build_form(definition, language=language, sections=[section.key], answers=answers, formdata=formdata)
    render = get_template_attribute("_macros/questions.html", "section")
    html = Markup(render(form, section, definition, language, dict(errors or {}), heading=heading))  # noqa: S704
    if key is not None:
        section_cache().put(key, definition, html)
    return html
