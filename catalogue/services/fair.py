"""The FAIR score service: score a dataset or DOI, store the scores when the catalogue changes, and give stewards
their worklist, dashboard figures and daily snapshots (the checks: catalogue.fair.checks).
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalogue.fair import facts as fair_facts
from catalogue.fair.checks import Owner
from catalogue.fair.scoring import BANDS, CHECKS_BY_KEY, Assessment, assess, band_of
from catalogue.models import (
    Dataset,
    DatasetFairScore,
    Document,
    DocumentFairScore,
    FairGap,
    FairSnapshot,
    Instrument,
)

logger = logging.getLogger(__name__)

CHUNK = 500
# Checks a steward fixes by editing records; the others follow the site's setup (DataCite account, embargoes).
WORKLIST_CHECKS = [key for key, check in CHECKS_BY_KEY.items() if check.owner != Owner.SITE]
# Dataset fields without a bulk action: each dataset is an edit of its own.
_ONE_EDIT_PER_DATASET = [
    key
    for key, check in CHECKS_BY_KEY.items()
    if check.owner == Owner.DATASET and not check.steward_action and key in WORKLIST_CHECKS
]
HISTOGRAM_BINS = 10


def score_dataset(*, dataset: Dataset) -> Assessment:
    """The dataset's FAIR assessment from the catalogue as it is now (nothing is stored)."""
    return assess(fair_facts.dataset_facts([dataset.pk])[dataset.pk])


def score_document(*, document: Document) -> Assessment:
    """The DOI's (proposal's or collection's) assessment; its dataset-level checks read its datasets' stored scores."""
    return assess(fair_facts.document_facts([document.pk])[document.pk])


def _stored_results(assessment: Assessment) -> dict[str, list]:
    return {key: [result.earned, result.missing] for key, result in assessment.results.items()}


def store_dataset_scores(dataset_ids: list[int]) -> int:
    """Score these datasets and write their scores and gaps (one transaction; idempotent). Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        keys = {
            pk: (proposal, instrument, facility or proposal_facility)
            for pk, proposal, instrument, facility, proposal_facility in Dataset.objects.filter(
                pk__in=dataset_ids
            ).values_list("pk", "proposal_id", "instrument_id", "instrument__facility_id", "proposal__facility_id")
        }
        scores, gaps = [], []
        for pk, facts in fair_facts.dataset_facts(list(keys)).items():
            proposal, instrument, facility = keys[pk]
            assessment = assess(facts)
            scores.append(
                DatasetFairScore(
                    dataset_id=pk,
                    score=assessment.score,
                    results=_stored_results(assessment),
                    computed_at=now,
                    proposal_id=proposal,
                    instrument_id=instrument,
                    facility_id=facility,
                )
            )
            gaps += [
                FairGap(
                    dataset_id=pk,
                    check_key=key,
                    gain=round(gain, 6),
                    proposal_id=proposal,
                    instrument_id=instrument,
                    facility_id=facility,
                )
                for key, gain in assessment.gains().items()
            ]
        DatasetFairScore.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["dataset"],
            update_fields=["score", "results", "computed_at", "proposal", "instrument", "facility"],
        )
        FairGap.objects.filter(dataset_id__in=list(keys)).delete()
        FairGap.objects.bulk_create(gaps)
    return len(scores)


def store_document_scores(document_ids: list[int]) -> int:
    """Score these proposals and collections (after their datasets) and write the scores. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        facilities = dict(Document.objects.filter(pk__in=document_ids).values_list("pk", "facility_id"))
        scores = []
        for pk, facts in fair_facts.document_facts(list(facilities)).items():
            assessment = assess(facts)
            scores.append(
                DocumentFairScore(
                    document_id=pk,
                    score=assessment.score,
                    results=_stored_results(assessment),
                    computed_at=now,
                    facility_id=facilities[pk],
                )
            )
        DocumentFairScore.objects.bulk_create(
            scores, update_conflicts=True, unique_fields=["document"], update_fields=["score", "results", "computed_at"]
        )
    return len(scores)


@dataclass(frozen=True)
class Changed:
    """What changed, by kind of record: the scores of everything that depends on them are recomputed."""

    datasets: tuple[int, ...] = ()
    documents: tuple[int, ...] = ()
    people: tuple[int, ...] = ()
    affiliations: tuple[int, ...] = ()
    instruments: tuple[int, ...] = ()
    samples: tuple[int, ...] = ()

    def as_json(self) -> dict[str, list[int]]:
        return {name: sorted(getattr(self, name)) for name in self.__dataclass_fields__ if getattr(self, name)}


