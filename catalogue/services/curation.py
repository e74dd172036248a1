"""Steward and scientist edits: remember which fields a person curated so that re-ingestion keeps them, and the
fixes the FAIR score suggests (licence, keywords, ORCID iDs, related publications)."""

import re
from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from catalogue import visibility
from catalogue.fair.checks import RECOGNISED_LICENCES
from catalogue.models import Dataset, Document, Person, RelatedWork
from catalogue.services import embargo

# Fields whose steward value must survive a re-ingest of the file the dataset came from.
CURATABLE_DATASET_FIELDS = frozenset(
    {
        "title",
        "description",
        "keywords",
        "kind",
        "instrument",
        "proposal",
        "samples",
        "techniques",
        "start_time",
        "end_time",
        "creation_time",
        "release_date_override",
        "open_now",
        "scientific_metadata",
    }
)
RELEASE_FIELDS = frozenset({"start_time", "end_time", "release_date_override", "instrument", "proposal"})


def record_dataset_edit(*, dataset: Dataset, changed_fields: set[str]) -> None:
    """Call after a steward saved `dataset`: marks curated fields and refreshes release dates if needed."""
    curated = sorted(set(dataset.curated_fields) | (changed_fields & CURATABLE_DATASET_FIELDS))
    if curated != dataset.curated_fields:
        dataset.curated_fields = curated
        Dataset.objects.filter(pk=dataset.pk).update(curated_fields=curated)
    if changed_fields & RELEASE_FIELDS:
        embargo.refresh_release_dates(dataset)


def record_document_edit(*, document: Document, changed_fields: set[str]) -> None:
    if "release_date_override" in changed_fields:
        embargo.refresh_document_release_date(document)


# --- Fixes the FAIR worklist and the landing pages offer (audited: django-simple-history records who) ----------


class CurationError(ValueError):
    """A fix was refused: bad input or no right to make it; the message says which."""


ORCID_PATTERN = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
MAX_KEYWORDS = 30


def _audited(record: models.Model, *, by: visibility.User | None, reason: str) -> None:
    if by is not None and by.is_authenticated:
        record._history_user = by  # type: ignore[attr-defined]  # read by django-simple-history
    record._change_reason = reason  # type: ignore[attr-defined]  # read by django-simple-history


def withdraw_dataset(*, dataset: Dataset, reason: str, by: visibility.User | None) -> bool:
    """Withdraw `dataset`: its landing page becomes a tombstone naming `reason` (access-policy.md: withdrawn records
    stay findable as tombstones); recorded in its history. Idempotent: False when it was withdrawn already."""
    if dataset.withdrawn_at is not None:
        return False
    dataset.withdrawn_at = timezone.now()
    dataset.withdrawal_reason = reason
    _audited(dataset, by=by, reason=f"withdrawn: {reason}")
    dataset.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    return True


