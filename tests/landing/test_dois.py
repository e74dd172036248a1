"""DOI life cycle against a faithful fake of DataCite's REST API over real HTTP (landing-doi.md §1.5)."""

import base64
import functools

import pytest
from django.test import override_settings
from django.utils import timezone

from catalogue.models import Document, DoiState
from catalogue.signals import dataset_recorded
from landing.datacite.client import DataciteClient, DataciteRejected, DataciteUnavailable
from landing.models import DoiRegistration
from landing.services import doi_rules, dois
from tests.factories import CollectionFactory, DatasetFactory, ProposalFactory
from tests.landing.conftest import LEAK_TOKEN

pytestmark = pytest.mark.django_db


def landing_tasks(callbacks) -> list[tuple[str, tuple]]:
    """(task name, args) of the landing tasks among on-commit callbacks (other apps may queue their own)."""
    return [
        (task.name, callback.args)
        for callback in callbacks
        if isinstance(callback, functools.partial)
        and (task := getattr(callback.func, "__self__", None)) is not None
        and task.name.startswith("landing.")
    ]


def fresh_proposal(facility, number="MA-1"):
    proposal = ProposalFactory(facility=facility, proposal_number=number, doi=None, doi_state=DoiState.NONE)
    DatasetFactory(proposal=proposal, instrument__facility=facility)
    return proposal


def registered_xml(fake, doi) -> str:
    return fake.dois[doi.upper()].xml.decode()


