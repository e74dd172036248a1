"""Login: local accounts always, OpenID Connect against a real provider on 127.0.0.1 (tests/access/oidc_provider.py)."""

from urllib.parse import urlparse

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from catalogue import visibility
from catalogue.models import Member
from landing.access import oidc
from tests.access import oidc_provider
from tests.factories import DatasetFactory, ProposalFactory

ALICE = {
    "sub": "8f2c1e6a-alice",
    "email": "alice@uni.example",
    "name": "Alice Scientist",
    "given_name": "Alice",
    "family_name": "Scientist",
    "eduperson_entitlement": [
        "urn:mace:egi.eu:group:pan:proposal:mx4242#aai.pan.example",
        "urn:mace:egi.eu:group:pan:group:beamline-staff#aai.pan.example",
        "urn:mace:egi.eu:group:unrelated:thing",
    ],
}


@pytest.fixture(scope="module")
def provider():
    provider, server = oidc_provider.start()
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def oidc_settings(settings, provider):
    provider.mode = "normal"
    provider.claims = dict(ALICE)
    settings.OIDC_OP_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = oidc_provider.CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.CLIENT_SECRET
    settings.OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        "landing.access.oidc.AuthenticationBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    cache.delete(f"oidc-discovery:{provider.issuer}")
    return settings


def log_in_through_provider(client: Client, *, next_url: str = "/") -> str:
    """Run the browser's part of the code flow; returns where the site finally sends the user."""
    start = client.get(reverse("oidc_authentication_init"), {"next": next_url})
    assert start.status_code == 302
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    callback = urlparse(at_provider.headers["Location"])
    assert callback.path == reverse("oidc_authentication_callback")
    finish = client.get(f"{callback.path}?{callback.query}")
    assert finish.status_code == 302
    return finish["Location"]


def logged_in_user(client: Client):
    return client.get("/login/").wsgi_request.user


def test_login_creates_the_user_and_maps_claims(oidc_settings, db):
    proposal = ProposalFactory(proposal_number="mx4242")
    dataset = DatasetFactory(proposal=proposal, embargoed=True, instrument__facility=proposal.facility)
    client = Client()
    assert log_in_through_provider(client, next_url="/somewhere") == "/somewhere"
    user = get_user_model().objects.get(username="oidc:8f2c1e6a-alice")
    assert (user.email, user.first_name, user.last_name) == ("alice@uni.example", "Alice", "Scientist")
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["beamline-staff"]
    member = Member.objects.get(person__user=user)
    assert member.document == proposal and member.role == oidc.LOGIN_MEMBER_ROLE
    assert logged_in_user(client) == user
    assert visibility.can_download_dataset(user, dataset)


def test_second_login_follows_the_claims_and_finds_the_same_account(oidc_settings, provider, db):
    ProposalFactory(proposal_number="mx4242")
    log_in_through_provider(Client())
    provider.claims = dict(ALICE, eduperson_entitlement=[], email="alice@new.example")
    log_in_through_provider(Client())
    user = get_user_model().objects.get(username="oidc:8f2c1e6a-alice")
    assert user.email == "alice@new.example"
    assert not Member.objects.filter(person__user=user).exists()
    assert get_user_model().objects.filter(username__startswith="oidc:").count() == 1


@pytest.mark.parametrize("mode", ["expired", "tampered"])
def test_expired_or_tampered_id_token_is_refused(oidc_settings, provider, db, mode):
    provider.mode = mode
    client = Client()
    assert log_in_through_provider(client) == "/login/?failed=oidc"
    assert not logged_in_user(client).is_authenticated
    assert not get_user_model().objects.filter(username__startswith="oidc:").exists()
    assert "did not succeed" in client.get("/login/?failed=oidc").content.decode()


def test_wrong_client_secret_is_refused(oidc_settings, db):
    oidc_settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"
    client = Client()
    assert log_in_through_provider(client) == "/login/?failed=oidc"
    assert not logged_in_user(client).is_authenticated


def test_logout_ends_the_session_here_and_at_the_provider(oidc_settings, provider, db):
    client = Client()
    log_in_through_provider(client)
    assert "Log out" in client.get(reverse("logout")).content.decode()  # GET only asks
    assert logged_in_user(client).is_authenticated
    response = client.post(reverse("logout"))
    assert response["Location"].startswith(f"{provider.issuer}/logout?")
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.headers["Location"] == "http://testserver/"
    assert provider.logouts[-1]["id_token_hint"].count(".") == 2
    assert not logged_in_user(client).is_authenticated


def test_login_page_offers_the_provider_when_configured(oidc_settings, db):
    page = Client().get("/login/").content.decode()
    assert 'id="oidc-login"' in page and "Facility staff" in page


def test_local_login_works_without_oidc(db, settings):
    settings.OIDC_ENABLED = False
    get_user_model().objects.create_user("steward2", password="a long pass phrase")
    client = Client()
    page = client.get("/login/").content.decode()
    assert 'id="oidc-login"' not in page
    response = client.post("/login/", {"username": "steward2", "password": "a long pass phrase", "next": "/x"})
    assert response.status_code == 302 and response["Location"] == "/x"
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    client.post(reverse("logout"))
    assert not logged_in_user(client).is_authenticated


def test_local_login_still_works_when_the_provider_is_down(oidc_settings, db):
    oidc_settings.OIDC_OP_ISSUER = "http://127.0.0.1:9"  # discard port: nothing answers
    get_user_model().objects.create_user("steward3", password="a long pass phrase")
    client = Client()
    response = client.post("/login/", {"username": "steward3", "password": "a long pass phrase"})
    assert response.status_code == 302
    assert client.get(reverse("oidc_authentication_init")).status_code == 503


def test_wrong_password_is_told(db):
    get_user_model().objects.create_user("steward4", password="a long pass phrase")
    response = Client().post("/login/", {"username": "steward4", "password": "nope"})
    assert response.status_code == 200 and "did not match" in response.content.decode()