def normalise_orcid(value: str) -> str:
    """The bare iD of an ORCID given bare or as its https://orcid.org/ URL; raises CurationError if invalid."""
    orcid = value.strip().removeprefix("https://orcid.org/").removeprefix("http://orcid.org/").upper()
    if not ORCID_PATTERN.match(orcid):
        raise CurationError(f"{value!r} is not an ORCID iD (0000-0002-1825-0097 or its https://orcid.org/ URL)")
    # ISO 7064 11-2 check character, as ORCID computes it.
    total = 0
    for digit in orcid.replace("-", "")[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    if orcid[-1] != ("X" if check == 10 else str(check)):
        raise CurationError(f"{value!r} is not a valid ORCID iD: its check digit is wrong")
    return orcid


def normalise_doi(value: str) -> str:
    doi = value.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        doi = doi.removeprefix(prefix)
    if not DOI_PATTERN.match(doi):
        raise CurationError(f"{value!r} is not a DOI (10.1107/S1600577522001234 or its https://doi.org/ URL)")
    return doi


def parse_keywords(text: str) -> list[str]:
    """Comma-separated keywords, trimmed and without case-insensitive repeats; raises CurationError if too many."""
    keywords: list[str] = []
    for word in (part.strip() for part in text.split(",")):
        if word and word.lower() not in {k.lower() for k in keywords}:
            if len(word) > 255:
                raise CurationError(f"the keyword {word[:40]!r}… is longer than 255 characters")
            keywords.append(word)
    if len(keywords) > MAX_KEYWORDS:
        raise CurationError(f"at most {MAX_KEYWORDS} keywords")
    return keywords


def set_licence(*, documents: Iterable[Document], licence: str, by: visibility.User | None) -> int:
    """Set the SPDX licence of these proposals or collections. Returns how many changed."""
    if licence not in RECOGNISED_LICENCES:
        raise CurationError(f"{licence!r} is not one of the licences offered: {', '.join(sorted(RECOGNISED_LICENCES))}")
    changed = 0
    for document in documents:
        if document.licence != licence:
            document.licence = licence
            _audited(document, by=by, reason="licence set (FAIR fix)")
            document.save(update_fields=["licence", "modified_at"])
            changed += 1
    return changed


def add_keywords(*, datasets: Iterable[Dataset], keywords: list[str], by: visibility.User | None) -> int:
    """Add keywords to these datasets (kept on re-ingest). Returns how many datasets changed."""
    if not keywords:
        raise CurationError("give at least one keyword")
    changed = 0
    for dataset in datasets:
        merged = dataset.keywords + [k for k in keywords if k.lower() not in {w.lower() for w in dataset.keywords}]
        if merged != dataset.keywords:
            dataset.keywords = merged
            _audited(dataset, by=by, reason="keywords added (FAIR fix)")
            dataset.save(update_fields=["keywords", "modified_at"])
            record_dataset_edit(dataset=dataset, changed_fields={"keywords"})
            changed += 1
    return changed


def set_orcids(*, orcids: dict[Person, str], by: visibility.User | None) -> int:
    """Set the ORCID iDs of these people (each validated first: nothing is written if one is wrong)."""
    cleaned = {person: normalise_orcid(value) for person, value in orcids.items() if value.strip()}
    for person, orcid in cleaned.items():
        person.orcid = orcid
        _audited(person, by=by, reason="ORCID iD set (FAIR fix)")
        person.save(update_fields=["orcid"])
    return len(cleaned)


def link_publication(
    *, documents: Iterable[Document], identifier: str, title: str = "", relation: str = "", by: visibility.User | None
) -> int:
    """Link a paper (by DOI) to these proposals or collections; linking it twice changes nothing. Returns how many
    links were made."""
    doi = normalise_doi(identifier)
    relation = relation or RelatedWork.Relation.IS_CITED_BY
    if relation not in RelatedWork.Relation.values:
        raise CurationError(f"{relation!r} is not a relation type: {', '.join(RelatedWork.Relation.values)}")
    made = 0
    for document in documents:
        if RelatedWork.objects.filter(document=document, identifier__iexact=doi, relation_type=relation).exists():
            continue
        work = RelatedWork(
            document=document, identifier=doi, relation_type=relation, title=title[:1024], by_outside_group=False
        )
        _audited(work, by=by, reason="publication linked (FAIR fix)")
        work.save()
        made += 1
    return made


def fix_by_member(*, dataset: Dataset, user: visibility.User, changes: dict[str, str]) -> list[str]:
    """A scientist's fixes from their landing page: title, description and keywords of the dataset, their own ORCID
    iD, a publication of the proposal. Only members of the dataset's proposal may make them; every value is
    checked before anything is written (one transaction). Returns the fields changed."""
    if not user.is_authenticated or not visibility.is_proposal_member(user, dataset.proposal):
        raise PermissionError("only members of the proposal can edit its datasets")
    changes = {name: value.strip() for name, value in changes.items() if value and value.strip()}
    unknown = set(changes) - {"title", "description", "keywords", "orcid", "publication"}
    if unknown:
        raise CurationError(f"these fields cannot be edited here: {', '.join(sorted(unknown))}")
    if "title" in changes and not 10 <= len(changes["title"]) <= 1024:
        raise CurationError("a title has 10 to 1024 characters")
    if "description" in changes and len(changes["description"]) > 20_000:
        raise CurationError("a description has at most 20,000 characters")
    keywords = parse_keywords(changes["keywords"]) if "keywords" in changes else []
    orcid = normalise_orcid(changes["orcid"]) if "orcid" in changes else ""
    doi = normalise_doi(changes["publication"]) if "publication" in changes else ""
    person = Person.objects.filter(user=user, memberships__document=dataset.proposal).first()
    changed: list[str] = []
    with transaction.atomic():
        fields: dict[str, object] = {name: changes[name] for name in ("title", "description") if name in changes}
        if keywords:
            fields["keywords"] = keywords
        fields = {name: value for name, value in fields.items() if getattr(dataset, name) != value}
        if fields:
            for name, value in fields.items():
                setattr(dataset, name, value)
            _audited(dataset, by=user, reason="edited by a member (FAIR fix)")
            dataset.save(update_fields=[*fields, "modified_at"])
            record_dataset_edit(dataset=dataset, changed_fields=set(fields))
            changed += sorted(fields)
        if orcid and person is not None and person.orcid != orcid:
            set_orcids(orcids={person: orcid}, by=user)
            changed.append("orcid")
        if doi and link_publication(documents=[dataset.proposal], identifier=doi, by=user):
            changed.append("publication")
    return changed
