"""What a screen reader is given, read from Chromium's accessibility tree: one page of each type
(login and code entry with errors, the self-assessment, a survey page with an error, the risk
form, the admin's round and user forms). Every input and every group has a name, required
fields say so, and a field with an error is invalid and described by its error message.

`locator.aria_snapshot()` of the main content shows the names (a bare `- textbox` or `- group`
line is an unnamed one); the required state and the descriptions are not in it, so the states
are read from the full tree over the DevTools protocol."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from tests.browser.conftest import log_in
from tests.risks_factory import seed_access_rounds
from tests.rounds_factory import make_round
from tests.test_survey import admin_client, new_codes, open_survey_round

pytestmark = pytest.mark.browser

CONTROLS = {"textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "spinbutton"}
GROUPS = {"group", "radiogroup"}
SELF_ASSESSMENT = "/granskning/granskning-2026/sdn-norr/sjalvskattning"


@dataclass
class Node:
    role: str
    name: str
    description: str
    states: dict[str, object] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return bool(self.states.get("required"))

    @property
    def invalid(self) -> bool:
        return self.states.get("invalid") not in (None, "false", False)


def tree(page) -> list[Node]:  # type: ignore[no-untyped-def]
    """The nodes of the page's accessibility tree that assistive technology sees (not ignored)."""
    session = page.context.new_cdp_session(page)
    try:
        raw = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    nodes = []
    for node in raw:
        if node.get("ignored"):
            continue
        states = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        nodes.append(Node(node.get("role", {}).get("value", ""), node.get("name", {}).get("value", ""),
                          node.get("description", {}).get("value", ""), states))
    return nodes


def form_nodes(page) -> list[Node]:  # type: ignore[no-untyped-def]
    """The page's controls, its named groups and its focusable unnamed ones (a fieldset has
    tabindex=-1 for the error summary's links; other unnamed groups, such as a details element,
    are no fields: the snapshot check catches an unnamed group of fields in the main content)."""
    nodes = tree(page)
    return [n for n in nodes if n.role in CONTROLS or (n.role in GROUPS and n.name != "")] + [
        n for n in nodes if n.role in GROUPS and n.name == "" and n.states.get("focusable")]


def assert_everything_named(page) -> list[Node]:  # type: ignore[no-untyped-def]
    """Every control and every group of fields has an accessible name, in the tree and in the
    main content's ARIA snapshot; returns the form nodes."""
    nodes = form_nodes(page)
    unnamed = [n for n in nodes if not n.name.strip()]
    assert not unnamed, unnamed
    snapshot = page.locator("main").aria_snapshot()
    bare = [line for line in snapshot.splitlines()
            if re.match(r"\s*- (textbox|combobox|listbox|checkbox|radio|spinbutton|group|radiogroup)\s*(\[|:|$)",
                        line)]
    assert not bare, snapshot
    return nodes


def one(nodes: list[Node], role: str, name: str) -> Node:
    found = [n for n in nodes if n.role == role and n.name.startswith(name)]
    assert len(found) == 1, (role, name, [(n.role, n.name) for n in nodes])
    return found[0]