def affected_datasets(changed: Changed) -> QuerySet[Dataset]:
    """Datasets whose score depends on what changed: their own rows, proposal, team, instrument or samples."""
    documents = Document.objects.filter(
        Q(pk__in=changed.documents)
        | Q(members__person__in=changed.people)
        | Q(members__affiliation__in=changed.affiliations)
    )
    return Dataset.objects.filter(
        Q(pk__in=changed.datasets)
        | Q(proposal__in=documents.values("pk"))
        | Q(collections__in=changed.documents)
        | Q(instrument__in=changed.instruments)
        | Q(samples__in=changed.samples)
    ).distinct()


def affected_documents(changed: Changed, dataset_ids: QuerySet) -> QuerySet[Document]:
    """DOIs whose score depends on what changed: their own rows and team, and the datasets they hold."""
    return Document.objects.filter(
        Q(pk__in=changed.documents)
        | Q(members__person__in=changed.people)
        | Q(members__affiliation__in=changed.affiliations)
        | Q(datasets__in=dataset_ids)
        | Q(collected_datasets__in=dataset_ids)
    ).distinct()


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class Recomputed:
    datasets: int
    documents: int


def recompute(changed: Changed) -> Recomputed:
    """Rescore everything that depends on `changed`, datasets first (a DOI reads its datasets' scores), in chunks
    of their own transactions; safe to run twice or concurrently (each chunk rewrites its rows whole)."""
    dataset_ids = list(affected_datasets(changed).order_by("pk").values_list("pk", flat=True))
    datasets = sum(store_dataset_scores(chunk) for chunk in _chunks(dataset_ids))
    document_ids = affected_documents(changed, Dataset.objects.filter(pk__in=dataset_ids).values("pk"))
    documents = sum(
        store_document_scores(chunk) for chunk in _chunks(document_ids.order_by("pk").values_list("pk", flat=True))
    )
    return Recomputed(datasets=datasets, documents=documents)


