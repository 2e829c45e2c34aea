"""Authorization lives in app/policy.py alone: the permission map is the one decided, every view
names a permission (or is a page that checks who is asking itself), the walk of tests/test_access.py
covers every role, a round in draft is hidden from units behind every door, and no other module
lists roles."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.models.users import ROLES
from app.policy import PERMISSIONS, Permission, Role
from tests.test_access import (
    ADMIN,
    NORR_EDITORS,
    NORR_HISTORY,
    NORR_READERS,
    PERSONAS,
    ROUND_ROUTES,
    ROUTES,
    STAFF,
    holders,
)

PROJECT = Path(__file__).resolve().parents[1]

# What the city office decided, written out role by role: admins run the set-up and read
# everything, analysts read every unit and the city's figures but not who typed what, unit
# editors change their units' answers, unit readers read them.
DECIDED: dict[Role, set[Permission]] = {
    Role.ADMIN: {Permission.READ_CITY, Permission.ADMINISTER, Permission.READ_UNITS, Permission.READ_HISTORY,
                 Permission.READ_ALL_UNITS, Permission.SEE_DRAFT_ROUNDS},
    Role.ANALYST: {Permission.READ_CITY, Permission.READ_UNITS, Permission.READ_ALL_UNITS,
                   Permission.SEE_DRAFT_ROUNDS},
    Role.UNIT_EDITOR: {Permission.READ_UNITS, Permission.EDIT_ANSWERS, Permission.READ_HISTORY},
    Role.UNIT_READER: {Permission.READ_UNITS, Permission.READ_HISTORY},
}

# Views without a permission decorator, and why: public pages, pages for anyone logged in that
# show each their own, and the answering pages, which check after reading the posted form (a
# logged-out POST keeps what was typed) or need the unit first (app/views/answering.py).
CHECKED_INSIDE = {
    "main.index", "main.set_language", "main.privacy", "main.accessibility", "main.health",
    "auth.login", "auth.logout", "auth.change_own_password",
    "survey.enter", "survey.open_link", "survey.page", "survey.decline_page", "survey.receipt",
    "answering.index", "answering.page", "answering.autosave", "answering.history_page",
}


def test_the_permission_map_is_the_one_decided():
    assert {role: {p for p, roles in PERMISSIONS.items() if role in roles} for role in Role} == DECIDED


def test_the_roles_are_those_stored_and_each_one_walks_the_routes():
    assert {r.value for r in Role} == set(ROLES)
    assert set(PERSONAS.values()) == set(Role)
    # A unit editor of another unit walks too: refused on every unit route that names sdn-norr.
    assert PERSONAS["other_editor"] == Role.UNIT_EDITOR


def test_the_walk_follows_the_policy():
    # Figures by hand: the walk's role sets are those of the decided map.
    assert STAFF == {"admin", "analyst"}
    assert ADMIN == {"admin"}
    assert NORR_READERS == {"admin", "analyst", "unit_editor", "unit_reader"}
    assert NORR_HISTORY == {"admin", "unit_editor", "unit_reader"}
    assert NORR_EDITORS == {"unit_editor"}


def test_every_view_names_a_permission_that_covers_who_the_walk_lets_in(app):
    routes = {**ROUTES, **ROUND_ROUTES}
    undecorated = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        assert rule.endpoint in routes, f"{rule.endpoint} is not declared in tests/test_access.py"
        permission = getattr(app.view_functions[rule.endpoint], "required_permission", None)
        if permission is None:
            undecorated.add(rule.endpoint)
            continue
        assert isinstance(permission, Permission)
        # The decorator may be wider than the door (unit pages narrow it down), never narrower.
        assert routes[rule.endpoint].allowed <= holders(permission), rule.endpoint
        assert "anonymous" not in routes[rule.endpoint].allowed
    assert undecorated == CHECKED_INSIDE


# --- a round in draft is no unit's business, behind every door ---------------------------------

def test_units_get_404_on_every_page_of_a_round_still_in_draft(city, as_role):
    from app.services import transaction
    from app.services.rounds import change_status, get_round
    from tests.risks_factory import make_risk_round

    with city.app_context():
        make_risk_round(key="utkast-2026", units=("sdn-norr",), open_it=False)
    pages = ("/granskning/utkast-2026/sdn-norr/sjalvskattning",
             "/granskning/utkast-2026/sdn-norr/sjalvskattning/historik",
             "/rapporter/utkast-2026/enheter/sdn-norr", "/rapporter/utkast-2026/enheter/sdn-norr.pdf",
             "/risker/utkast-2026/sdn-norr", "/risker/utkast-2026/sdn-norr/katalog",
             "/risker/utkast-2026/sdn-norr/historik", "/risker/utkast-2026/sdn-norr/jamforelse",
             "/risker/utkast-2026/sdn-norr/internkontrollplan.csv")
    for role in ("unit_editor", "unit_reader"):
        client = as_role(role)
        for page in pages:
            response = client.get(page)
            response.close()
            assert response.status_code == 404, (role, page)
    # Another unit's editor learns nothing either way: 403, as for an open round.
    other = as_role("other_editor")
    for page in pages:
        response = other.get(page)
        response.close()
        assert response.status_code == 403, page
    admin = as_role("admin")
    for page in pages:
        response = admin.get(page)
        response.close()
        assert response.status_code == 200, page
    with city.app_context(), transaction() as session:
        change_status(session, get_round(session, "utkast-2026"), "open")
    for role in ("unit_editor", "unit_reader"):
        client = as_role(role)
        for page in pages:
            response = client.get(page)
            response.close()
            assert response.status_code == 200, (role, page)


def test_an_editor_of_a_unit_above_edits_the_units_below(city, as_role):
    """Unit access follows the tree: an editor of a unit reads and edits those below it, and a
    unit address that names no unit is 403 to units, 404 to the city office."""
    from app.services import transaction
    from app.services.units import UnitRow, create_unit
    from tests.rounds_factory import make_round

    with city.app_context(), transaction() as session:
        create_unit(session, UnitRow("norr-skola", "Skolan i norr", "administration", "sdn-norr"))
    with city.app_context():
        make_round(units=("norr-skola", "sdn-syd"))
    below = "/granskning/granskning-2026/norr-skola/sjalvskattning"
    assert 'name="action" value="submit"' in as_role("unit_editor").get(below).get_data(as_text=True)
    assert 'name="action" value="submit"' not in as_role("unit_reader").get(below).get_data(as_text=True)
    assert as_role("unit_reader").get(below).status_code == 200
    assert as_role("other_editor").get(below).status_code == 403
    nowhere = "/granskning/granskning-2026/finns-inte/sjalvskattning"
    assert as_role("unit_editor").get(nowhere).status_code == 403
    assert as_role("analyst").get(nowhere).status_code == 404


# --- no role list outside the policy --------------------------------------------------------------

ROLE_NAMES = {r.value for r in Role}
ALLOWED_TO_NAME_ROLES = {PROJECT / "app" / "policy.py"}


def _role_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ROLE_NAMES


def _is_role_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "role"


def role_lists(source: str) -> list[int]:
    """Lines of `source` holding a tuple, list, set or dict key of role names, or a comparison of
    a `.role` with a role name, a collection or a constant (READERS)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and any(_role_constant(e) for e in node.elts):
            found.append(node.lineno)
        elif isinstance(node, ast.Dict) and any(k is not None and _role_constant(k) for k in node.keys):
            found.append(node.lineno)
        elif isinstance(node, ast.Compare) and (_is_role_attribute(node.left)
                                                or any(_is_role_attribute(c) for c in node.comparators)):
            others = [node.left, *node.comparators]
            if any(_role_constant(o) or isinstance(o, ast.Tuple | ast.List | ast.Set)
                   or (isinstance(o, ast.Name) and o.id.isupper()) for o in others if not _is_role_attribute(o)):
                found.append(node.lineno)
    return sorted(set(found))


