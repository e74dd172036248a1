"""Kept pages (landing.services.page_cache) over real HTTP: an anonymous visitor is served the page kept for the
catalogue's state, and any change to what a page shows (an edit, people, files, a FAIR score, an opening, a
withdrawal, an embargo running out with no write at all) is on the very next request; nothing embargoed is ever
served from a kept page to someone who may not see it, and signed-in people always get their own page."""

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from catalogue.models import Dataset, DatasetFairScore, DatasetStatistics, Document, Person
from catalogue.services import downloads, opening
from landing.models import PageChange
from landing.services import page_cache, pages
from tests.factories import DataFileFactory, MemberFactory, PersonFactory
from tests.landing.conftest import LEAK_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

DOI_URL = "/doi/10.80000/ESRF-MA-5678"
DATASET_URL = "/datasets/esrf/dataset/000123"
EMBARGOED_DOI_URL = "/doi/10.80000/ESRF-MX-9999"
EMBARGOED_DATASET_URL = f"/datasets/esrf/dataset/{LEAK_TOKEN.lower()}"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}


def get(live_server, path: str, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).get(live_server.url + path, headers=BROWSER, timeout=30)


def kept(live_server, path: str) -> requests.Response:
    """The page as an anonymous visitor gets it, asked for twice so that the second answer is the kept one."""
    get(live_server, path)
    return get(live_server, path)


def signed_in(user) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return session


def without_views(page: str) -> str:
    return re.sub(r"<dt>Views</dt><dd>\d+</dd>", "", page)


def test_an_anonymous_visitor_is_served_the_kept_page_until_the_catalogue_changes(live_server, open_proposal):
    first = get(live_server, DATASET_URL)
    changes = PageChange.objects.count()
    again = get(live_server, DATASET_URL)
    assert again.status_code == first.status_code == 200
    assert without_views(again.text) == without_views(first.text)  # the view count is filled in per visit
    assert "<dt>Views</dt><dd>2</dd>" in again.text
    behind_the_triggers_back("UPDATE catalogue_dataset SET title = 'Unseen' WHERE pid = 'esrf/dataset/000123'")
    assert "Unseen" not in get(live_server, DATASET_URL).text  # kept, not built again
    assert again.headers["Link"] == first.headers["Link"]
    assert PageChange.objects.count() == changes  # a visit changes nothing a page shows


@pytest.mark.parametrize(
    "path", [DATASET_URL, DOI_URL, f"{DOI_URL}?format=bibtex", f"{DATASET_URL}?format=jsonld", "/linkset" + DOI_URL]
)
def test_an_edit_shows_at_once(live_server, open_proposal, path):
    is_doi = "/doi/" in path
    before, after = (
        ("In-situ hydration", "Hydration of cement pastes, revisited")
        if is_doi
        else ("Cement paste w/c 0.4", "Cement paste, water/cement 0.4")
    )
    if "linkset" in path:  # the linkset names the authors: a person's ORCID iD changes it
        before, after = "0000-0002-1825-0097", "0000-0001-5109-3700"
    assert before in kept(live_server, path).text
    # Plain UPDATEs, as a bulk fix would make them: no signal, no service.
    Document.objects.filter(pk=open_proposal.pk).update(title="Hydration of cement pastes, revisited")
    Dataset.objects.filter(pid="esrf/dataset/000123").update(title="Cement paste, water/cement 0.4")
    Person.objects.filter(orcid="0000-0002-1825-0097").update(orcid="0000-0001-5109-3700")
    answer = get(live_server, path).text
    assert after in answer
    assert before not in answer


