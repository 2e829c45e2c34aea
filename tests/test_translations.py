"""The English catalogue: complete, placeholders intact, compiled, and used by the interface."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import post

CATALOGUE = Path(__file__).resolve().parent.parent / "app" / "translations" / "en" / "LC_MESSAGES"
PO = CATALOGUE / "messages.po"
MO = CATALOGUE / "messages.mo"

# printf-style placeholders: %(name)s, %(n)d, %s, %%, %5.1f ...
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]")


def _read_po() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f)


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _as_dict(catalog: Catalog) -> dict[object, object]:
    return {m.id: m.string for m in catalog if m.id}


def test_every_message_is_translated_with_the_same_placeholders():
    catalog = _read_po()
    messages = [m for m in catalog if m.id]
    assert messages, "the English catalogue is empty"
    problems = []
    for message in messages:
        ids = _forms(message.id)
        strings = _forms(message.string)
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not strings or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        # Every plural form keeps the placeholders of the plural msgid (the last id form).
        expected = [_placeholders(ids[min(i, len(ids) - 1)]) for i in range(len(strings))]
        for string, wanted in zip(strings, expected, strict=True):
            if _placeholders(string) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_matches_the_po_file():
    assert MO.exists(), "run: pybabel compile -d app/translations"
    with MO.open("rb") as f:
        compiled = read_mo(f)
    assert _as_dict(compiled) == _as_dict(_read_po()), (
        "messages.mo is out of date: run pybabel compile -d app/translations"
    )


@pytest.mark.parametrize("language, html_lang, text", [
    ("en", '<html lang="en">', "Log in"),
    ("sv", '<html lang="sv">', "Logga in"),
])
def test_chosen_language_is_used_on_the_login_page(city, language, html_lang, text):
    client = city.test_client()
    response = post(client, "/sprak", {"language": language, "next": "/login"})
    assert response.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert html_lang in page
    assert text in page


def test_english_login_page_has_no_swedish_labels(city):
    client = city.test_client()
    post(client, "/sprak", {"language": "en"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Email address" in page and "Password" in page
    assert "Logga in" not in page and "E-postadress" not in page and "Lösenord" not in page


def test_every_interface_string_in_the_code_is_in_the_english_catalogue():
    """A new Swedish string without an English translation fails here: run the refresh in the
    README ("Not yet") and translate it."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    from app.config import PROJECT_ROOT

    with open(PROJECT_ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    # Babel skips folders whose names start with "_" by default: templates/_macros holds strings too.
    def not_hidden(path: str) -> bool:
        return not os.path.basename(path).startswith(".")

    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=keywords, directory_filter=not_hidden
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    with open(PROJECT_ROOT / "app/translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        from babel.messages.pofile import read_po

        catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert sorted(found - catalogue) == []
