"""The stored FAIR scores follow every kind of change: REST API edits, admin actions (bulk and on people), embargo
release by the opening service and by a steward, people's ORCID iDs (inline, and on many datasets through the Celery
task) and file updates. Ingestion: tests/ingest/test_fair_score.py; fixity: tests/access/test_fixity.py."""

import base64
import json
from datetime import timedelta

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from catalogue.fair import tasks
from catalogue.models import Dataset, DatasetFairScore, Document, DocumentFairScore, DoiState, Person
from catalogue.services import fair, opening
from tests.factories import DatasetFactory, MemberFactory, PersonFactory, ProposalFactory


def stored(dataset: Dataset) -> DatasetFairScore:
    return DatasetFairScore.objects.get(dataset=dataset)


def post_orcid_action(client, model: str, selected: int, person: Person, orcid: str):
    """The admin's "add ORCID iDs" action on one selected record of `model`'s changelist, applied."""
    return client.post(
        reverse(f"admin:catalogue_{model}_changelist"),
        {"action": "set_orcid", "_selected_action": [selected], "apply": "1", f"orcid_{person.pk}": orcid},
    )


def test_rest_api_edit_rescores_the_dataset_and_its_doi(
    kept_sums_match_a_recount, complete_dataset, steward_client, django_capture_on_commit_callbacks
):
    Dataset.objects.filter(pk=complete_dataset.pk).update(description="")
    fair.recompute(fair.Changed(datasets=(complete_dataset.pk,)))
    before = stored(complete_dataset).score
    with django_capture_on_commit_callbacks(execute=True):
        response = steward_client.patch(
            f"/api/v1/datasets/{complete_dataset.pid}/",
            {"description": "Small-angle scattering of a hydrating cement paste followed over 36 hours."},
            content_type="application/json",
        )
    assert response.status_code == 200
    assert before == pytest.approx(92 / 98, abs=1e-4)  # raw data: the inputs check is out of the total
    assert stored(complete_dataset).score == 1.0
    assert DocumentFairScore.objects.filter(document=complete_dataset.proposal).exists()
    assert response.json()["fair"]["band"] in ("good", "excellent")  # the API carries the score
    kept_sums_match_a_recount()


def test_admin_bulk_action_adds_keywords_audited_and_rescored(
    kept_sums_match_a_recount, complete_dataset, steward, steward_client, django_capture_on_commit_callbacks
):
    Dataset.objects.filter(pk=complete_dataset.pk).update(keywords=[])
    fair.recompute(fair.Changed(datasets=(complete_dataset.pk,)))
    assert stored(complete_dataset).results["keywords"][0] == 0
    url = reverse("admin:catalogue_dataset_changelist")
    form = steward_client.post(url, {"action": "add_keywords", "_selected_action": [complete_dataset.pk]})
    assert form.status_code == 200 and b"keywords" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        done = steward_client.post(
            url,
            {
                "action": "add_keywords",
                "_selected_action": [complete_dataset.pk],
                "apply": "1",
                "keywords": "cement, SAXS",
            },
        )
    assert done.status_code == 302
    complete_dataset.refresh_from_db()
    assert complete_dataset.keywords == ["cement", "SAXS"] and "keywords" in complete_dataset.curated_fields
    assert stored(complete_dataset).results["keywords"][0] == 1
    assert complete_dataset.history.first().history_user == steward
    kept_sums_match_a_recount()


def test_admin_action_with_a_bad_orcid_changes_nothing(complete_dataset, steward_client):
    Person.objects.filter(memberships__document=complete_dataset.proposal).update(orcid="")
    person = Person.objects.filter(memberships__document=complete_dataset.proposal).first()
    response = post_orcid_action(steward_client, "dataset", complete_dataset.pk, person, "0000-0002-1825-0098")
    assert response.status_code == 200 and b"check digit" in response.content
    person.refresh_from_db()
    assert person.orcid == ""


def test_embargo_release_by_the_opening_service_makes_the_data_findable(
    kept_sums_match_a_recount, db, django_capture_on_commit_callbacks
):
    dataset = DatasetFactory(embargoed=True)
    Document.objects.filter(pk=dataset.proposal_id).update(doi="10.80000/EMB-1", doi_state=DoiState.FINDABLE)
    fair.recompute(fair.Changed(datasets=(dataset.pk,)))
    assert stored(dataset).results["searchable"][0] == 0
    past = timezone.now() - timedelta(minutes=1)
    Dataset.objects.filter(pk=dataset.pk).update(release_date=past)
    Document.objects.filter(pk=dataset.proposal_id).update(release_date=past)
    with django_capture_on_commit_callbacks(execute=True):
        opened = opening.open_due()
    assert [o.document.pk for o in opened] == [dataset.proposal_id]
    assert stored(dataset).results["searchable"][0] == 1
    kept_sums_match_a_recount()


