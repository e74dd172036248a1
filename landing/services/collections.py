"""Collections: datasets a scientist or steward chooses (the data behind a paper), published with their own DOI."""

import uuid

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from catalogue import visibility
from catalogue.models import Collection, Member, Person
from landing.services import dois

MAX_TITLE = 1024  # Document.title
MAX_KEYWORD = 255
MAX_DATASETS = 10_000


class CollectionError(ValueError):
    pass


@transaction.atomic
def create_collection(
    *,
    user: visibility.User,
    title: str,
    description: str,
    dataset_pids: list[str],
    keywords: list[str] | None = None,
    licence: str = "",
) -> Collection:
    """Create and publish a collection of datasets `user` may see, with `user` as its creator, and give it a DOI.

    Raises CollectionError naming what is wrong; nothing is written then. DataCite is told once committed.
    """
    if not user.is_authenticated:
        raise CollectionError("Log in to create a collection.")
    title = title.strip()
    if not title:
        raise CollectionError("A collection needs a title.")
    if len(title) > MAX_TITLE:
        raise CollectionError(f"The title is {len(title)} characters long; keep it under {MAX_TITLE}.")
    keywords = [k.strip() for k in keywords or [] if k.strip()]
    if any(len(keyword) > MAX_KEYWORD for keyword in keywords):
        raise CollectionError(f"Keep each keyword under {MAX_KEYWORD} characters.")
    pids = list(dict.fromkeys(pid.strip() for pid in dataset_pids if pid.strip()))
    if not pids:
        raise CollectionError("Choose at least one dataset (one pid per line).")
    if len(pids) > MAX_DATASETS:
        raise CollectionError(f"A collection holds at most {MAX_DATASETS} datasets; ask the data office for more.")
    if any("\x00" in pid for pid in pids):
        raise CollectionError("A pid cannot contain a NUL byte.")
    datasets = list(visibility.datasets_visible_to(user).filter(pid__in=pids, withdrawn_at__isnull=True))
    unknown = sorted(set(pids) - {dataset.pid for dataset in datasets})
    if unknown:
        # One message for unknown and invisible pids: an embargoed pid must not be confirmed to exist.
        raise CollectionError("No dataset you can see has the pid(s): " + ", ".join(unknown))
    first = min(datasets, key=lambda d: (d.creation_time, d.pk))
    facility = first.instrument.facility if first.instrument else first.proposal.facility
    collection = Collection.objects.create(
        pid=f"collection/{uuid.uuid4()}",
        title=title,
        summary=description.strip(),
        keywords=keywords,
        licence=licence.strip() or first.proposal.licence,
        facility=facility,
        published_at=timezone.now(),
    )
    collection.collected_datasets.set(datasets)
    Member.objects.create(document=collection, person=_person_of(user), role="creator", is_creator=True)
    # The DOI is assigned now for the redirect; saving a published collection queued its registration (doi_rules).
    dois.assign_doi(document_id=collection.pk)
    collection.refresh_from_db()
    return collection


def _person_of(user: User) -> Person:
    person = Person.objects.filter(user=user).order_by("pk").first()
    if person is not None:
        return person
    full_name = user.get_full_name() or user.get_username()
    return Person.objects.create(
        user=user,
        full_name=full_name,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
    )
