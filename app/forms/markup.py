"""Light Markdown for questionnaire texts (paragraphs, emphasis, lists), rendered safely, and
the template helpers that the question macros use."""

from __future__ import annotations

from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.forms.answers import field_name

# The 'zero' preset turns everything off; only what the format documents is turned on. Raw HTML
# stays off, so a questionnaire text can never inject markup: it is escaped like any text.
_MARKDOWN = MarkdownIt("zero", {"html": False, "breaks": False}).enable(["emphasis", "list"])


def render_markdown(text: str | None) -> Markup:
    """`text` as HTML: paragraphs, *emphasis*, **strong** and lists; everything else escaped."""
    return Markup(_MARKDOWN.render(text or ""))  # noqa: S704 (markdown-it escapes; html is off)


def register_template_filters(app: Flask) -> None:
    """The `markdown` filter and the `field_name` global, used by templates/_macros/questions.html."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["field_name"] = field_name
