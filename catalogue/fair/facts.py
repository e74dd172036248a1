"""Gather the facts the FAIR checks read, for many datasets or documents at once, in a fixed number of queries.

Everything comes from the catalogue's own rows (no page is fetched): the same fields landing.datacite maps into
the DataCite, schema.org and signposting forms that F-UJI reads.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from django.db import connection
from django.db.models import Count, Q

from catalogue import visibility
from catalogue.fair.checks import Facts, Level
from catalogue.fair.scoring import CHECKS_BY_KEY
from catalogue.models import DataFile, Dataset, Document, DocumentKind, Member, Parameter, RelatedWork

DATASET_LEVEL = [key for key, check in CHECKS_BY_KEY.items() if check.level == Level.DATASET]


def _counts(rows: Iterable[Mapping[str, Any]], key: str, *names: str) -> dict[int, dict[str, int]]:
    return {row[key]: {name: row[name] for name in names} for row in rows}


class _Team:
    """Creators, their ORCID iDs and their affiliations' ROR ids, per document."""

    def __init__(self, document_ids: Iterable[int]) -> None:
        creators: dict[int, set[int]] = defaultdict(set)
        with_orcid: dict[int, set[int]] = defaultdict(set)
        affiliations: dict[int, set[int]] = defaultdict(set)
        with_ror: dict[int, set[int]] = defaultdict(set)
        rows = Member.objects.filter(document__in=list(document_ids), is_creator=True).values_list(
            "document_id", "person_id", "person__orcid", "affiliation_id", "affiliation__ror_id"
        )
        for document_id, person_id, orcid, affiliation_id, ror_id in rows:
            creators[document_id].add(person_id)
            if orcid:
                with_orcid[document_id].add(person_id)
            if affiliation_id is not None:
                affiliations[document_id].add(affiliation_id)
                if ror_id:
                    with_ror[document_id].add(affiliation_id)
        self.creators, self.with_orcid, self.affiliations, self.with_ror = creators, with_orcid, affiliations, with_ror

    def facts(self, document_id: int) -> dict[str, int]:
        return {
            "creators": len(self.creators[document_id]),
            "creators_with_orcid": len(self.with_orcid[document_id]),
            "affiliations": len(self.affiliations[document_id]),
            "affiliations_with_ror": len(self.with_ror[document_id]),
        }


def _publications(document_ids: Iterable[int]) -> dict[int, int]:
    rows = RelatedWork.objects.filter(document__in=list(document_ids)).values("document_id").annotate(n=Count("id"))
    return {row["document_id"]: row["n"] for row in rows}


def _record_facts(document: Document, team: _Team, publications: dict[int, int]) -> dict:
    return {
        "licence": document.licence,
        "publications": publications.get(document.pk, 0),
        **team.facts(document.pk),
    }


