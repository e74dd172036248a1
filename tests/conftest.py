"""Shared fixtures: named people (anonymous, outsider, member, steward), a proposal they relate to, sample files."""

import random
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from catalogue.models import FairScoreCount, FairWorkItem
from catalogue.search import beside
from catalogue.services import fair, roles
from landing.models import PageChange
from tests.factories import MemberFactory, PersonFactory, ProposalFactory, UserFactory

SAMPLES_DIR: Path = settings.NEXUS_SAMPLES_DIR


def pytest_configure() -> None:
    """Users made by the tests are hashed with MD5: Django's PBKDF2 (a million rounds) costs ~0.2 s of CPU for every
    user a test makes, and the tests check who may do what, not the hash's strength. The site keeps its own hashers;
    servers started as processes of their own (the demo, the replicas) make and check their users themselves."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that drives the `browser` fixture is a browser test (`make test-fast` leaves those out) even when
    its module forgot the mark; tests starting a Celery worker carry `worker` themselves (tests/workers.py)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test database, and before it is dropped the portal's helper threads' connections closed."""
    yield
    beside.shutdown()


@contextmanager
def shared_rows(django_db_blocker) -> Iterator[None]:
    """For a module- or class-scoped fixture: the rows it writes inside are built once for many tests, in a
    transaction rolled back after the last of them. Each test runs in a savepoint inside it (pytest-django's `db`),
    so it sees those rows and its own writes are undone as before. Not for tests needing committed data
    (`transactional_db`, a live server, a helper thread's connection): they see none of it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


M = TypeVar("M", bound=Model)


def refetched(record: M) -> M:
    """A test's own copy of a shared row: what one test changes on its instance never reaches the next test."""
    return type(record)._default_manager.get(pk=record.pk)


@pytest.fixture(autouse=True)
def _own_page_generation(request):
    """Each test's catalogue in a generation of its own (landing.services.page_cache): tests roll their writes back,
    so two tests would otherwise share generations, and one could be served a page another one cached."""
    if "_django_db_helper" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")
        PageChange.objects.create(txid=-random.getrandbits(62), weight=random.getrandbits(48))
        _forget_pending_page_views()


def _forget_pending_page_views() -> None:
    """Page views not yet written (landing.services.pages.VIEWS_BATCH) are kept in the cache by record id, and
    records of a test reuse the ids of an earlier test's: each test starts with none pending, so that the visit
    that writes a batch is the same whatever ran before."""
    redis_cache = getattr(cache, "_cache", None)  # Django's RedisCache (the tests run on Redis; locmem starts empty)
    if redis_cache is not None and hasattr(redis_cache, "get_client"):
        client = redis_cache.get_client(write=True)
        for key in client.scan_iter(match=cache.make_key("landing-views*")):
            client.delete(key)


@pytest.fixture
def nexus_sample():
    """Path of a file in shared/nexus-samples, e.g. nexus_sample("exampledata/PSI_SINQ_DMC_dmc01.h5")."""

    def path_of(relative: str) -> Path:
        path = SAMPLES_DIR / relative
        assert path.exists(), f"sample file missing: {path}"
        return path

    return path_of


@pytest.fixture
def proposal(db):
    return ProposalFactory()


@pytest.fixture
def member(db, proposal):
    """A logged-in scientist on `proposal`'s team."""
    user = UserFactory(username="member")
    MemberFactory(document=proposal, person=PersonFactory(user=user, full_name="Mia Member"))
    return user


@pytest.fixture
def outsider(db):
    """A logged-in scientist on no team."""
    return UserFactory(username="outsider")


@pytest.fixture
def steward(db):
    user = UserFactory(username="steward", is_staff=True)
    user.groups.add(roles.ensure_stewards_group())
    return user


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


@pytest.fixture
def member_client(member) -> Client:
    return client_for(member)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return client_for(outsider)


@pytest.fixture
def steward_client(steward) -> Client:
    return client_for(steward)


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS_DIR = Path(settings.BASE_DIR) / "test-artifacts"


@pytest.fixture(scope="session")
def live_server(django_db_setup: None, live_server: LiveServer) -> Iterator[LiveServer]:
    """pytest-django's live server, stopped before the test database is dropped (it comes after django_db_setup);
    the connections it still serves are shut then, so that their request threads close their database connections.

    A request thread serves one kept-alive connection, with a database connection of its own (CONN_MAX_AGE), until
    the client closes its side. Clients do not always: a requests response keeps its socket while anything refers
    to it (roc-validator keeps its callers' frames alive). A thread still connected makes pytest-django's drop of
    the test database fail ("being accessed by other users")."""
    server = live_server.thread.httpd
    served: weakref.WeakSet[socket.socket] = weakref.WeakSet()
    process_request = server.process_request

    def process_and_keep(request: socket.socket | tuple[bytes, socket.socket], client_address: object) -> None:
        if isinstance(request, socket.socket):  # always, on a TCP server
            served.add(request)
        process_request(request, client_address)

    server.process_request = process_and_keep  # type: ignore[method-assign]  # on this one server only
    yield live_server
    for connection in list(served):
        with suppress(OSError):  # already closed by its thread
            connection.shutdown(socket.SHUT_RDWR)
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright, with a fresh profile; pair it with pytest-django's live_server."""
    import os
    import shutil

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "chromium is missing: tests/services.sh installs it"
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from fixtures stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts_dir(request) -> Path:
    """Where a test keeps screenshots for people to look at (test-artifacts/<test name>/)."""
    path = ARTIFACTS_DIR / request.node.name.replace("/", "_")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def kept_sums_match_a_recount(db):
    """Asserts that the FAIR sums kept with the scores (worklist items, datasets per score) equal a recount."""

    def check() -> None:
        def rows() -> list[list[tuple]]:
            fields = ("site_wide", "facility", "check_key", "proposal", "instrument")
            items = FairWorkItem.objects.order_by(*fields)
            counts = FairScoreCount.objects.filter(datasets__gt=0).order_by("facility", "instrument", "hundredth")
            return [
                list(items.values_list(*fields, "datasets", "gain_micro", "lacking", "edits", "priority")),
                list(counts.values_list("facility", "instrument", "hundredth", "datasets")),
            ]

        kept = rows()
        fair.recount_sums()
        assert kept == rows()

    return check
