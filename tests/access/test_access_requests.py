"""Access requests: asking (logged in or as a guest), deciding (PI or steward), time-limited grants, e-mails."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalogue import visibility
from catalogue.models import AccessGrant, AccessRequest, Document
from catalogue.services import access_requests
from tests.factories import DatasetFactory, ProposalFactory

PAYLOAD = b"embargoed bytes"


@pytest.fixture
def embargoed(proposal, stored_dataset, steward):
    Document.objects.filter(pk=proposal.pk).update(doi="10.80000/test-1")
    proposal.refresh_from_db()
    return stored_dataset(proposal, {"raw/secret.nxs": PAYLOAD}, embargoed=True)


def file_url(dataset) -> str:
    return reverse("download-file", kwargs={"pid": dataset.pid, "file_id": dataset.files.get().pk})


def ask(client: Client, proposal, **data):
    return client.post(reverse("access-request", kwargs={"pid": proposal.pid}), data)


def test_outsider_asks_pi_grants_and_outsider_downloads(
    outsider_client, outsider, member_client, proposal, embargoed, mailoutbox, django_capture_on_commit_callbacks
):
    assert outsider_client.get(file_url(embargoed)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(outsider_client, proposal, reason="Benchmarking our reconstruction code.")
    assert response.status_code == 200 and "Request sent" in response.content.decode()
    access_request = AccessRequest.objects.get()
    assert access_request.user == outsider
    to_deciders, acknowledgement = mailoutbox
    assert "Benchmarking" in to_deciders.body and "steward@example.org" in to_deciders.to
    assert acknowledgement.to == [outsider.email]

    decide_url = reverse("access-request-decide", kwargs={"request_id": access_request.pk})
    assert decide_url in member_client.get(reverse("access-requests")).content.decode()
    assert member_client.get(decide_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(decide_url, {"decision": "grant", "note": "Welcome"})
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert grant.user == outsider and grant.expires_at > timezone.now() + timedelta(days=300)
    assert mailoutbox[-1].to == [outsider.email] and "Access granted" in mailoutbox[-1].subject
    assert b"".join(outsider_client.get(file_url(embargoed)).streaming_content) == PAYLOAD


def test_a_title_written_over_two_lines_is_one_line_in_the_subjects(
    outsider_client, proposal, embargoed, mailoutbox, django_capture_on_commit_callbacks
):
    Document.objects.filter(pk=proposal.pk).update(title="Hydration of cement\nby SAXS")
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(outsider_client, proposal, reason="Benchmarking our reconstruction code.")
    assert response.status_code == 200 and "Request sent" in response.content.decode()
    label = f"proposal {proposal.proposal_number} (Hydration of cement by SAXS)"
    assert [mail.subject for mail in mailoutbox] == [f"Access request for {label}", f"Your access request for {label}"]


def test_refusal_is_told_and_gives_no_access(
    outsider_client, outsider, member, proposal, embargoed, mailoutbox, django_capture_on_commit_callbacks
):
    ask(outsider_client, proposal, reason="Curious.")
    with django_capture_on_commit_callbacks(execute=True):
        access_requests.decide(access_request=AccessRequest.objects.get(), by=member, grant=False, note="Thesis first")
    assert "not granted" in mailoutbox[-1].subject and "Thesis first" in mailoutbox[-1].body
    assert not AccessGrant.objects.exists()
    assert outsider_client.get(file_url(embargoed)).status_code == 404


def test_guest_asks_by_email_and_gets_an_account_with_a_password_link(
    anonymous_client, proposal, embargoed, steward, mailoutbox, django_capture_on_commit_callbacks
):
    response = ask(anonymous_client, proposal, reason="Reuse for a review paper.")
    assert response.status_code == 400 and "required" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ask(anonymous_client, proposal, reason="Reuse.", guest_name="Gus Guest", guest_email="gus@uni.example")
    access_request = AccessRequest.objects.get()
    assert access_request.guest_email == "gus@uni.example" and access_request.user is None
    with django_capture_on_commit_callbacks(execute=True):
        access_requests.decide(access_request=access_request, by=steward, grant=True)
    mail = mailoutbox[-1]
    assert mail.to == ["gus@uni.example"]
    link = re.search(r"http://\S+/login/password/\S+", mail.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = anonymous_client.get("/" + path, follow=True)
    assert "Choose your password" in page.content.decode() and page.context["validlink"]
    access_request.refresh_from_db()
    assert visibility.can_download_dataset(access_request.user, embargoed)


def test_expired_grant_gives_no_access(outsider_client, outsider, proposal, embargoed, steward):
    AccessGrant.objects.create(
        document=proposal, user=outsider, granted_by=steward, expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert outsider_client.get(file_url(embargoed)).status_code == 404


def test_only_pi_or_steward_decides(outsider_client, outsider, proposal, embargoed):
    access_request = AccessRequest.objects.create(
        document=proposal, guest_name="X", guest_email="x@example.org", reason="r"
    )
    url = reverse("access-request-decide", kwargs={"request_id": access_request.pk})
    assert outsider_client.post(url, {"decision": "grant"}).status_code == 403
    with pytest.raises(access_requests.AccessRequestError):
        access_requests.decide(access_request=access_request, by=outsider, grant=True)
    assert AccessRequest.objects.get(pk=access_request.pk).state == "pending"


def test_a_request_is_decided_once(member_client, member, proposal, embargoed):
    access_request = AccessRequest.objects.create(
        document=proposal, guest_name="X", guest_email="x@example.org", reason="r"
    )
    access_requests.decide(access_request=access_request, by=member, grant=False)
    url = reverse("access-request-decide", kwargs={"request_id": access_request.pk})
    with pytest.raises(access_requests.AccessRequestError, match="decided already"):
        access_requests.decide(access_request=access_request, by=member, grant=True)
    assert "refused" in member_client.get(url).content.decode()


@pytest.mark.parametrize(("day", "why"), [("2001-01-01", "after today"), ("9999-12-31", "within 100 years")])
def test_an_expiry_date_past_or_far_off_is_refused_on_the_form(member_client, proposal, embargoed, day, why):
    access_request = AccessRequest.objects.create(
        document=proposal, guest_name="X", guest_email="x@example.org", reason="r"
    )
    url = reverse("access-request-decide", kwargs={"request_id": access_request.pk})
    response = member_client.post(url, {"decision": "grant", "expires_on": day})
    assert response.status_code == 400 and why in response.content.decode()
    assert not AccessGrant.objects.exists()


def test_open_data_need_no_request(outsider_client, proposal, stored_dataset):
    stored_dataset(proposal, {"a.nxs": b"open"})
    Document.objects.filter(pk=proposal.pk).update(doi="10.80000/open")
    response = ask(outsider_client, proposal, reason="please")
    assert response.status_code == 400 and "no request is needed" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_proposals_without_doi_stay_unknown_to_outsiders(outsider_client, anonymous_client):
    hidden = ProposalFactory(title="Secret session")
    DatasetFactory(proposal=hidden, embargoed=True, instrument__facility=hidden.facility)
    for client in (outsider_client, anonymous_client):
        response = client.get(reverse("access-request", kwargs={"pid": hidden.pid}))
        assert response.status_code == 404 and "Secret session" not in response.content.decode()


def test_team_members_are_told_they_have_access(member_client, proposal, embargoed):
    response = ask(member_client, proposal, reason="me")
    assert "already have access" in response.content.decode()
