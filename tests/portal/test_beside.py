"""A first page's results and its facet counts computed side by side, on two connections (catalogue.search.beside).

Most portal tests run inside a transaction, where the work runs in the caller; these commit their data, so the
helper thread and its own connection do the work, as for visitors.
"""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import QueryDict

from landing.portal import forms, search
from tests.factories import MemberFactory, PersonFactory, UserFactory
from tests.portal.conftest import SAXS

QUERIES = [
    "",
    "q=glassy+carbon",
    "q=carbon&temperature_max=80&temperature_unit=celsius",
    "temperature_min=10&temperature_max=300&temperature_unit=K",
    "technique=PaNET01124&sort=title",
    "q=carbon&format=TIFF-SECRET",
]


@pytest.mark.parametrize("query_string", QUERIES)
def test_a_first_page_served_beside_its_counts_is_the_page_computed_in_turn(transactional_db, indexed, query_string):
    query = forms.parse(QueryDict(query_string))
    served = search.search(user=AnonymousUser(), query=query)
    assert "search-beside" in {thread.name.split("_")[0] for thread in threading.enumerate()}
    with transaction.atomic():  # in turn, on the caller's connection
        in_turn = search.search(user=AnonymousUser(), query=query)
    assert [dataset.pk for dataset in served.datasets] == [dataset.pk for dataset in in_turn.datasets]
    assert (served.total, served.page_count, served.facets) == (in_turn.total, in_turn.page_count, in_turn.facets)


def test_text_and_range_first_page_over_http(transactional_db, indexed, client):
    response = client.get("/search", {"q": "glassy carbon", "temperature_max": "80", "temperature_unit": "celsius"})
    assert response.status_code == 200
    results = response.context["results"]
    assert [dataset.title for dataset in results.datasets] == ["Glassy carbon SAXS calibration"]
    assert results.total == 1
    instruments = next(facet for facet in results.facets if facet.name == "instrument")
    assert {value.value: value.count for value in instruments.values} == {indexed.i22.pid: 1}


def test_a_signed_in_member_gets_their_embargoed_dataset_counted_beside_the_results(transactional_db, indexed, client):
    """The visitor's own embargoed data: request.user is lazy, resolved once before the helper reads it."""
    member = UserFactory(username="team-member")
    MemberFactory(document=indexed.embargoed.proposal, person=PersonFactory(user=member))
    client.force_login(member)
    results = client.get("/search", {"technique": SAXS}).context["results"]
    assert {dataset.title for dataset in results.datasets} == {
        "Glassy carbon SAXS calibration",
        "Unpublished glassy carbon secret",
    }
    access = next(facet for facet in results.facets if facet.name == "access")
    assert {value.value: value.count for value in access.values} == {"open": 1, "embargoed": 1}