def dataset_facts(dataset_ids: list[int]) -> dict[int, Facts]:
    """Facts of each dataset: its own fields, its proposal's (or citing collection's) DOI, team and licence."""
    datasets = list(
        Dataset.objects.filter(pk__in=dataset_ids)
        .select_related("proposal", "instrument")
        .only(
            *("pk", "title", "description", "keywords", "kind", "source_path", "software_name", "software_version"),
            *("definitions", "file_format", "release_date", "open_now", "withdrawn_at", "instrument__name"),
            *("instrument__pid", "proposal__doi", "proposal__doi_state", "proposal__licence", "proposal__withdrawn_at"),
        )
    )
    links = Dataset.techniques.through.objects.filter(dataset_id__in=dataset_ids).values("dataset_id")
    techniques = _counts(
        links.annotate(n=Count("id"), panet=Count("id", filter=Q(technique__panet_id__isnull=False))),
        "dataset_id",
        "n",
        "panet",
    )
    sample_links = Dataset.samples.through.objects.filter(dataset_id__in=dataset_ids).values("dataset_id")
    samples = _counts(sample_links.annotate(n=Count("id")), "dataset_id", "n")
    parameters = _counts(
        Parameter.objects.filter(dataset_id__in=dataset_ids, is_physical=True)
        .values("dataset_id")
        .annotate(n=Count("id"), si=Count("id", filter=Q(value_si__isnull=False) & ~Q(unit_si=""))),
        "dataset_id",
        "n",
        "si",
    )
    files = _counts(
        DataFile.objects.filter(dataset_id__in=dataset_ids)
        .values("dataset_id")
        .annotate(n=Count("id"), bad=Count("id", filter=Q(is_missing=True) | ~Q(fixity_error=""))),
        "dataset_id",
        "n",
        "bad",
    )
    input_links = Dataset.input_datasets.through.objects.filter(from_dataset_id__in=dataset_ids)
    inputs = _counts(input_links.values("from_dataset_id").annotate(n=Count("id")), "from_dataset_id", "n")
    # Datasets whose proposal has no DOI are cited through the first published collection holding them.
    collection_doi = dict(
        Document.collected_datasets.through.objects.filter(
            dataset_id__in=dataset_ids,
            document__kind=DocumentKind.COLLECTION,
            document__doi__isnull=False,
            document__published_at__isnull=False,
            document__withdrawn_at__isnull=True,
        )
        .order_by("dataset_id", "-document__published_at")
        .values_list("dataset_id", "document__doi_state")
    )
    proposal_ids = {dataset.proposal_id for dataset in datasets}
    team = _Team(proposal_ids)
    publications = _publications(proposal_ids)
    facts = {}
    for dataset in datasets:
        proposal = dataset.proposal
        cited_by_proposal = bool(proposal.doi) and proposal.withdrawn_at is None
        doi_state = (proposal.doi_state or "draft") if cited_by_proposal else collection_doi.get(dataset.pk, "")
        technique_counts = techniques.get(dataset.pk, {"n": 0, "panet": 0})
        parameter_counts = parameters.get(dataset.pk, {"n": 0, "si": 0})
        file_counts = files.get(dataset.pk, {"n": 0, "bad": 0})
        instrument = dataset.instrument
        facts[dataset.pk] = Facts(
            kind="dataset",
            title=dataset.title,
            description=dataset.description,
            keywords=tuple(dataset.keywords),
            doi_state=doi_state,
            is_open=visibility.is_open(dataset),
            is_withdrawn=dataset.withdrawn_at is not None,
            release_date=dataset.release_date,
            source_name=PurePosixPath(dataset.source_path).stem if dataset.source_path else "",
            techniques=technique_counts["n"],
            panet_techniques=technique_counts["panet"],
            samples=samples.get(dataset.pk, {"n": 0})["n"],
            instrument=instrument.name if instrument else "",
            instrument_has_pid=bool(instrument and instrument.pid.startswith("10.")),
            physical_parameters=parameter_counts["n"],
            parameters_with_si_units=parameter_counts["si"],
            files=file_counts["n"],
            files_unavailable=file_counts["bad"],
            is_derived=dataset.kind == "derived",
            input_datasets=inputs.get(dataset.pk, {"n": 0})["n"],
            software=dataset.software_name,
            software_version=dataset.software_version,
            definitions=tuple(dataset.definitions),
            file_format=dataset.file_format,
            **_record_facts(proposal, team, publications),
        )
    return facts


def _dataset_means(document_ids: list[int]) -> dict[int, dict[str, float | None]]:
    """Per document, the mean earned share of each dataset-level check over its datasets' stored scores."""
    sql = """
        WITH owned AS (
            SELECT d.proposal_id AS document_id, d.id AS dataset_id FROM catalogue_dataset d
            WHERE d.proposal_id = ANY(%(ids)s)
            UNION
            SELECT c.document_id, c.dataset_id FROM catalogue_document_collected_datasets c
            WHERE c.document_id = ANY(%(ids)s)
        )
        SELECT o.document_id, r.key, avg((r.value ->> 0)::float)
        FROM owned o
        JOIN catalogue_datasetfairscore s ON s.dataset_id = o.dataset_id
        CROSS JOIN LATERAL jsonb_each(s.results) r
        WHERE r.key = ANY(%(keys)s)
        GROUP BY o.document_id, r.key
    """
    means: dict[int, dict[str, float | None]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": document_ids, "keys": DATASET_LEVEL})
        for document_id, key, mean in cursor.fetchall():
            means[document_id][key] = mean
    return means


def document_facts(document_ids: list[int]) -> dict[int, Facts]:
    """Facts of each proposal or collection; its dataset-level checks read its datasets' stored results."""
    documents = list(Document.objects.filter(pk__in=document_ids))
    open_ids = set(visibility.open_documents().filter(pk__in=document_ids).values_list("pk", flat=True))
    team = _Team(document_ids)
    publications = _publications(document_ids)
    means = _dataset_means(document_ids)
    return {
        document.pk: Facts(
            kind="document",
            title=document.title,
            description=document.summary,
            keywords=tuple(document.keywords),
            doi_state=(document.doi_state or "draft") if document.doi else "",
            is_open=document.pk in open_ids,
            is_withdrawn=document.withdrawn_at is not None,
            release_date=document.release_date,
            dataset_means={key: means[document.pk].get(key) for key in DATASET_LEVEL},
            **_record_facts(document, team, publications),
        )
        for document in documents
    }
