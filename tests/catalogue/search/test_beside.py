"""Work run beside a request on a helper thread and its own connection (catalogue.search.beside), and inside a
transaction in the caller. These commit their data, so the helper thread and its own connection do the work.
"""

import threading

import pytest
from django.db import connection, transaction

from catalogue.models import Dataset
from catalogue.search.beside import beside
from tests.factories import DatasetFactory


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


def test_requests_served_at_once_each_get_a_helper(transactional_db):
    """Under gunicorn's threads, one search's counts never wait for another's."""
    both_running = threading.Barrier(2, timeout=10)
    first, second = beside(both_running.wait), beside(both_running.wait)
    assert {first.result(), second.result()} == {0, 1}  # a single helper would break the barrier after 10 s
