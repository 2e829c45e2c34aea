"""A URL's round is looked up in one place (app.services.rounds.get_round): a key that names no
round, or a round without the questionnaire the page is about, is the same 404 page everywhere."""

from __future__ import annotations

import pytest

from tests.rounds_factory import ROUND_KEY, make_round

UNKNOWN = "finns-inte-2026"


@pytest.mark.parametrize("url", [
    f"/admin/omgangar/{UNKNOWN}",
    f"/admin/enkat/{UNKNOWN}",
    f"/lagesbild/{UNKNOWN}",
    f"/lagesbild/{UNKNOWN}/rapport.pdf",
    f"/risker/{UNKNOWN}",
    f"/risker/{UNKNOWN}/sdn-norr",
    # The self-assessment round has no survey and no risk register.
    f"/admin/enkat/{ROUND_KEY}",
    f"/risker/{ROUND_KEY}",
])
def test_a_round_that_is_not_there_is_a_404_page(city, as_role, url):
    with city.app_context():
        make_round()
    response = as_role("admin").get(url)
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_the_round_that_is_there_is_shown(city, as_role):
    with city.app_context():
        make_round()
    response = as_role("admin").get(f"/admin/omgangar/{ROUND_KEY}")
    assert response.status_code == 200
    assert "Gemensam granskning 2026" in response.get_data(as_text=True)