def test_the_role_list_check_finds_what_it_looks_for():
    assert role_lists('STAFF = ("admin", "analyst")\n') == [1]
    assert role_lists('x = 1\nif user.role in ("admin", "analyst"):\n    pass\n') == [2]
    assert role_lists('if user.role == "admin":\n    pass\n') == [1]
    assert role_lists('if user.role not in READERS:\n    pass\n') == [1]
    assert role_lists('LABELS = {\n    "unit_reader": "Läsare",\n}\n') == [1]
    assert role_lists('bp = Blueprint("admin", __name__)\nrole = form.role.data\nchanged = role != user.role\n') == []


def test_no_role_list_outside_the_policy():
    offenders = []
    for path in sorted((PROJECT / "app").rglob("*.py")):
        if path in ALLOWED_TO_NAME_ROLES or (PROJECT / "app" / "models") in path.parents:
            continue
        offenders += [f"{path.relative_to(PROJECT)}:{line}" for line in role_lists(path.read_text(encoding="utf-8"))]
    assert not offenders, f"roles listed outside app/policy.py: {offenders}"


def test_no_template_compares_roles():
    compare = re.compile(r"\.role\s*(==|!=|in\b|not\s+in\b)")
    offenders = [f"{path.relative_to(PROJECT)}:{n}" for path in sorted((PROJECT / "templates").rglob("*.html"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if compare.search(line)]
    assert not offenders, f"templates comparing roles (ask may_administer / may_analyse / may): {offenders}"
