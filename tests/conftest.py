"""Shared fixtures: named people (anonymous, outsider, member, steward), a proposal they relate to, sample files."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from catalogue.services import roles
from tests.factories import MemberFactory, PersonFactory, ProposalFactory, UserFactory

SAMPLES_DIR: Path = settings.NEXUS_SAMPLES_DIR


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