def test_people_files_and_fair_scores_show_at_once(live_server, open_proposal):
    dataset = Dataset.objects.get(pid="esrf/dataset/000123")
    assert "Franklin" not in kept(live_server, DOI_URL).text
    person = PersonFactory(full_name="Rosalind Franklin", first_name="Rosalind", last_name="Franklin")
    MemberFactory(document=open_proposal, position=5, person=person)
    assert "Franklin" in get(live_server, DOI_URL).text

    assert "late_arrival.nxs" not in kept(live_server, DATASET_URL).text
    DataFileFactory(dataset=dataset, path="raw/late_arrival.nxs")
    assert "late_arrival.nxs" in get(live_server, DATASET_URL).text

    assert DatasetFairScore.objects.filter(dataset=dataset).exists()  # scored when the fixture's rows committed
    assert "0.12 ·" not in kept(live_server, DATASET_URL).text
    DatasetFairScore.objects.filter(dataset=dataset).update(score=0.123)
    assert "0.12 ·" in get(live_server, DATASET_URL).text


def test_a_download_shows_at_once_and_a_batch_of_views_changes_nothing_kept(live_server, open_proposal, outsider):
    dataset = Dataset.objects.get(pid="esrf/dataset/000123")
    assert "<dt>Downloads</dt><dd>0</dd>" in kept(live_server, DATASET_URL).text
    changes = PageChange.objects.count()
    for _ in range(pages.VIEWS_BATCH):  # one of them writes the batch to the dataset's statistics
        get(live_server, DATASET_URL)
    assert DatasetStatistics.objects.get(dataset=dataset).view_count == pages.VIEWS_BATCH
    assert PageChange.objects.count() == changes
    downloads.record_download(dataset=dataset, user=outsider)
    assert "<dt>Downloads</dt><dd>1</dd>" in get(live_server, DATASET_URL).text
    assert "<dt>Downloads</dt><dd>1</dd>" in get(live_server, DOI_URL).text


def test_a_withdrawal_shows_at_once_on_every_kept_page(live_server, open_proposal):
    assert kept(live_server, DATASET_URL).status_code == 200
    assert "Cement paste w/c 0.4" in kept(live_server, DOI_URL).text
    assert kept(live_server, f"{DATASET_URL}?format=ris").status_code == 200
    # A plain UPDATE, as a steward's bulk fix would do it: no signal, no service.
    Dataset.objects.filter(pid="esrf/dataset/000123").update(withdrawn_at=timezone.now(), withdrawal_reason="Wrong")
    assert get(live_server, DATASET_URL).status_code == 410
    assert get(live_server, f"{DATASET_URL}?format=ris").status_code == 410
    assert "Cement paste w/c 0.4" not in get(live_server, DOI_URL).text


def test_an_opening_shows_at_once(live_server, embargoed_proposal):
    assert LEAK_TOKEN not in kept(live_server, EMBARGOED_DOI_URL).text  # the public stub
    assert kept(live_server, EMBARGOED_DATASET_URL).status_code == 404
    opening.open_now(embargoed_proposal, by=None)
    assert LEAK_TOKEN in get(live_server, EMBARGOED_DOI_URL).text
    assert get(live_server, EMBARGOED_DATASET_URL).status_code == 200


def test_an_embargo_running_out_shows_at_once_without_any_write(live_server, embargoed_proposal):
    release = timezone.now() + timedelta(seconds=3)
    Dataset.objects.filter(proposal=embargoed_proposal).update(release_date=release)
    Document.objects.filter(pk=embargoed_proposal.pk).update(release_date=release)
    assert LEAK_TOKEN not in kept(live_server, EMBARGOED_DOI_URL).text
    assert kept(live_server, EMBARGOED_DATASET_URL).status_code == 404
    changes = list(PageChange.objects.values_list("txid", "weight"))
    time.sleep(max(0.0, (release - timezone.now()).total_seconds()) + 0.2)
    assert LEAK_TOKEN in get(live_server, EMBARGOED_DOI_URL).text
    assert get(live_server, EMBARGOED_DATASET_URL).status_code == 200
    assert list(PageChange.objects.values_list("txid", "weight")) == changes  # nothing was written


