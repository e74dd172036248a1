"""The visibility rules of access-policy.md, for every persona and embargo state."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.test import override_settings
from django.utils import timezone

from catalogue import visibility
from catalogue.models import AccessGrant
from catalogue.services import curation
from tests.factories import CollectionFactory, DatasetFactory, UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


@pytest.fixture
def open_dataset(proposal):
    return DatasetFactory(proposal=proposal, instrument__facility=proposal.facility)


@pytest.fixture
def embargoed_dataset(proposal):
    return DatasetFactory(proposal=proposal, instrument__facility=proposal.facility, embargoed=True)


def test_release_date_is_measurement_end_plus_three_years(open_dataset):
    assert open_dataset.release_date == open_dataset.end_time.replace(year=open_dataset.end_time.year + 3)


@override_settings(EMBARGO_PERIOD_YEARS=0)
def test_zero_embargo_period_opens_at_once(proposal):
    dataset = DatasetFactory(proposal=proposal, embargoed=True)
    assert visibility.is_open(dataset)


def test_facility_embargo_period_overrides_the_site_default(proposal):
    proposal.facility.embargo_period_years = 5
    proposal.facility.save()
    dataset = DatasetFactory(proposal=proposal, instrument__facility=proposal.facility)
    assert dataset.release_date.year == dataset.end_time.year + 5


def test_file_without_any_time_counts_from_ingestion(proposal):
    dataset = DatasetFactory(proposal=proposal, start_time=None, end_time=None)
    assert dataset.release_date.year == dataset.ingested_at.year + 3
    assert not visibility.is_open(dataset)


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_outsiders_see_open_but_not_embargoed_datasets(persona, outsider, open_dataset, embargoed_dataset):
    user = ANONYMOUS if persona == "anonymous" else outsider
    visible = set(visibility.datasets_visible_to(user))
    assert open_dataset in visible
    assert embargoed_dataset not in visible
    assert not visibility.can_download_dataset(user, embargoed_dataset)
    assert visibility.can_download_dataset(user, open_dataset)


def test_members_see_and_download_their_embargoed_data(member, embargoed_dataset):
    assert visibility.can_view_dataset(member, embargoed_dataset)
    assert visibility.can_download_dataset(member, embargoed_dataset)


def test_member_of_another_proposal_sees_nothing_embargoed_here(member):
    other = DatasetFactory(embargoed=True)
    assert not visibility.can_view_dataset(member, other)


def test_stewards_see_everything_including_withdrawn(steward, embargoed_dataset, open_dataset):
    open_dataset.withdrawn_at = timezone.now()
    open_dataset.save()
    assert set(visibility.datasets_visible_to(steward)) >= {embargoed_dataset, open_dataset}
    assert not visibility.can_download_dataset(steward, open_dataset)


def test_withdrawn_dataset_is_invisible_to_the_public(open_dataset):
    open_dataset.withdrawn_at = timezone.now()
    open_dataset.save()
    assert not visibility.can_view_dataset(ANONYMOUS, open_dataset)


def test_open_now_opens_an_embargoed_dataset(embargoed_dataset):
    embargoed_dataset.open_now = True
    embargoed_dataset.save()
    assert visibility.can_view_dataset(ANONYMOUS, embargoed_dataset)
    assert visibility.can_download_dataset(ANONYMOUS, embargoed_dataset)


def test_release_date_override_in_the_past_opens(embargoed_dataset):
    embargoed_dataset.release_date_override = timezone.now() - timedelta(minutes=1)
    embargoed_dataset.save()
    curation.record_dataset_edit(dataset=embargoed_dataset, changed_fields={"release_date_override"})
    assert visibility.can_view_dataset(ANONYMOUS, embargoed_dataset)
    assert "release_date_override" in embargoed_dataset.curated_fields


def test_release_date_override_extends_an_open_dataset(open_dataset):
    open_dataset.release_date_override = timezone.now() + timedelta(days=365)
    open_dataset.save()
    curation.record_dataset_edit(dataset=open_dataset, changed_fields={"release_date_override"})
    assert not visibility.can_view_dataset(ANONYMOUS, open_dataset)


@override_settings(EMBARGOED_METADATA="visible")
def test_visible_policy_shows_metadata_but_never_files(embargoed_dataset, outsider):
    assert visibility.can_view_dataset(ANONYMOUS, embargoed_dataset)
    assert visibility.can_view_dataset(outsider, embargoed_dataset)
    assert not visibility.can_download_dataset(ANONYMOUS, embargoed_dataset)
    assert not visibility.can_download_dataset(outsider, embargoed_dataset)


def test_access_group_members_see_the_proposal(proposal, embargoed_dataset):
    group = Group.objects.create(name="mx1000")
    proposal.access_groups.add(group)
    user = UserFactory(username="colleague")
    user.groups.add(group)
    assert visibility.can_view_dataset(user, embargoed_dataset)


def test_owner_group_members_see_the_proposal(proposal, embargoed_dataset, outsider):
    group = Group.objects.create(name="mx1000-owners")
    proposal.owner_group = group
    proposal.save()
    assert not visibility.can_view_dataset(outsider, embargoed_dataset)
    outsider.groups.add(group)
    assert visibility.can_view_dataset(outsider, embargoed_dataset)
    assert visibility.is_team_member(outsider, proposal)


def test_access_grant_works_until_it_expires(proposal, embargoed_dataset, outsider):
    grant = AccessGrant.objects.create(document=proposal, user=outsider, expires_at=timezone.now() + timedelta(days=1))
    assert visibility.can_download_dataset(outsider, embargoed_dataset)
    grant.expires_at = timezone.now() - timedelta(seconds=1)
    grant.save()
    assert not visibility.can_view_dataset(outsider, embargoed_dataset)


def test_proposal_with_only_embargoed_data_shows_only_the_stub(proposal, embargoed_dataset, outsider, member):
    proposal.doi = "10.80000/test-1"
    proposal.save()
    assert not visibility.can_view_document(ANONYMOUS, proposal)
    assert visibility.public_stub_only(ANONYMOUS, proposal)
    assert visibility.public_stub_only(outsider, proposal)
    assert not visibility.public_stub_only(member, proposal)


def test_proposal_with_an_open_dataset_is_visible(proposal, open_dataset, embargoed_dataset):
    assert visibility.can_view_document(ANONYMOUS, proposal)


def test_unpublished_collection_is_hidden_even_with_open_data(open_dataset):
    collection = CollectionFactory(published_at=None)
    collection.collected_datasets.add(open_dataset)
    assert not visibility.can_view_document(ANONYMOUS, collection)
    collection.published_at = timezone.now()
    collection.save()
    assert visibility.can_view_document(ANONYMOUS, collection)


def test_personal_data_only_for_team_and_stewards(proposal, member, outsider, steward):
    assert visibility.can_see_personal_data(member, proposal)
    assert visibility.can_see_personal_data(steward, proposal)
    assert not visibility.can_see_personal_data(outsider, proposal)
    assert not visibility.can_see_personal_data(ANONYMOUS, proposal)


def test_proposal_opens_with_its_last_dataset(proposal, open_dataset, embargoed_dataset):
    proposal.refresh_from_db()
    assert proposal.release_date == embargoed_dataset.release_date


@pytest.mark.parametrize("policy", ["hidden", "visible"])
def test_facet_rows_follow_the_same_rule_and_open_only_is_said_truly(policy, member, outsider, steward, proposal):
    """The narrow facet rows are filtered by the dataset rule itself; sees_open_data_only is true exactly when the
    visible datasets are all open."""
    DatasetFactory(proposal=proposal, instrument__facility=proposal.facility)
    DatasetFactory(proposal=proposal, instrument__facility=proposal.facility, embargoed=True)
    with override_settings(EMBARGOED_METADATA=policy):
        for user in (ANONYMOUS, outsider, member, steward):
            visible = set(visibility.datasets_visible_to(user).values_list("pk", flat=True))
            rows = set(visibility.facet_rows_visible_to(user).values_list("pk", flat=True))
            assert rows == visible
            open_ones = set(visibility.open_datasets().values_list("pk", flat=True))
            beyond = visibility.facet_rows_beyond_open(user)
            assert set(beyond.values_list("pk", flat=True) if beyond is not None else []) == visible - open_ones
            assert visibility.sees_open_data_only(user) == (visible <= open_ones)
        assert visibility.sees_open_data_only(ANONYMOUS) == (policy == "hidden")
        assert visibility.sees_open_data_only(outsider) == (policy == "hidden")  # on no team
