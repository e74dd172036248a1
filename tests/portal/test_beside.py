"""A first page's results and its facet counts computed side by side, on two connections (landing.portal.beside).

Most portal tests run inside a transaction, where the work runs in the caller; these commit their data, so the
helper thread and its own connection do the work, as for visitors.
"""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import QueryDict

from catalogue.models import Dataset
from landing.portal import forms, search
from landing.portal.beside import beside
from tests.factories import DatasetFactory, MemberFactory, PersonFactory, UserFactory
from tests.portal.conftest import SAXS


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def where() -> tuple[int, int]:
    return threading.get_ident(), backend_pid()


def test_outside_a_transaction_the_work_runs_on_the_helper_thread_and_connection(transactional_db):
    helper_thread, helper_backend = beside(where).result()
    assert helper_thread != threading.get_ident()
    assert helper_backend != backend_pid()
    again_thread, again_backend = beside(where).result()
    assert again_thread == helper_thread  # an idle helper is reused
    # and its connection kept, as Django keeps a request's: for CONN_MAX_AGE seconds (0: a new one each time)
    assert (again_backend == helper_backend) == (connection.settings_dict["CONN_MAX_AGE"] != 0)


def test_inside_a_transaction_the_work_runs_at_once_and_sees_what_is_not_committed(transactional_db):
    with transaction.atomic():
        DatasetFactory()
        assert beside(where).result() == where()
        assert beside(Dataset.objects.count).result() == 1


def test_the_helper_sees_what_the_caller_committed(transactional_db):
    DatasetFactory()
    assert beside(Dataset.objects.count).result() == 1


def test_an_exception_on_the_helper_reaches_the_caller(transactional_db):
    with pytest.raises(Dataset.DoesNotExist):
        beside(Dataset.objects.get, pid="no such dataset").result()
    with transaction.atomic(), pytest.raises(Dataset.DoesNotExist):
        beside(Dataset.objects.get, pid="no such dataset").result()


def test_the_helper_reconnects_when_its_connection_was_closed_by_the_server(transactional_db):
    """As after a database restart: the next request is served, on a new connection (CONN_HEALTH_CHECKS)."""
    old = beside(backend_pid).result()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [old])
    new = beside(backend_pid).result()
    assert new != old


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
    assert "portal-beside" in {thread.name.split("_")[0] for thread in threading.enumerate()}
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


def test_requests_served_at_once_each_get_a_helper(transactional_db):
    """Under gunicorn's threads, one search's counts never wait for another's."""
    both_running = threading.Barrier(2, timeout=10)
    first, second = beside(both_running.wait), beside(both_running.wait)
    assert {first.result(), second.result()} == {0, 1}  # a single helper would break the barrier after 10 s