def test_a_page_kept_while_open_is_never_served_once_the_dataset_is_embargoed_again(live_server, open_proposal, member):
    MemberFactory(document=open_proposal, position=9, person=PersonFactory(user=member))
    for path in (DATASET_URL, f"{DATASET_URL}?format=bibtex", f"{DATASET_URL}?format=jsonld", DOI_URL):
        assert kept(live_server, path).status_code == 200
    Dataset.objects.filter(pid="esrf/dataset/000123").update(release_date=timezone.now() + timedelta(days=365))
    Document.objects.filter(pk=open_proposal.pk).update(release_date=timezone.now() + timedelta(days=365))
    for path in (DATASET_URL, f"{DATASET_URL}?format=bibtex", f"{DATASET_URL}?format=jsonld"):
        assert get(live_server, path).status_code == 404, path
    assert "Cement paste w/c 0.4" not in get(live_server, DOI_URL).text
    # The team still sees it, and what they were shown is never kept for anyone else.
    team = signed_in(member)
    assert "Cement paste w/c 0.4" in get(live_server, DATASET_URL, team).text
    assert get(live_server, DATASET_URL).status_code == 404
    assert "Cement paste w/c 0.4" not in get(live_server, DOI_URL).text


def test_signed_in_people_get_their_own_page_never_a_kept_one(live_server, open_proposal, member):
    anonymous = kept(live_server, DATASET_URL).text
    assert "Log in" in anonymous
    team = signed_in(member)
    own = get(live_server, DATASET_URL, team).text
    assert "Log out" in own
    assert member.username in own
    assert "Log out" not in get(live_server, DATASET_URL).text


def behind_the_triggers_back(sql: str) -> None:
    """A write PostgreSQL's triggers do not see: what a kept page does not know of, so it shows the page was kept."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql)
        cursor.execute("SET session_replication_role = origin")


def test_compacting_the_changes_keeps_every_kept_page_valid(live_server, open_proposal):
    for number in range(3):
        Dataset.objects.filter(pid="esrf/dataset/000123").update(title=f"Cement paste {number}")
    assert "Cement paste 2" in kept(live_server, DATASET_URL).text
    rows, generation = PageChange.objects.count(), sum(PageChange.objects.values_list("weight", flat=True))
    assert page_cache.compact() == rows > 1
    assert list(PageChange.objects.values_list("weight", flat=True)) == [generation]
    behind_the_triggers_back("UPDATE catalogue_dataset SET title = 'Unseen' WHERE pid = 'esrf/dataset/000123'")
    assert "Cement paste 2" in get(live_server, DATASET_URL).text  # the same key: the kept page


def test_visitors_who_miss_a_page_at_once_are_all_served_the_one_built(live_server, open_proposal):
    Dataset.objects.filter(pid="esrf/dataset/000123").update(title="Cement paste, busy")
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: get(live_server, DATASET_URL), range(6)))
    assert {answer.status_code for answer in answers} == {200}
    assert len({without_views(answer.text) for answer in answers}) == 1
    assert "Cement paste, busy" in answers[0].text


def test_one_request_builds_a_missing_entry_and_the_others_wait_for_it():
    key = f"landing-page:test-{uuid.uuid4()}"
    assert page_cache.claim(key)
    assert not page_cache.claim(key)

    def build() -> None:
        time.sleep(0.1)
        page_cache.keep(key, HttpResponse(b"the page"))
        page_cache.built(key)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(build)
        entry = page_cache.wait(key)
    assert entry is not None and entry.content == b"the page"


def test_waiting_ends_when_the_builder_keeps_nothing():
    key = f"landing-page:test-{uuid.uuid4()}"
    assert page_cache.claim(key)
    page_cache.built(key)  # say, a 404: not kept
    start = time.monotonic()
    assert page_cache.wait(key) is None
    assert time.monotonic() - start < 1
    assert page_cache.claim(key)  # the next one builds it
    page_cache.built(key)