def score_unscored(*, limit: int = 5000) -> Recomputed:
    """Score datasets and documents that have no score yet (bulk loads, rows written before this feature)."""
    datasets = list(Dataset.objects.filter(fair_score__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit])
    documents = list(
        Document.objects.filter(fair_score__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    if not datasets and not documents:
        return Recomputed(datasets=0, documents=0)
    return recompute(Changed(datasets=tuple(datasets), documents=tuple(documents)))


# --- The stewards' worklist ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    check: str
    proposal_id: int | None  # the proposal whose records the fix edits (None: an instrument's)
    instrument_id: int | None
    datasets: int
    edits: int
    gain: float  # summed over the datasets
    lacking: int | None = None  # people without ORCID iD / affiliations without ROR id; None: nobody is listed
    proposal_label: str = ""
    instrument_label: str = ""

    @property
    def gain_per_dataset(self) -> float:
        return self.gain / self.datasets

    @property
    def gain_per_edit(self) -> float:
        return self.gain / self.edits

    @property
    def name(self) -> str:
        return CHECKS_BY_KEY[self.check].name

    @property
    def what(self) -> str:
        """The fix in the worklist's words, e.g. 'add ORCID iDs for 12 people of proposal mx1234'."""
        target = f"instrument {self.instrument_label}" if self.instrument_id else f"proposal {self.proposal_label}"
        owner = CHECKS_BY_KEY[self.check].owner
        if owner == Owner.PERSON:
            if self.lacking is None:
                return f"list the creators of {target}, with their ORCID iDs"
            return f"add ORCID iDs for {self.edits} {'person' if self.edits == 1 else 'people'} of {target}"
        if owner == Owner.AFFILIATION:
            if self.lacking is None:
                return f"give the creators of {target} their affiliations, with ROR ids"
            return f"add ROR ids for {self.edits} affiliation{'s' if self.edits != 1 else ''} of {target}"
        if owner == Owner.PROPOSAL:
            return f"{self.name}: edit {target}"
        if owner == Owner.INSTRUMENT:
            return f"{self.name}: register {target}"
        if self.edits == 1:
            return f"{self.name}: one bulk action on the {self.datasets} datasets of {target}"
        return f"{self.name}: edit {self.edits} datasets of {target}"


_WORKLIST_SQL = """
WITH groups AS (
    SELECT g.check_key,
           CASE WHEN g.check_key = ANY(%(by_instrument)s) THEN NULL ELSE g.proposal_id END AS proposal_id,
           CASE WHEN g.check_key = ANY(%(by_instrument)s) THEN g.instrument_id END AS instrument_id,
           count(*) AS datasets, sum(g.gain) AS gain
    FROM catalogue_fairgap g
    WHERE g.check_key = ANY(%(checks)s) AND (%(facility)s::bigint IS NULL OR g.facility_id = %(facility)s)
    GROUP BY 1, 2, 3
),
people AS (
    SELECT m.document_id, count(DISTINCT m.person_id) AS n
    FROM catalogue_member m JOIN catalogue_person p ON p.id = m.person_id
    WHERE m.is_creator AND p.orcid = ''
      AND m.document_id IN (SELECT proposal_id FROM groups WHERE check_key = 'orcid')
    GROUP BY 1
),
affiliations AS (
    SELECT m.document_id, count(DISTINCT m.affiliation_id) AS n
    FROM catalogue_member m JOIN catalogue_affiliation a ON a.id = m.affiliation_id
    WHERE m.is_creator AND a.ror_id = ''
      AND m.document_id IN (SELECT proposal_id FROM groups WHERE check_key = 'ror')
    GROUP BY 1
),
items AS (
    SELECT g.*, GREATEST(1, CASE
        WHEN g.check_key = 'orcid' THEN COALESCE(people.n, 1)
        WHEN g.check_key = 'ror' THEN COALESCE(affiliations.n, 1)
        WHEN g.check_key = ANY(%(per_dataset)s) THEN g.datasets
        ELSE 1 END) AS edits,
        CASE g.check_key WHEN 'orcid' THEN people.n WHEN 'ror' THEN affiliations.n END AS lacking
    FROM groups g
    LEFT JOIN people ON g.check_key = 'orcid' AND people.document_id = g.proposal_id
    LEFT JOIN affiliations ON g.check_key = 'ror' AND affiliations.document_id = g.proposal_id
)
SELECT i.check_key, i.proposal_id, i.instrument_id, i.datasets, i.edits, i.gain, i.lacking,
       COALESCE(NULLIF(d.proposal_number, ''), d.pid), ins.name
FROM items i
LEFT JOIN catalogue_document d ON d.id = i.proposal_id
LEFT JOIN catalogue_instrument ins ON ins.id = i.instrument_id
ORDER BY i.gain / i.edits DESC, i.gain DESC, i.check_key, i.proposal_id, i.instrument_id
LIMIT %(limit)s
"""


def worklist(*, facility_id: int | None = None, limit: int = 30) -> list[WorkItem]:
    """The fixes that raise the facility's scores most per edit, best first (one aggregate statement)."""
    by_instrument = [key for key, check in CHECKS_BY_KEY.items() if check.owner == Owner.INSTRUMENT]
    parameters = {
        "by_instrument": by_instrument,
        "checks": WORKLIST_CHECKS,
        "per_dataset": _ONE_EDIT_PER_DATASET,
        "facility": facility_id,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_WORKLIST_SQL, parameters)
        rows = cursor.fetchall()
    return [
        WorkItem(
            check=check,
            proposal_id=proposal,
            instrument_id=instrument,
            datasets=datasets,
            edits=edits,
            gain=gain,
            lacking=lacking,
            proposal_label=proposal_label or "",
            instrument_label=instrument_label or "",
        )
        for check, proposal, instrument, datasets, edits, gain, lacking, proposal_label, instrument_label in rows
    ]


# --- Dashboard figures and daily snapshots ---------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    instrument_id: int | None
    label: str
    histogram: list[int]  # datasets per tenth of the score

    @property
    def datasets(self) -> int:
        return sum(self.histogram)

    @property
    def mean(self) -> float:
        return sum((index + 0.5) / HISTOGRAM_BINS * n for index, n in enumerate(self.histogram)) / self.datasets


def _bucket_sql() -> str:
    return f"LEAST(width_bucket(score, 0, 1, {HISTOGRAM_BINS}), {HISTOGRAM_BINS}) - 1"


def distributions(*, facility_id: int | None = None) -> list[Distribution]:
    """Histogram of the dataset scores per instrument (read from the score index alone)."""
    sql = f"""
        SELECT s.instrument_id, {_bucket_sql()} AS bucket, count(*)
        FROM catalogue_datasetfairscore s
        WHERE %(facility)s::bigint IS NULL OR s.facility_id = %(facility)s
        GROUP BY 1, 2
    """
    histograms: dict[int | None, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"facility": facility_id})
        for instrument, bucket, count in cursor.fetchall():
            histograms.setdefault(instrument, [0] * HISTOGRAM_BINS)[bucket] = count
    labels = {
        instrument.pk: str(instrument)
        for instrument in Instrument.objects.filter(pk__in=[pk for pk in histograms if pk]).select_related("facility")
    }
    result = [
        Distribution(instrument_id=pk, label=labels.get(pk, "no instrument") if pk else "no instrument", histogram=h)
        for pk, h in histograms.items()
    ]
    return sorted(result, key=lambda d: d.label.lower())


def take_snapshot(*, day: date | None = None) -> int:
    """Record today's distribution per instrument and for the whole site (idempotent: rewrites the day's rows)."""
    day = day or timezone.localdate()
    buckets = ", ".join(
        f"count(*) FILTER (WHERE {_bucket_sql()} = {index})::integer" for index in range(HISTOGRAM_BINS)
    )
    sql = f"""
        INSERT INTO catalogue_fairsnapshot (day, facility_id, instrument_id, datasets, mean, histogram)
        SELECT %(day)s, s.facility_id, s.instrument_id, count(*), avg(s.score), ARRAY[{buckets}]
        FROM catalogue_datasetfairscore s
        GROUP BY GROUPING SETS ((s.facility_id, s.instrument_id), ())
        ON CONFLICT (day, facility_id, instrument_id) DO UPDATE
        SET datasets = EXCLUDED.datasets, mean = EXCLUDED.mean, histogram = EXCLUDED.histogram
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"day": day})
        return cursor.rowcount


def snapshots(*, facility_id: int | None = None, days: int = 365) -> QuerySet[FairSnapshot]:
    """The daily snapshots of the last `days` days, per instrument (facility_id given) or site-wide and per
    instrument."""
    since = timezone.localdate().toordinal() - days
    rows = FairSnapshot.objects.filter(day__gte=date.fromordinal(since)).select_related("instrument__facility")
    if facility_id is not None:
        rows = rows.filter(facility_id=facility_id)
    return rows.order_by("day")


def band_counts(*, facility_id: int | None = None) -> dict[str, int]:
    rows = DatasetFairScore.objects.all()
    if facility_id is not None:
        rows = rows.filter(facility_id=facility_id)
    counts = {}
    for index, (band, lowest) in enumerate(BANDS):
        query = rows.filter(score__gte=lowest)
        if index:
            query = query.filter(score__lt=BANDS[index - 1][1])
        counts[band] = query.count()
    return counts


# --- The breakdown as pages, the REST API and the JSON export show it -------------------------------------------


@dataclass(frozen=True)
class CheckView:
    key: str
    name: str
    principle: str
    fuji_metric: str | None
    weight: int
    earned: float | None
    missing: str
    looks_at: str
    why: str
    fix: str
    training: str
    scientist_field: str

    @property
    def passed(self) -> bool:
        return self.earned is None or self.earned >= 1


@dataclass(frozen=True)
class Breakdown:
    score: float
    band: str
    computed_at: datetime | None
    checks: list[CheckView]

    @property
    def missing(self) -> list[CheckView]:
        """Checks not fully met, heaviest loss first."""
        failing = [check for check in self.checks if not check.passed]
        return sorted(failing, key=lambda c: -(c.weight * (1 - (c.earned or 0))))

    def as_json(self) -> dict:
        return {
            "score": self.score,
            "band": self.band,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "checks": [
                {
                    "key": c.key,
                    "name": c.name,
                    "principle": c.principle,
                    "fuji_metric": c.fuji_metric,
                    "weight": c.weight,
                    "earned": c.earned,
                    "missing": c.missing,
                    "fix": c.fix,
                }
                for c in self.checks
            ],
        }


def breakdown(stored: DatasetFairScore | DocumentFairScore | None) -> Breakdown | None:
    """A stored score with its checks in the declared order; None while the record is not scored yet."""
    if stored is None:
        return None
    checks = []
    for key, check in CHECKS_BY_KEY.items():
        earned, missing = stored.results.get(key, [None, ""])
        checks.append(
            CheckView(
                key=key,
                name=check.name,
                principle=check.principle,
                fuji_metric=check.fuji_metric,
                weight=check.weight,
                earned=earned,
                missing=missing,
                looks_at=check.looks_at,
                why=check.why,
                fix=check.fix,
                training=check.training,
                scientist_field=check.scientist_field,
            )
        )
    return Breakdown(score=stored.score, band=band_of(stored.score), computed_at=stored.computed_at, checks=checks)


def stored_dataset_score(dataset: Dataset) -> DatasetFairScore | None:
    return DatasetFairScore.objects.filter(dataset=dataset).first()


def stored_document_score(document: Document) -> DocumentFairScore | None:
    return DocumentFairScore.objects.filter(document=document).first()
