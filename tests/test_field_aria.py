"""Every field with an error is aria-invalid and described by its hint and its error message, and
every required field says so to assistive technology: login, code entry, password change, the
admin's forms, the risk form and the questionnaires (self-assessment and survey), through HTTP.
(tests/browser/test_accessibility_tree.py reads the same from the browser's accessibility tree.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.config import PROJECT_ROOT
from app.definitions.validate import check_file
from app.forms.builder import build_form
from tests.conftest import login, post
from tests.risks_factory import seed_access_rounds
from tests.rounds_factory import RATINGS, full_answers, make_round
from tests.test_survey import admin_client, new_codes

SELF_ASSESSMENT = "/granskning/granskning-2026/sdn-norr/sjalvskattning"


class Page(HTMLParser):
    """Each element's tag and attributes by id, each form's attributes, and the text by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.by_id: dict[str, tuple[str, dict[str, str]]] = {}
        self.forms: list[tuple[dict[str, str], list[tuple[str, dict[str, str]]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes)
        if tag == "form":
            self.forms.append((attributes, []))
        elif self.forms:
            self.forms[-1][1].append((tag, attributes))

    def attrs(self, element_id: str) -> dict[str, str]:
        return self.by_id[element_id][1]

    def describedby(self, element_id: str) -> list[str]:
        return self.attrs(element_id).get("aria-describedby", "").split()

    def text_of(self, element_id: str) -> str:
        match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', self.html, re.S)
        assert match, element_id
        return " ".join(re.sub(r"<[^>]+>", "", match.group(2)).split())

    def summary_links(self) -> list[str]:
        match = re.search(r'<div class="error-summary".*?</div>', self.html, re.S)
        return re.findall(r'href="#([^"]+)"', match.group(0)) if match else []


def page_of(response) -> Page:  # type: ignore[no-untyped-def]
    return Page(response.get_data(as_text=True))


def assert_tied(page: Page, field: str, message: str, hint: bool = False) -> None:
    """`field` is invalid and described by its hint (when it has one) and its error message."""
    attributes = page.attrs(field)
    assert attributes.get("aria-invalid") == "true", attributes
    expected = [f"{field}-hint", f"{field}-error"] if hint else [f"{field}-error"]
    assert page.describedby(field) == expected
    assert message in page.text_of(f"{field}-error")
    assert field in page.summary_links()


def assert_required_forms_are_novalidate(page: Page) -> None:
    """A form with required fields leaves the check to the server (its error summary), so that no
    browser bubble pre-empts it."""
    for form, controls in page.forms:
        if any("required" in a or a.get("aria-required") == "true" for _tag, a in controls):
            assert "novalidate" in form, form


# --- fixed forms --------------------------------------------------------------------------------

def test_a_wrong_password_is_an_error_of_the_password_field(city):
    page = page_of(login(city.test_client(), "admin@test.se", "inte-det-rätta-lösenordet"))
    assert_tied(page, "password", "Fel e-postadress eller lösenord.")
    assert "aria-invalid" not in page.attrs("email")
    assert "required" in page.attrs("email") and "required" in page.attrs("password")
    assert_required_forms_are_novalidate(page)


def test_empty_login_fields_are_both_invalid(city):
    page = page_of(post(city.test_client(), "/login", {"email": "", "password": ""}))
    for field in ("email", "password"):
        assert_tied(page, field, "")
    assert page.summary_links() == ["email", "password"]


def test_a_wrong_current_password_is_tied_to_its_field_and_the_new_ones_hint_stays(as_role):
    client = as_role("unit_editor")
    page = page_of(post(client, "/konto/losenord",
                        {"current": "inte-det-rätta", "new": "ett-nytt-och-långt-lösen-77",
                         "repeat": "ett-nytt-och-långt-lösen-77"}))
    assert_tied(page, "current", "Det nuvarande lösenordet stämmer inte.")
    assert page.describedby("new") == ["new-hint"] and "aria-invalid" not in page.attrs("new")


def test_a_refused_code_is_tied_to_the_code_field_with_its_hint(survey):
    client = survey.test_client()
    assert "aria-invalid" not in page_of(client.get("/enkat")).attrs("code")
    page = page_of(post(client, "/enkat", {"code": "AAAA-BBBB-CCCC-DDDD"}))
    assert_tied(page, "code", "Koden finns inte", hint=True)
    assert "required" in page.attrs("code")
    assert_required_forms_are_novalidate(page)


def test_the_admins_round_form_ties_each_error(as_role):
    page = page_of(post(as_role("admin"), "/admin/omgangar/ny", {"name": "", "key": "", "year": "2026"}))
    assert_tied(page, "name", "", hint=True)
    assert_tied(page, "key", "", hint=True)
    assert "aria-invalid" not in page.attrs("year") and "required" in page.attrs("year")
    assert "required" not in page.attrs("instructions")
    assert_required_forms_are_novalidate(page)


def test_a_reopening_without_a_reason_ties_the_error(as_role, city):
    with city.app_context():
        make_round()
    editor = as_role("unit_editor")
    assert post(editor, SELF_ASSESSMENT, {**full_answers(), "base_version": "0", "action": "submit"}).status_code == 302
    page = page_of(post(as_role("admin"), "/admin/omgangar/granskning-2026/sdn-norr/sjalvskattning/oppna-igen",
                        {"reason": " "}))
    assert_tied(page, "reason", "", hint=True)


def test_the_risk_form_ties_a_missing_activity(as_role, city):
    with city.app_context():
        seed_access_rounds()
    page = page_of(post(as_role("unit_editor"), "/risker/risker-2026/sdn-norr/ny",
                        {"base_version": "1", "risk_key": "", "activity": ""}))
    attributes = page.attrs("activity")
    assert attributes.get("aria-invalid") == "true" and page.describedby("activity") == ["activity-error"]
    assert "ange verksamhet eller arbetsmoment" in page.text_of("activity-error")
    assert "required" in attributes
    assert_required_forms_are_novalidate(page)


# --- questionnaires -----------------------------------------------------------------------------

def test_the_self_assessment_says_what_is_required(as_role, city):
    with city.app_context():
        make_round()
    page = page_of(as_role("unit_editor").get(SELF_ASSESSMENT))
    for key in RATINGS:
        group = page.attrs(f"q-{key}")
        assert group.get("role") == "radiogroup" and group.get("aria-required") == "true", group
        assert "required" in page.attrs(f"q-{key}-motivation")
        assert "aria-invalid" not in page.attrs(f"q-{key}-0")
    assert "required" in page.attrs("q-risksyn")
    assert "required" not in page.attrs("q-ovrigt")  # the one optional question
    assert_required_forms_are_novalidate(page)


def test_a_refused_submission_ties_each_missing_answer(as_role, city):
    with city.app_context():
        make_round()
    data = {**full_answers(), "q-kultur": "", "q-kultur-motivation": "", "q-stod-motivation": ""}
    page = page_of(post(as_role("unit_editor"), SELF_ASSESSMENT, {**data, "base_version": "0", "action": "submit"}))
    assert page.describedby("q-kultur") == ["q-kultur-error"]
    assert all(page.attrs(f"q-kultur-{i}").get("aria-invalid") == "true" for i in range(3))
    assert_tied(page, "q-stod-motivation", "Skriv en motivering.", hint=True)
    assert "aria-invalid" not in page.attrs("q-kannedom-motivation")


def test_a_survey_page_ties_its_errors_and_marks_required_groups(survey):
    code = new_codes(admin_client(survey), "sdn-norr", 1)[0]
    client = survey.test_client()
    assert post(client, "/enkat", {"code": code}).status_code == 302
    first = page_of(client.get("/enkat/sida"))
    controls = [c for form, cs in first.forms if "survey-form" in form.get("class", "") for c in cs]
    names = sorted({a["id"] for _tag, a in controls if a.get("role") == "radiogroup"})
    assert names and all(first.attrs(name).get("aria-required") == "true" for name in names)
    assert_required_forms_are_novalidate(first)
    key = re.search(r'name="section" value="([^"]+)"', first.html).group(1)
    page = page_of(post(client, "/enkat/sida", {"section": key, "action": "next"}))
    for name in names:
        assert page.describedby(name)[-1] == f"{name}-error"
        assert name in page.summary_links()


def test_a_question_hidden_by_an_earlier_pages_answer_is_not_required(app):
    """A condition on an earlier page is the server's decision; a hidden question is not required."""
    definition = check_file(PROJECT_ROOT / "tests" / "data" / "valid" / "all_types.yaml").definition
    assert definition is not None
    with app.test_request_context():
        for utsatt, required in (("nej", set()), ("ja", {"chefen_stod"})):
            form = build_form(definition, language="sv", sections=["uppfoljning"],
                              answers={"utsatt": {"value": utsatt, "other": ""}})
            assert form.required_questions == required