def test_first_dataset_mints_a_findable_doi_with_the_record_and_landing_url(fake_datacite, esrf):
    proposal = fresh_proposal(esrf)
    dois.mint_doi(document_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.doi == "10.80000/ESRF-MA-1"
    assert proposal.doi_state == DoiState.FINDABLE
    registered = fake_datacite.dois["10.80000/ESRF-MA-1"]
    assert registered.state == "findable"
    assert registered.url == "http://127.0.0.1:8000/doi/10.80000/ESRF-MA-1"
    assert '<identifier identifierType="DOI">10.80000/ESRF-MA-1</identifier>' in registered.xml.decode()
    assert DoiRegistration.objects.get(document=proposal).synced_at is not None


def test_minting_twice_keeps_one_doi_and_unchanged_metadata_is_not_resent(fake_datacite, esrf):
    proposal = fresh_proposal(esrf)
    dois.mint_doi(document_id=proposal.pk)
    dois.mint_doi(document_id=proposal.pk)
    dois.sync_doi(document_id=proposal.pk)
    assert [r for r in fake_datacite.requests if r[0] == "PUT"] == [("PUT", "/dois/10.80000/ESRF-MA-1", 201)]


def test_dataset_recorded_enqueues_minting_after_commit(esrf, django_capture_on_commit_callbacks):
    proposal = fresh_proposal(esrf)
    with django_capture_on_commit_callbacks() as callbacks:
        dataset_recorded.send(sender=None, dataset=proposal.datasets.first(), created=True)
    assert landing_tasks(callbacks) == [("landing.tasks.mint_doi", (proposal.pk,))]
    proposal.doi = "10.80000/ESRF-MA-1"
    proposal.save()
    with django_capture_on_commit_callbacks() as callbacks:
        dataset_recorded.send(sender=None, dataset=DatasetFactory(proposal=proposal), created=True)
    assert {name for name, _ in landing_tasks(callbacks)} == {"landing.tasks.sync_doi"}


def test_steward_edit_updates_the_registered_metadata(fake_datacite, esrf):
    proposal = fresh_proposal(esrf)
    dois.mint_doi(document_id=proposal.pk)
    proposal.refresh_from_db()
    proposal.title = "Corrected title by the data office"
    proposal.save()
    dois.sync_doi(document_id=proposal.pk)
    registered = fake_datacite.dois["10.80000/ESRF-MA-1"]
    assert registered.updates == 1 and "Corrected title by the data office" in registered.xml.decode()


def test_embargoed_proposal_registers_the_stub_then_the_full_record_at_opening(fake_datacite, embargoed_proposal):
    Document.objects.filter(pk=embargoed_proposal.pk).update(doi=None, doi_state=DoiState.NONE)
    dois.mint_doi(document_id=embargoed_proposal.pk)
    doi = Document.objects.get(pk=embargoed_proposal.pk).doi
    assert fake_datacite.dois[doi].state == "findable"
    assert LEAK_TOKEN not in registered_xml(fake_datacite, doi)
    embargoed_proposal.datasets.update(open_now=True)
    embargoed_proposal.refresh_from_db()
    embargoed_proposal.open_now = True
    embargoed_proposal.save()
    dois.sync_doi(document_id=embargoed_proposal.pk)
    assert LEAK_TOKEN in registered_xml(fake_datacite, doi)


def test_withdrawal_hides_the_doi_which_keeps_resolving(fake_datacite, esrf):
    proposal = fresh_proposal(esrf)
    dois.mint_doi(document_id=proposal.pk)
    Document.objects.filter(pk=proposal.pk).update(withdrawn_at=timezone.now(), withdrawal_reason="Duplicate.")
    assert dois.sync_doi(document_id=proposal.pk) == "registered"
    registered = fake_datacite.dois["10.80000/ESRF-MA-1"]
    assert registered.state == "registered" and registered.url.endswith("/doi/10.80000/ESRF-MA-1")
    assert 'dateType="Withdrawn"' in registered.xml.decode()


def test_collection_stays_draft_until_published(fake_datacite, open_proposal, esrf):
    collection = CollectionFactory(facility=esrf, published_at=None, doi=None)
    collection.collected_datasets.set(open_proposal.datasets.all())
    dois.assign_doi(document_id=collection.pk)
    assert dois.sync_doi(document_id=collection.pk) == "draft"
    Document.objects.filter(pk=collection.pk).update(published_at=timezone.now())
    assert dois.sync_doi(document_id=collection.pk) == "findable"


def test_datacite_outage_is_retried_with_back_off_inside_one_call(fake_datacite, esrf):
    proposal = fresh_proposal(esrf)
    fake_datacite.fail_next(503, 429)
    dois.mint_doi(document_id=proposal.pk)
    assert [status for _, _, status in fake_datacite.requests] == [503, 429, 201]
    assert Document.objects.get(pk=proposal.pk).doi_state == DoiState.FINDABLE


def test_long_outage_raises_for_the_task_to_retry_and_recovers_later(fake_datacite, esrf):
    proposal = fresh_proposal(esrf)
    fake_datacite.fail_next(503, 503, 503)
    with pytest.raises(DataciteUnavailable):
        dois.mint_doi(document_id=proposal.pk)
    registration = DoiRegistration.objects.get(document=proposal)
    assert registration.attempts == 1 and "503" in registration.last_error
    assert Document.objects.get(pk=proposal.pk).doi_state == DoiState.DRAFT
    dois.sync_doi(document_id=proposal.pk)
    registration.refresh_from_db()
    assert registration.attempts == 0 and registration.last_error == ""
    assert Document.objects.get(pk=proposal.pk).doi_state == DoiState.FINDABLE


def test_validation_error_from_datacite_is_kept_for_curators_not_retried(fake_datacite, esrf):
    fake_datacite.allowed_domains = ("data.example.org",)
    proposal = fresh_proposal(esrf)
    dois.mint_doi(document_id=proposal.pk)
    registration = DoiRegistration.objects.get(document=proposal)
    assert registration.last_error == "DataCite 422: url: URL is not allowed by repository domain settings."
    assert len(fake_datacite.requests) == 1


def test_bad_credentials_and_foreign_prefix_are_reported(fake_datacite, esrf):
    with override_settings(DATACITE_PASSWORD="wrong"):
        proposal = fresh_proposal(esrf, "MA-2")
        dois.mint_doi(document_id=proposal.pk)
        assert "DataCite 401: Bad credentials." in DoiRegistration.objects.get(document=proposal).last_error
    esrf.doi_prefix = "10.15151"
    esrf.save()
    other = fresh_proposal(esrf, "MA-3")
    dois.mint_doi(document_id=other.pk)
    other.refresh_from_db()
    assert other.doi == "10.15151/ESRF-MA-3"
    assert "DataCite 403" in DoiRegistration.objects.get(document=other).last_error


@override_settings(DATACITE_USERNAME="", DATACITE_PASSWORD="", DATACITE_PREFIX="10.80000")
def test_without_credentials_dois_stay_local_drafts_under_the_configured_prefix(esrf):
    esrf.doi_prefix = "10.15151"
    esrf.save()
    proposal = fresh_proposal(esrf)
    dois.mint_doi(document_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.doi == "10.80000/ESRF-MA-1" and proposal.doi_state == DoiState.LOCAL_DRAFT
    assert not DoiRegistration.objects.filter(document=proposal).exists()


def test_doi_suffixes_stay_unique(fake_datacite, esrf):
    first = fresh_proposal(esrf, "A B")
    second = fresh_proposal(esrf, "A-B")
    dois.assign_doi(document_id=first.pk)
    dois.assign_doi(document_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.doi == "10.80000/ESRF-A-B" and second.doi == f"10.80000/ESRF-A-B-{second.pk}"


def test_client_reads_back_a_registered_doi_and_hides_drafts_from_others(fake_datacite, esrf):
    proposal = fresh_proposal(esrf)
    dois.mint_doi(document_id=proposal.pk)
    client = dois.client()
    status = client.get_doi(doi="10.80000/ESRF-MA-1")
    assert status.state == "findable"
    assert client.get_doi(doi="10.80000/NOPE") is None
    anonymous = DataciteClient(api_url=fake_datacite.url, username="", password="", attempts=1)
    xml = fake_datacite.dois["10.80000/ESRF-MA-1"].xml
    with pytest.raises(DataciteRejected) as refused:
        anonymous.put_doi(doi="10.80000/ESRF-MA-1", xml=xml, url=None, event=None)
    assert refused.value.status == 401
    assert base64.b64encode(xml)


def test_unreachable_datacite_is_an_outage(esrf):
    client = DataciteClient(api_url="http://127.0.0.1:9", username="u", password="p", attempts=2, backoff_seconds=0)
    with pytest.raises(DataciteUnavailable, match="unreachable"):
        client.get_doi(doi="10.80000/X")


def test_collection_published_in_the_admin_gets_its_doi_after_commit(
    open_proposal, esrf, django_capture_on_commit_callbacks
):
    collection = CollectionFactory(facility=esrf, published_at=None, doi=None)
    with django_capture_on_commit_callbacks() as callbacks:
        collection.published_at = timezone.now()
        collection.save()
    assert landing_tasks(callbacks) == [("landing.tasks.mint_doi", (collection.pk,))]


def test_sync_dois_command_mints_missing_dois_and_is_safe_to_rerun(fake_datacite, esrf):
    from io import StringIO

    from django.core.management import call_command

    proposal = fresh_proposal(esrf)
    ProposalFactory(facility=esrf, proposal_number="EMPTY-1", doi=None)  # no dataset yet: no DOI
    output = StringIO()
    call_command("sync_dois", stdout=output)
    assert "1 DOI minted, 0 checked" in output.getvalue()
    proposal.refresh_from_db()
    assert proposal.doi_state == DoiState.FINDABLE
    call_command("sync_dois", stdout=output)
    assert "0 DOIs minted, 1 checked" in output.getvalue()
    assert len([r for r in fake_datacite.requests if r[0] == "PUT"]) == 1


def test_an_opening_sends_the_full_record_of_the_proposal_and_its_collections(
    open_proposal, esrf, django_capture_on_commit_callbacks
):
    collection = CollectionFactory(facility=esrf, doi="10.80000/ESRF-C5")
    dataset = open_proposal.datasets.first()
    collection.collected_datasets.set([dataset])
    with django_capture_on_commit_callbacks() as callbacks:
        doi_rules.on_opened(sender=None, dataset=dataset)
        doi_rules.on_opened(sender=None, document=open_proposal)
    assert sorted(landing_tasks(callbacks)) == [
        ("landing.tasks.sync_doi", (open_proposal.pk,)),
        ("landing.tasks.sync_doi", (open_proposal.pk,)),
        ("landing.tasks.sync_doi", (collection.pk,)),
    ]


def test_steward_edit_of_a_dataset_updates_the_dois_describing_it(open_proposal, django_capture_on_commit_callbacks):
    dataset = open_proposal.datasets.first()
    with django_capture_on_commit_callbacks() as callbacks:
        dataset.withdrawn_at = timezone.now()
        dataset.save()
    assert landing_tasks(callbacks) == [("landing.tasks.sync_doi", (open_proposal.pk,))]


def test_deleting_a_document_with_its_team_leaves_nothing_to_sync(fake_datacite, open_proposal):
    document_id = open_proposal.pk
    open_proposal.datasets.all().delete()
    open_proposal.delete()
    assert dois.sync_doi(document_id=document_id) == DoiState.NONE
    dois.mint_doi(document_id=document_id)
    assert fake_datacite.requests == []


def test_opening_an_embargoed_proposal_replaces_the_stub_at_datacite_with_the_full_record(
    fake_datacite, embargoed_proposal, django_capture_on_commit_callbacks
):
    from catalogue.services import opening

    Document.objects.filter(pk=embargoed_proposal.pk).update(doi=None, doi_state=DoiState.NONE)
    dois.mint_doi(document_id=embargoed_proposal.pk)
    doi = Document.objects.get(pk=embargoed_proposal.pk).doi
    assert LEAK_TOKEN not in registered_xml(fake_datacite, doi)
    embargoed_proposal.refresh_from_db()
    with django_capture_on_commit_callbacks() as callbacks:
        opening.open_now(embargoed_proposal, by=None)
    queued = set(landing_tasks(callbacks))
    assert queued == {("landing.tasks.sync_doi", (embargoed_proposal.pk,))}
    dois.sync_doi(document_id=embargoed_proposal.pk)
    xml = registered_xml(fake_datacite, doi)
    assert LEAK_TOKEN in xml and "info:eu-repo/semantics/openAccess" in xml
