"""Read replicas for real: a small PostgreSQL primary holding the test catalogue, a streaming replica of it made with
pg_basebackup, and gunicorn serving the site with DATABASE_REPLICA_URLS. Which server did the work is read from
each server's own statistics (pg_stat_database), never from the application."""

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

# django_db: pytest-django creates the test database only for modules that ask for it; it is copied to the primary.
from tests.postgres_servers import Server, primary_and_replica, start_replica
from tests.workers import free_port

pytestmark = [pytest.mark.worker, pytest.mark.django_db]
SAMPLES = ["exampledata/PSI_SINQ_DMC_dmc01.h5", "exampledata/APS_9IDC_NXsas_nexus-example.hdf5"]
# Fills the catalogue at DATABASE_URL: the demo's facilities, PaNET, the sample files and a user who signs in.
FILL = (
    "import sys, django; django.setup(); from django.core.management import call_command; "
    "from django.contrib.auth import get_user_model; from tests.conftest import SAMPLES_DIR; "
    "call_command('load_facilities', verbosity=0); call_command('load_panet', verbosity=0); "
    "call_command('ingest', *[str(SAMPLES_DIR / name) for name in sys.argv[1:]], sync=True, verbosity=0); "
    "get_user_model().objects.create_user('reader', password='a long passphrase')"
)
PUBLIC_PAGES = ["/panosc-api/Datasets", "/panosc-api/Documents", "/sitemap.xml", "/search"]


def copy_test_catalogue(primary: Server) -> None:
    """The migrated test database copied as the primary's catalogue, then the samples ingested into it."""
    primary.copy_database(connection.settings_dict["NAME"])
    environment = {**os.environ, "DATABASE_URL": primary.url(), "DJANGO_SETTINGS_MODULE": "pancommons.settings"}
    subprocess.run([sys.executable, "-c", FILL, *SAMPLES], env=environment, cwd=settings.BASE_DIR, check=True)


@contextmanager
def gunicorn(primary: Server, replica: Server, log: Path) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": primary.url(),
        "DATABASE_REPLICA_URLS": replica.url(),
        "REPLICA_MAX_LAG_SECONDS": "1",
        "READ_YOUR_WRITES_SECONDS": "60",
        "DEBUG": "true",
        # Connections end with each request, so each server counts its transactions at once (a backend flushes its
        # statistics when it exits, an idle one only after seconds).
        "DB_CONN_MAX_AGE": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "pancommons.wsgi", "--bind", f"127.0.0.1:{port}"]
    with log.open("w") as output:
        server = subprocess.Popen(
            [*command, "--workers", "1", "--threads", "4"], env=environment, cwd=settings.BASE_DIR, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/robots.txt", timeout=5)
                break
            except OSError:  # not listening yet
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    """Module-wide: the catalogue in a primary with a streaming replica, served by gunicorn."""
    with primary_and_replica() as (primary, replica):
        copy_test_catalogue(primary)
        start_replica(primary, replica)
        log = tmp_path_factory.mktemp("gunicorn") / "log"
        with gunicorn(primary, replica, log) as base:
            yield base, primary, replica, log


def replica_lines(log: Path) -> str:
    """What the site logged about its replica (skipped, failed), for a failing assertion."""
    return "\n".join(line for line in log.read_text().splitlines() if "replica" in line)[-3000:]


def get(url: str, opener: urllib.request.OpenerDirector | None = None) -> int:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def settled_transactions(server: Server) -> int:
    """The server's transaction count once its statistics have caught up (they are flushed about once a second)."""
    last = server.transactions()
    for _ in range(20):
        time.sleep(0.6)
        now = server.transactions()
        if now == last:
            return now
        last = now
    return last


def test_public_reads_go_to_the_replica_and_the_admin_to_the_primary(site):
    base, primary, replica, log = site
    for page in PUBLIC_PAGES:
        before = settled_transactions(replica)
        for _ in range(3):
            assert get(base + page) == 200, page
        assert settled_transactions(replica) - before >= 3, (page, replica_lines(log))

    before = settled_transactions(replica)
    for _ in range(5):
        assert get(base + "/admin/login/") == 200
        assert get(base + "/api/v1/datasets/") == 200
    assert settled_transactions(replica) - before <= 1  # at most a health check


def test_portal_searches_count_their_facets_on_the_replica(site):
    base, primary, replica, log = site
    searches = ["/search", "/search?q=DMC", "/search?q=sas&sort=newest"]
    before = settled_transactions(primary)
    for search in searches * 2:
        assert get(base + search) == 200, search
    # The portal's helper threads keep their connections between requests, and an idle backend reports its counts
    # only after 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL): wait for them, on both servers.
    time.sleep(11)
    # Nothing on the primary: the facet counts (catalogue/services/facet_groups.py) read the request's replica too.
    assert settled_transactions(primary) - before <= 1, replica_lines(log)


def test_a_visitor_who_has_just_written_reads_the_primary(site):
    base, primary, replica, log = site
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar := CookieJar()))
    assert get(base + "/admin/login/", browser) == 200
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = f"csrfmiddlewaretoken={token}&username=reader&password=a+long+passphrase&next=/".encode()
    request = urllib.request.Request(base + "/admin/login/", data=form, headers={"Referer": base + "/admin/login/"})
    browser.open(request, timeout=10).read()  # signed in: a session row written on the primary
    assert "pc_wrote" in {cookie.name for cookie in jar}

    before = settled_transactions(replica)
    for page in PUBLIC_PAGES:
        assert get(base + page, browser) == 200
    assert settled_transactions(replica) - before <= 1
    for page in PUBLIC_PAGES:
        assert get(base + page) == 200  # another visitor still reads the replica
    assert settled_transactions(replica) - before >= len(PUBLIC_PAGES), replica_lines(log)


def test_a_replica_that_lags_is_skipped_until_it_catches_up(site):
    base, primary, replica, log = site
    replica.query("SELECT pg_wal_replay_pause()")
    try:
        pid = primary.query("SELECT min(pid) FROM catalogue_dataset")
        primary.query(f"UPDATE catalogue_dataset SET title = 'Retitled on the primary' WHERE pid = '{pid}'")
        # Seen behind for longer than REPLICA_MAX_LAG_SECONDS (checked at most once a second), the replica is
        # skipped and the page comes from the primary.
        deadline = time.monotonic() + 15
        while "Retitled on the primary" not in read(base + f"/datasets/{pid}"):
            assert time.monotonic() < deadline, replica_lines(log)
            time.sleep(0.3)
    finally:
        replica.query("SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 20
    while replica.query("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()") is not True:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    time.sleep(5.5)  # a skipped replica is asked again after DOWN_SECONDS
    before = settled_transactions(replica)
    assert get(base + "/panosc-api/Datasets") == 200
    assert settled_transactions(replica) > before, replica_lines(log)


def read(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_a_replica_stopped_mid_run_costs_no_request(site):
    base, primary, replica, log = site
    statuses: list[int] = []
    stop = threading.Event()

    def visitor() -> None:
        while not stop.is_set():
            for page in PUBLIC_PAGES:
                statuses.append(get(base + page))

    visitors = [threading.Thread(target=visitor) for _ in range(3)]
    for thread in visitors:
        thread.start()
    time.sleep(3)
    replica.stop()
    time.sleep(4)
    stop.set()
    for thread in visitors:
        thread.join()
    assert len(statuses) > 3 * len(PUBLIC_PAGES)
    assert set(statuses) == {200}, (sorted(set(statuses)), log.read_text()[-3000:])
