"""The embargo life cycle: automatic opening, reminders, extending, opening early (service, task, PI page)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from catalogue import signals, tasks, visibility
from catalogue.models import Dataset, Document
from catalogue.services import opening
from tests.factories import DatasetFactory, MemberFactory, PersonFactory, ProposalFactory


@pytest.fixture
def opened_signals():
    received = []

    def on_dataset(sender, dataset, **kwargs):
        received.append(("dataset", dataset.pid))

    def on_document(sender, document, **kwargs):
        received.append(("document", document.pid))

    signals.dataset_opened.connect(on_dataset)
    signals.document_opened.connect(on_document)
    yield received
    signals.dataset_opened.disconnect(on_dataset)
    signals.document_opened.disconnect(on_document)


def ended_proposal(**kwargs) -> Document:
    """A proposal measured in 2020 (3-year embargo: ended) with a PI who has an e-mail address."""
    proposal = ProposalFactory(**kwargs)
    MemberFactory(document=proposal, person=PersonFactory(email="pi@example.org"), role="principal investigator")
    DatasetFactory(proposal=proposal, instrument__facility=proposal.facility)
    DatasetFactory(proposal=proposal, instrument__facility=proposal.facility)
    proposal.refresh_from_db()
    return proposal


def test_ended_embargo_is_opened_with_history_signal_and_mail(
    db, mailoutbox, opened_signals, django_capture_on_commit_callbacks
):
    proposal = ended_proposal()
    with django_capture_on_commit_callbacks(execute=True):
        openings = opening.open_due()
    assert [o.document.pk for o in openings] == [proposal.pk]
    proposal.refresh_from_db()
    assert proposal.opened_at is not None
    assert all(dataset.opened_at for dataset in proposal.datasets.all())
    assert proposal.history.first().history_change_reason == "embargo ended"
    assert {reason for reason in Dataset.history.values_list("history_change_reason", flat=True)} >= {"embargo ended"}
    assert ("document", proposal.pid) in opened_signals
    assert sum(kind == "dataset" for kind, _ in opened_signals) == 2
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["pi@example.org"]
    assert "now open" in mailoutbox[0].subject


def test_a_title_written_over_two_lines_is_one_line_in_the_subject(db, mailoutbox, django_capture_on_commit_callbacks):
    proposal = ended_proposal(title="Hydration of cement\r\nby SAXS")
    with django_capture_on_commit_callbacks(execute=True):
        opening.open_due()
    proposal.refresh_from_db()
    assert proposal.opened_at is not None
    assert [mail.subject for mail in mailoutbox] == [
        f"Your data of proposal {proposal.proposal_number} (Hydration of cement by SAXS) are now open"
    ]


def test_running_the_opening_twice_changes_nothing_the_second_time(
    db, mailoutbox, opened_signals, django_capture_on_commit_callbacks
):
    proposal = ended_proposal()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.open_ended_embargoes()
    history_rows = proposal.history.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.open_ended_embargoes() == 0
    assert len(mailoutbox) == 1
    assert proposal.history.count() == history_rows
    assert len(opened_signals) == 3


def test_embargoed_proposals_are_left_alone(db, mailoutbox, django_capture_on_commit_callbacks):
    proposal = ProposalFactory()
    DatasetFactory(proposal=proposal, embargoed=True, instrument__facility=proposal.facility)
    with django_capture_on_commit_callbacks(execute=True):
        assert opening.open_due() == []
    assert Document.objects.get(pk=proposal.pk).opened_at is None
    assert mailoutbox == []


def test_a_crash_half_way_leaves_processed_proposals_done_and_the_rest_for_the_next_run(
    db, django_capture_on_commit_callbacks
):
    first, second = ended_proposal(), ended_proposal()
    failures = {"left": 1}

    @receiver(signals.document_opened)
    def crash_on_second(sender, document, **kwargs):
        if document.pk == second.pk and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("worker lost")

    try:
        with pytest.raises(RuntimeError):
            opening.open_due()
        assert Document.objects.get(pk=first.pk).opened_at is not None
        assert Document.objects.get(pk=second.pk).opened_at is None
        assert not Dataset.objects.filter(proposal=second, opened_at__isnull=False).exists()
        assert [o.document.pk for o in opening.open_due()] == [second.pk]
    finally:
        signals.document_opened.disconnect(crash_on_second)


def test_reminder_goes_once_thirty_days_before_and_again_after_an_extension(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = ended_proposal()
    soon = timezone.now() + timedelta(days=20)
    Dataset.objects.filter(proposal=proposal).update(release_date_override=soon, release_date=soon)
    Document.objects.filter(pk=proposal.pk).update(release_date=soon)
    far = ProposalFactory()
    DatasetFactory(proposal=far, embargoed=True, instrument__facility=far.facility)
    with django_capture_on_commit_callbacks(execute=True):
        assert [d.pk for d in opening.send_reminders()] == [proposal.pk]
        assert opening.send_reminders() == []
    assert len(mailoutbox) == 1 and soon.strftime("%Y-%m-%d") in mailoutbox[0].subject

    proposal.refresh_from_db()
    opening.extend_embargo(proposal, until=timezone.now() + timedelta(days=400), by=None)
    assert opening.send_reminders(now=timezone.now() + timedelta(days=380)) != []


def test_extending_a_proposal_keeps_all_its_datasets_closed(db, anonymous_client, steward):
    proposal = ProposalFactory()
    dataset = DatasetFactory(proposal=proposal, embargoed=True, instrument__facility=proposal.facility)
    until = timezone.now() + timedelta(days=365 * 5)
    opening.extend_embargo(proposal, until=until, by=steward)
    dataset.refresh_from_db()
    proposal.refresh_from_db()
    assert dataset.release_date == until and proposal.release_date == until
    assert dataset.history.first().history_user == steward
    assert not visibility.is_open(dataset)
    assert opening.open_due(now=timezone.now() + timedelta(days=365 * 4)) == []


def test_extending_open_data_or_into_the_past_is_refused(db):
    proposal = ended_proposal()
    with pytest.raises(opening.EmbargoError, match="open already"):
        opening.extend_embargo(proposal, until=timezone.now() + timedelta(days=30), by=None)
    dataset = DatasetFactory(embargoed=True)
    with pytest.raises(opening.EmbargoError, match="future"):
        opening.extend_embargo(dataset, until=timezone.now() - timedelta(days=1), by=None)
    with pytest.raises(opening.EmbargoError, match="choose a later day"):
        opening.extend_embargo(dataset, until=dataset.release_date - timedelta(days=1), by=None)


def test_a_set_release_date_moves_an_embargo_earlier_or_later_but_never_closes_open_data(db, steward):
    dataset = DatasetFactory(embargoed=True)
    sooner = timezone.now() + timedelta(days=10)
    opening.set_release_date(dataset, release_date=sooner, by=steward)
    dataset.refresh_from_db()
    assert dataset.release_date == sooner == Document.objects.get(pk=dataset.proposal_id).release_date
    assert dataset.history.first().history_user == steward
    already_open = DatasetFactory()
    with pytest.raises(opening.EmbargoError, match="open already"):
        opening.set_release_date(already_open, release_date=timezone.now() + timedelta(days=30), by=steward)
    assert visibility.is_open(Dataset.objects.get(pk=already_open.pk))


def test_open_now_opens_a_dataset_alone(db):
    proposal = ProposalFactory()
    kept, opened = (
        DatasetFactory(proposal=proposal, embargoed=True, instrument__facility=proposal.facility) for _ in "ab"
    )
    opening.open_now(opened, by=None)
    assert visibility.can_download_dataset(AnonymousUser(), Dataset.objects.get(pk=opened.pk))
    assert not visibility.is_open(Dataset.objects.get(pk=kept.pk))
    assert Dataset.objects.get(pk=opened.pk).history.first().history_change_reason == "opened early"


def test_pi_opens_the_proposal_early_from_the_site(
    member_client, member, proposal, mailoutbox, django_capture_on_commit_callbacks
):
    dataset = DatasetFactory(proposal=proposal, embargoed=True, instrument__facility=proposal.facility)
    url = reverse("open-early", kwargs={"pid": proposal.pid})
    assert "Open all data" in member_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(url)
    assert response.status_code == 200 and "are open" in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.open_now and dataset.opened_at is not None
    assert Document.objects.get(pk=proposal.pk).history.first().history_user == member
    assert len(mailoutbox) == 1


def test_only_the_pi_or_a_steward_may_open_early(outsider_client, anonymous_client, proposal):
    DatasetFactory(proposal=proposal, embargoed=True, instrument__facility=proposal.facility)
    url = reverse("open-early", kwargs={"pid": proposal.pid})
    assert outsider_client.post(url).status_code == 403
    assert anonymous_client.post(url).status_code == 302  # to the login page
    assert not Dataset.objects.filter(proposal=proposal, open_now=True).exists()


def test_beat_schedule_names_real_tasks():
    from pancommons.celery import app

    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