def submit(page, button: str) -> None:  # type: ignore[no-untyped-def]
    """Press the form's button and wait for the answer to be shown."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture
def self_assessment(live_app):  # type: ignore[no-untyped-def]
    with live_app.app_context():
        make_round()
    return live_app


@pytest.fixture
def survey_code(live_app) -> str:  # type: ignore[no-untyped-def]
    open_survey_round(live_app)
    return new_codes(admin_client(live_app), "sdn-norr", 1)[0]


@pytest.fixture
def risk_rounds(live_app):  # type: ignore[no-untyped-def]
    with live_app.app_context():
        seed_access_rounds()
    return live_app


# --- pages ---------------------------------------------------------------------------------------

def test_login_with_a_wrong_password_marks_the_password_invalid_and_names_the_error(page):
    page.goto("/login")
    page.get_by_label("E-postadress").fill("admin@test.se")
    page.get_by_label("Lösenord").fill("inte-det-rätta-lösenordet")
    submit(page, "Logga in")
    nodes = assert_everything_named(page)
    email, password = one(nodes, "textbox", "E-postadress"), one(nodes, "textbox", "Lösenord")
    assert email.required and password.required
    assert password.invalid and "Fel e-postadress eller lösenord" in password.description
    assert not email.invalid


def test_login_with_empty_fields_marks_both_invalid(page):
    page.goto("/login")
    submit(page, "Logga in")
    nodes = assert_everything_named(page)
    for name in ("E-postadress", "Lösenord"):
        node = one(nodes, "textbox", name)
        assert node.required and node.invalid and node.description, node


def test_code_entry_with_a_wrong_code_describes_the_field_with_hint_and_error(page, survey_code):
    page.goto("/enkat")
    page.get_by_label("Kod").fill("AAAA-BBBB-CCCC-DDDD")
    submit(page, "Fortsätt")
    nodes = assert_everything_named(page)
    code = one(nodes, "textbox", "Kod")
    assert code.required and code.invalid
    assert "16 tecken" in code.description and "Koden finns inte" in code.description


def test_the_self_assessment_exposes_required_radios_and_motivations(page, self_assessment):
    log_in(page, "editor@test.se")
    page.goto(SELF_ASSESSMENT)
    nodes = assert_everything_named(page)
    groups = [n for n in nodes if n.role == "radiogroup"]
    assert len(groups) == 9 and all(n.required and "(obligatorisk)" in n.name for n in groups)
    radios = [n for n in nodes if n.role == "radio"]
    assert len(radios) == 27 and not any(n.invalid for n in radios)  # nothing is wrong before a save
    motivations = [n for n in nodes if n.role == "textbox" and n.name.startswith("Motivering")]
    assert len(motivations) == 9 and all(n.required and not n.invalid for n in motivations)
    assert not one(nodes, "textbox", "Övrigt som nämnden").required  # the one optional question
    assert sum(n.required for n in nodes) == 9 + 9 + 4  # and four required descriptions


def test_a_survey_page_with_an_error_marks_the_unanswered_group(page, survey_code):
    page.goto("/enkat")
    page.get_by_label("Kod").fill(survey_code)
    submit(page, "Fortsätt")
    submit(page, "Nästa")  # the first page, nothing answered
    nodes = assert_everything_named(page)
    groups = [n for n in nodes if n.role == "radiogroup"]
    assert groups and all(n.required and n.description for n in groups)
    radios = [n for n in nodes if n.role == "radio"]
    assert radios and all(n.invalid for n in radios)
    summary = page.locator("#error-summary")
    assert summary.count() == 1
    first = page.locator("fieldset.choice-group").first
    error_id = first.get_attribute("id") + "-error"
    assert error_id in (first.get_attribute("aria-describedby") or "").split()


def test_the_risk_form_marks_a_missing_activity(page, risk_rounds):
    log_in(page, "editor@test.se")
    page.goto("/risker/risker-2026/sdn-norr/ny")
    submit(page, "Spara risken")
    nodes = assert_everything_named(page)
    activity = one(nodes, "textbox", "Verksamhet eller arbetsmoment")
    assert activity.required and activity.invalid and "ange verksamhet" in activity.description


def test_the_admins_round_and_user_forms_name_and_mark_every_field(page):
    log_in(page, "admin@test.se")
    page.goto("/admin/omgangar/ny")
    submit(page, "Skapa omgången")
    nodes = assert_everything_named(page)
    for name in ("Namn", "Nyckel"):
        node = one(nodes, "textbox", name)
        assert node.required and node.invalid and node.description, node
    assert one(nodes, "spinbutton", "År").required  # filled in with this year
    assert not one(nodes, "textbox", "Instruktioner").required
    page.goto("/admin/anvandare/ny")
    submit(page, "Spara")
    nodes = assert_everything_named(page)
    email = one(nodes, "textbox", "E-postadress")
    assert email.required and email.invalid and email.description
