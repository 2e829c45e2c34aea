"""Light Markdown for questionnaire texts (paragraphs, emphasis, lists), rendered safely, and
the template helpers that the form and question macros use."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.questions.answers import field_name
from app.questions.conditions import answer_groups, shown_questions
from app.questions.types import question_type

# The 'zero' preset turns everything off; only what the format documents is turned on. Raw HTML
# stays off, so a questionnaire text can never inject markup: it is escaped like any text.
_MARKDOWN = MarkdownIt("zero", {"html": False, "breaks": False}).enable(["emphasis", "list"])


@lru_cache(maxsize=1024)
def render_markdown(text: str | None) -> Markup:
    """`text` as HTML: paragraphs, *emphasis*, **strong** and lists; everything else escaped.
    Kept per text: questionnaire texts repeat on every page that shows them."""
    return Markup(_MARKDOWN.render(text or ""))  # noqa: S704 (markdown-it escapes; html is off)


def field_attributes(field_id: str, *, hint: object = False, error: object = False, required: bool = False,
                     more: str = "") -> dict[str, object]:
    """The attributes that tie a form control to its texts for assistive technology: the one rule
    for every field of every form (templates/_macros/forms.html and questions.html).

    `aria-describedby` names the hint (`<id>-hint`) when there is one and the error message
    (`<id>-error`) when there is one, then `more`; a field with an error is `aria-invalid`; a
    required one carries `required` (every form that uses it is `novalidate`, so the server's
    error summary, not the browser's bubble, answers a missing value). Pass the dict to a
    WTForms field call or through the `xmlattr` filter."""
    ids = [f"{field_id}-hint"] if hint else []
    if error:
        ids.append(f"{field_id}-error")
    ids += more.split()
    attributes: dict[str, object] = {}
    if ids:
        attributes["aria-describedby"] = " ".join(ids)
    if error:
        attributes["aria-invalid"] = "true"
    if required:
        attributes["required"] = "required"
    return attributes


def register_template_filters(app: Flask) -> None:
    """The `markdown` filter and the `field_name`, `field_attributes`, `question_type`,
    `shown_questions` and `answer_groups` globals, used by templates/_macros/forms.html,
    questions.html, question_types.html and answering/_answers.html."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["question_type"] = question_type
    app.jinja_env.globals["shown_questions"] = shown_questions
    app.jinja_env.globals["answer_groups"] = answer_groups
    app.jinja_env.globals["field_name"] = field_name
    app.jinja_env.globals["field_attributes"] = field_attributes