def test_steward_opening_a_proposal_early_in_the_admin_rescores_its_datasets(
    kept_sums_match_a_recount, db, steward_client, django_capture_on_commit_callbacks
):
    dataset = DatasetFactory(embargoed=True)
    Document.objects.filter(pk=dataset.proposal_id).update(doi="10.80000/EMB-2", doi_state=DoiState.FINDABLE)
    fair.recompute(fair.Changed(datasets=(dataset.pk,)))
    assert stored(dataset).results["searchable"][0] == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = steward_client.post(
            reverse("admin:catalogue_proposal_changelist"),
            {"action": "open_now", "_selected_action": [dataset.proposal_id]},
        )
    assert response.status_code == 302
    assert stored(dataset).results["searchable"][0] == 1
    kept_sums_match_a_recount()


def test_an_orcid_set_in_the_people_admin_rescores_inline(
    kept_sums_match_a_recount, complete_dataset, steward_client, django_capture_on_commit_callbacks
):
    person = Person.objects.filter(memberships__document=complete_dataset.proposal).first()
    Person.objects.filter(pk=person.pk).update(orcid="")
    fair.recompute(fair.Changed(datasets=(complete_dataset.pk,)))
    assert stored(complete_dataset).results["orcid"][0] == 0.5
    with django_capture_on_commit_callbacks(execute=True):
        response = post_orcid_action(
            steward_client, "person", person.pk, person, "https://orcid.org/0000-0001-5109-3700"
        )
    assert response.status_code == 302
    assert stored(complete_dataset).results["orcid"][0] == 1
    assert DocumentFairScore.objects.get(document=complete_dataset.proposal).results["orcid"][0] == 1
    kept_sums_match_a_recount()


def test_a_file_marked_missing_rescores_its_dataset(
    kept_sums_match_a_recount, complete_dataset, django_capture_on_commit_callbacks
):
    fair.recompute(fair.Changed(datasets=(complete_dataset.pk,)))
    data_file = complete_dataset.files.get()
    data_file.is_missing = True
    with django_capture_on_commit_callbacks(execute=True):
        data_file.save()
    assert stored(complete_dataset).results["retrievable"][0] == 0
    kept_sums_match_a_recount()


@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs Redis")
def test_an_orcid_on_many_datasets_is_rescored_by_the_celery_task(
    kept_sums_match_a_recount, db, settings, django_capture_on_commit_callbacks
):
    settings.FAIR_INLINE_DATASETS = 3
    person = PersonFactory(orcid="")
    proposal = MemberFactory(person=person).document
    datasets = [DatasetFactory(proposal=proposal) for _ in range(5)]
    fair.recompute(fair.Changed(documents=(proposal.pk,)))
    assert {stored(d).results["orcid"][0] for d in datasets} == {0}
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(settings.REDIS_KEY_PREFIX + "sync")
    person.orcid = "0000-0002-1825-0097"
    with django_capture_on_commit_callbacks(execute=True):
        person.save()
    assert {stored(d).results["orcid"][0] for d in datasets} == {0}  # five datasets: more than inline
    message = json.loads(broker.rpop(settings.REDIS_KEY_PREFIX + "sync"))
    assert message["headers"]["task"] == "catalogue.fair.tasks.recompute_scores"
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert tasks.recompute_scores(*args, **kwargs) == {"datasets": 5, "documents": 1}
    assert {stored(d).results["orcid"][0] for d in datasets} == {1}
    kept_sums_match_a_recount()


def test_sweep_scores_rows_loaded_without_signals(kept_sums_match_a_recount, db):
    dataset = DatasetFactory()
    DatasetFairScore.objects.all().delete()
    result = fair.score_unscored()
    assert result.datasets >= 1 and DatasetFairScore.objects.filter(dataset=dataset).exists()
    kept_sums_match_a_recount()


@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs Redis")
def test_sweep_takes_a_proposals_datasets_together_and_queues_the_next_while_any_are_left(
    db, monkeypatch, kept_sums_match_a_recount
):
    first, second = ProposalFactory(), ProposalFactory()
    datasets = [DatasetFactory(proposal=proposal) for _ in range(2) for proposal in (first, second)]
    DatasetFairScore.objects.all().delete()
    DocumentFairScore.objects.all().delete()
    monkeypatch.setattr(fair, "SWEEP_DATASETS", 2)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.REDIS_KEY_PREFIX + "housekeeping"
    broker.delete(queue)
    assert tasks.score_unscored() == {"datasets": 2, "documents": 1}
    assert set(DatasetFairScore.objects.values_list("dataset__proposal", flat=True)) == {first.pk}
    assert json.loads(broker.rpop(queue))["headers"]["task"] == "catalogue.fair.tasks.score_unscored"
    assert tasks.score_unscored() == {"datasets": 2, "documents": 1}
    broker.delete(queue)
    assert tasks.score_unscored() == {"datasets": 0, "documents": 0}  # the last: nothing queued after it
    assert broker.llen(queue) == 0
    assert DatasetFairScore.objects.count() == len(datasets) and DocumentFairScore.objects.count() == 2
    kept_sums_match_a_recount()


def test_a_second_sweep_returns_at_once_while_one_runs(db):
    DatasetFactory()
    DatasetFairScore.objects.all().delete()
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [fair._SWEEP_LOCK])
        assert fair.score_unscored() == fair.Recomputed(datasets=0, documents=0)
        other.execute("SELECT pg_advisory_unlock(%s)", [fair._SWEEP_LOCK])
    assert fair.score_unscored().datasets == 1
